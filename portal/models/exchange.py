"""The exchange with the regional contact center: intake drafts, outgoing mail, answer templates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import LabeledEnum, Model, TimestampMixin, UTCDateTime, enum_column, utcnow
from portal.models.enums import AnswerKind, DeliveryStatus

if TYPE_CHECKING:
    from portal.models.appeals import Appeal
    from portal.models.users import User


class IntakeSource(LabeledEnum):
    MAILBOX = "mailbox"  # fetched from PORTAL_IMAP_URL
    UPLOAD = "upload"  # an .eml uploaded by the clerk
    COMMAND = "command"  # flask intake eml
    UKC_BATCH = "ukc_batch"  # a row of a batch file exported from the УКЦ system


class IntakeState(LabeledEnum):
    DRAFT = "draft"  # waiting for the clerk to check and register
    REGISTERED = "registered"  # became an appeal
    DUPLICATE = "duplicate"  # its message or УКЦ number is registered already
    REJECTED = "rejected"  # not an appeal, malformed or too large: the reason says which
    DISMISSED = "dismissed"  # the clerk set it aside


class IntakeMessage(TimestampMixin, Model):
    """One incoming message or batch row and what became of it: the clerk's intake inbox."""

    __tablename__ = "intake_message"
    __table_args__ = (
        # the inbox: newest first within a state
        sa.Index("ix_intake_message_state_created", "state", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[IntakeSource] = mapped_column(enum_column(IntakeSource), info={"label": _l("Source")})
    state: Mapped[IntakeState] = mapped_column(
        enum_column(IntakeState), default=IntakeState.DRAFT, info={"label": _l("State")}
    )
    # idempotence: a Message-ID seen once is never made into a second draft
    message_id: Mapped[str] = mapped_column(sa.String(255), default="", index=True, info={"label": _l("Message-ID")})
    ukc_number: Mapped[str] = mapped_column(sa.String(32), default="", index=True, info={"label": _l("GCC (1545) No.")})
    subject: Mapped[str] = mapped_column(sa.String(500), default="", info={"label": _l("Subject")})
    sender: Mapped[str] = mapped_column(sa.String(200), default="", info={"label": _l("Sender")})
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Received at")})
    reason: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Reason")})
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict, info={"label": _l("Draft fields")})
    raw_key: Mapped[str] = mapped_column(
        sa.String(255), default="", info={"label": _l("Original message")}
    )  # path of the kept original under FILES_DIR
    raw_size: Mapped[int] = mapped_column(default=0, info={"label": _l("Size, bytes")})
    appeal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("appeal.id"), index=True, info={"label": _l("Appeal")}
    )  # the appeal it became, or the one it duplicates
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Taken in by")})

    appeal: Mapped[Appeal | None] = relationship(info={"label": _l("Appeal")})
    created_by: Mapped[User | None] = relationship(info={"label": _l("Taken in by")})

    def __str__(self) -> str:
        return self.subject or self.ukc_number or f"#{self.id}"


class OutgoingMail(TimestampMixin, Model):
    """The e-mail of a dispatched answer to the regional center: sent once per appeal and outgoing No."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (sa.UniqueConstraint("appeal_id", "outgoing_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), index=True, info={"label": _l("Appeal")}
    )
    outgoing_number: Mapped[str] = mapped_column(sa.String(32), info={"label": _l("Outgoing No.")})
    recipient: Mapped[str] = mapped_column(sa.String(200), info={"label": _l("Recipient")})
    subject: Mapped[str] = mapped_column(sa.String(500), info={"label": _l("Subject")})
    message_id: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("Message-ID")})
    state: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus), default=DeliveryStatus.PENDING, info={"label": _l("Delivery status")}
    )
    attempts: Mapped[int] = mapped_column(default=0, info={"label": _l("Attempts")})
    reply: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Server reply")})
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, info={"label": _l("Delivered at")})
    attachment_ids: Mapped[list] = mapped_column(sa.JSON, default=list, info={"label": _l("Attachments")})

    appeal: Mapped[Appeal] = relationship(back_populates="outgoing_mail", info={"label": _l("Appeal")})
    tries: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="mail",
        cascade="all, delete-orphan",
        order_by="DeliveryAttempt.id",
        info={"label": _l("Delivery history")},
    )

    def __str__(self) -> str:
        return self.subject


class DeliveryAttempt(Model):
    """One attempt to hand the e-mail to the SMTP server, with its reply."""

    __tablename__ = "delivery_attempt"
    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outgoing_mail.id", ondelete="CASCADE"), index=True, info={"label": _l("E-mail")}
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, info={"label": _l("When")})
    ok: Mapped[bool] = mapped_column(default=False, info={"label": _l("Delivered")})
    reply: Mapped[str] = mapped_column(sa.Text, default="", info={"label": _l("Server reply")})

    mail: Mapped[OutgoingMail] = relationship(back_populates="tries", info={"label": _l("E-mail")})

    def __str__(self) -> str:
        return f"{self.mail}: {self.reply[:60]}"


class DocumentTemplate(TimestampMixin, Model):
    """A version of an answer template uploaded by the director; the newest one is used."""

    __tablename__ = "document_template"
    __table_args__ = (sa.UniqueConstraint("kind", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AnswerKind] = mapped_column(enum_column(AnswerKind), info={"label": _l("Addressee")})
    version: Mapped[int] = mapped_column(info={"label": _l("Version")})
    filename: Mapped[str] = mapped_column(sa.String(255), info={"label": _l("File name")})
    storage_key: Mapped[str] = mapped_column(sa.String(255), unique=True, info={"label": _l("Storage key")})
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), info={"label": _l("Uploaded by")})

    uploaded_by: Mapped[User | None] = relationship(info={"label": _l("Uploaded by")})

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"
