"""Accounts: authentication with rate limiting and lockout, password policy, role changes."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.enums import AuditAction, Role
from portal.models.users import User
from portal.redis_conn import get_redis
from portal.services import audit
from portal.services.errors import DomainError


class AccountError(DomainError):
    """A rule about accounts was broken; the message is shown to the user."""


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def password_problems(password: str, username: str = "") -> list:
    """Reasons a password is too weak (empty list when it is acceptable)."""
    problems = []
    min_len = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < min_len:
        problems.append(_l("The password must have at least %(n)s characters.", n=min_len))
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        problems.append(_l("The password must contain letters and digits."))
    if username and username.lower() in password.lower():
        problems.append(_l("The password must not contain the user name."))
    return problems


def check_password_policy(password: str, username: str = "") -> None:
    problems = password_problems(password, username)
    if problems:
        raise AccountError(" ".join(str(p) for p in problems))


def set_password(user: User, password: str) -> None:
    """Set a new password; every existing session of the user stops being valid."""
    check_password_policy(password, user.username)
    user.set_password(password)
    user.password_changed_at = utcnow()
    user.session_version = (user.session_version or 0) + 1


def set_active(user: User, active: bool) -> None:
    if user.active != active:
        user.active = active
        user.session_version = (user.session_version or 0) + 1


def change_role(actor, user: User, role: Role | str) -> None:
    """Change a user's role; nobody changes their own."""
    role = Role(role)
    if actor is not None and getattr(actor, "id", None) == user.id and Role(user.role) != role:
        raise AccountError(_l("You cannot change your own role."))
    user.role = role


def validate_binding(user: User) -> None:
    """An executor user belongs to one executor body; a signer oversees a direction."""
    if Role(user.role) == Role.EXECUTOR and not user.executor_id:
        raise AccountError(_l("An executor account must be bound to an executor body."))
    if Role(user.role) != Role.EXECUTOR and user.executor_id:
        raise AccountError(_l("Only executor accounts are bound to an executor body."))


# --- login throttling (Redis: counted per account and per address) -----------------

def _keys(username: str, ip: str) -> tuple[str, str, str]:
    return (f"login:fail:user:{username.lower()}", f"login:fail:ip:{ip}", f"login:lock:user:{username.lower()}")


def _redis():
    try:
        client = get_redis()
        client.ping()
        return client
    except Exception:
        return None


def is_locked(username: str, ip: str) -> bool:
    r = _redis()
    if r is None:
        return False
    max_fail = current_app.config["LOGIN_MAX_FAILURES"]
    user_key, ip_key, lock_key = _keys(username, ip)
    if r.exists(lock_key):
        return True
    # an address that fails across many accounts is slowed down too
    return int(r.get(ip_key) or 0) >= max_fail * 4


def _register_failure(username: str, ip: str) -> bool:
    """Count a failure; True when it locks the account now."""
    r = _redis()
    if r is None:
        return False
    cfg = current_app.config
    user_key, ip_key, lock_key = _keys(username, ip)
    pipe = r.pipeline()
    pipe.incr(user_key)
    pipe.expire(user_key, cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    pipe.incr(ip_key)
    pipe.expire(ip_key, cfg["LOGIN_FAILURE_WINDOW_SECONDS"])
    count = pipe.execute()[0]
    if count >= cfg["LOGIN_MAX_FAILURES"]:
        r.set(lock_key, "1", ex=cfg["LOGIN_LOCKOUT_SECONDS"])
        r.delete(user_key)
        return True
    return False


def _clear_failures(username: str) -> None:
    r = _redis()
    if r is not None:
        user_key, _, lock_key = _keys(username, "")
        r.delete(user_key, lock_key)


def authenticate(username: str, password: str, ip: str) -> LoginResult:
    """Check credentials; log success, failure and lockout. The caller logs the user in."""
    username = (username or "").strip()
    generic = _l("Wrong user name or password.")
    if is_locked(username, ip):
        audit.log_event_now(AuditAction.LOGIN_FAILED, model="User", label=username,
                            detail="locked", actor=audit.Actor(None, username, "", ip))
        return LoginResult(None, str(_l("Too many failed attempts. The account is locked for a while; try later.")))
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None or not user.check_password(password or "") or not user.active:
        locked = _register_failure(username, ip)
        actor = audit.Actor(user.id if user else None, username, str(user.role.value) if user else "", ip)
        audit.log_event(AuditAction.LOGIN_FAILED, model="User", record_id=user.id if user else None,
                        label=username, detail="inactive" if user and not user.active else "bad credentials",
                        actor=actor)
        if locked:
            audit.log_event(AuditAction.LOCKOUT, model="User", record_id=user.id if user else None,
                            label=username, actor=actor)
        db.session.commit()
        if locked:
            return LoginResult(None, str(_l("Too many failed attempts. The account is locked for a while; try later.")))
        return LoginResult(None, str(generic))
    _clear_failures(username)
    user.last_login_at = utcnow()
    audit.log_event(AuditAction.LOGIN, model="User", record_id=user.id, label=username,
                    actor=audit.actor_for_user(user, ip))
    db.session.commit()
    return LoginResult(user)
