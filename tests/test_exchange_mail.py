"""The exchange end to end: IMAP in (dovecot), the workflow over HTTP, DOCX answers, SMTP out (aiosmtpd),
the jobs on a real Redis and worker; an unreachable SMTP server; the outbox without one."""

from __future__ import annotations

import email
import email.policy
import io
import os
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from docx import Document

from jobs.worker import run_burst
from portal import documents
from portal import queue as job_queue
from portal.extensions import db
from portal.i18n import default_locale, kyiv_today
from portal.models import Appeal, Attachment
from portal.models.enums import AnswerKind, AppealStatus, AttachmentKind, DeliveryStatus, Role
from portal.models.exchange import IntakeMessage, IntakeState, OutgoingMail
from portal.models.reference import Topic
from portal.services import dispatch, workflow
from tests.conftest import AuthActions, post_form
from tests.factories import make_appeal, make_applicant, make_executor, make_user
from tests.mail_servers import dovecot_missing_reason, dovecot_server, free_port, smtp_server

MAIL = os.path.join(os.path.dirname(__file__), "data", "mail")
SCAN = b"%PDF-1.4\n% signed and scanned answer\n" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def _mail_env(app):
    app.config.update(REGIONAL_CENTER_EMAIL="okc@contact-center.example.gov.ua", MAIL_FROM="zvernennia@rada.example.gov.ua",
                      MAIL_RETRY_INTERVALS="0")  # fmt: skip
    with default_locale():
        yield


@pytest.fixture
def smtp(app):
    with smtp_server() as server:
        app.config["SMTP_URL"] = server.url
        yield server


def work(app) -> None:
    run_burst(job_queue.get_queue(), app=app)


def attachments_of(data: bytes) -> dict[str, bytes]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def signed_appeal() -> Appeal:
    """An appeal signed by its signer, with both answers, the proof of feedback and the signed scan."""
    clerk, signer = make_user(Role.CLERK), make_user(Role.SIGNER)
    body = make_executor(name="Департамент житлово-комунального господарства")
    executor = make_user(Role.EXECUTOR, executor=body)
    appeal = make_appeal(ukc_number="2611-004217", direction_id=signer.direction_id, applicant=make_applicant())
    db.session.flush()
    workflow.route(clerk, appeal, signer=signer.id)
    workflow.resolve(signer, appeal, text="Розглянути", executors=[body.id])
    workflow.accept(executor, appeal)
    workflow.draft(executor, appeal, to_regional_center="Опалення відновлено.", to_applicant="Шановна пані!",
                   feedback_method="phone", contacted_at=datetime.now(UTC) - timedelta(minutes=5),
                   feedback_result="Заявник підтвердив")  # fmt: skip
    workflow.submit(executor, appeal)
    workflow.sign(signer, appeal)
    from werkzeug.datastructures import FileStorage

    from portal.services import attachments

    attachments.save_upload(
        appeal, FileStorage(io.BytesIO(SCAN), filename="скан відповіді.pdf"), kind=AttachmentKind.SCAN
    )
    db.session.commit()
    return appeal


def test_dispatch_sends_one_message_with_the_three_attachments_byte_for_byte(app, smtp):
    with app.test_request_context():
        appeal = signed_appeal()
        workflow.dispatch(make_user(Role.CLERK), appeal, outgoing_number="01-14/555")
        db.session.commit()
    work(app)
    assert len(smtp.messages) == 1
    received = smtp.messages[0]
    assert received.rcpt_tos == ["okc@contact-center.example.gov.ua"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert (
        message["Subject"] == f"Відповідь на звернення УКЦ № 2611-004217, вих. № 01-14/555 від {kyiv_today():%d.%m.%Y}"
    )
    assert message["From"] == "zvernennia@rada.example.gov.ua"
    assert message["Message-ID"] == f"<answer-{appeal.id}-01-14-555@rada.example.gov.ua>"
    files = attachments_of(received.data)
    kept = {a.filename: a for a in db.session.get(Appeal, appeal.id).attachments}
    assert set(files) == {"скан відповіді.pdf", documents.answer_filename(appeal, AnswerKind.TO_REGIONAL_CENTER),
                          documents.answer_filename(appeal, AnswerKind.TO_APPLICANT)}  # fmt: skip
    from portal.services import attachments

    for name, data in files.items():
        with open(attachments.path_of(kept[name]), "rb") as fh:
            assert data == fh.read()
    assert files["скан відповіді.pdf"] == SCAN
    db.session.expire_all()
    outgoing = db.session.execute(sa.select(OutgoingMail)).scalar_one()
    assert (outgoing.state, outgoing.attempts) == (DeliveryStatus.SENT, 1)
    assert outgoing.reply.startswith("250") and outgoing.tries[0].ok
    assert db.session.get(Appeal, appeal.id).delivery_status == DeliveryStatus.SENT
    # the same job again (a retry after a lost acknowledgement, a second worker): nothing is sent
    dispatch.queue_delivery(outgoing.id)
    work(app)
    assert len(smtp.messages) == 1


def test_an_unreachable_smtp_server_is_retried_then_recorded_as_failed_with_a_clear_message(app, client):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    with app.test_request_context():
        appeal = signed_appeal()
        workflow.dispatch(make_user(Role.CLERK), appeal, outgoing_number="01-14/556")
        db.session.commit()
    work(app)
    db.session.expire_all()
    outgoing = db.session.execute(sa.select(OutgoingMail)).scalar_one()
    assert outgoing.state == DeliveryStatus.FAILED
    assert outgoing.attempts == 5  # the first attempt and four retries
    assert "Connection refused" in outgoing.reply and not any(t.ok for t in outgoing.tries)
    appeal = db.session.get(Appeal, appeal.id)
    assert (appeal.status, appeal.delivery_status) == (AppealStatus.SENT, DeliveryStatus.FAILED)
    clerk = make_user(Role.CLERK)
    db.session.commit()
    AuthActions(client).login(clerk.username)
    card = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert "Лист до обласного контактного центру не доставлено (спроба 5)" in card
    assert "Надіслати ще раз" in card
    listed = client.get("/admin/appeal/?flt0_not_delivered=1").get_data(as_text=True)
    assert appeal.reg_number in listed
    # the server is back: the clerk sends it again, and it goes once
    with smtp_server() as server:
        app.config["SMTP_URL"] = server.url
        response = post_form(client, "/admin/intake/resend/", {"id": appeal.id})
        assert response.status_code == 302
        work(app)
        assert len(server.messages) == 1
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).delivery_status == DeliveryStatus.SENT


def test_without_an_smtp_server_the_message_is_written_to_the_outbox(app, tmp_path):
    app.config.update(SMTP_URL="", OUTBOX_DIR=str(tmp_path / "outbox"))
    with app.test_request_context():
        appeal = signed_appeal()
        workflow.dispatch(make_user(Role.CLERK), appeal, outgoing_number="01-14/557")
        db.session.commit()
    work(app)
    written = os.listdir(app.config["OUTBOX_DIR"])
    assert len(written) == 1 and written[0].endswith(".eml")
    with open(os.path.join(app.config["OUTBOX_DIR"], written[0]), "rb") as fh:
        assert len(attachments_of(fh.read())) == 3


def test_the_delivery_job_is_declared_with_timeout_retries_and_back_off(app):
    from rq.job import Job

    app.config["MAIL_RETRY_INTERVALS"] = "60,300"
    job = job_queue.enqueue("jobs.mail.send_answer_mail", 12345)
    job = Job.fetch(job.id, connection=job_queue.get_queue().connection)
    assert (job.timeout, job.retries_left, job.retry_intervals) == (300, 4, [60, 300])
    assert job.failure_callback.__name__ == "delivery_failed"


# --- the whole loop, from the mailbox to the regional center's inbox --------------------------------------


@pytest.mark.skipif(dovecot_missing_reason() is not None, reason=str(dovecot_missing_reason()))
def test_an_email_from_the_mailbox_goes_all_the_way_back_to_the_regional_center(app, client, runner, smtp):
    auth = AuthActions(client)
    topic = db.session.execute(sa.select(Topic).where(Topic.code == "11.01")).scalar_one()
    clerk, signer = make_user(Role.CLERK), make_user(Role.SIGNER, direction_id=topic.direction_id)
    body = make_executor(name="Департамент житлово-комунального господарства")
    executor = make_user(Role.EXECUTOR, executor=body)
    db.session.commit()
    with open(os.path.join(MAIL, "multipart_rfc2231.eml"), "rb") as fh:
        raw = fh.read()
    with dovecot_server() as imap:
        app.config["IMAP_URL"] = imap.url
        imap.deliver(raw)
        result = runner.invoke(args=["intake", "mailbox"])
        assert result.exit_code == 0, result.output
        draft = db.session.execute(sa.select(IntakeMessage)).scalar_one()
        assert result.stdout.startswith(f"чернетка #{draft.id}: УКЦ № 2611-004301, отримано 27.11.2026")
        assert imap.flags() == ["1 (FLAGS (\\Seen))"]  # seen only once the draft was committed

        # the clerk registers the draft with one button (the fields as read)
        auth.login(clerk.username)
        page = client.get(f"/admin/intake/details/?id={draft.id}").get_data(as_text=True)
        assert 'value="2611-004301"' in page
        from admin_views.intake import register_form

        with app.test_request_context():
            form = register_form()
            form.fill(draft.data)
            fields = {f.name: ("y" if f.data else "") if f.type == "BooleanField" else
                      f._value() if hasattr(f, "_value") else (f.data or "") for f in form}  # fmt: skip
        response = post_form(client, "/admin/intake/register/", {**fields, "id": draft.id})
        appeal = db.session.execute(sa.select(Appeal)).scalar_one()
        assert response.headers["Location"].endswith(f"/admin/appeal/details/?id={appeal.id}")
        assert (appeal.ukc_number, appeal.topic_id) == ("2611-004301", topic.id)
        assert appeal.received_at == datetime(2026, 11, 27, 14, 41, tzinfo=UTC)
        assert sorted(a.filename for a in appeal.attachments) == [
            "2611-004301.eml", "Картка звернення 2611-004301.pdf", "Фото батареї.jpg"]  # fmt: skip

        # the same message fetched again (unseen again, and delivered a second time) creates nothing
        imap.mark_all_unseen()
        imap.deliver(raw)
        result = runner.invoke(args=["intake", "mailbox"])
        assert result.exit_code == 1 and result.stderr.count(f"уже відоме (#{draft.id}") == 2
        counts = [
            db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one() for m in (IntakeMessage, Appeal)
        ]
        assert counts == [1, 1]

    def step(action, user, data=None, **kw):
        auth.logout()
        auth.login(user.username)
        response = post_form(
            client, "/admin/appeal/transition/", {"id": appeal.id, "action": action, **(data or {})}, **kw
        )
        assert response.status_code == 302, (action, response.status_code)
        messages = client.get(response.headers["Location"]).get_data(as_text=True)
        return messages

    step("route", clerk, {"signer": signer.id})
    step("resolve", signer, {"text": "Відновити опалення", "responsible": body.id,
                             "resolved_on": date.today().isoformat(), "deadline": appeal.due_date.isoformat()})  # fmt: skip
    step("accept", executor)
    contacted = (datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    step("draft", executor, {"to_regional_center": "Опалення в будинку відновлено 30.11.2026.",
                             "to_applicant": "Шановна пані Ганно! Опалення відновлено.", "feedback_method": "phone",
                             "contacted_at": contacted, "feedback_result": "Заявниця підтвердила, що тепло"})  # fmt: skip
    # the executor downloads the drafts as DOCX: numbers, names and text are there
    for kind, text in (
        ("to_regional_center", "Опалення в будинку відновлено"),
        ("to_applicant", "Шановна пані Ганно!"),
    ):
        response = client.get(f"/admin/intake/document/?id={appeal.id}&kind={kind}")
        doc = Document(io.BytesIO(response.data))
        content = "\n".join(p.text for p in doc.paragraphs)
        assert text in content and "2611-004301" in content and appeal.reg_number in content
        assert "Петренко Ганна Іванівна" in content
    step("submit", executor)
    step("sign", signer)
    step("dispatch", clerk, {"file": (io.BytesIO(SCAN), "скан.pdf")},
         content_type="multipart/form-data")  # fmt: skip
    work(app)
    assert len(smtp.messages) == 1
    assert set(attachments_of(smtp.messages[0].data)) == {
        "скан.pdf", documents.answer_filename(appeal, AnswerKind.TO_REGIONAL_CENTER),
        documents.answer_filename(appeal, AnswerKind.TO_APPLICANT)}  # fmt: skip
    # a second dispatch attempt is refused by the state, and nothing more is sent
    refused = post_form(client, "/admin/appeal/transition/", {"id": appeal.id, "action": "dispatch"})
    page = refused.get_data(as_text=True)
    assert "«Надіслати відповідь» неможливо, поки звернення має стан «" in page
    work(app)
    assert len(smtp.messages) == 1
    db.session.expire_all()
    card = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert "Доставка до обласного контактного центру" in card and "250 " in card
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 6
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.SENT
    assert db.session.execute(sa.select(IntakeMessage.state)).scalar_one() == IntakeState.REGISTERED


@pytest.mark.skipif(dovecot_missing_reason() is not None, reason=str(dovecot_missing_reason()))
def test_the_poll_job_takes_the_mailbox_in_on_a_worker_and_schedules_the_next_pass(app):
    from rq.registry import ScheduledJobRegistry

    from portal.services.mailbox import POLL_JOB, POLL_JOB_ID

    with dovecot_server() as imap:
        app.config["IMAP_URL"] = imap.url
        for name in ("koi8u_base64.eml", "not_an_appeal.eml"):
            with open(os.path.join(MAIL, name), "rb") as fh:
                imap.deliver(fh.read())
        job_queue.enqueue(POLL_JOB)
        work(app)
        assert imap.flags() == ["1 (FLAGS (\\Seen))", "2 (FLAGS (\\Seen))"]
    db.session.expire_all()
    states = db.session.execute(
        sa.select(IntakeMessage.ukc_number, IntakeMessage.state).order_by(IntakeMessage.id)
    ).all()
    assert states == [("2611-004303", IntakeState.DRAFT), ("", IntakeState.REJECTED)]
    scheduled = ScheduledJobRegistry(queue=job_queue.get_queue()).get_job_ids()
    assert [j for j in scheduled if j.startswith(POLL_JOB_ID)]
