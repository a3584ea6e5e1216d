"""Report jobs: make a run's file; Monday morning's weekly analysis."""

from __future__ import annotations

from jobs import app_context, default_locale, portal_job
from portal.services import reports


@portal_job(timeout=15 * 60, result_ttl=7 * 24 * 3600, retries=2, on_failure="jobs.reports.report_failed")
def build_report(run_id: int) -> str | None:
    """Make the file of report run ``run_id``; its row records progress and the final state."""
    return reports.execute_run(run_id)


def report_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback (exception, timeout, dead worker): record it on the run's row."""
    with app_context(), default_locale():
        reports.record_failure(job.id, exc_value, will_retry=job.should_retry)


@portal_job(timeout=5 * 60, result_ttl=8 * 24 * 3600, retries=2)
def weekly_schedule_tick() -> None:
    """Start the weekly analysis of the week just ended, then schedule next Monday's tick."""
    reports.run_scheduled_weekly()
    reports.ensure_weekly_schedule()
