"""Sealed records over HTTP: a closed appeal is edited by nobody, no appeal is deleted by anyone,
and the director's cancel and reopen need a reason and appear in the history."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal, StatusChange
from portal.models.base import utcnow
from portal.models.enums import AppealStatus, Role
from tests.conftest import post_form
from tests.factories import make_appeal, result_code

S = AppealStatus
ROLES = list(Role)


def _closed():
    appeal = make_appeal(status=S.CLOSED, sent_at=utcnow(), closed_at=utcnow(), summary="Запечатане звернення")
    appeal.result_code = result_code("positive")
    db.session.commit()
    return appeal


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar_one()


@pytest.mark.parametrize("role", ROLES)
def test_nobody_edits_a_closed_appeal(client, auth, role):
    auth.as_role(role)
    appeal = _closed()
    page = client.get(f"/admin/appeal/edit/?id={appeal.id}")
    assert page.status_code in (302, 403)
    post_form(client, f"/admin/appeal/edit/?id={appeal.id}", {"summary": "Змінено", "channel": "phone"})
    db.session.expire_all()
    assert (appeal.summary, appeal.status) == ("Запечатане звернення", S.CLOSED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", [S.REGISTERED, S.CLOSED])
def test_nobody_deletes_an_appeal(client, auth, role, status):
    auth.as_role(role)
    appeal = make_appeal(status=status)
    db.session.commit()
    single = post_form(client, "/admin/appeal/delete/", {"id": appeal.id})
    bulk = post_form(client, "/admin/appeal/action/", {"action": "delete", "rowid": appeal.id})
    assert single.status_code == 403 and bulk.status_code == 403
    assert _count() == 1


def _step(client, appeal, action, **fields):
    return post_form(client, "/admin/appeal/transition/", {"id": appeal.id, "action": action, **fields})


@pytest.mark.parametrize(
    "action, status, after",
    [("cancel", S.REGISTERED, S.CANCELLED), ("cancel", S.IN_WORK, S.CANCELLED), ("reopen", S.CLOSED, S.SENT)],
)
def test_the_directors_cancel_and_reopen_need_a_reason_and_appear_in_history(client, auth, action, status, after):
    auth.as_role(Role.DIRECTOR)
    appeal = _closed() if status == S.CLOSED else make_appeal(status=status)
    db.session.commit()
    _step(client, appeal, action, reason="")
    db.session.expire_all()
    assert appeal.status == status
    _step(client, appeal, action, reason="Зареєстровано помилково двічі")
    db.session.expire_all()
    assert appeal.status == after
    change = db.session.execute(
        sa.select(StatusChange).filter_by(appeal_id=appeal.id).order_by(StatusChange.id.desc()).limit(1)
    ).scalar_one()
    assert (change.from_status, change.to_status, change.comment) == (status, after, "Зареєстровано помилково двічі")
    card = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert "Зареєстровано помилково двічі" in card
    if action == "reopen":
        assert appeal.reopen_count == 1 and appeal.closed_at is None
    else:
        assert _count() == 1 and appeal.reg_number  # stays in the register with its number


@pytest.mark.parametrize("role", [r for r in ROLES if r != Role.DIRECTOR])
@pytest.mark.parametrize("action, status", [("cancel", S.REGISTERED), ("reopen", S.CLOSED)])
def test_only_the_director_cancels_or_reopens(client, auth, role, action, status):
    auth.as_role(role)
    appeal = _closed() if status == S.CLOSED else make_appeal(status=status)
    db.session.commit()
    response = _step(client, appeal, action, reason="Причина")
    assert response.status_code in (302, 403, 404)  # 404: outside a signer's or executor's scope
    db.session.expire_all()
    assert appeal.status == status


def test_a_work_list_puts_privileged_appeals_first_then_the_earliest_term(client, auth):
    from datetime import timedelta

    from portal.i18n import kyiv_today

    auth.as_role(Role.CLERK)
    today = kyiv_today()
    late_plain = make_appeal(status=S.IN_WORK, due_date=today + timedelta(days=2), reg_number="A-1")
    privileged_later = make_appeal(
        status=S.IN_WORK, due_date=today + timedelta(days=20), is_privileged=True, reg_number="A-2"
    )
    privileged_sooner = make_appeal(
        status=S.IN_WORK, due_date=today + timedelta(days=10), is_privileged=True, reg_number="A-3"
    )
    db.session.commit()
    html = client.get("/admin/appeal/?flt0_open=1").get_data(as_text=True)
    positions = [html.index(f">{a.reg_number}<") for a in (privileged_sooner, privileged_later, late_plain)]
    assert positions == sorted(positions)


def _sealed(status):
    if status == S.CLOSED:
        return _closed()
    appeal = make_appeal(status=status, summary="Запечатане звернення", decision_reason="Помилкова реєстрація")
    db.session.commit()
    return appeal


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", [S.CLOSED, S.CANCELLED])
@pytest.mark.parametrize("path", ["inline", "attach", "extend_term"])
def test_no_other_path_edits_a_sealed_appeal(client, auth, role, status, path):
    """Besides the edit form: the list's inline edit, an upload, a workflow step — for every role."""
    import io
    from datetime import date, timedelta

    from portal.models import Attachment

    auth.as_role(role)
    appeal = _sealed(status)
    due = appeal.due_date
    if path == "inline":
        response = post_form(
            client, "/admin/appeal/ajax/update/", {"list_form_pk": str(appeal.id), "summary": "Змінено"}
        )
    elif path == "attach":
        response = post_form(
            client,
            "/admin/appeal/attach/",
            {"id": appeal.id, "kind": "incoming", "file": (io.BytesIO(b"%PDF-1.4 x"), "lyst.pdf")},
            content_type="multipart/form-data",
        )
    else:
        response = _step(
            client,
            appeal,
            "extend_term",
            new_due_date=(due + timedelta(days=5)).isoformat(),
            reason="Перевірка",
            notified_on=date.today().isoformat(),
        )
    # refused: denied, not found outside the role's scope, a 400 for the inline edit, or the card with the reason
    assert response.status_code in (200, 302, 400, 403, 404), response.status_code
    db.session.expire_all()
    assert (appeal.summary, appeal.status, appeal.due_date) == ("Запечатане звернення", status, due)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() == 0
