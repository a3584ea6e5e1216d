"""Notifications: what is new for a user (the bell in the top bar and the daily e-mail digest)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.appeals import Appeal
from portal.models.base import Model, UTCDateTime, enum_column, utcnow
from portal.models.enums import NotificationKind
from portal.models.users import User


class Notification(Model):
    """One piece of news for one user about one appeal; read when the user opens it."""

    __tablename__ = "notification"
    __table_args__ = (
        # a time-driven notice (a term ending) is made once per user and key, however often it is swept
        sa.UniqueConstraint("user_id", "dedup_key", name="uq_notification_user_key"),
        # the bell: the user's unread ones, newest first
        sa.Index("ix_notification_user_unread", "user_id", "read_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), info={"label": _l("User")})
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind), info={"label": _l("Notification")})
    dedup_key: Mapped[str | None] = mapped_column(sa.String(64), info={"label": _l("Key")})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Created at")})
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Read at")})
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Sent by e-mail at")})

    user: Mapped[User] = relationship(info={"label": _l("User")})
    appeal: Mapped[Appeal] = relationship(info={"label": _l("Appeal")})

    def __str__(self) -> str:
        return f"{self.kind}: {self.appeal.reg_number if self.appeal else self.appeal_id}"
