"""User accounts: creation and changes, one rule set for admin screens and the CLI."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.enums import Role
from portal.models.org import Executor
from portal.models.users import User
from portal.services import accounts
from portal.services.errors import DomainError


def username_taken(username: str, except_id: int | None = None) -> bool:
    query = db.select(User.id).filter(db.func.lower(User.username) == username.lower())
    if except_id is not None:
        query = query.filter(User.id != except_id)
    return db.session.execute(query).first() is not None


def create_user(
    *,
    username: str,
    role,
    password: str,
    executor_id: int | None = None,
    full_name: str = "",
    direction_id: int | None = None,
    email: str = "",
    actor=None,
) -> User:
    """Create an account; the password policy, the executor binding and the role grant are checked.

    ``actor`` is the user doing it (None for the command line).
    """
    username = (username or "").strip()
    if not username:
        raise DomainError(_l("The user name is required."))
    if username_taken(username):
        raise DomainError(_l("A user named %(name)s already exists.", name=username))
    if executor_id is not None and db.session.get(Executor, executor_id) is None:
        raise DomainError(_l("There is no executor body with id %(id)s.", id=executor_id))
    user = User(
        username=username,
        role=Role(role),
        executor_id=executor_id,
        full_name=full_name,
        direction_id=direction_id,
        email=email,
        session_version=1,
    )
    accounts.check_role_grant(actor, None, None, user.role)
    accounts.validate_binding(user)
    accounts.check_password_policy(password, username)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def check_saved_account(actor, user: User, *, is_new: bool, password: str | None = None) -> None:
    """Rules for an account edited on the admin screen (the form has already filled ``user``).

    The role grant is checked against the role the account had before the edit; disabling
    ends the account's sessions; a new account needs a password that passes the policy.
    """
    with db.session.no_autoflush:  # the half-filled account must not be flushed by the checks' queries
        _check_saved_account(actor, user, is_new=is_new, password=password)


def _check_saved_account(actor, user: User, *, is_new: bool, password: str | None) -> None:
    user.username = (user.username or "").strip()
    if not user.username:
        raise DomainError(_l("The user name is required."))
    if username_taken(user.username, except_id=None if is_new else user.id):
        raise DomainError(_l("A user named %(name)s already exists.", name=user.username))
    if is_new:
        accounts.check_role_grant(actor, None, None, user.role)
        if user.active is None:
            user.active = True
        if not password:
            raise DomainError(_l("Set an initial password."))
        accounts.check_password_policy(password, user.username)
        user.set_password(password)
        user.session_version = 1
    else:
        old_role = accounts.previous_value(user, "role")
        if getattr(actor, "id", None) != user.id and not accounts.permissions.may_manage_account(actor, old_role):
            raise DomainError(_l("You cannot manage an account with this role."))
        accounts.check_role_grant(actor, user.id, old_role, user.role)
        was_active = accounts.previous_value(user, "active")
        if was_active != user.active:
            user.active = was_active  # let the rule decide, and end sessions when disabled
            accounts.set_active(user, not was_active, actor=actor)
    accounts.validate_binding(user)
