"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Model, UTCDateTime, enum_column, utcnow
from portal.models.enums import AuditAction

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditLog(Model):
    """Who, when, from where, which record, which fields old → new. Never updated or deleted.

    Lists are read newest first by ``id``; every filter of the audit screen has an index that
    ends in ``id``, so "filter, newest 50" reads 50 index entries however large the log grows.
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        # one record's history, and the "model + record" filter
        sa.Index("ix_audit_log_record", "model", "record_id", "id"),
        # a parent record's history includes its parts (an appeal's assignments, answers, ...)
        sa.Index("ix_audit_log_parent", "parent_model", "parent_id", "id"),
        sa.Index("ix_audit_log_model", "model", "id"),
        sa.Index("ix_audit_log_username", "username", "id"),
        sa.Index("ix_audit_log_action", "action", "id"),
        # dates → id bounds (portal.services.history.first_id_at_or_after): covering
        sa.Index("ix_audit_log_at", "at", "id"),
        # prefix search on the record's label
        sa.Index("ix_audit_log_label", "record_label", postgresql_ops={"record_label": "varchar_pattern_ops"}),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, info={"label": _l("Entry No.")})
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Time")})
    user_id: Mapped[int | None] = mapped_column(info={"label": _l("User ID")})  # no FK: entries outlive accounts
    username: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("User")})
    role: Mapped[str] = mapped_column(sa.String(32), default="", info={"label": _l("Role")})
    ip: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("Client address")})
    action: Mapped[AuditAction] = mapped_column(enum_column(AuditAction), info={"label": _l("Action")})
    model: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("Object type")})
    record_id: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("Record ID")})
    record_label: Mapped[str] = mapped_column(sa.String(300), default="", info={"label": _l("Record")})
    parent_model: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("Belongs to")})
    parent_id: Mapped[str] = mapped_column(sa.String(64), default="", info={"label": _l("Belongs to (ID)")})
    changes: Mapped[dict | None] = mapped_column(sa.JSON, info={"label": _l("Changes")})  # {field: [old, new]}
    detail: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Details")})

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.model} {self.record_id}".rstrip()
