"""The Monday schedule: the weekly analysis of the week just ended, every Monday morning (Kyiv time).

A scheduled job (``jobs.reports.weekly_schedule_tick``) keyed by the Monday it runs on starts the
report and schedules the next Monday; workers call ``ensure_weekly_schedule`` when they start.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from portal import queue
from portal.extensions import db
from portal.i18n import KYIV
from portal.models.enums import JobState, ReportKind
from portal.models.reports import ReportRun
from portal.reports import runs
from portal.reports.weekly import Week

WEEKLY_REPORT_HOUR = 7  # Monday, Kyiv time; ``WEEKLY_REPORT_HOUR`` in the config overrides
TICK_JOB = "jobs.reports.weekly_schedule_tick"


def utcnow() -> datetime:
    return datetime.now(UTC)


def weekly_hour() -> int:
    return int(current_app.config.get("WEEKLY_REPORT_HOUR", WEEKLY_REPORT_HOUR))


def monday_run_time(now: datetime | None = None, *, upcoming: bool = True) -> datetime:
    """This week's Monday report time in UTC, or the next one if it has passed (``upcoming``)."""
    local = (now or utcnow()).astimezone(KYIV)
    monday = local.date() - timedelta(days=local.weekday())
    at = datetime(monday.year, monday.month, monday.day, weekly_hour(), tzinfo=KYIV)
    if upcoming and at <= local:
        at = datetime.combine(monday + timedelta(days=7), at.timetz())
    return at.astimezone(UTC)


def scheduled_run_exists(week: Week) -> bool:
    """A scheduled weekly run for ``week`` is queued, running or done (a failed one may be re-made)."""
    since = utcnow() - timedelta(days=60)
    found = db.session.execute(
        sa.select(ReportRun).where(
            ReportRun.kind == ReportKind.WEEKLY,
            ReportRun.requested_by_id.is_(None),
            ReportRun.created_at >= since,
            ReportRun.state != JobState.FAILED,
        )
    ).scalars()
    return any(r.params.get("week") == str(week) and r.params.get("scheduled") for r in found)


def run_scheduled_weekly(today=None) -> ReportRun | None:
    """Monday's report on the week just ended, once per week."""
    week = Week.last_complete(today)
    if scheduled_run_exists(week):
        return None
    return runs.request_report(ReportKind.WEEKLY, {"week": str(week), "scheduled": True})


def ensure_weekly_schedule(now: datetime | None = None) -> datetime | None:
    """Make sure the next Monday's report is scheduled; catch up if this Monday's was missed.

    Jobs are keyed by the Monday they run on, so any number of workers starting at once
    schedule it once. Returns the time of the next scheduled run.
    """
    from rq.job import Job

    enabled = current_app.config.get("WEEKLY_REPORT_SCHEDULE", True)
    if isinstance(enabled, str):  # from PORTAL_WEEKLY_REPORT_SCHEDULE
        enabled = enabled.strip().lower() not in ("0", "false", "no", "off", "")
    if not enabled:
        return None
    now = now or utcnow()
    connection = queue.get_queue().connection
    this_monday = monday_run_time(now, upcoming=False)
    if this_monday <= now and not scheduled_run_exists(Week.last_complete(now.astimezone(KYIV).date())):
        job_id = f"weekly-schedule-{this_monday.astimezone(KYIV).date().isoformat()}"
        if not Job.exists(job_id, connection=connection):
            queue.enqueue(TICK_JOB, job_id=job_id)
    upcoming = monday_run_time(now)
    job_id = f"weekly-schedule-{upcoming.astimezone(KYIV).date().isoformat()}"
    if not Job.exists(job_id, connection=connection):
        queue.enqueue(TICK_JOB, job_id=job_id, at=upcoming)
    return upcoming
