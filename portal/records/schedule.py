"""The nightly schedule: a backup (and the retention proposal) every night at ``BACKUP_HOUR`` (Kyiv time).

A scheduled job (``jobs.records.nightly_tick``) keyed by the date it runs on does the night's work
and schedules the next night; workers call ``ensure_nightly_schedule`` when they start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from portal import queue
from portal.i18n import KYIV
from portal.models.base import utcnow

TICK_JOB = "jobs.records.nightly_tick"
ANONYMISE_JOB = "jobs.records.anonymise"


def _enabled(key: str) -> bool:
    value = current_app.config.get(key, True)
    if isinstance(value, str):  # from the environment
        return value.strip().lower() not in ("0", "false", "no", "off", "")
    return bool(value)


def next_run_time(now: datetime | None = None) -> datetime:
    """The next ``BACKUP_HOUR`` o'clock in Kyiv, in UTC."""
    local = (now or utcnow()).astimezone(KYIV)
    at = local.replace(hour=int(current_app.config.get("BACKUP_HOUR", 2)), minute=0, second=0, microsecond=0)
    if at <= local:
        at = (at + timedelta(days=1)).replace(hour=at.hour)  # wall-clock hour across a DST change
    return at.astimezone(UTC)


def ensure_nightly_schedule(now: datetime | None = None) -> datetime | None:
    """Schedule the next night's tick once (keyed by its date, so several workers agree)."""
    from rq.job import Job

    if not _enabled("BACKUP_SCHEDULE"):
        return None
    upcoming = next_run_time(now)
    job_id = f"records-nightly-{upcoming.astimezone(KYIV).date().isoformat()}"
    if not Job.exists(job_id, connection=queue.get_queue().connection):
        queue.enqueue(TICK_JOB, job_id=job_id, at=upcoming)
    return upcoming


def enqueue_anonymisation(proposal_id: int) -> None:
    """Carry out a confirmed proposal in the background (raises when the queue is down)."""
    queue.enqueue(ANONYMISE_JOB, proposal_id)
