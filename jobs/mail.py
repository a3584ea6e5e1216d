"""Mail jobs: deliver a dispatched answer to the regional center; poll the intake mailbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from jobs import app_context, default_locale, portal_job
from portal.models.base import utcnow

log = logging.getLogger(__name__)

POLL_JOB_ID = "portal-mailbox-poll"


@portal_job(
    timeout=5 * 60,
    result_ttl=7 * 24 * 3600,
    retries=4,
    retry_intervals_setting="MAIL_RETRY_INTERVALS",
    on_failure="jobs.mail.delivery_failed",
)
def send_answer_mail(mail_id: int) -> str:
    """Send outgoing mail ``mail_id`` (never twice); a failure is recorded, then retried with back-off."""
    from portal.services import dispatch

    return dispatch.deliver(mail_id)


def delivery_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: the attempt is recorded by ``deliver``; log the end of the retries."""
    with app_context(), default_locale():
        if not job.should_retry:
            log.warning("outgoing mail %s: delivery gave up: %s", job.args, exc_value)


@portal_job(timeout=10 * 60, result_ttl=3600, failure_ttl=24 * 3600)
def poll_mailbox() -> int:
    """One pass over IMAP_URL, then the next pass scheduled MAIL_POLL_SECONDS later."""
    from portal.services import mailbox

    try:
        if not current_app.config.get("IMAP_URL"):
            return 0
        results = mailbox.run_pass()
        for result in results:
            log.info("intake: %s", result.line)
        return len(results)
    finally:
        ensure_mailbox_schedule(force=True)


def ensure_mailbox_schedule(force: bool = False):
    """Keep one scheduled poll in the queue while IMAP_URL is set; returns when it runs (UTC)."""
    from rq.registry import ScheduledJobRegistry

    from jobs import enqueue, get_queue

    if not current_app.config.get("IMAP_URL"):
        return None
    if not force:
        scheduled = ScheduledJobRegistry(queue=get_queue()).get_job_ids()
        if any(job_id.startswith(POLL_JOB_ID) for job_id in scheduled):
            return None
    when = utcnow() + timedelta(seconds=int(current_app.config.get("MAIL_POLL_SECONDS") or 300))
    enqueue(poll_mailbox, job_id=f"{POLL_JOB_ID}-{when:%Y%m%d%H%M%S}", at=when)
    return when
