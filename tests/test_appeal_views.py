"""Appeal screens over HTTP: list, registration, the card with its actions, transitions, files."""

import io
import os
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models import Appeal, Attachment, AuditLog, StatusChange
from portal.models.enums import (
    AppealStatus,
    AttachmentKind,
    AuditAction,
    ExecutorRole,
    ReceiptSign,
    Role,
)
from portal.services import attachments
from tests.conftest import post_form
from tests.factories import (
    make_appeal,
    make_applicant,
    make_assignment,
    make_direction,
    make_executor,
    make_topic,
    make_user,
)


def _ids_on_page(html: str) -> set[int]:
    return {int(i) for i in re.findall(r"details/\?id=(\d+)", html)}


# --- list -----------------------------------------------------------------------------------------


def test_list_filters_by_status_with_a_stable_url_key(client, auth):
    auth.as_role(Role.CLERK)
    registered = make_appeal()
    routed = make_appeal(status=AppealStatus.ON_RESOLUTION)
    db.session.commit()
    html = client.get("/admin/appeal/?flt0_status=on_resolution").get_data(as_text=True)
    assert _ids_on_page(html) == {routed.id}
    assert registered.id not in _ids_on_page(client.get("/admin/appeal/?flt0_status=sent").get_data(as_text=True))


def test_list_filters_overdue_appeals_and_highlights_them(client, auth):
    auth.as_role(Role.CLERK)
    late = make_appeal(due_date=kyiv_today() - timedelta(days=2), status=AppealStatus.IN_WORK)
    make_appeal(due_date=kyiv_today() - timedelta(days=2), status=AppealStatus.CLOSED)
    make_appeal()
    db.session.commit()
    html = client.get("/admin/appeal/?flt0_overdue=1").get_data(as_text=True)
    assert _ids_on_page(html) == {late.id}
    assert "portal-overdue" in html


@pytest.mark.parametrize(
    "query",
    [
        "flt0_privileged=1",
        "flt0_channel=phone",
        "flt0_registered={today}+to+{today}",
        "flt0_due={due}+to+{due}",
        "flt0_near_due=0",
        "flt0_open=1",
    ],
)
def test_every_filter_answers(client, auth, query):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(is_privileged=True, channel="phone")
    db.session.commit()
    url = "/admin/appeal/?" + query.format(today=kyiv_today().isoformat(), due=appeal.due_date.isoformat())
    response = client.get(url)
    assert response.status_code == 200
    assert _ids_on_page(response.get_data(as_text=True)) == {appeal.id}


def test_list_filters_by_topic_and_executor(client, auth):
    auth.as_role(Role.CLERK)
    topic, body = make_topic(), make_executor()
    mine = make_appeal(topic=topic)
    make_assignment(mine, body, executor_role=ExecutorRole.CO_EXECUTOR)
    make_appeal()
    db.session.commit()
    assert _ids_on_page(client.get(f"/admin/appeal/?flt0_topic={topic.id}").get_data(as_text=True)) == {mine.id}
    assert _ids_on_page(client.get(f"/admin/appeal/?flt0_executor={body.id}").get_data(as_text=True)) == {mine.id}


def test_list_search_by_ukc_number_and_applicant_surname(client, auth):
    auth.as_role(Role.CLERK)
    target = make_appeal(ukc_number="1545-000777", applicant=make_applicant(full_name="Ярошенко Ірина Петрівна"))
    make_appeal()
    db.session.commit()
    for term in ("1545-000777", "Ярошенко", "ярошенко ірина"):
        html = client.get("/admin/appeal/", query_string={"search": term}).get_data(as_text=True)
        assert _ids_on_page(html) == {target.id}, term


def test_executor_lists_only_its_bodys_appeals(client, auth):
    user = auth.as_role(Role.EXECUTOR)
    mine = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(mine, user.executor)
    other = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(other, make_executor())
    db.session.commit()
    assert _ids_on_page(client.get("/admin/appeal/").get_data(as_text=True)) == {mine.id}


# --- registration -----------------------------------------------------------------------------------


def _new_appeal_form(**over):
    data = {
        "channel": "government",
        "ukc_number": "1545-1",
        "regional_number": "",
        "appeal_type": "statement",
        "subject": "individual",
        "sign": "primary",
        "summary": "Немає гарячої води",
        "content": "Текст",
        "signed_by_applicant": "y",
        "needs_study": "y",
        "new_applicant_name": "Мельник Андрій Васильович",
        "new_applicant_address": "м. Дніпро, вул. Січеславська, 5",
        "new_applicant_phone": "067 765 43 21",
        "new_applicant_email": "",
        "new_applicant_sex": "male",
    }
    data.update(over)
    return data


def test_registering_through_the_form_assigns_number_and_due_date(client, auth):
    clerk = auth.as_role(Role.CLERK)
    response = post_form(client, "/admin/appeal/new/", _new_appeal_form(), follow_redirects=True)
    assert response.status_code == 200
    appeal = db.session.execute(sa.select(Appeal)).scalar_one()
    assert appeal.reg_number.startswith("М-")
    assert appeal.status == AppealStatus.REGISTERED
    assert appeal.created_by_id == clerk.id
    assert appeal.applicant.phone == "+380677654321"
    assert appeal.reg_number in response.get_data(as_text=True)
    changes = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalars().all()
    assert [c.to_status for c in changes] == [AppealStatus.REGISTERED]


def test_registering_a_repeat_links_the_earlier_appeal(client, auth):
    auth.as_role(Role.CLERK)
    topic = make_topic()
    applicant = make_applicant()
    earlier = make_appeal(applicant=applicant, topic=topic, status=AppealStatus.CLOSED)
    db.session.commit()
    form = _new_appeal_form(applicant=str(applicant.id), topic=str(topic.id), new_applicant_name="")
    post_form(client, "/admin/appeal/new/", form)
    appeal = db.session.execute(sa.select(Appeal).where(Appeal.id != earlier.id)).scalar_one()
    assert (appeal.repeat_of_id, appeal.sign) == (earlier.id, ReceiptSign.REPEATED)


def test_an_incomplete_appeal_is_registered_and_its_card_says_what_to_return(client, auth):
    auth.as_role(Role.CLERK)
    response = post_form(
        client, "/admin/appeal/new/", _new_appeal_form(new_applicant_address=""), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar_one() == 1
    assert 'id="appeal-missing"' in html


def test_picking_and_typing_an_applicant_at_once_is_refused(client, auth):
    auth.as_role(Role.CLERK)
    applicant = make_applicant()
    db.session.commit()
    post_form(client, "/admin/appeal/new/", _new_appeal_form(applicant=str(applicant.id)))
    assert db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar_one() == 0


# --- status is changed only by the workflow ------------------------------------------------------------


def test_the_edit_form_cannot_change_the_status(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    form = _new_appeal_form(status="closed", new_applicant_name="", summary="Новий зміст")
    for key in [k for k in form if k.startswith("new_applicant_") or k == "needs_study"]:
        form.pop(key)
    post_form(client, f"/admin/appeal/edit/?id={appeal.id}", form)
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.summary == "Новий зміст"
    assert appeal.status == AppealStatus.REGISTERED


def test_a_status_change_reaching_the_edit_hook_is_refused(app):
    from admin_views.appeals import AppealView
    from portal.services.errors import DomainError

    appeal = make_appeal()
    db.session.commit()
    appeal.status = AppealStatus.CLOSED
    view = next(v for v in app.extensions["admin"][0].registry.values() if isinstance(v, AppealView))
    with app.test_request_context(), pytest.raises(DomainError):
        view.on_model_change(None, appeal, False)


def test_inline_edit_cannot_change_the_status(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    response = post_form(client, "/admin/appeal/ajax/update/", {"list_form_pk": str(appeal.id), "status": "closed"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.REGISTERED


# --- the card and its actions ----------------------------------------------------------------------------


def test_the_card_shows_the_clerks_next_steps(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    actions = set(re.findall(r'data-action="(\w+)"', html))
    assert actions == {"route", "return_to_applicant", "not_consider", "forward"}
    assert appeal.applicant.full_name in html


def test_the_card_offers_an_auditor_no_steps(client, auth):
    auth.as_role(Role.AUDITOR)
    appeal = make_appeal()
    db.session.commit()
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert 'data-action="' not in html
    assert 'id="attach-form"' not in html


def test_opening_a_card_logs_the_personal_data_view(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    client.get(f"/admin/appeal/details/?id={appeal.id}")
    logged = db.session.execute(sa.select(AuditLog).filter_by(action=AuditAction.VIEW_PERSONAL_DATA)).scalars().all()
    assert [(e.model, e.record_id) for e in logged] == [("Appeal", str(appeal.id))]


def test_a_transition_post_with_csrf_moves_the_appeal_and_records_it(client, auth):
    clerk = auth.as_role(Role.CLERK)
    direction = make_direction()
    signer = make_user(Role.SIGNER, direction=direction)
    appeal = make_appeal(topic=make_topic(direction=direction), direction_id=direction.id)
    db.session.commit()
    response = post_form(
        client, "/admin/appeal/transition/", {"id": appeal.id, "action": "route", "comment": "Терміново"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert (appeal.status, appeal.signer_id) == (AppealStatus.ON_RESOLUTION, signer.id)
    change = db.session.execute(sa.select(StatusChange).filter_by(appeal_id=appeal.id)).scalar_one()
    assert (change.user_id, change.comment) == (clerk.id, "Терміново")


def test_a_transition_post_without_csrf_is_rejected(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    response = client.post(
        "/admin/appeal/transition/", data={"id": appeal.id, "action": "not_consider", "reason": "Анонімне"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.REGISTERED


def test_a_step_the_role_lacks_is_a_403(client, auth):
    auth.as_role(Role.AUDITOR)
    appeal = make_appeal()
    db.session.commit()
    response = post_form(client, "/admin/appeal/transition/", {"id": appeal.id, "action": "route"})
    assert response.status_code == 403
    denied = db.session.execute(sa.select(AuditLog).filter_by(action=AuditAction.DENIED)).scalars().all()
    assert len(denied) == 1


def test_a_step_with_missing_input_is_explained_and_changes_nothing(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    response = post_form(
        client,
        "/admin/appeal/transition/",
        {"id": appeal.id, "action": "return_to_applicant", "reason": ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.REGISTERED


def test_an_executor_of_another_body_cannot_post_a_step(client, auth):
    auth.as_role(Role.EXECUTOR)
    appeal = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(appeal, make_executor())
    db.session.commit()
    response = post_form(client, "/admin/appeal/transition/", {"id": appeal.id, "action": "accept"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.ASSIGNED


def test_a_co_executor_gets_403_for_the_responsible_step(client, auth):
    user = auth.as_role(Role.EXECUTOR)
    appeal = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(appeal, make_executor())
    make_assignment(appeal, user.executor, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    db.session.commit()
    response = post_form(client, "/admin/appeal/transition/", {"id": appeal.id, "action": "accept"})
    assert response.status_code == 403


def test_dispatch_uploads_the_scan_with_the_step(client, auth, app):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(status=AppealStatus.SIGNED)
    db.session.commit()
    data = {
        "id": appeal.id,
        "action": "dispatch",
        "outgoing_number": "01-14/5",
        "paper_copy_sent": "y",
        "file": (io.BytesIO(b"%PDF-1.4 scan"), "відповідь.pdf"),
    }
    response = post_form(client, "/admin/appeal/transition/", data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status == AppealStatus.SENT
    scans = [(a.kind, a.filename) for a in appeal.attachments if a.kind == AttachmentKind.SCAN]
    assert scans == [(AttachmentKind.SCAN, "відповідь.pdf")]
    # both answers are kept as DOCX with it, for the e-mail to the regional center
    assert sorted(a.kind for a in appeal.attachments).count(AttachmentKind.ANSWER) == 2


# --- files -------------------------------------------------------------------------------------------------


def _upload(client, appeal_id, content=b"%PDF-1.4 hello", name="lyst.pdf", kind="incoming"):
    return post_form(
        client,
        "/admin/appeal/attach/",
        {"id": appeal_id, "kind": kind, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_upload_and_download_an_attachment(client, auth, app):
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    _upload(client, appeal.id, b"%PDF-1.4 letter", "звернення.pdf")
    attachment = db.session.execute(sa.select(Attachment)).scalar_one()
    assert (attachment.filename, attachment.size, attachment.kind) == ("звернення.pdf", 15, AttachmentKind.INCOMING)
    assert "звернення" not in attachment.storage_key
    response = client.get(f"/admin/appeal/attachment/{attachment.id}")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4 letter"
    assert "attachment" in response.headers["Content-Disposition"]
    response.close()
    logged = db.session.execute(sa.select(AuditLog).filter_by(action=AuditAction.DOWNLOAD)).scalars().all()
    assert [e.record_id for e in logged] == [str(attachment.id)]


def test_an_executor_of_another_body_cannot_download(client, auth):
    appeal = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(appeal, make_executor())
    attachment = attachments.save_upload(appeal, FileStorage(io.BytesIO(b"%PDF"), "lyst.pdf"))
    db.session.commit()
    auth.as_role(Role.EXECUTOR)
    response = client.get(f"/admin/appeal/attachment/{attachment.id}")
    assert response.status_code == 403
    denied = db.session.execute(sa.select(AuditLog).filter_by(action=AuditAction.DENIED)).scalars().all()
    assert len(denied) == 1


def test_an_executor_attaches_to_its_own_appeal(client, auth):
    user = auth.as_role(Role.EXECUTOR)
    appeal = make_appeal(status=AppealStatus.IN_WORK)
    make_assignment(appeal, user.executor)
    db.session.commit()
    _upload(client, appeal.id, kind="feedback_proof")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 1


@pytest.mark.parametrize("name, content", [("virus.exe", b"MZ"), ("empty.pdf", b""), ("big.pdf", b"x" * 2048)])
def test_refused_uploads_are_explained(client, auth, app, name, content):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    auth.as_role(Role.CLERK)
    appeal = make_appeal()
    db.session.commit()
    html = _upload(client, appeal.id, content, name).get_data(as_text=True)
    assert "alert-danger" in html
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 0


def test_a_signer_cannot_attach(client, auth):
    user = auth.as_role(Role.SIGNER)
    appeal = make_appeal(direction_id=user.direction_id)
    db.session.commit()
    response = post_form(
        client,
        "/admin/appeal/attach/",
        {"id": appeal.id, "kind": "other", "file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403


# --- pickers ----------------------------------------------------------------------------------------------


def test_the_applicant_picker_finds_by_surname_prefix_and_phone(client, auth):
    auth.as_role(Role.CLERK)
    target = make_applicant(full_name="Гончаренко Олег Іванович", phone="+380931112233")
    make_applicant(full_name="Петренко Петро Петрович")
    db.session.commit()
    for term in ("гончар", "093 111 22 33"):
        data = client.get("/admin/appeal/ajax/lookup/", query_string={"name": "applicant", "query": term}).get_json()
        assert [row[0] for row in data] == [target.id], term


def test_not_even_the_director_deletes_an_appeal_or_its_files(client, auth):
    auth.as_role(Role.DIRECTOR)
    appeal = make_appeal()
    attachment = attachments.save_upload(appeal, FileStorage(io.BytesIO(b"%PDF"), "lyst.pdf"))
    db.session.commit()
    path = attachments.path_of(attachment)
    assert os.path.exists(path)
    response = post_form(client, "/admin/appeal/delete/", {"id": appeal.id})
    assert response.status_code == 403
    assert db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar_one() == 1
    assert os.path.exists(path)
