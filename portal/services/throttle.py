"""Login throttling that an attacker cannot turn against the account's owner.

Failures are counted per (account, client address): after ``LOGIN_MAX_FAILURES`` of them the
pair waits before each further attempt, the wait doubling from ``LOGIN_THROTTLE_BASE_SECONDS``
up to ``LOGIN_LOCKOUT_SECONDS``. The owner signing in from another address is not affected.
Two ceilings stop wide guessing: ``LOGIN_MAX_FAILURES_PER_ACCOUNT`` failures on one account
from any addresses lock the account (an administrator can unlock it), and
``LOGIN_MAX_FAILURES_PER_ADDRESS`` failures from one address lock that address.

Counts live in Redis. When Redis does not answer, the same rules are read from the audit
log's ``login_failed`` entries (slower, but a hung Redis never disables the throttle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.base import utcnow
from portal.models.enums import AuditAction
from portal.redis_conn import redis_or_none

UNLOCK_DETAIL = "login unlocked"


@dataclass
class Verdict:
    """Why an attempt is refused now, and for how long (``scope``: pair, account or address)."""

    scope: str
    seconds: int


def _cfg(name: str) -> int:
    return int(current_app.config[name])


def pair_delay(failures: int) -> int:
    """Seconds a pair waits after ``failures`` failures in the window (0: no wait yet)."""
    excess = failures - _cfg("LOGIN_MAX_FAILURES") - 1
    if excess < 0:  # the first LOGIN_MAX_FAILURES are free; the next one starts the wait
        return 0
    return min(_cfg("LOGIN_THROTTLE_BASE_SECONDS") * 2 ** min(excess, 20), _cfg("LOGIN_LOCKOUT_SECONDS"))


def _keys(username: str, ip: str) -> dict[str, str]:
    name = username.lower()
    return {
        "pair": f"login:fail:pair:{name}|{ip}",
        "pair_lock": f"login:lock:pair:{name}|{ip}",
        "user": f"login:fail:user:{name}",
        "user_lock": f"login:lock:user:{name}",
        "ip": f"login:fail:ip:{ip}",
        "ip_lock": f"login:lock:ip:{ip}",
    }


# --- Redis -------------------------------------------------------------------------------------


def _redis_check(r, username: str, ip: str) -> Verdict | None:
    keys = _keys(username, ip)
    pipe = r.pipeline()
    for key in ("user_lock", "ip_lock", "pair_lock"):
        pipe.ttl(keys[key])
    for scope, ttl in zip(("account", "address", "pair"), pipe.execute(), strict=True):
        if ttl and ttl > 0:
            return Verdict(scope, int(ttl))
    return None


def _redis_failure(r, username: str, ip: str) -> Verdict | None:
    keys = _keys(username, ip)
    window = _cfg("LOGIN_FAILURE_WINDOW_SECONDS")
    pipe = r.pipeline()
    for key in ("pair", "user", "ip"):
        pipe.incr(keys[key])
        pipe.expire(keys[key], window)
    pair, _, user, _, address, _ = pipe.execute()
    lock = _cfg("LOGIN_LOCKOUT_SECONDS")
    if user >= _cfg("LOGIN_MAX_FAILURES_PER_ACCOUNT"):
        r.set(keys["user_lock"], "1", ex=_cfg("LOGIN_ACCOUNT_LOCK_SECONDS"))
        r.delete(keys["user"])
        return Verdict("account", _cfg("LOGIN_ACCOUNT_LOCK_SECONDS"))
    if address >= _cfg("LOGIN_MAX_FAILURES_PER_ADDRESS"):
        r.set(keys["ip_lock"], "1", ex=lock)
        r.delete(keys["ip"])
        return Verdict("address", lock)
    delay = pair_delay(pair)
    if delay:
        r.set(keys["pair_lock"], "1", ex=delay)
        return Verdict("pair", delay)
    return None


# --- the audit log, when Redis does not answer ---------------------------------------------------


def _since(username: str):
    """Failures count from the window's start or the account's last unlock, whichever is later."""
    start = utcnow() - timedelta(seconds=_cfg("LOGIN_FAILURE_WINDOW_SECONDS"))
    unlocked = db.session.execute(
        sa.select(sa.func.max(AuditLog.at)).where(
            AuditLog.model == "User",
            AuditLog.record_label == username,
            AuditLog.action == AuditAction.UPDATE,
            AuditLog.detail == UNLOCK_DETAIL,
        )
    ).scalar()
    return max(start, unlocked) if unlocked else start


def _db_failures(username: str, ip: str | None, since):
    query = sa.select(sa.func.count(), sa.func.max(AuditLog.at)).where(
        AuditLog.action == AuditAction.LOGIN_FAILED,
        AuditLog.username == username,
        AuditLog.at >= since,
        AuditLog.detail.notlike("locked%"),  # refused attempts are not guesses
    )
    if ip is not None:
        query = query.where(AuditLog.ip == ip)
    count, last = db.session.execute(query).one()
    return count or 0, last


def _db_check(username: str, ip: str) -> Verdict | None:
    since = _since(username)
    now = utcnow()
    count, last = _db_failures(username, None, since)
    if count >= _cfg("LOGIN_MAX_FAILURES_PER_ACCOUNT"):
        left = _cfg("LOGIN_ACCOUNT_LOCK_SECONDS") - (now - last).total_seconds()
        if left > 0:
            return Verdict("account", int(left))
    count, last = _db_failures(username, ip, since)
    delay = pair_delay(count)
    if delay and last is not None:
        left = delay - (now - last).total_seconds()
        if left > 0:
            return Verdict("pair", max(int(left), 1))
    return None


# --- the interface ------------------------------------------------------------------------------


def check(username: str, ip: str) -> Verdict | None:
    """Is an attempt for ``username`` from ``ip`` refused right now?"""
    r = redis_or_none()
    if r is not None:
        try:
            return _redis_check(r, username, ip)
        except Exception:
            current_app.logger.warning("Redis failed during the login check: using the audit log")
    return _db_check(username, ip)


def record_failure(username: str, ip: str) -> Verdict | None:
    """Count a failure (the caller logs it in the audit log); the verdict if it starts a wait.

    Without Redis the audit entry the caller writes is the count, so the verdict is read back
    from the log after that entry exists (see :func:`check`).
    """
    r = redis_or_none()
    if r is not None:
        try:
            return _redis_failure(r, username, ip)
        except Exception:
            current_app.logger.warning("Redis failed while counting a login failure")
    return None


def clear_pair(username: str, ip: str) -> None:
    """A successful login forgets the pair's failures (the account's ceiling keeps counting)."""
    r = redis_or_none()
    if r is not None:
        keys = _keys(username, ip)
        try:
            r.delete(keys["pair"], keys["pair_lock"])
        except Exception:
            current_app.logger.warning("Redis failed while clearing login failures")


def unlock_account(username: str) -> None:
    """Lift every lock on an account (its pairs too); the caller writes the audit entry."""
    r = redis_or_none()
    if r is None:
        return
    keys = _keys(username, "")
    try:
        doomed = [keys["user"], keys["user_lock"]]
        name = _glob_escape(username.lower())
        for pattern in (f"login:fail:pair:{name}|*", f"login:lock:pair:{name}|*"):
            doomed.extend(r.scan_iter(match=pattern, count=500))
        r.delete(*doomed)
    except Exception:
        current_app.logger.warning("Redis failed while unlocking %s", username)


def _glob_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def wait_text(seconds: int) -> str:
    """A wait in minutes (rounded up) for the message."""
    return str(max(1, -(-int(seconds) // 60)))
