"""The appeal card does not grow with the appeal's history: statements per page, index plans.

A busy appeal (resolutions, executors, answers, files, feedback, extensions, e-mails with their
attempts, workflow steps, audit entries — each by another user, executor or topic) is opened;
then its history doubles and it is opened again. The card, its History tab and the exchange
part run the same statements both times, each read through an index.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal
from portal.models.appeals import (
    Answer,
    AppealIssue,
    Assignment,
    Attachment,
    FeedbackProof,
    Resolution,
    StatusChange,
    TermExtension,
)
from portal.models.base import utcnow
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AttachmentKind,
    DeliveryStatus,
    ExecutorRole,
    FeedbackMethod,
    Role,
)
from portal.models.exchange import DeliveryAttempt, OutgoingMail
from tests.factories import (
    make_appeal,
    make_applicant,
    make_direction,
    make_executor,
    make_topic,
    make_user,
    result_code,
)
from tests.test_scale import Spy, full_scans

# the tables that grow with the register: an appeal's records are read through their appeal_id index
GROWING = (
    "appeal",
    "audit_log",
    "assignment",
    "resolution",
    "answer",
    "attachment",
    "feedback_proof",
    "term_extension",
    "status_change",
    "outgoing_mail",
    "delivery_attempt",
    "appeal_issue",
    "notification",
    "applicant_key",
)


def busy_appeal(body) -> Appeal:
    """A sent appeal with a signer, a result, a repeat link and a privileged applicant; no history yet."""
    direction = make_direction()
    earlier = make_appeal()
    appeal = make_appeal(
        status=AppealStatus.SENT,
        topic=make_topic(direction=direction),
        direction_id=direction.id,
        signer=make_user(Role.SIGNER, direction=direction),
        created_by=make_user(Role.CLERK),
        main_executor=body,
        repeat_of=earlier,
        result_code=result_code("positive"),
        is_privileged=True,
        outgoing_number="01-14/1",
        sent_at=utcnow(),
        delivery_status=DeliveryStatus.FAILED,
    )
    db.session.commit()
    return appeal


def add_history(appeal: Appeal, body, rounds: int) -> None:
    """``rounds`` more of everything the card lists, each by a user, an executor or a topic not seen before."""
    appeal, body = db.session.merge(appeal), db.session.merge(body)  # after a request, the session's own
    for _ in range(rounds):
        signer, clerk, executor_user = make_user(Role.SIGNER), make_user(Role.CLERK), make_user(Role.EXECUTOR)
        db.session.add(AppealIssue(appeal=appeal, topic=make_topic(), text="Ще одне питання"))
        today = appeal.due_date - timedelta(days=20)
        resolution = Resolution(
            appeal=appeal, signer=signer, text="Розглянути", resolved_on=today, deadline=appeal.due_date
        )
        db.session.add(resolution)
        for position, (executor, role) in enumerate(
            [(body, ExecutorRole.RESPONSIBLE), (make_executor(), ExecutorRole.CO_EXECUTOR)], start=1
        ):
            db.session.add(
                Assignment(
                    appeal=appeal,
                    resolution=resolution,
                    executor=executor,
                    executor_role=role,
                    position=position,
                    due_date=appeal.due_date,
                )
            )
        for kind in AnswerKind:
            db.session.add(
                Answer(
                    appeal=appeal,
                    kind=kind,
                    body="Текст відповіді",
                    drafted_by=executor_user,
                    signed_by=signer,
                    signed_at=utcnow(),
                    outgoing_number="01-14/1",
                )
            )
        scan = Attachment(
            appeal=appeal,
            kind=AttachmentKind.SCAN,
            filename="scan.pdf",
            storage_key=f"test/{appeal.id}/{clerk.id}",
            size=10,
            uploaded_by=clerk,
        )
        db.session.add(scan)
        db.session.add(
            FeedbackProof(
                appeal=appeal, method=FeedbackMethod.PHONE, contacted_at=utcnow(), result="Роз'яснено", attachment=scan
            )
        )
        db.session.add(
            TermExtension(
                appeal=appeal,
                old_due_date=appeal.due_date,
                new_due_date=appeal.due_date + timedelta(days=5),
                reason="Перевірка",
                applicant_notified_on=today,
                extended_by=make_user(Role.DIRECTOR),
            )
        )
        db.session.add(
            StatusChange(
                appeal=appeal,
                from_status=AppealStatus.SIGNED,
                to_status=AppealStatus.SENT,
                user=clerk,
                comment="Надіслано",
            )
        )
        mail = OutgoingMail(
            appeal=appeal,
            outgoing_number=f"01-14/{clerk.id}",  # each dispatch its own number
            recipient="center@example.gov.ua",
            subject=f"Відповідь {clerk.id}",
            message_id=f"<{clerk.id}@test>",
            state=DeliveryStatus.FAILED,
            attempts=2,
        )
        db.session.add(mail)
        for ok in (False, False):
            db.session.add(DeliveryAttempt(mail=mail, ok=ok, reply="451 try later"))
        db.session.flush()
    db.session.commit()


def _open(client, url: str) -> tuple[str, list[tuple[str, object]]]:
    db.session.expunge_all()  # the test's own rows would be found in the session, not read
    with Spy() as spy:
        response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True), spy.statements


def _sql(statements) -> list[str]:
    """The statements' first words (the test's own SAVEPOINTs left out): what the page asked, in order."""
    return [" ".join(s.split()[:4]) for s, _ in statements if "SAVEPOINT" not in s]


def _login(auth, role: Role, body):
    return auth.as_role(role, **({"executor": body} if role == Role.EXECUTOR else {}))


CARD_ROLES = [Role.DIRECTOR, Role.AUDITOR, Role.CLERK, Role.EXECUTOR]


@pytest.mark.parametrize("role", CARD_ROLES)
def test_the_card_runs_the_same_few_statements_however_long_the_appeals_history(client, auth, role):
    body = make_executor()
    appeal = busy_appeal(body)
    add_history(appeal, body, 1)
    _login(auth, role, body)
    url = f"/admin/appeal/details/?id={appeal.id}"
    client.get(url)  # first request: the kept menu, the calendar
    html, few = _open(client, url)
    assert "Текст відповіді" in html and "451 try later" in html  # the answers, the e-mail's attempts
    if role in (Role.DIRECTOR, Role.AUDITOR):
        assert 'id="history-tab"' in html
    add_history(appeal, body, 3)
    client.get(url)
    html, many = _open(client, url)
    assert html.count("451 try later") == 8
    assert _sql(many) == _sql(few)
    settings = sum(1 for s in _sql(many) if s.startswith("SET LOCAL"))  # PostgreSQL: the card's join order
    assert settings == (2 if db.engine.dialect.name == "postgresql" else 0)
    assert len(_sql(many)) - settings <= 25


def test_the_history_tab_reads_the_keys_of_its_sealed_values_at_once(client, auth):
    body = make_executor()
    appeal = busy_appeal(body)
    add_history(appeal, body, 2)
    for name in ("Коваленко Ганна", "Шевчук Остап"):  # the applicant corrected twice: three applicants' keys
        appeal.applicant = make_applicant(full_name=name)
        db.session.commit()
    _login(auth, Role.AUDITOR, body)
    url = f"/admin/appeal/details/?id={appeal.id}"
    client.get(url)
    html, statements = _open(client, url)
    assert "Роз&#39;яснено" in html or "Роз'яснено" in html  # a sealed free text, revealed in the History tab
    assert "Коваленко Ганна" in html and "Шевчук Остап" in html  # the change of applicant, both names revealed
    assert len([s for s, _ in statements if "applicant_key" in s]) == 1


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.AUDITOR])
def test_no_query_of_the_card_reads_a_whole_growing_table(client, auth, role):
    body = make_executor()
    appeal = busy_appeal(body)
    add_history(appeal, body, 2)
    _login(auth, role, body)
    url = f"/admin/appeal/details/?id={appeal.id}"
    client.get(url)
    _html, statements = _open(client, url)
    selects = [
        (s, p)
        for s, p in statements
        if s.lstrip().upper().startswith("SELECT") and re.search(rf"\b({'|'.join(GROWING)})\b", s)
    ]
    assert selects
    for statement, parameters in selects:
        assert not full_scans(statement, parameters, GROWING), statement


def test_the_card_shows_what_it_loaded_up_front_after_its_own_writes(client, auth):
    """The personal-data view is logged (a commit) before the card is read, once, and shown in its History tab."""
    from portal.models import AuditLog
    from portal.models.enums import AuditAction

    body = make_executor()
    appeal = busy_appeal(body)
    add_history(appeal, body, 1)
    _login(auth, Role.DIRECTOR, body)
    url = f"/admin/appeal/details/?id={appeal.id}"
    html, statements = _open(client, url)
    views = db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditLog)
        .where(AuditLog.record_id == str(appeal.id), AuditLog.action == AuditAction.VIEW_PERSONAL_DATA)
    ).scalar_one()
    assert views == 1
    assert 'id="history-views"' in html  # this very view, in the tab

    def first(pattern: str) -> int:
        return next(i for i, (s, _) in enumerate(statements) if re.search(pattern, s))

    assert sum(1 for s, _ in statements if s.startswith("INSERT INTO audit_log")) == 1
    assert first(r"^INSERT INTO audit_log") < first(r"FROM status_change\b")  # the card is read after the write
