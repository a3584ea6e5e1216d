"""Forms that keep what was typed, mark what is required, ask before what cannot be undone;
error pages in the portal's layout and in Ukrainian."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Appeal
from portal.models.enums import AppealStatus, Role
from tests.conftest import post_form
from tests.factories import make_appeal, make_assignment, make_executor, make_user

LONG_ANSWER = "Повідомляємо, що аварійну бригаду КП «Водоканал» направлено за адресою 14.11; " * 5


def _open_form(html: str, action: str) -> str:
    match = re.search(rf'<div class="collapse show" id="action-{action}">(.*?)</form>', html, re.S)
    assert match, f"the {action} form is not open"
    return match.group(1)


def test_a_refused_draft_comes_back_open_with_both_answers_and_the_message_beside_the_field(client, auth):
    body = make_executor()
    user = make_user(role=Role.EXECUTOR, executor=body)
    appeal = make_appeal(status=AppealStatus.IN_WORK, main_executor=body)
    make_assignment(appeal, body)
    db.session.commit()
    auth.login(user.username)
    data = {
        "id": appeal.id,
        "action": "draft",
        "to_regional_center": LONG_ANSWER,
        "to_applicant": "Шановна пані Олено! " + LONG_ANSWER,
        "feedback_method": "phone",
        "contacted_at": "",  # the one wrong field
        "feedback_result": "Заявниця підтвердила відновлення водопостачання.",
    }
    response = post_form(client, "/admin/appeal/transition/", data)
    assert response.status_code == 200
    form = _open_form(response.get_data(as_text=True), "draft")
    assert LONG_ANSWER.strip()[:60] in form
    assert "Шановна пані Олено!" in form
    assert "Заявниця підтвердила відновлення водопостачання." in form
    assert re.search(r'name="contacted_at"[^>]*is-invalid|is-invalid[^>]*name="contacted_at"', form)
    assert "invalid-feedback" in form
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == AppealStatus.IN_WORK


def test_a_step_a_rule_refuses_keeps_what_was_typed_and_marks_the_field(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(status=AppealStatus.SIGNED)
    db.session.commit()
    data = {"id": appeal.id, "action": "dispatch", "outgoing_number": "01-14/777", "comment": "Надіслано вчасно"}
    response = post_form(client, "/admin/appeal/transition/", data)
    assert response.status_code == 200
    form = _open_form(response.get_data(as_text=True), "dispatch")
    assert 'value="01-14/777"' in form and "Надіслано вчасно" in form
    assert re.search(r'name="file"[^>]*is-invalid|is-invalid[^>]*name="file"', form)


def test_the_scan_is_marked_required_at_dispatch_before_submitting(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(status=AppealStatus.SIGNED)
    db.session.commit()
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    form = re.search(r'id="action-dispatch">(.*?)</form>', html, re.S).group(1)
    assert re.search(r'<input[^>]*name="file"[^>]*required|<input[^>]*required[^>]*name="file"', form)


def test_irreversible_steps_ask_for_confirmation(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(status=AppealStatus.SENT)
    db.session.commit()
    html = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    form = re.search(r'id="action-close">(.*?)</form>', html, re.S).group(1)
    assert re.search(r'<button type="submit"[^>]*data-confirm="[^"]+"', form)


def test_a_missing_page_is_in_ukrainian_inside_the_portal_layout(client, auth):
    auth.as_role(Role.CLERK)
    response = client.get("/admin/appeal/details/?id=999999")
    assert response.status_code in (302, 404)
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Сторінку не знайдено" in html and '<html lang="uk">' in html and "navbar" in html


def test_an_oversized_upload_gets_the_413_page(client, auth, app, monkeypatch):
    auth.as_role(Role.CLERK)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post("/admin/appeal/attach/", data={"file": "x" * 5000})
    assert response.status_code == 413
    assert "Файл завеликий" in response.get_data(as_text=True)


def test_an_unexpected_failure_gets_the_500_page_in_ukrainian(client, auth, app, monkeypatch):
    from portal.services import dashboard

    auth.as_role(Role.CLERK)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)

    def broken(user):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard, "for_user", broken)
    response = client.get("/admin/")
    assert response.status_code == 500
    assert "Щось пішло не так" in response.get_data(as_text=True)


def test_a_refused_new_appeal_says_so_in_ukrainian_beside_each_field(client, auth):
    """Flask-Admin's own flash and WTForms' own messages (a choice that is not offered, a text too long)."""
    auth.as_role(Role.CLERK)
    before = db.session.query(Appeal).count()
    response = post_form(
        client, "/admin/appeal/new/", {"channel": "nonsense", "summary": "я" * 5000, "content": "Текст"}
    )
    page = response.get_data(as_text=True)
    assert "Не вдалося створити запис." in page and "Failed to create" not in page
    assert "Недійсний варіант" in page and "не більше ніж 500 символів" in page
    assert 'value="' + "я" * 100 in page  # what was typed comes back
    assert db.session.query(Appeal).count() == before
