"""Citizens' appeals and everything under them."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import Model, TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.models.enums import (
    OPEN_STATUSES,
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

if TYPE_CHECKING:
    from portal.models.org import Executor
    from portal.models.reference import Direction, PrivilegeCategory, ResultCode, SocialStatus, Topic
    from portal.models.users import User


class Applicant(TimestampMixin, Model):
    """The person or organisation behind an appeal. Personal data: every view is logged."""

    __tablename__ = "applicant"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(
        sa.String(200), index=True, info={"label": _l("Full name")}
    )  # ПІБ or organisation
    address: Mapped[str] = mapped_column(sa.String(300), default="", info={"label": _l("Address")})
    phone: Mapped[str] = mapped_column(sa.String(50), default="", index=True, info={"label": _l("Phone")})
    phone2: Mapped[str] = mapped_column(sa.String(50), default="", info={"label": _l("Second phone")})
    email: Mapped[str] = mapped_column(sa.String(200), default="", index=True, info={"label": _l("E-mail")})
    sex: Mapped[Sex] = mapped_column(enum_column(Sex), default=Sex.UNKNOWN, info={"label": _l("Sex")})
    social_status_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("social_status.id"), info={"label": _l("Social status")}
    )
    privilege_category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("privilege_category.id"), info={"label": _l("Privilege category")}
    )

    social_status: Mapped[SocialStatus | None] = relationship(info={"label": _l("Social status")})
    privilege_category: Mapped[PrivilegeCategory | None] = relationship(info={"label": _l("Privilege category")})
    appeals: Mapped[list[Appeal]] = relationship(back_populates="applicant", info={"label": _l("Appeals")})

    def __str__(self) -> str:
        return self.full_name


class RegistrationCounter(Model):
    """Last registration number used per year (rows locked while numbering)."""

    __tablename__ = "registration_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, info={"label": _l("Year")})
    last_number: Mapped[int] = mapped_column(default=0, info={"label": _l("Last number")})


class OutgoingCounter(Model):
    """Last number of the outgoing journal per year (rows locked while numbering, like registration)."""

    __tablename__ = "outgoing_counter"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, info={"label": _l("Year")})
    last_number: Mapped[int] = mapped_column(default=0, info={"label": _l("Last number")})


def _received_default(context):
    """An appeal registered without a receipt moment was received when it was registered."""
    if context is None:  # called outside an INSERT (bulk loaders ask for Python-side defaults)
        return utcnow()
    return context.get_current_parameters().get("registered_at") or utcnow()


class Appeal(TimestampMixin, Model):
    __tablename__ = "appeal"
    __table_args__ = (
        sa.Index("ix_appeal_status_due", "status", "due_date"),
        sa.Index("ix_appeal_registered", "registered_at", "id"),
        # weekly analysis: closed in a range, and open-at-week's-end checks
        sa.Index("ix_appeal_closed_reg_due", "closed_at", "registered_at", "due_date"),
        # weekly analysis by the answer: forwarded in a range, or not forwarded and sent in a range (or never)
        sa.Index("ix_appeal_forwarded_sent", "forwarded_at", "sent_at"),
        # a filtered list in its default order (newest first) is a walk along one of these
        sa.Index("ix_appeal_status_registered", "status", "registered_at", "id"),
        sa.Index("ix_appeal_channel_registered", "channel", "registered_at", "id"),
        # the privileged and executor-of-record filters in the default order, walked and counted by index
        sa.Index("ix_appeal_privileged_registered", "is_privileged", "registered_at", "id"),
        sa.Index("ix_appeal_main_executor_registered", "main_executor_id", "registered_at", "id"),
        # the list sorted by due date, with the id as the keyset tie-breaker
        sa.Index("ix_appeal_due_id", "due_date", "id"),
        # (status, is_privileged DESC, due_date, id): below the class (a descending column)
        # an executor's queues from the home page ("to accept", "in work": their own in one state), listed and
        # counted without reading every appeal the body ever had
        sa.Index("ix_appeal_main_executor_status", "main_executor_id", "status"),
        # a signer's scope (their direction, or routed to them) over open appeals: home page, work lists
        sa.Index("ix_appeal_direction_status_due", "direction_id", "status", "due_date"),
        sa.Index("ix_appeal_signer_status_due", "signer_id", "status", "due_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    reg_number: Mapped[str] = mapped_column(sa.String(32), unique=True, info={"label": _l("Registration No.")})
    registered_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, info={"label": _l("Registration date")}
    )
    # the moment of receipt (the e-mail's Date, or typed for paper and phone): the term runs from it
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=_received_default, info={"label": _l("Received at")}
    )
    ukc_date: Mapped[date | None] = mapped_column(sa.Date, info={"label": _l("GCC (1545) date")})
    regional_date: Mapped[date | None] = mapped_column(sa.Date, info={"label": _l("Regional center date")})
    sender_email: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Sender's e-mail")})
    # the incoming e-mail's Message-ID: intake never registers the same message twice
    message_id: Mapped[str] = mapped_column(
        sa.String(255), default="", index=True, info={"label": _l("Message-ID of the e-mail")}
    )
    paper_copy_sent_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": _l("Paper copy sent on")})
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), info={"label": _l("Channel")})
    ukc_number: Mapped[str] = mapped_column(
        sa.String(32), default="", index=True, info={"label": _l("GCC (1545) No.")}
    )  # УКЦ/1545
    regional_number: Mapped[str] = mapped_column(
        sa.String(32), default="", index=True, info={"label": _l("Regional center No.")}
    )  # обласний КЦ
    applicant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("applicant.id"), index=True, info={"label": _l("Applicant")}
    )
    appeal_type: Mapped[AppealType] = mapped_column(enum_column(AppealType), info={"label": _l("Appeal type")})
    subject: Mapped[AppealSubject] = mapped_column(
        enum_column(AppealSubject), default=AppealSubject.INDIVIDUAL, info={"label": _l("Appeal subject")}
    )
    sign: Mapped[ReceiptSign] = mapped_column(
        enum_column(ReceiptSign), default=ReceiptSign.PRIMARY, info={"label": _l("Receipt sign")}
    )
    topic_id: Mapped[int | None] = mapped_column(sa.ForeignKey("topic.id"), index=True, info={"label": _l("Topic")})
    direction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("direction.id"), info={"label": _l("Direction")})
    summary: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Summary")})  # короткий зміст
    content: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Content")})
    signed_by_applicant: Mapped[bool] = mapped_column(
        default=True, info={"label": _l("Signed and dated by the applicant")}
    )  # Art. 5: signature and date
    status: Mapped[AppealStatus] = mapped_column(
        enum_column(AppealStatus), default=AppealStatus.REGISTERED, info={"label": _l("Status")}
    )
    # indexed as the first column of ix_appeal_privileged_registered
    is_privileged: Mapped[bool] = mapped_column(
        default=False, info={"label": _l("Privileged applicant")}
    )  # copied from the applicant
    term_days: Mapped[int] = mapped_column(default=30, info={"label": _l("Term, days")})
    due_date: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Due date")})  # see ix_appeal_due_id
    repeat_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("appeal.id"), info={"label": _l("Repeat of")})
    signer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Signer")})
    rework_count: Mapped[int] = mapped_column(default=0, info={"label": _l("Reworks")})
    decision_reason: Mapped[str] = mapped_column(
        sa.Text, default="", info={"label": _l("Reason of the decision")}
    )  # Art. 5 return / Art. 8 refusal
    forwarded_to: Mapped[str] = mapped_column(sa.String(300), default="", info={"label": _l("Forwarded to")})
    applicant_notified_on: Mapped[date | None] = mapped_column(sa.Date, info={"label": _l("Applicant notified on")})
    # the day of forwarding by competence counts for timeliness like a dispatch (Art. 20)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Forwarded at")})
    reopen_count: Mapped[int] = mapped_column(default=0, server_default="0", info={"label": _l("Reopened")})
    outgoing_number: Mapped[str] = mapped_column(sa.String(32), default="", info={"label": _l("Outgoing No.")})
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Sent at")})
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        enum_column(DeliveryStatus), info={"label": _l("Delivery status")}
    )
    paper_copy_sent: Mapped[bool] = mapped_column(default=False, info={"label": _l("Paper copy sent")})
    result_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("result_code.id"), info={"label": _l("Result")})
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Closed at")})
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Registered by")})
    # the sequence part of reg_number, so that a clerk typing "125" finds "П-000125/26" by index
    reg_seq: Mapped[int | None] = mapped_column(index=True, info={"label": _l("Sequence No.")})
    # the responsible (first) executor of the current resolution, denormalised for lists and filters
    # indexed as the first column of ix_appeal_main_executor_registered (and …_main_executor_status)
    main_executor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("executor.id"), info={"label": _l("Executor of record")}
    )

    applicant: Mapped[Applicant | None] = relationship(back_populates="appeals", info={"label": _l("Applicant")})
    topic: Mapped[Topic | None] = relationship(info={"label": _l("Topic")})
    direction: Mapped[Direction | None] = relationship(info={"label": _l("Direction")})
    repeat_of: Mapped[Appeal | None] = relationship(remote_side=[id], info={"label": _l("Repeat of")})
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_id], info={"label": _l("Signer")})
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id], info={"label": _l("Registered by")})
    result_code: Mapped[ResultCode | None] = relationship(info={"label": _l("Result")})
    main_executor: Mapped[Executor | None] = relationship(info={"label": _l("Executor of record")})
    issues: Mapped[list[AppealIssue]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Issues")}
    )
    resolutions: Mapped[list[Resolution]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Resolutions")}
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="appeal",
        cascade="all, delete-orphan",
        order_by="Assignment.position",
        info={"label": _l("Assignments")},
    )
    answers: Mapped[list[Answer]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Answers")}
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Attachments")}
    )
    feedback: Mapped[list[FeedbackProof]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Feedback with the applicant")}
    )
    extensions: Mapped[list[TermExtension]] = relationship(
        back_populates="appeal", cascade="all, delete-orphan", info={"label": _l("Term extensions")}
    )
    # exchange imports this module: importing OutgoingMail back would be a cycle (tests/test_import_graph.py)
    outgoing_mail: Mapped[list[OutgoingMail]] = relationship(  # type: ignore[name-defined]  # noqa: F821
        back_populates="appeal",
        cascade="all, delete-orphan",
        order_by="OutgoingMail.id",
        info={"label": _l("Outgoing e-mail")},
    )
    transitions: Mapped[list[StatusChange]] = relationship(
        back_populates="appeal",
        cascade="all, delete-orphan",
        order_by="StatusChange.at",
        info={"label": _l("Workflow history")},
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __str__(self) -> str:
        return f"№ {self.reg_number}"


# home page: open appeals counted by state, privilege and term in one pass over this index alone; a work list
# of one state (several: one ordered read per state, merged) read in its legal order without a sort
# (admin_views.appeals WORK_LIST_ORDER: privileged first, then the earliest term, then the id)
sa.Index("ix_appeal_status_privileged_due", Appeal.status, Appeal.is_privileged.desc(), Appeal.due_date, Appeal.id)


class AppealIssue(Model):
    """One issue (питання) raised in an appeal; an appeal may raise several."""

    __tablename__ = "appeal_issue"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    topic_id: Mapped[int] = mapped_column(sa.ForeignKey("topic.id"), info={"label": _l("Topic")})
    text: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Text")})

    appeal: Mapped[Appeal] = relationship(back_populates="issues", info={"label": _l("Appeal")})
    topic: Mapped[Topic] = relationship(info={"label": _l("Topic")})

    def __str__(self) -> str:
        return str(self.topic) if self.topic else f"#{self.id}"


class Resolution(TimestampMixin, Model):
    """The signer's resolution naming the executors."""

    __tablename__ = "resolution"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Signer")})
    text: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Resolution text")})
    resolved_on: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Resolution date")})
    deadline: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Deadline")})

    appeal: Mapped[Appeal] = relationship(back_populates="resolutions", info={"label": _l("Appeal")})
    signer: Mapped[User] = relationship(info={"label": _l("Signer")})
    assignments: Mapped[list[Assignment]] = relationship(back_populates="resolution", info={"label": _l("Assignments")})

    def __str__(self) -> str:
        return f"{self.appeal}: {self.resolved_on:%d.%m.%Y}" if self.resolved_on else str(self.appeal)


class Assignment(TimestampMixin, Model):
    """An executor named in a resolution, in order: the first one is responsible."""

    __tablename__ = "assignment"
    __table_args__ = (
        sa.Index("ix_assignment_executor_appeal", "executor_id", "appeal_id"),
        # an executor body's open appeals (home page counts, work lists) read from its open assignments
        # alone: a body has years of assignments (1.2 million at ten million appeals), a few thousand open
        # (the role: the home page's co-executions; the mark itself: SQLite then answers a probe from the index
        # alone, and only then prefers it to the index above)
        sa.Index(
            "ix_assignment_open_executor",
            "executor_id",
            "appeal_id",
            "executor_role",
            "appeal_open",
            postgresql_where=sa.text("appeal_open"),
            sqlite_where=sa.text("appeal_open = 1"),  # as SQLAlchemy writes the clause there
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    # the appeal is open (OPEN_STATUSES), kept with every status change (portal.services.open_marks)
    appeal_open: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), info={"label": _l("The appeal is open")}
    )
    resolution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resolution.id"), info={"label": _l("Resolution")})
    executor_id: Mapped[int] = mapped_column(sa.ForeignKey("executor.id"), info={"label": _l("Executor")})
    position: Mapped[int] = mapped_column(default=1, info={"label": _l("No. in order")})
    executor_role: Mapped[ExecutorRole] = mapped_column(
        enum_column(ExecutorRole), default=ExecutorRole.RESPONSIBLE, info={"label": _l("Executor role")}
    )
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_column(AssignmentStatus), default=AssignmentStatus.NEW, info={"label": _l("Status")}
    )
    due_date: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Due date")})
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Accepted at")})
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Answered at")})

    appeal: Mapped[Appeal] = relationship(back_populates="assignments", info={"label": _l("Appeal")})
    resolution: Mapped[Resolution | None] = relationship(back_populates="assignments", info={"label": _l("Resolution")})
    executor: Mapped[Executor] = relationship(info={"label": _l("Executor")})

    @property
    def is_main(self) -> bool:
        return self.executor_role == "responsible"

    def __str__(self) -> str:
        return f"{self.executor} — {self.appeal}"


class Answer(TimestampMixin, Model):
    """A drafted answer: to the regional center (appendix 1) or to the applicant (appendix 2)."""

    __tablename__ = "answer"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment.id"), info={"label": _l("Assignment")})
    kind: Mapped[AnswerKind] = mapped_column(enum_column(AnswerKind), info={"label": _l("Addressee")})
    body: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Text")})
    drafted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Drafted by")})
    signed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Signed by")})
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Signed at")})
    outgoing_number: Mapped[str] = mapped_column(sa.String(32), default="", info={"label": _l("Outgoing No.")})

    appeal: Mapped[Appeal] = relationship(back_populates="answers", info={"label": _l("Appeal")})
    assignment: Mapped[Assignment | None] = relationship(info={"label": _l("Assignment")})
    drafted_by: Mapped[User | None] = relationship(foreign_keys=[drafted_by_id], info={"label": _l("Drafted by")})
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id], info={"label": _l("Signed by")})

    def __str__(self) -> str:
        return f"{self.appeal} ({self.kind})"


class Attachment(TimestampMixin, Model):
    """A file kept with an appeal (incoming e-mail, answer, scan, proof of feedback)."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    kind: Mapped[AttachmentKind] = mapped_column(
        enum_column(AttachmentKind), default=AttachmentKind.OTHER, info={"label": _l("Kind of file")}
    )
    filename: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File name")})
    content_type: Mapped[str] = mapped_column(
        sa.String(100), default="application/octet-stream", info={"label": _l("File type")}
    )
    size: Mapped[int] = mapped_column(default=0, info={"label": _l("Size, bytes")})
    storage_key: Mapped[str] = mapped_column(
        sa.String(255), unique=True, info={"label": _l("Storage key")}
    )  # path under FILES_DIR
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Uploaded by")})

    appeal: Mapped[Appeal] = relationship(back_populates="attachments", info={"label": _l("Appeal")})
    uploaded_by: Mapped[User | None] = relationship(info={"label": _l("Uploaded by")})

    def __str__(self) -> str:
        return self.filename


class FeedbackProof(TimestampMixin, Model):
    """Proof of feedback with the applicant: how, when and with what result."""

    __tablename__ = "feedback_proof"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    method: Mapped[FeedbackMethod] = mapped_column(enum_column(FeedbackMethod), info={"label": _l("Feedback method")})
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime, info={"label": _l("Contacted at")})
    result: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Feedback result")})
    attachment_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("attachment.id"), info={"label": _l("Supporting file")}
    )

    appeal: Mapped[Appeal] = relationship(back_populates="feedback", info={"label": _l("Appeal")})
    attachment: Mapped[Attachment | None] = relationship(info={"label": _l("Supporting file")})

    def __str__(self) -> str:
        return f"{self.method} {self.contacted_at:%d.%m.%Y}" if self.contacted_at else str(self.method)


class TermExtension(TimestampMixin, Model):
    """A term extension set by the head: reason and the date the applicant was notified."""

    __tablename__ = "term_extension"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    old_due_date: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Previous due date")})
    new_due_date: Mapped[date] = mapped_column(sa.Date, info={"label": _l("New due date")})
    reason: Mapped[str] = mapped_column(sa.Text, info={"label": _l("Reason")})
    applicant_notified_on: Mapped[date] = mapped_column(sa.Date, info={"label": _l("Applicant notified on")})
    extended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Extended by")})

    appeal: Mapped[Appeal] = relationship(back_populates="extensions", info={"label": _l("Appeal")})
    extended_by: Mapped[User | None] = relationship(info={"label": _l("Extended by")})

    def __str__(self) -> str:
        return f"{self.old_due_date:%d.%m.%Y} → {self.new_due_date:%d.%m.%Y}"


class StatusChange(Model):
    """One step of the appeal workflow (kept for reports: reworks, timeliness)."""

    __tablename__ = "status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    from_status: Mapped[AppealStatus | None] = mapped_column(
        enum_column(AppealStatus, name="from_status"), info={"label": _l("From state")}
    )
    to_status: Mapped[AppealStatus] = mapped_column(
        enum_column(AppealStatus, name="to_status"), info={"label": _l("To state")}
    )
    # not indexed: a history is read by its appeal (ix_status_change_appeal_id) and sorted in memory
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("When")})
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Who")})
    comment: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Comment")})

    appeal: Mapped[Appeal] = relationship(back_populates="transitions", info={"label": _l("Appeal")})
    user: Mapped[User | None] = relationship(info={"label": _l("Who")})

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class AppealSearch(Model):
    """The search document of an appeal (``portal.services.search``), indexed by FTS5 or a GIN index."""

    __tablename__ = "appeal_search"
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
        info={"label": _l("Appeal")},
    )
    terms: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Search terms")})
