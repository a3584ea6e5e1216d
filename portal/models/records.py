"""Records that outlive the machine: backups, applicants' audit keys, retention proposals."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import LabeledEnum, Model, UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from portal.models.users import User


class BackupState(LabeledEnum):
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class ProposalState(LabeledEnum):
    PROPOSED = "proposed"  # waits for the director
    CONFIRMED = "confirmed"  # the director agreed; the job is anonymising
    DONE = "done"
    DISMISSED = "dismissed"


class BackupRun(Model):
    """One backup attempt (CLI or the nightly job): where its archive went, how big, or why it failed."""

    __tablename__ = "backup_run"
    __table_args__ = (sa.Index("ix_backup_run_started", "started_at", "id"),)  # the latest backup (home page)
    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Started at")})
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Finished at")})
    state: Mapped[BackupState] = mapped_column(
        enum_column(BackupState), default=BackupState.RUNNING, info={"label": _l("State")}
    )
    trigger: Mapped[str] = mapped_column(sa.String(16), default="cli", info={"label": _l("Started by")})
    path: Mapped[str] = mapped_column(sa.String(500), default="", info={"label": _l("Archive")})
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0, info={"label": _l("Size, bytes")})
    message: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Outcome")})

    def __str__(self) -> str:
        return f"#{self.id} {self.started_at:%Y-%m-%d %H:%M}" if self.started_at else f"#{self.id}"


class ApplicantKey(Model):
    """The key that seals one applicant's personal values in the audit log; anonymisation deletes it."""

    __tablename__ = "applicant_key"
    applicant_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # no FK: see pii
    key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnonymisationProposal(Model):
    """Applicants whose appeals were all closed before ``cutoff``: proposed by the job, decided by the director."""

    __tablename__ = "anonymisation_proposal"
    __table_args__ = (sa.Index("ix_anonymisation_proposal_state", "state", "id"),)  # the pending one
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Proposed at")})
    cutoff: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Closed before")})
    applicant_ids: Mapped[list] = mapped_column(sa.JSON, default=list, info={"label": _l("Applicants")})
    appeal_count: Mapped[int] = mapped_column(default=0, info={"label": _l("Appeals")})
    state: Mapped[ProposalState] = mapped_column(
        enum_column(ProposalState), default=ProposalState.PROPOSED, info={"label": _l("State")}
    )
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Decided by")})
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Decided at")})
    done_count: Mapped[int] = mapped_column(default=0, info={"label": _l("Anonymised")})
    message: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Outcome")})

    decided_by: Mapped[User | None] = relationship(info={"label": _l("Decided by")})

    def __str__(self) -> str:
        return f"#{self.id} ({self.cutoff:%d.%m.%Y})" if self.cutoff else f"#{self.id}"


class AnonymisedApplicant(Model):
    """An applicant whose personal data was removed under the retention rule (never proposed again)."""

    __tablename__ = "anonymised_applicant"
    applicant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("applicant.id"), primary_key=True, autoincrement=False, info={"label": _l("Applicant")}
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("anonymisation_proposal.id"), info={"label": _l("Proposal")}
    )
    anonymised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("Anonymised at")})

    def __str__(self) -> str:
        return f"#{self.applicant_id}"


def _register_labels() -> None:
    from portal.labels import ENUM_LABELS

    ENUM_LABELS.update(
        {
            "BackupState.running": _l("Running"),
            "BackupState.finished": _l("Done"),
            "BackupState.failed": _l("Failed"),
            "ProposalState.proposed": _l("Waiting for the director"),
            "ProposalState.confirmed": _l("Confirmed, in progress"),
            "ProposalState.done": _l("Anonymised"),
            "ProposalState.dismissed": _l("Dismissed"),
        }
    )


_register_labels()
