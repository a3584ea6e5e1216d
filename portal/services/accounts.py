"""Accounts: authentication with rate limiting and lockout, password policy, account changes.

Login failures are throttled per (account, client address) with growing waits, under two
high ceilings (per account, per address); see :mod:`portal.services.throttle`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeGuard

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from portal.auth import permissions
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.enums import AuditAction, Role
from portal.models.users import User
from portal.services import audit, throttle
from portal.services.errors import DomainError

# A few passwords every guessing list starts with; the length rule stops the rest.
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "qwerty123456",
        "1234567890a",
        "a1234567890",
        "passw0rd123",
        "password123",
        "admin123456",
        "qwertyuiop1",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "zaq12wsxcde3",
        "parol12345",
    }
)


class AccountError(DomainError):
    """A rule about accounts was broken; the message is shown to the user."""


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None
    locked: bool = False  # refused because of too many failures (the page answers 429)


# --- password policy ------------------------------------------------------------------


def password_problems(password: str, username: str = "") -> list:
    """Reasons a password is too weak (empty list when it is acceptable)."""
    problems = []
    cfg = current_app.config
    min_len, max_len = cfg["PASSWORD_MIN_LENGTH"], cfg.get("PASSWORD_MAX_LENGTH", 128)
    if len(password) < min_len:
        problems.append(_l("The password must have at least %(n)s characters.", n=min_len))
    if len(password) > max_len:
        problems.append(_l("The password must have at most %(n)s characters.", n=max_len))
    if not re.search(r"[^\W\d_]", password) or not re.search(r"\d", password):
        problems.append(_l("The password must contain letters and digits."))
    if username and username.lower() in password.lower():
        problems.append(_l("The password must not contain the user name."))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(_l("The password is too common."))
    return problems


def check_password_policy(password: str, username: str = "") -> None:
    """Raise :class:`AccountError` listing every rule the password breaks."""
    problems = password_problems(password or "", username)
    if problems:
        raise AccountError(" ".join(str(p) for p in problems))


def set_password(user: User, password: str) -> None:
    """Set a new password; every existing session of the user stops being valid."""
    check_password_policy(password, user.username)
    user.set_password(password)
    user.password_changed_at = utcnow()
    user.session_version = (user.session_version or 0) + 1


def reset_password(actor, user: User, password: str) -> None:
    """An administrator sets someone's password (policy checked, sessions ended)."""
    if (
        actor is not None
        and getattr(actor, "id", None) != user.id
        and not permissions.may_manage_account(actor, user.role)
    ):
        raise AccountError(_l("You cannot manage an account with this role."))
    set_password(user, password)


# --- account changes ------------------------------------------------------------------


def set_active(user: User, active: bool, actor=None) -> None:
    """Enable or disable an account; disabling ends its sessions. Nobody disables himself."""
    if actor is not None:
        if getattr(actor, "id", None) == user.id and not active:
            raise AccountError(_l("You cannot disable your own account."))
        if getattr(actor, "id", None) != user.id and not permissions.may_manage_account(actor, user.role):
            raise AccountError(_l("You cannot manage an account with this role."))
    if user.active != active:
        user.active = active
        user.session_version = (user.session_version or 0) + 1


def change_role(actor, user: User, role: Role | str) -> None:
    """Change a user's role; nobody changes their own or grants one beyond their authority."""
    role = Role(role)
    check_role_grant(actor, user.id, user.role, role)
    user.role = role


def check_role_grant(actor, user_id: int | None, old_role, new_role) -> None:
    """Raise unless ``actor`` may give ``new_role`` to the account (``None``: a new one)."""
    if actor is None:  # the command line: whoever runs it owns the installation
        return
    if (
        user_id is not None
        and getattr(actor, "id", None) == user_id
        and old_role is not None
        and Role(old_role) != Role(new_role)
    ):
        raise AccountError(_l("You cannot change your own role."))
    if not permissions.may_assign_role(actor, user_id, old_role, new_role):
        raise AccountError(_l("You cannot give the role %(role)s.", role=Role(new_role)))


def validate_binding(user: User) -> None:
    """An executor user belongs to one executor body; other roles belong to none."""
    role = Role(user.role)
    bound = user.executor_id is not None or user.executor is not None
    if role == Role.EXECUTOR and not bound:
        raise AccountError(_l("An executor account must be bound to an executor body."))
    if role != Role.EXECUTOR and bound:
        raise AccountError(_l("Only executor accounts are bound to an executor body."))


def previous_value(obj, key: str):
    """The value of an attribute before the pending (unflushed) change, or the current one."""
    hist = sa.inspect(obj).attrs[key].history
    if hist.deleted:
        return hist.deleted[0]
    return hist.unchanged[0] if hist.unchanged else getattr(obj, key)


# --- login throttling (portal.services.throttle) -------------------------------------------


def unlock(actor, user: User) -> None:
    """An administrator lifts the login locks of an account (logged; the caller commits).

    Unlocking grants nothing, so whoever edits accounts may unlock any of them (the director's
    too, which an admin cannot otherwise manage).
    """
    if actor is not None and not permissions.can(actor, "user", "edit"):
        raise AccountError(_l("You cannot manage an account with this role."))
    throttle.unlock_account(user.username)
    audit.log_event(
        AuditAction.UPDATE,
        model="User",
        record_id=user.id,
        label=user.username,
        detail=throttle.UNLOCK_DETAIL,
    )


_DUMMY_HASH: dict[str, str] = {}


def _check_password(user: User | None, password: str) -> TypeGuard[User]:
    """Check a password; an unknown user costs the same time, so names cannot be probed."""
    if user is None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        if method not in _DUMMY_HASH:
            _DUMMY_HASH[method] = generate_password_hash("not-a-password-0", method=method)
        check_password_hash(_DUMMY_HASH[method], password)
        return False
    return user.check_password(password)


LOCKED_MESSAGE = _l("Too many failed attempts. The account is locked for a while; try later.")


def _refusal(verdict: throttle.Verdict) -> str:
    if verdict.scope == "pair":
        minutes = throttle.wait_text(verdict.seconds)
        return str(_l("Too many failed attempts from this address. Try again in %(minutes)s min.", minutes=minutes))
    return str(LOCKED_MESSAGE)


def authenticate(username: str, password: str, ip: str) -> LoginResult:
    """Check credentials; log success, failure and lockout. The caller logs the user in."""
    username = (username or "").strip()
    verdict = throttle.check(username, ip)
    if verdict is not None:
        audit.log_event_now(
            AuditAction.LOGIN_FAILED,
            model="User",
            label=username,
            detail=f"locked ({verdict.scope})",
            actor=audit.Actor(None, username, "", ip),
        )
        return LoginResult(None, _refusal(verdict), locked=True)
    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
    if not _check_password(user, password or "") or not user.active:
        actor = audit.Actor(user.id if user else None, username, str(user.role.value) if user else "", ip)
        audit.log_event(
            AuditAction.LOGIN_FAILED,
            model="User",
            record_id=user.id if user else None,
            label=username,
            detail="inactive" if user and not user.active else "bad credentials",
            actor=actor,
        )
        db.session.flush()
        verdict = throttle.record_failure(username, ip) or throttle.check(username, ip)
        if verdict is not None:
            audit.log_event(
                AuditAction.LOCKOUT,
                model="User",
                record_id=user.id if user else None,
                label=username,
                detail=f"{verdict.scope} {verdict.seconds}s",
                actor=actor,
            )
        db.session.commit()
        if verdict is not None:
            return LoginResult(None, _refusal(verdict), locked=True)
        return LoginResult(None, str(_l("Wrong user name or password.")))
    throttle.clear_pair(username, ip)
    user.last_login_at = utcnow()
    audit.log_event(
        AuditAction.LOGIN, model="User", record_id=user.id, label=username, actor=audit.actor_for_user(user, ip)
    )
    db.session.commit()
    return LoginResult(user)
