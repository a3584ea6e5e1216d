"""Sending the answer to the regional center (seed §5): once per appeal and outgoing number.

``dispatch`` (the workflow step) calls :func:`prepare`: both answers are rendered as DOCX and
kept with the appeal, and an :class:`OutgoingMail` row is made — one per appeal and outgoing
number, so a second dispatch finds it and sends nothing new. Once the transaction commits,
its delivery job is queued (a session hook: every caller, view, CLI or test, gets it). The
job calls :func:`deliver`, which locks the row, sends only when it is not delivered yet,
and records every attempt with the SMTP server's reply.
"""

from __future__ import annotations

import email.policy
import io
import logging
import re
from datetime import UTC
from email.message import EmailMessage
from email.utils import format_datetime as rfc2822_date

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal import documents, mail, queue
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.appeals import Appeal, Attachment
from portal.models.base import utcnow
from portal.models.enums import AnswerKind, AttachmentKind, DeliveryStatus
from portal.models.exchange import DeliveryAttempt, OutgoingMail
from portal.services import attachments
from portal.services.errors import DomainError
from portal.services.intake import FILES_KEY, discard_files, remember_file

log = logging.getLogger(__name__)

PENDING_KEY = "portal_outgoing_mail"  # session.info: rows whose job starts after the commit
PENDING_IDS_KEY = "portal_outgoing_mail_ids"  # … and their ids, known once flushed
DELIVERY_JOB = "jobs.mail.send_answer_mail"
# Python's header folding drops the space between two encoded words of a Cyrillic subject
# ("звернення УКЦ" arrives as "зверненняУКЦ"); headers of up to 998 characters are not folded.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


def regional_center_address() -> str:
    address = (current_app.config.get("REGIONAL_CENTER_EMAIL") or "").strip()
    if not address:
        raise DomainError(_l("The regional center's e-mail address is not configured (PORTAL_REGIONAL_CENTER_EMAIL)."))
    return address


def subject_for(appeal: Appeal, outgoing_number: str) -> str:
    """The subject carries the outgoing and the УКЦ numbers (in the portal's language, whoever sends)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if appeal.ukc_number:
            return str(
                _l(
                    "Answer to GCC appeal No. %(ukc)s, outgoing No. %(number)s of %(date)s",
                    ukc=appeal.ukc_number,
                    number=outgoing_number,
                    date=kyiv_today().strftime("%d.%m.%Y"),
                )
            )
        return str(
            _l("Answer to appeal %(reg)s, outgoing No. %(number)s", reg=appeal.reg_number, number=outgoing_number)
        )


def _message_id(appeal: Appeal, outgoing_number: str) -> str:
    # the same id on every attempt: a receiving server that saw it can drop a repeat
    domain = mail.sender_address().rpartition("@")[2] or "localhost"
    # ASCII only: a Message-ID with Cyrillic (an outgoing number «ВИХ-…») cannot go over SMTP
    number = re.sub(r"[^A-Za-z0-9-]+", "-", outgoing_number).strip("-") or "0"
    return f"<answer-{appeal.id}-{number}@{domain}>"


def _keep_docx(appeal: Appeal, kind: AnswerKind, user) -> Attachment:
    data = documents.render_answer(appeal, kind)
    upload = FileStorage(io.BytesIO(data), filename=documents.answer_filename(appeal, kind))
    saved = attachments.save_upload(appeal, upload, kind=AttachmentKind.ANSWER, user=user)
    saved.content_type = documents.DOCX_MIMETYPE
    remember_file(attachments.path_of(saved))
    return saved


def latest_scan(appeal: Appeal) -> Attachment | None:
    scans = [a for a in appeal.attachments if AttachmentKind(a.kind) == AttachmentKind.SCAN]
    return max(scans, key=lambda a: (a.created_at or utcnow(), a.id or 0)) if scans else None


def mail_for(appeal: Appeal, outgoing_number: str) -> OutgoingMail | None:
    query = sa.select(OutgoingMail).where(
        OutgoingMail.appeal_id == appeal.id, OutgoingMail.outgoing_number == outgoing_number
    )
    return db.session.execute(query).scalar_one_or_none()


def prepare(appeal: Appeal, *, user) -> OutgoingMail:
    """The e-mail of a dispatched appeal: the signed scan and both answers as DOCX; the caller commits."""
    number = appeal.outgoing_number
    with db.session.no_autoflush:
        existing = mail_for(appeal, number) if appeal.id is not None else None
    if existing is not None:
        return existing
    scan = latest_scan(appeal)
    if scan is None:
        raise DomainError(_l("Attach the signed scan of the answer first."), field="file")
    recipient = regional_center_address()
    files = [scan] + [_keep_docx(appeal, kind, user) for kind in AnswerKind]
    db.session.flush()
    outgoing = OutgoingMail(
        appeal=appeal,
        outgoing_number=number,
        recipient=recipient,
        subject=subject_for(appeal, number),
        message_id=_message_id(appeal, number),
        state=DeliveryStatus.PENDING,
        attachment_ids=[f.id for f in files],
    )
    db.session.add(outgoing)
    appeal.delivery_status = DeliveryStatus.PENDING
    db.session.info.setdefault(PENDING_KEY, []).append(outgoing)
    return outgoing


def retry(appeal: Appeal) -> OutgoingMail:
    """Queue the failed e-mail of ``appeal`` again (after the commit); the caller commits."""
    outgoing = appeal.outgoing_mail[-1] if appeal.outgoing_mail else None
    if outgoing is None:
        raise DomainError(_l("This appeal has no e-mail to send."))
    if DeliveryStatus(outgoing.state) == DeliveryStatus.SENT:
        raise DomainError(_l("The answer was delivered already; it is not sent twice."))
    outgoing.state = DeliveryStatus.PENDING
    appeal.delivery_status = DeliveryStatus.PENDING
    db.session.info.setdefault(PENDING_KEY, []).append(outgoing)
    return outgoing


# --- the message and its delivery (the job) ------------------------------------------------------


def build_message(outgoing: OutgoingMail) -> EmailMessage:
    appeal = outgoing.appeal
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = mail.sender_address()
    message["To"] = outgoing.recipient
    message["Subject"] = outgoing.subject
    message["Message-ID"] = outgoing.message_id
    message["Date"] = rfc2822_date(utcnow().astimezone(UTC))
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = _l(
            "Good day!\n\nPlease find attached the signed answer (outgoing No. %(number)s) to the appeal "
            "No. %(ukc)s (our registration No. %(reg)s): the scan of the signed letter, the answer to the regional "
            "center and the answer to the applicant.\nThe paper copies follow by post.\n",
            number=outgoing.outgoing_number,
            ukc=appeal.ukc_number or "—",
            reg=appeal.reg_number,
        )
        message.set_content(str(body))
    by_id = {a.id: a for a in appeal.attachments}
    for attachment_id in outgoing.attachment_ids:
        item = by_id.get(attachment_id)
        if item is None:
            raise DomainError(_l("A file of the e-mail is no longer kept with the appeal."))
        with open(attachments.path_of(item), "rb") as fh:
            data = fh.read()
        maintype, _, subtype = (item.content_type or "application/octet-stream").partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=item.filename)
    return message


def deliver(mail_id: int) -> str:
    """Send the e-mail ``mail_id`` unless it is delivered; record the attempt. Commits; raises on failure."""
    query = sa.select(OutgoingMail).where(OutgoingMail.id == mail_id).with_for_update()
    outgoing = db.session.execute(query).scalar_one_or_none()
    if outgoing is None:
        db.session.rollback()
        return "gone"
    if DeliveryStatus(outgoing.state) == DeliveryStatus.SENT:
        db.session.rollback()
        return "delivered already"
    appeal = outgoing.appeal
    outgoing.attempts = (outgoing.attempts or 0) + 1
    try:
        reply = mail.send(build_message(outgoing))
    except (mail.MailError, DomainError, OSError) as exc:
        reply = str(exc)[:2000]
        outgoing.state = DeliveryStatus.FAILED
        outgoing.reply = reply
        appeal.delivery_status = DeliveryStatus.FAILED
        db.session.add(DeliveryAttempt(mail=outgoing, ok=False, reply=reply))
        db.session.commit()
        raise DeliveryFailed(reply) from exc
    outgoing.state = DeliveryStatus.SENT
    outgoing.reply = reply[:2000]
    outgoing.delivered_at = utcnow()
    appeal.delivery_status = DeliveryStatus.SENT
    db.session.add(DeliveryAttempt(mail=outgoing, ok=True, reply=reply[:2000]))
    db.session.commit()
    return reply


class DeliveryFailed(RuntimeError):
    """The SMTP server was unreachable or refused the e-mail (retried with back-off)."""


def failure_text(outgoing: OutgoingMail) -> str:
    """A clear Ukrainian line for the card: what went wrong and what happens next."""
    return str(
        _l(
            "The e-mail to the regional center was not delivered (attempt %(n)s): %(reply)s. "
            "It is retried automatically; the clerk can also send it again.",
            n=outgoing.attempts,
            reply=outgoing.reply or "—",
        )
    )


# --- after the commit: queue the jobs; after a rollback: remove the files -----------------------------


def queue_delivery(mail_id: int) -> None:
    try:
        queue.enqueue(DELIVERY_JOB, mail_id)
    except Exception as exc:  # Redis down: the row stays pending; the clerk sends it again
        log.warning("cannot queue the delivery of outgoing mail %s: %s", mail_id, exc)


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session, flush_context) -> None:
    pending = session.info.get(PENDING_KEY)
    if pending:
        ids = session.info.setdefault(PENDING_IDS_KEY, [])
        ids += [m.id for m in pending if m.id is not None and m.id not in ids]


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(FILES_KEY, None)
    session.info.pop(PENDING_KEY, None)
    for mail_id in session.info.pop(PENDING_IDS_KEY, []):
        queue_delivery(mail_id)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(PENDING_IDS_KEY, None)
    discard_files(session.info.pop(FILES_KEY, []))
