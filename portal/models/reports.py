"""Report runs: one row per RQ job, keyed by the job id."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import JobState, ReportKind


class ReportRun(TimestampMixin, db.Model):
    __tablename__ = "report_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    message: Mapped[str] = mapped_column(sa.Text, default="")
    file_path: Mapped[str] = mapped_column(sa.String(500), default="")
    requested_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    requested_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return self.title or f"{self.kind} #{self.id}"
