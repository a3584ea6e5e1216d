"""Sessions end on the server: a copied cookie dies at logout, password change and disable;
idle and absolute lifetimes hold whatever the cookie says."""

from __future__ import annotations

import time

import pytest

from portal.extensions import db
from portal.models import Executor
from portal.models.enums import Role
from portal.services import accounts
from tests.conftest import AuthActions, post_form


@pytest.fixture
def clerk(client, auth):
    return auth.as_role(Role.CLERK)


def _replay(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    copy = app.test_client()
    cookie = client.get_cookie("session")
    copy.set_cookie(cookie.key, cookie.value)
    return copy


def _reads(copy) -> bool:
    return copy.get("/admin/appeal/").status_code == 200


def _writes(copy) -> bool:
    before = db.session.execute(db.select(db.func.count()).select_from(Executor)).scalar()
    page = copy.get("/admin/executor/new/")
    if page.status_code != 200:
        return False
    post_form(copy, "/admin/executor/new/", {"name": "Записано копією", "kind": "external"})
    return db.session.execute(db.select(db.func.count()).select_from(Executor)).scalar() > before


def test_the_defaults_are_thirty_idle_minutes_and_an_absolute_lifetime(app):
    assert app.config["SESSION_IDLE_MINUTES"] == 30
    assert app.config["SESSION_ABSOLUTE_HOURS"] > 0
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == app.config["SESSION_ABSOLUTE_HOURS"] * 3600


def test_a_cookie_copied_before_logout_neither_reads_nor_writes_after_it(app, client, auth):
    auth.as_role(Role.DIRECTOR)
    copy = _replay(app, client)
    assert _reads(copy)
    auth.logout()
    assert not _reads(copy)
    assert not _writes(copy)


def test_a_copied_cookie_dies_when_the_password_changes(app, client, clerk):
    copy = _replay(app, client)
    accounts.set_password(clerk, "Another-pass-2026")
    db.session.commit()
    assert not _reads(copy)


def test_a_copied_cookie_dies_when_the_account_is_disabled(app, client, clerk):
    copy = _replay(app, client)
    accounts.set_active(clerk, False)
    db.session.commit()
    assert not _reads(copy)


def test_logging_in_again_after_logout_works(client, auth, clerk):
    auth.logout()
    assert auth.login(clerk.username).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_an_idle_session_ends(client, clerk):
    with client.session_transaction() as sess:
        sess["_seen_at"] = int(time.time()) - 31 * 60
    response = client.get("/admin/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302  # and stays ended


def test_an_active_session_outlives_the_idle_time(client, clerk):
    with client.session_transaction() as sess:
        sess["_seen_at"] = int(time.time()) - 29 * 60
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as sess:
        assert sess["_seen_at"] >= int(time.time()) - 5


def test_a_session_ends_after_its_absolute_lifetime_however_active(app, client, clerk):
    with client.session_transaction() as sess:
        sess["_login_at"] = int(time.time()) - app.config["SESSION_ABSOLUTE_HOURS"] * 3600 - 1
    assert client.get("/admin/").status_code == 302


def test_a_session_without_its_clock_is_refused(client, clerk):
    with client.session_transaction() as sess:
        del sess["_login_at"]
    assert client.get("/admin/").status_code == 302


def test_a_remember_cookie_copied_before_logout_is_dead_after_it(app, client, clerk):
    from flask_login import encode_cookie

    remember = encode_cookie(clerk.get_id())
    AuthActions(client).logout()
    fresh = app.test_client()
    fresh.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remember)
    assert fresh.get("/admin/").status_code == 302
