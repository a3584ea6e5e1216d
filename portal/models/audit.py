"""The append-only audit log."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import UTCDateTime, enum_column, utcnow
from portal.models.enums import AuditAction

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditLog(db.Model):
    """Who, when, from where, which record, which fields old → new. Never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_record", "model", "record_id", "id"),
        sa.Index("ix_audit_log_user", "user_id", "id"),
        sa.Index("ix_audit_log_action", "action", "id"),
        sa.Index("ix_audit_log_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column()  # no FK: entries outlive accounts
    username: Mapped[str] = mapped_column(sa.String(64), default="")
    role: Mapped[str] = mapped_column(sa.String(32), default="")
    ip: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction))
    model: Mapped[str] = mapped_column(sa.String(64), default="")
    record_id: Mapped[str] = mapped_column(sa.String(64), default="")
    record_label: Mapped[str] = mapped_column(sa.String(300), default="")
    changes: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # {field: [old, new]}
    detail: Mapped[str] = mapped_column(sa.Text, default="")

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.model} {self.record_id}"
