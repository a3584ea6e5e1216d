"""Report runs: one row per RQ job, keyed by the job id."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Model, TimestampMixin, UTCDateTime, enum_column
from portal.models.enums import JobState, ReportKind

if TYPE_CHECKING:
    from portal.models.users import User


class ReportRun(TimestampMixin, Model):
    __tablename__ = "report_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(64), unique=True, info={"label": _l("Queue job")})
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind), info={"label": _l("Report")})
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict, info={"label": _l("Report parameters")})
    title: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Report title")})
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED, info={"label": _l("State")})
    progress: Mapped[int] = mapped_column(default=0, info={"label": _l("Progress")})  # percent
    message: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Outcome")})
    file_path: Mapped[str] = mapped_column(sa.String(500), default="", info={"label": _l("Report file")})
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # the appeals the requester may read (portal.services.scope.scope_key); "" is every appeal
    scope_key: Mapped[str] = mapped_column(
        sa.String(100), default="", server_default="", index=True, info={"label": _l("Scope")}
    )
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Finished at")})

    requested_by: Mapped[User | None] = relationship(info={"label": _l("Requested by")})

    def __str__(self) -> str:
        return self.title or f"{self.kind} #{self.id}"
