"""One pass over the intake mailbox (``IMAP_URL``): the job and ``flask intake mailbox`` share it.

Each unseen message is taken in and committed on its own, and only then marked seen: a
crash between the two leaves it unseen, and the next pass finds its Message-ID known and
makes nothing new. A message that cannot be fetched stays unseen for the next pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from portal import mail, queue
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.exchange import IntakeSource
from portal.services import intake

log = logging.getLogger(__name__)

POLL_JOB = "jobs.mail.poll_mailbox"
POLL_JOB_ID = "portal-mailbox-poll"


def configured() -> bool:
    return bool(current_app.config.get("IMAP_URL"))


def ensure_schedule(force: bool = False):
    """Keep one scheduled poll in the queue while IMAP_URL is set; returns when it runs (UTC).

    The worker calls it at start; each poll schedules the next one (``force``).
    """
    from rq.registry import ScheduledJobRegistry

    if not configured():
        return None
    if not force:
        scheduled = ScheduledJobRegistry(queue=queue.get_queue()).get_job_ids()
        if any(job_id.startswith(POLL_JOB_ID) for job_id in scheduled):
            return None
    when = utcnow() + timedelta(seconds=int(current_app.config.get("MAIL_POLL_SECONDS") or 300))
    queue.enqueue(POLL_JOB, job_id=f"{POLL_JOB_ID}-{when:%Y%m%d%H%M%S}", at=when)
    return when


@dataclass
class PassResult:
    uid: str
    intake: intake.Intake | None = None
    error: str = ""

    @property
    def line(self) -> str:
        if self.intake is not None:
            return intake.summary_line(self.intake)
        return f"message {self.uid}: {self.error}"


def run_pass(url: str | None = None, *, limit: int = 200) -> list[PassResult]:
    """Take in every unseen message of the mailbox (at most ``limit``); commits per message."""
    results: list[PassResult] = []
    with mail.mailbox(url) as client:
        for uid in mail.unseen_uids(client)[:limit]:
            name = uid.decode()
            try:
                raw = mail.fetch(client, uid)
            except mail.MailError as exc:
                results.append(PassResult(name, error=str(exc)))
                continue
            try:
                made = intake.take_in(raw, source=IntakeSource.MAILBOX, filename=f"imap-{name}.eml")
                db.session.commit()
            except Exception as exc:  # the message stays unseen and is tried again next pass
                db.session.rollback()
                log.exception("intake of message %s failed", name)
                results.append(PassResult(name, error=str(exc)[:500]))
                continue
            mail.mark_seen(client, uid)
            results.append(PassResult(name, intake=made))
    return results
