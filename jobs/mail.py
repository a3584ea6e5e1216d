"""Mail jobs: deliver a dispatched answer to the regional center; poll the intake mailbox; the daily digest."""

from __future__ import annotations

import logging

from jobs import app_context, default_locale, portal_job
from portal.services import dispatch, mailbox, notifications

log = logging.getLogger(__name__)


@portal_job
def send_answer_mail(mail_id: int) -> str:
    """Send outgoing mail ``mail_id`` (never twice); a failure is recorded, then retried with back-off."""
    return dispatch.deliver(mail_id)


def delivery_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: each attempt is recorded by ``deliver``; log when the retries are over."""
    with app_context(), default_locale():
        if not job.should_retry:
            log.warning("outgoing mail %s: delivery gave up: %s", job.args, exc_value)


@portal_job
def poll_mailbox() -> int:
    """One pass over IMAP_URL, then the next pass scheduled MAIL_POLL_SECONDS later."""
    try:
        results = mailbox.run_pass() if mailbox.configured() else []
        for result in results:
            log.info("intake: %s", result.line)
        return len(results)
    finally:
        mailbox.ensure_schedule(force=True)


@portal_job
def daily_digest_tick() -> int:
    """The morning's notifications: terms ending within 3 days, then a digest job per user who chose it."""
    from portal import digest_schedule
    from portal.extensions import db

    try:
        notifications.sweep_term_ending()
        db.session.commit()
        return digest_schedule.enqueue_digests(notifications.digest_recipients())
    finally:
        db.session.rollback()
        digest_schedule.ensure_digest_schedule()


@portal_job
def send_digest(user_id: int) -> int:
    """E-mail user ``user_id`` their unread notifications (each one once); returns how many."""
    return notifications.send_digest(user_id)
