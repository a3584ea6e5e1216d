"""The daily notifications job: every morning at ``DIGEST_HOUR`` (Kyiv) the term-ending sweep and the digests.

A scheduled job (``jobs.mail.daily_digest_tick``) keyed by the date it runs on does the day's work
and schedules the next day's; workers call :func:`ensure_digest_schedule` when they start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from portal import queue
from portal.i18n import KYIV
from portal.models.base import utcnow

TICK_JOB = "jobs.mail.daily_digest_tick"
DIGEST_JOB = "jobs.mail.send_digest"


def _enabled() -> bool:
    value = current_app.config.get("DIGEST_SCHEDULE", True)
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def next_run_time(now: datetime | None = None) -> datetime:
    """The next ``DIGEST_HOUR`` o'clock in Kyiv, in UTC."""
    local = (now or utcnow()).astimezone(KYIV)
    at = local.replace(hour=int(current_app.config.get("DIGEST_HOUR", 7)), minute=0, second=0, microsecond=0)
    if at <= local:
        at = (at + timedelta(days=1)).replace(hour=at.hour)  # wall-clock hour across a DST change
    return at.astimezone(UTC)


def ensure_digest_schedule(now: datetime | None = None) -> datetime | None:
    """Schedule the next morning's tick once (keyed by its date, so several workers agree)."""
    from rq.job import Job

    if not _enabled():
        return None
    upcoming = next_run_time(now)
    job_id = f"notifications-digest-{upcoming.astimezone(KYIV).date().isoformat()}"
    if not Job.exists(job_id, connection=queue.get_queue().connection):
        queue.enqueue(TICK_JOB, job_id=job_id, at=upcoming)
    return upcoming


def enqueue_digests(user_ids) -> int:
    """One delivery job per user (retried on its own when the mail server fails)."""
    for user_id in user_ids:
        queue.enqueue(DIGEST_JOB, user_id)
    return len(user_ids)
