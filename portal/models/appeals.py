"""Citizens' appeals and everything under them."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AppealSubject,
    AppealType,
    AssignmentStatus,
    AttachmentKind,
    Channel,
    DeliveryStatus,
    ExecutorRole,
    FeedbackMethod,
    ReceiptSign,
    Sex,
)


class Applicant(TimestampMixin, db.Model):
    """The person or organisation behind an appeal. Personal data: every view is logged."""

    __tablename__ = "applicant"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200), index=True)  # ПІБ or organisation
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="", index=True)
    phone2: Mapped[str] = mapped_column(sa.String(50), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    sex: Mapped[Sex] = mapped_column(enum_column(Sex), default=Sex.UNKNOWN)
    social_status_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("social_status.id"))
    privilege_category_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("privilege_category.id"))

    social_status: Mapped[Optional["SocialStatus"]] = relationship()  # noqa: F821
    privilege_category: Mapped[Optional["PrivilegeCategory"]] = relationship()  # noqa: F821
    appeals: Mapped[list["Appeal"]] = relationship(back_populates="applicant")

    def __str__(self) -> str:
        return self.full_name


class RegistrationCounter(db.Model):
    """Last registration number used per year (rows locked while numbering)."""

    __tablename__ = "registration_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class Appeal(TimestampMixin, db.Model):
    __tablename__ = "appeal"
    __table_args__ = (
        sa.Index("ix_appeal_status_due", "status", "due_date"),
        sa.Index("ix_appeal_registered", "registered_at", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reg_number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), index=True)
    ukc_number: Mapped[str] = mapped_column(sa.String(32), default="", index=True)  # УКЦ/1545
    regional_number: Mapped[str] = mapped_column(sa.String(32), default="", index=True)  # обласний КЦ
    applicant_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("applicant.id"), index=True)
    appeal_type: Mapped[AppealType] = mapped_column(enum_column(AppealType))
    subject: Mapped[AppealSubject] = mapped_column(enum_column(AppealSubject), default=AppealSubject.INDIVIDUAL)
    sign: Mapped[ReceiptSign] = mapped_column(enum_column(ReceiptSign), default=ReceiptSign.PRIMARY)
    topic_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("topic.id"), index=True)
    direction_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("direction.id"), index=True)
    summary: Mapped[str] = mapped_column(sa.String(500))  # короткий зміст
    content: Mapped[str] = mapped_column(sa.Text, default="")
    signed_by_applicant: Mapped[bool] = mapped_column(default=True)  # Art. 5: signature and date
    status: Mapped[AppealStatus] = mapped_column(enum_column(AppealStatus), default=AppealStatus.REGISTERED)
    is_privileged: Mapped[bool] = mapped_column(default=False, index=True)  # copied from the applicant
    term_days: Mapped[int] = mapped_column(default=30)
    due_date: Mapped[date] = mapped_column(sa.Date, index=True)
    repeat_of_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("appeal.id"))
    signer_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"), index=True)
    rework_count: Mapped[int] = mapped_column(default=0)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")  # Art. 5 return / Art. 8 refusal
    forwarded_to: Mapped[str] = mapped_column(sa.String(300), default="")
    applicant_notified_on: Mapped[Optional[date]] = mapped_column(sa.Date)
    outgoing_number: Mapped[str] = mapped_column(sa.String(32), default="")
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    delivery_status: Mapped[Optional[DeliveryStatus]] = mapped_column(enum_column(DeliveryStatus))
    paper_copy_sent: Mapped[bool] = mapped_column(default=False)
    result_code_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("result_code.id"))
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    applicant: Mapped[Optional[Applicant]] = relationship(back_populates="appeals")
    topic: Mapped[Optional["Topic"]] = relationship()  # noqa: F821
    direction: Mapped[Optional["Direction"]] = relationship()  # noqa: F821
    repeat_of: Mapped[Optional["Appeal"]] = relationship(remote_side=[id])
    signer: Mapped[Optional["User"]] = relationship(foreign_keys=[signer_id])  # noqa: F821
    created_by: Mapped[Optional["User"]] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    result_code: Mapped[Optional["ResultCode"]] = relationship()  # noqa: F821
    issues: Mapped[list["AppealIssue"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    resolutions: Mapped[list["Resolution"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    assignments: Mapped[list["Assignment"]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", order_by="Assignment.position"
    )
    answers: Mapped[list["Answer"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    attachments: Mapped[list["Attachment"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    feedback: Mapped[list["FeedbackProof"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    extensions: Mapped[list["TermExtension"]] = relationship(back_populates="appeal", cascade="all, delete-orphan")
    transitions: Mapped[list["StatusChange"]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", order_by="StatusChange.at"
    )

    def __str__(self) -> str:
        return f"№ {self.reg_number}"


class AppealIssue(db.Model):
    """One issue (питання) raised in an appeal; an appeal may raise several."""

    __tablename__ = "appeal_issue"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id"))
    text: Mapped[str] = mapped_column(sa.Text, default="")

    appeal: Mapped[Appeal] = relationship(back_populates="issues")
    topic: Mapped["Topic"] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return str(self.topic) if self.topic else f"#{self.id}"


class Resolution(TimestampMixin, db.Model):
    """The signer's resolution naming the executors."""

    __tablename__ = "resolution"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    resolved_on: Mapped[date] = mapped_column(sa.Date)
    deadline: Mapped[date] = mapped_column(sa.Date)

    appeal: Mapped[Appeal] = relationship(back_populates="resolutions")
    signer: Mapped["User"] = relationship()  # noqa: F821
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="resolution")

    def __str__(self) -> str:
        return f"{self.appeal}: {self.resolved_on:%d.%m.%Y}" if self.resolved_on else str(self.appeal)


class Assignment(TimestampMixin, db.Model):
    """An executor named in a resolution, in order: the first one is responsible."""

    __tablename__ = "assignment"
    __table_args__ = (sa.Index("ix_assignment_executor_appeal", "executor_id", "appeal_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    resolution_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("resolution.id"))
    executor_id: Mapped[int] = mapped_column(sa.ForeignKey("executor.id"))
    position: Mapped[int] = mapped_column(default=1)
    executor_role: Mapped[ExecutorRole] = mapped_column(enum_column(ExecutorRole), default=ExecutorRole.RESPONSIBLE)
    status: Mapped[AssignmentStatus] = mapped_column(enum_column(AssignmentStatus), default=AssignmentStatus.NEW)
    due_date: Mapped[date] = mapped_column(sa.Date)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    answered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    appeal: Mapped[Appeal] = relationship(back_populates="assignments")
    resolution: Mapped[Optional[Resolution]] = relationship(back_populates="assignments")
    executor: Mapped["Executor"] = relationship()  # noqa: F821

    @property
    def is_main(self) -> bool:
        return self.executor_role == "responsible"

    def __str__(self) -> str:
        return f"{self.executor} — {self.appeal}"


class Answer(TimestampMixin, db.Model):
    """A drafted answer: to the regional center (appendix 1) or to the applicant (appendix 2)."""

    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("assignment.id"))
    kind: Mapped[AnswerKind] = mapped_column(enum_column(AnswerKind))
    body: Mapped[str] = mapped_column(sa.Text)
    drafted_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    signed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    signed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    outgoing_number: Mapped[str] = mapped_column(sa.String(32), default="")

    appeal: Mapped[Appeal] = relationship(back_populates="answers")
    assignment: Mapped[Optional[Assignment]] = relationship()
    drafted_by: Mapped[Optional["User"]] = relationship(foreign_keys=[drafted_by_id])  # noqa: F821
    signed_by: Mapped[Optional["User"]] = relationship(foreign_keys=[signed_by_id])  # noqa: F821

    def __str__(self) -> str:
        return f"{self.appeal} ({self.kind})"


class Attachment(TimestampMixin, db.Model):
    """A file kept with an appeal (incoming e-mail, answer, scan, proof of feedback)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind), default=AttachmentKind.OTHER)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True)  # path under FILES_DIR
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    appeal: Mapped[Appeal] = relationship(back_populates="attachments")
    uploaded_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return self.filename


class FeedbackProof(TimestampMixin, db.Model):
    """Proof of feedback with the applicant: how, when and with what result."""

    __tablename__ = "feedback_proof"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    method: Mapped[FeedbackMethod] = mapped_column(enum_column(FeedbackMethod))
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    result: Mapped[str] = mapped_column(sa.Text)
    attachment_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("attachment.id"))

    appeal: Mapped[Appeal] = relationship(back_populates="feedback")
    attachment: Mapped[Optional[Attachment]] = relationship()

    def __str__(self) -> str:
        return f"{self.method} {self.contacted_at:%d.%m.%Y}" if self.contacted_at else str(self.method)


class TermExtension(TimestampMixin, db.Model):
    """A term extension set by the head: reason and the date the applicant was notified."""

    __tablename__ = "term_extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    old_due_date: Mapped[date] = mapped_column(sa.Date)
    new_due_date: Mapped[date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.Text)
    applicant_notified_on: Mapped[date] = mapped_column(sa.Date)
    extended_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    appeal: Mapped[Appeal] = relationship(back_populates="extensions")
    extended_by: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return f"{self.old_due_date:%d.%m.%Y} → {self.new_due_date:%d.%m.%Y}"


class StatusChange(db.Model):
    """One step of the appeal workflow (kept for reports: reworks, timeliness)."""

    __tablename__ = "status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[Optional[AppealStatus]] = mapped_column(enum_column(AppealStatus, name="from_status"))
    to_status: Mapped[AppealStatus] = mapped_column(enum_column(AppealStatus, name="to_status"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    appeal: Mapped[Appeal] = relationship(back_populates="transitions")
    user: Mapped[Optional["User"]] = relationship()  # noqa: F821

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
