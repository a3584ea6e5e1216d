"""User accounts: creation and changes, one rule set for admin screens and the CLI."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models.enums import Role
from portal.models.org import Executor
from portal.models.users import User
from portal.services import accounts
from portal.services.errors import DomainError


def create_user(*, username: str, role, password: str, executor_id: int | None = None,
                full_name: str = "", direction_id: int | None = None, email: str = "") -> User:
    """Create an account; the password policy and executor binding are checked."""
    username = (username or "").strip()
    if not username:
        raise DomainError(_l("The user name is required."))
    if db.session.execute(db.select(User.id).filter_by(username=username)).first():
        raise DomainError(_l("A user named %(name)s already exists.", name=username))
    if executor_id is not None and db.session.get(Executor, executor_id) is None:
        raise DomainError(_l("There is no executor body with id %(id)s.", id=executor_id))
    user = User(username=username, role=Role(role), executor_id=executor_id, full_name=full_name,
                direction_id=direction_id, email=email, session_version=1)
    try:
        accounts.validate_binding(user)
        accounts.check_password_policy(password, username)
    except accounts.AccountError as exc:
        raise DomainError(str(exc)) from None
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
