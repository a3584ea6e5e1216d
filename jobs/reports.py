"""Report jobs: make a run's file; Monday morning's weekly analysis."""

from __future__ import annotations

from jobs import app_context, default_locale, portal_job
from portal.reports import runs, schedule


@portal_job
def build_report(run_id: int) -> str | None:
    """Make the file of report run ``run_id``; its row records progress and the final state."""
    return runs.execute_run(run_id)


def report_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback (exception, timeout, dead worker): record it on the run's row."""
    with app_context(), default_locale():
        runs.record_failure(job.id, exc_value, will_retry=job.should_retry)


@portal_job
def weekly_schedule_tick() -> None:
    """Start the weekly analysis of the week just ended, then schedule next Monday's tick."""
    schedule.run_scheduled_weekly()
    schedule.ensure_weekly_schedule()
