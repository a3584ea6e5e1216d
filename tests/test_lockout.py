"""Login throttling cannot lock the owner out: per (account, address) waits, high ceilings,
an administrator's unlock, X-Forwarded-For only from declared proxies, and a Redis that does
not answer falls back to the audit log."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, Role
from tests import factories as f
from tests.conftest import AuthActions, post_form

WRONG = "Wrong-pass-000"


@pytest.fixture
def owner():
    user = f.make_user(Role.DIRECTOR, username="director")
    db.session.commit()
    return user


def _from(app, addr: str, headers: dict | None = None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = addr
    if headers:
        client.environ_base.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return client, AuthActions(client)


def test_the_owner_logs_in_from_another_address_while_the_attacker_waits(app, owner):
    _, attacker = _from(app, "203.0.113.7")
    codes = [attacker.login("director", WRONG).status_code for _ in range(8)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert attacker.login("director").status_code == 429  # the right password does not help the attacker
    _, real = _from(app, "198.51.100.20")
    assert real.login("director").status_code == 302


def test_the_wait_grows_with_each_failure(app, owner):
    from portal.redis_conn import get_redis

    app.config["LOGIN_THROTTLE_BASE_SECONDS"] = 1
    _, attacker = _from(app, "203.0.113.8")
    for _ in range(6):
        attacker.login("director", WRONG)
    key = "login:lock:pair:director|203.0.113.8"
    assert 0 < get_redis().ttl(key) <= 1
    time.sleep(1.1)
    assert attacker.login("director", WRONG).status_code == 429  # the 7th failure: 2 s now
    assert get_redis().ttl(key) == 2


def test_the_account_ceiling_locks_it_for_everybody_until_an_admin_unlocks(app, owner):
    app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"] = 6
    for n in range(6):
        _from(app, f"203.0.113.{n + 10}")[1].login("director", WRONG)
    assert AuditAction.LOCKOUT in [e.action for e in db.session.execute(db.select(AuditLog)).scalars()]
    owner_client, real = _from(app, "198.51.100.20")
    assert real.login("director").status_code == 429

    admin_client, admin = _from(app, "198.51.100.30")
    admin_user = f.make_user(Role.ADMIN)
    db.session.commit()
    assert admin.login(admin_user.username).status_code == 302
    response = post_form(admin_client, "/admin/user/action/", {"action": "enable", "rowid": owner.id})
    assert response.status_code == 302
    assert real.login("director").status_code == 302
    unlock = db.session.execute(db.select(AuditLog).filter_by(detail="login unlocked")).scalar_one()
    assert (unlock.username, unlock.record_id) == (admin_user.username, str(owner.id))


def test_a_clerk_cannot_unlock_accounts(app, owner):
    client, auth = _from(app, "198.51.100.31")
    auth.as_role(Role.CLERK)
    assert post_form(client, "/admin/user/action/", {"action": "enable", "rowid": owner.id}).status_code == 403


def test_x_forwarded_for_is_ignored_without_trusted_proxies(app, owner):
    # an attacker rotating a forged header is still one address
    for n in range(6):
        client, auth = _from(app, "203.0.113.50", {"X-Forwarded-For": f"10.1.1.{n}"})
        auth.login("director", WRONG)
    _, auth = _from(app, "203.0.113.50", {"X-Forwarded-For": "10.1.1.99"})
    assert auth.login("director").status_code == 429
    entry = db.session.execute(db.select(AuditLog).filter_by(action=AuditAction.LOGIN_FAILED)).scalars().first()
    assert entry.ip == "203.0.113.50"


def test_x_forwarded_for_is_believed_from_a_declared_proxy(redis_url, tmp_path, _template_db):
    import shutil

    from portal import create_app
    from tests.conftest import PG_URL, _config, _truncate_all

    if PG_URL:
        url = PG_URL
    else:
        shutil.copyfile(_template_db["path"], tmp_path / "p.sqlite")
        url = f"sqlite:///{tmp_path}/p.sqlite"
    app = create_app(_config(url, redis_url, tmp_path) | {"TRUSTED_PROXIES": "10.0.0.0/8"})
    if PG_URL:
        _truncate_all(app)

    def fresh_g():
        from flask import g

        vars(g._get_current_object()).clear()

    app.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    with app.app_context():
        from portal.redis_conn import get_redis

        get_redis().flushdb()
        f.make_user(Role.CLERK, username="behind")
        db.session.commit()
        for _ in range(6):  # one client behind the proxy guesses
            AuthActions(_from(app, "10.0.0.1", {"X-Forwarded-For": "203.0.113.9"})[0]).login("behind", WRONG)
        _, colleague = _from(app, "10.0.0.1", {"X-Forwarded-For": "203.0.113.10"})
        assert colleague.login("behind").status_code == 302  # another client behind the same proxy
        _, attacker = _from(app, "10.0.0.1", {"X-Forwarded-For": "203.0.113.9"})
        assert attacker.login("behind").status_code == 429
        ips = {e.ip for e in db.session.execute(db.select(AuditLog)).scalars()}
        assert "203.0.113.9" in ips and "10.0.0.1" not in ips
        db.session.remove()
        db.engine.dispose()


# --- a Redis that accepts connections and never answers ------------------------------------


@pytest.fixture
def frozen_redis(app):
    """Point the app at a server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    app.extensions["redis"] = None
    yield
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _timed(fn):
    start = time.monotonic()
    result = fn()
    return result, time.monotonic() - start


def test_a_hung_redis_costs_seconds_not_minutes(app, client, auth, owner, frozen_redis):
    response, took = _timed(lambda: auth.login("director"))
    assert response.status_code == 302 and took < 4
    response, took = _timed(lambda: client.get("/healthz"))
    assert response.get_json()["redis"] == "down" and took < 3
    response, took = _timed(lambda: client.get("/admin/report/"))
    assert response.status_code == 200 and took < 3
    assert "Фонові завдання призупинено" in response.get_data(as_text=True)


def test_the_throttle_falls_back_to_the_audit_log_when_redis_hangs(app, owner, frozen_redis):
    _, attacker = _from(app, "203.0.113.77")
    codes = [attacker.login("director", WRONG).status_code for _ in range(7)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert attacker.login("director").status_code == 429
    _, real = _from(app, "198.51.100.77")
    assert real.login("director").status_code == 302
