"""Hardening: CSRF, login throttling and lockout, password policy, sessions, cookies, headers,
templates without inline handlers, export caps and formula neutralisation, read-only auditors."""

from __future__ import annotations

import html
import re
import time

import pytest
from flask_login import login_user

from portal.auth.permissions import can
from portal.extensions import db
from portal.models import Executor, User
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, Role
from portal.security import ReadOnlyRoleError
from portal.services import accounts
from portal.services.export import csv_lines, neutralise_formula
from tests import factories as f
from tests.conftest import AuthActions, post_form
from tests.factories import PASSWORD


def _entries(action) -> list[AuditLog]:
    return list(db.session.execute(db.select(AuditLog).filter_by(action=action)).scalars())


# --- CSRF: one token for every state-changing request ----------------------------------------


@pytest.fixture
def target():
    executor = f.make_executor(name="Незмінний департамент", email="keep@example.com")
    db.session.commit()
    return executor


def _unchanged(executor: Executor) -> bool:
    db.session.expire_all()
    row = db.session.get(Executor, executor.id)
    return row is not None and (row.name, row.email) == ("Незмінний департамент", "keep@example.com")


CSRF_WRITES = {
    "create": ("/admin/executor/new/", {"name": "Новий департамент", "kind": "external"}),
    "edit": ("/admin/executor/edit/?id={id}", {"name": "Змінено", "email": "x@example.com", "kind": "external"}),
    "delete": ("/admin/executor/delete/", {"id": "{id}"}),
    "bulk action": ("/admin/executor/action/", {"action": "delete", "rowid": "{id}"}),
    "inline edit": ("/admin/executor/ajax/update/", {"list_form_pk": "{id}", "is_active": ""}),
}


@pytest.mark.parametrize("kind", CSRF_WRITES)
def test_post_without_csrf_token_writes_nothing(client, auth, target, kind):
    auth.as_role(Role.DIRECTOR)
    path, data = CSRF_WRITES[kind]
    data = {k: v.format(id=target.id) for k, v in data.items()}
    count = db.session.execute(db.select(db.func.count()).select_from(Executor)).scalar()
    response = client.post(path.format(id=target.id), data=data)
    assert response.status_code == 400
    assert _unchanged(target)
    assert db.session.execute(db.select(db.func.count()).select_from(Executor)).scalar() == count


@pytest.mark.parametrize("kind", CSRF_WRITES)
def test_post_with_a_forged_csrf_token_writes_nothing(client, auth, target, kind):
    auth.as_role(Role.DIRECTOR)
    path, data = CSRF_WRITES[kind]
    data = {k: v.format(id=target.id) for k, v in data.items()} | {"csrf_token": "forged.token.value"}
    assert client.post(path.format(id=target.id), data=data).status_code == 400
    assert _unchanged(target)


def test_post_with_the_csrf_token_goes_through(client, auth, target):
    auth.as_role(Role.DIRECTOR)
    response = post_form(client, "/admin/executor/delete/", {"id": target.id})
    assert response.status_code == 302
    assert db.session.get(Executor, target.id) is None


def test_csrf_failure_explains_itself_in_ukrainian(client, auth, target):
    auth.as_role(Role.DIRECTOR)
    page = client.post("/admin/executor/delete/", data={"id": target.id}).get_data(as_text=True)
    assert "нічого не збережено" in page


def test_csrf_failure_on_inline_edit_is_a_short_text(client, auth, target):
    auth.as_role(Role.DIRECTOR)
    response = client.post("/admin/executor/ajax/update/", data={"list_form_pk": target.id, "is_active": ""})
    assert response.status_code == 400 and response.mimetype == "text/plain"


def test_login_without_csrf_token_shows_the_login_form_again(client):
    f.make_user(Role.CLERK, username="nocsrf")
    db.session.commit()
    response = client.post("/login", data={"username": "nocsrf", "password": PASSWORD})
    assert response.status_code == 400
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert _entries(AuditAction.LOGIN) == []


def test_logout_takes_a_post_with_the_token(client, auth):
    auth.as_role(Role.CLERK)
    assert client.get("/logout").status_code == 200  # a confirmation page, still logged in
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/admin/").status_code == 302


# --- login throttling and lockout (real Redis) ------------------------------------------------


@pytest.fixture
def victim():
    user = f.make_user(Role.CLERK, username="victim")
    db.session.commit()
    return user


def _fail(auth, username="victim", times=1):
    return [auth.login(username, "Wrong-pass-000") for _ in range(times)]


def test_five_wrong_passwords_do_not_lock_the_account(auth, victim):
    responses = _fail(auth, times=5)
    assert [r.status_code for r in responses] == [401] * 5
    assert auth.login("victim").status_code == 302


def test_sixth_wrong_password_from_one_address_makes_it_wait(app, auth, victim):
    responses = _fail(auth, times=6)
    assert [r.status_code for r in responses] == [401] * 5 + [429]
    assert "Забагато невдалих спроб" in responses[-1].get_data(as_text=True)
    refused = auth.login("victim")  # even the right password, for a while, from this address
    assert refused.status_code == 429
    from portal.redis_conn import get_redis

    ttl = get_redis().ttl("login:lock:pair:victim|127.0.0.1")
    assert 0 < ttl <= app.config["LOGIN_THROTTLE_BASE_SECONDS"]
    assert [e.record_id for e in _entries(AuditAction.LOCKOUT)] == [str(victim.id)]


def test_a_successful_login_resets_the_count(auth, victim):
    _fail(auth, times=4)
    assert auth.login("victim").status_code == 302
    auth.logout()
    assert [r.status_code for r in _fail(auth, times=5)] == [401] * 5


def test_the_lock_ends_after_the_lockout_time(app, auth, victim):
    app.config["LOGIN_LOCKOUT_SECONDS"] = 1
    _fail(auth, times=6)
    assert auth.login("victim").status_code == 429
    time.sleep(1.1)
    assert auth.login("victim").status_code == 302


def test_the_account_ceiling_counts_failures_from_any_address(app, client, victim):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 6
    for n in range(6):
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        AuthActions(client).login("victim", "Wrong-pass-000")
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    assert AuthActions(client).login("victim").status_code == 429


def test_an_address_guessing_many_accounts_is_locked(app, client, victim):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 8
    client.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    for n in range(8):
        AuthActions(client).login(f"nobody{n}", "Wrong-pass-000")
    assert AuthActions(client).login("victim").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.10"
    assert AuthActions(other).login("victim").status_code == 302


def test_failed_logins_are_logged_without_saying_which_part_was_wrong(auth, victim):
    unknown = auth.login("nobody-here", "Wrong-pass-000").get_data(as_text=True)
    wrong = auth.login("victim", "Wrong-pass-000").get_data(as_text=True)
    message = "Неправильне ім'я користувача або пароль"
    assert message in html.unescape(unknown) and message in html.unescape(wrong)
    assert len(_entries(AuditAction.LOGIN_FAILED)) == 2


def test_a_disabled_account_cannot_log_in(auth, victim):
    victim.active = False
    db.session.commit()
    assert auth.login("victim").status_code == 401


# --- password policy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password,reason",
    [
        ("Short1", "at least"),
        ("onlyletterslong", "letters and digits"),
        ("1234567890123", "letters and digits"),
        ("victim-2026-pass", "user name"),
        ("Password123", "too common"),
        ("a1" * 70, "at most"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(app, password, reason):
    with app.test_request_context("/?lang=en"):
        problems = " ".join(str(p) for p in accounts.password_problems(password, "victim"))
    assert reason in problems


def test_a_strong_password_passes(app):
    assert accounts.password_problems("Kyiv-appeals-2026", "victim") == []


def test_set_password_applies_the_policy(app, victim):
    with app.test_request_context(), pytest.raises(accounts.AccountError):
        accounts.set_password(victim, "weak")


# --- sessions ------------------------------------------------------------------------------------


def test_login_renews_the_session_and_its_csrf_token(client, victim):
    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    client.post("/login", data={"username": "victim", "password": PASSWORD, "csrf_token": before})
    with client.session_transaction() as sess:
        assert "planted" not in sess
    assert client.post("/admin/executor/delete/", data={"id": "1", "csrf_token": before}).status_code == 400


def test_changing_the_password_ends_other_sessions(app, client, auth, victim):
    auth.login("victim")
    assert client.get("/admin/").status_code == 200
    accounts.set_password(victim, "Another-pass-2026")
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_the_account_ends_its_sessions(client, auth, victim):
    auth.login("victim")
    accounts.set_active(victim, False)
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_a_stale_session_id_is_refused(client, auth, victim):
    auth.login("victim")
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{victim.id}:0"
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, victim):
    response = AuthActions(client).login("victim")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_when_configured(app, client, victim):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = AuthActions(client).login("victim")
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age" in client.get("/login").headers.get("Strict-Transport-Security", "")


def test_secure_cookie_setting_covers_the_remember_cookie(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_SESSION_COOKIE_SECURE", "1")
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "TESTING": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True


# --- headers and templates ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login", "/admin/", "/admin/executor/"])
def test_security_headers(client, auth, path):
    auth.as_role(Role.DIRECTOR)
    response = client.get(path, follow_redirects=True)
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'nonce-" in script_src and "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)([^>]*)>", re.I)


def test_admin_pages_have_no_inline_handlers_and_only_nonced_scripts(app, client, auth):
    auth.as_role(Role.DIRECTOR)
    f.make_executor()
    db.session.commit()
    views = [v for v in app.extensions["admin"][0].registry.values() if getattr(v, "area", None)]
    paths = (
        ["/admin/"]
        + [f"/admin/{v.endpoint}/" for v in views]
        + [f"/admin/{v.endpoint}/new/" for v in views if can(Role.DIRECTOR, v.area, "create")]
    )
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert not INLINE_HANDLER.search(page), (path, INLINE_HANDLER.search(page).group(0))
        for attrs in INLINE_SCRIPT.findall(page):
            assert f'nonce="{nonce}"' in attrs, (path, attrs)


def test_forbidden_page_is_a_403_in_ukrainian_and_logged(client, auth):
    user = auth.as_role(Role.ACCOUNTANT)
    response = client.get("/admin/appeal/")
    assert response.status_code == 403
    assert "Доступ заборонено" in response.get_data(as_text=True)
    entry = _entries(AuditAction.DENIED)[-1]
    assert (entry.user_id, entry.model) == (user.id, "appeal")


# --- exports -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+380671234567 call", "'+380671234567 call"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("-120.50", "-120.50"),
        ("+5", "+5"),
        ("Департамент", "Департамент"),
        (42, 42),
        (None, None),
    ],
)
def test_spreadsheet_formulas_are_neutralised(value, expected):
    assert neutralise_formula(value) == expected


def test_csv_lines_start_with_a_bom_and_quote_cells():
    # ";" separates the cells (Ukrainian Excel's list separator): a cell holding one is quoted
    lines = list(csv_lines([["a", "b;c", "d,e"], [None, 1]]))
    assert lines == ["\ufeff", 'a;"b;c";d,e\r\n', ";1\r\n"]


def test_export_is_streamed_capped_and_neutralised(app, client, auth):
    app.config["EXPORT_MAX_ROWS"] = 3
    for n in range(5):
        f.make_executor(name=f"=cmd|'/c calc'!A{n}")
    db.session.commit()
    auth.as_role(Role.DIRECTOR)
    response = client.get("/admin/executor/export/csv/")
    assert response.is_streamed
    text = response.get_data(as_text=True)
    lines = text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 1 + 3 + 1  # header, three rows, the notice that it stops
    assert "3" in lines[-1]
    assert all(line.startswith("\"'=cmd") or line.startswith("'=cmd") for line in lines[1:4])
    assert [e.model for e in _entries(AuditAction.EXPORT)] == ["executor"]


def test_refused_export_is_not_logged_as_an_export(client, auth):
    auth.as_role(Role.EXECUTOR)
    assert client.get("/admin/executor/export/csv/").status_code == 403
    assert _entries(AuditAction.EXPORT) == []


# --- auditors never write ------------------------------------------------------------------


def test_auditor_attempted_writes_change_no_row(client, auth, target):
    auth.as_role(Role.AUDITOR)
    answers = [
        post_form(client, f"/admin/executor/edit/?id={target.id}", {"name": "Змінено", "kind": "external"}),
        post_form(client, "/admin/executor/delete/", {"id": target.id}),
        post_form(client, "/admin/executor/action/", {"action": "delete", "rowid": target.id}),
        post_form(client, "/admin/executor/ajax/update/", {"list_form_pk": target.id, "is_active": ""}),
        post_form(client, "/admin/executor/new/", {"name": "Новий", "kind": "external"}),
    ]
    assert [r.status_code for r in answers] == [403] * 5
    assert _unchanged(target)
    assert db.session.execute(db.select(db.func.count()).select_from(Executor)).scalar() == 1


def test_auditor_reads_and_exports(client, auth, target):
    auth.as_role(Role.AUDITOR)
    assert client.get("/admin/executor/").status_code == 200
    assert client.get("/admin/executor/details/", query_string={"id": target.id}).status_code == 200
    assert client.get("/admin/executor/export/csv/").status_code == 200


def test_a_read_only_role_cannot_flush_a_change_even_past_the_views(app, target):
    auditor = f.make_user(Role.AUDITOR)
    db.session.commit()
    with app.test_request_context():
        login_user(auditor)
        target.name = "Змінено в обхід"
        with pytest.raises(ReadOnlyRoleError):
            db.session.flush()
        db.session.rollback()
    assert _unchanged(target)


def test_other_roles_flush_as_usual(app, target):
    director = f.make_user(Role.DIRECTOR)
    db.session.commit()
    with app.test_request_context():
        login_user(director)
        target.email = "new@example.com"
        db.session.commit()
    assert db.session.get(Executor, target.id).email == "new@example.com"


def test_user_accounts_have_no_password_in_any_export(client, auth):
    auth.as_role(Role.AUDITOR)
    text = client.get("/admin/user/export/csv/").get_data(as_text=True)
    user = db.session.execute(db.select(User)).scalars().first()
    assert user.password_hash.split("$")[0] not in text and "session" not in text.lower()
