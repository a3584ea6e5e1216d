"""Portal user accounts: one role each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.models.base import Model, TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import Role

if TYPE_CHECKING:
    from portal.models.org import Executor
    from portal.models.reference import Direction


class User(UserMixin, TimestampMixin, Model):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("User name")})
    full_name: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Full name")})
    email: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("E-mail")})
    password_hash: Mapped[str] = mapped_column(sa.String(256), info={"label": _l("Password hash")})
    role: Mapped[Role] = mapped_column(enum_column(Role), info={"label": _l("Role")})
    # an executor user belongs to one executor body; a signer oversees one direction
    executor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("executor.id"), index=True, info={"label": _l("Executor body")}
    )
    direction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("direction.id"), info={"label": _l("Direction")})
    active: Mapped[bool] = mapped_column(default=True, info={"label": _l("Enabled")})
    # bumped on password change / disable: every older session stops being valid
    session_version: Mapped[int] = mapped_column(default=1, info={"label": _l("Session version")})
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Password changed")})
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Last login")})
    # the daily e-mail digest of unread notifications: the user's own choice, off by default
    email_digest: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"label": _l("Daily e-mail digest")}
    )

    executor: Mapped[Executor | None] = relationship(info={"label": _l("Executor body")})
    direction: Mapped[Direction | None] = relationship(info={"label": _l("Direction")})

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def set_password(self, password: str) -> None:
        from flask import current_app

        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __str__(self) -> str:
        return self.full_name or self.username


class ListPreference(Model):
    """The columns a user chose to see on a list screen (the appeals list's column chooser)."""

    __tablename__ = "list_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "view", name="uq_list_preference_user_view"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), info={"label": _l("User")}
    )  # the unique constraint's index serves the lookup by (user, view)
    view: Mapped[str] = mapped_column(sa.String(64), info={"label": _l("Screen")})
    columns: Mapped[list] = mapped_column(sa.JSON, default=list, info={"label": _l("Columns")})

    def __str__(self) -> str:
        return f"{self.view}: {', '.join(self.columns or [])}"
