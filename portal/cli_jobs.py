"""CLI of the background work: ``flask worker`` and ``flask report weekly --week YYYY-Www [--wait]``."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import ScriptInfo, pass_script_info, with_appcontext

from portal.extensions import db
from portal.models.enums import JobState, ReportKind


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also run RQ's scheduler (retries after a delay, Monday's weekly analysis, the nightly backup).",
)
@pass_script_info
def worker_command(info: ScriptInfo, burst: bool, scheduler: bool):
    """Run an RQ worker for the app's queue (RQ_QUEUE)."""
    import redis

    from jobs.worker import PortalWorker
    from portal.i18n import default_locale
    from portal.queue import get_queue
    from portal.records import schedule as records_schedule
    from portal.reports import runs, schedule

    app = info.load_app()
    with app.app_context(), default_locale():
        queue = get_queue()
        try:
            queue.connection.ping()
        except redis.RedisError as exc:
            raise click.ClickException(f"Redis at {app.config['REDIS_URL']} is not reachable: {exc}") from None
        failed = runs.reconcile_runs()
        if failed:
            click.echo(f"Marked {failed} report run(s) whose job was lost as failed.")
        if scheduler:
            upcoming = schedule.ensure_weekly_schedule()
            if upcoming:
                click.echo(f"Next weekly analysis: {upcoming.isoformat()} (UTC)")
            nightly = records_schedule.ensure_nightly_schedule()
            if nightly:
                click.echo(f"Next nightly backup: {nightly.isoformat()} (UTC)")
            from portal.services import mailbox

            polling = mailbox.ensure_schedule()
            if polling:
                click.echo(f"Next mailbox poll: {polling.isoformat()} (UTC)")
        db.session.remove()
        db.engine.dispose()  # the work horses fork from here: leave them no open connections
        connection = queue.connection
    worker = PortalWorker([queue], connection=connection, app=app)
    worker.work(burst=burst, with_scheduler=scheduler, logging_level="INFO")


@click.group("report")
def report_group():
    """Make reports (through the job queue)."""


def _finish(run, wait: bool, timeout: int) -> None:
    """Wait for ``run`` (running the queue here when no worker listens) and print its file."""
    from jobs.worker import run_burst
    from portal.queue import get_queue, worker_count
    from portal.reports import runs

    path = runs.output_path(run)
    if not wait:
        click.echo(f"Queued report run #{run.id} (job {run.job_id}); a worker writes it to:", err=True)
        click.echo(path)
        return
    if worker_count() == 0:
        run_burst(get_queue(), app=current_app._get_current_object())  # type: ignore[attr-defined]  # a LocalProxy typed as Flask
    deadline = time.monotonic() + timeout
    while True:
        db.session.expire_all()
        db.session.refresh(run)
        if run.state in (JobState.FINISHED, JobState.FAILED) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if run.state == JobState.FINISHED:
        click.echo(run.file_path)
        return
    if run.state == JobState.FAILED:
        raise click.ClickException(run.message or "The report failed.")
    raise click.ClickException(f"Report run #{run.id} is still {run.state.value} after {timeout} s.")


@report_group.command("weekly")
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the week just ended).")
@click.option(
    "--channel",
    default=None,
    help="Appeals received via this channel (government = the GCC 1545, the default; post, phone, …) or 'all'.",
)
@click.option("--wait", is_flag=True, help="Wait for the file (run the job here if no worker is running).")
@click.option("--timeout", default=900, show_default=True, help="Seconds to wait with --wait.")
@with_appcontext
def report_weekly_command(week, channel, wait, timeout):
    """Weekly analysis of receipt and execution of appeals; prints the file's path."""
    params = {key: value for key, value in (("week", week), ("channel", channel)) if value}
    _request(ReportKind.WEEKLY, params, wait, timeout)


@report_group.command("quarterly")
@click.option(
    "--quarter", default=None, help="Quarter, e.g. 2026-Q1, or a year, e.g. 2026 (default: the last one ended)."
)
@click.option("--wait", is_flag=True, help="Wait for the file (run the job here if no worker is running).")
@click.option("--timeout", default=900, show_default=True, help="Seconds to wait with --wait.")
@with_appcontext
def report_quarterly_command(quarter, wait, timeout):
    """Quarterly statistics by the classifier of appeals (CMU 858/2008); prints the file's path."""
    _request(ReportKind.QUARTERLY, {"quarter": quarter} if quarter else {}, wait, timeout)


@report_group.command("budget")
@click.option("--year", type=int, default=None, help="Budget year (default: this year).")
@click.option("--wait", is_flag=True, help="Wait for the file (run the job here if no worker is running).")
@click.option("--timeout", default=900, show_default=True)
@with_appcontext
def report_budget_command(year, wait, timeout):
    """Budget execution: plan vs actual by КЕКВ and month."""
    _request(ReportKind.BUDGET_EXECUTION, {"year": year} if year else {}, wait, timeout)


@report_group.command("staff")
@click.option("--wait", is_flag=True, help="Wait for the file (run the job here if no worker is running).")
@click.option("--timeout", default=900, show_default=True)
@with_appcontext
def report_staff_command(wait, timeout):
    """Staff list printout."""
    _request(ReportKind.STAFF_LIST, {}, wait, timeout)


def _request(kind, params, wait, timeout):
    from portal.cli import CLI_ACTOR
    from portal.i18n import default_locale
    from portal.reports import runs
    from portal.services import audit
    from portal.services.errors import DomainError

    with default_locale(), audit.acting_as(CLI_ACTOR):
        try:
            run = runs.request_report(kind, params)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        _finish(run, wait, timeout)


def init_app(app) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(report_group)
