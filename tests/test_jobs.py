"""Report jobs on a real Redis: progress, final states, retries, dead workers, lost jobs, the schedule."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime

import pytest
from rq import Queue
from rq.job import Job
from rq.registry import ScheduledJobRegistry

import jobs
from jobs.worker import PortalWorker, run_burst
from portal import queue as job_queue
from portal.extensions import db
from portal.i18n import KYIV, default_locale
from portal.models.enums import JobState, ReportKind
from portal.models.reports import ReportRun
from portal.reports import runs, schedule
from portal.reports.weekly import Week
from portal.services.errors import DomainError


@pytest.fixture(autouse=True)
def _jobs_env(app):
    """Retries at once (no scheduler in a burst), texts in the default language as in a worker."""
    app.config["RQ_RETRY_INTERVALS"] = "0"
    with default_locale():
        yield


def queue() -> Queue:
    return job_queue.get_queue()


def work(app) -> None:
    run_burst(queue(), app=app)


def reload(run: ReportRun) -> ReportRun:
    db.session.expire_all()
    return db.session.get(ReportRun, run.id)


def test_weekly_job_ends_finished_with_its_file_and_full_progress(app):
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    assert run.state == JobState.QUEUED
    work(app)
    run = reload(run)
    assert (run.state, run.progress, run.message) == (JobState.FINISHED, 100, "")
    assert os.path.isfile(run.file_path) and run.finished_at is not None
    job = Job.fetch(run.job_id, connection=queue().connection)
    assert (job.meta["state"], job.meta["progress"]) == ("finished", 100)
    assert job.return_value() == run.file_path


def test_job_is_declared_with_its_queue_options(app):
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    job = Job.fetch(run.job_id, connection=queue().connection)
    assert job.origin == app.config["RQ_QUEUE"]
    assert (job.timeout, job.result_ttl, job.retries_left) == (15 * 60, 7 * 24 * 3600, 2)
    assert job.failure_callback.__name__ == "report_failed"


def test_every_job_has_its_options_declared_once_by_name():
    import importlib
    import pkgutil

    declared = {}
    for info in pkgutil.iter_modules(jobs.__path__, "jobs."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if getattr(value, "is_portal_job", False) and value.__module__ == module.__name__:
                declared[f"{module.__name__}.{name}"] = value
    assert set(declared) == set(job_queue.JOBS)
    for options in job_queue.JOBS.values():
        if options.on_failure:
            module, _, name = options.on_failure.rpartition(".")
            assert callable(getattr(importlib.import_module(module), name))


def test_a_failing_job_is_retried_then_ends_failed_with_the_reason(app, monkeypatch):
    attempts = []

    def broken(run, path, progress):
        attempts.append(run.id)
        raise RuntimeError("disk full")

    monkeypatch.setitem(runs.BUILDERS, ReportKind.WEEKLY, broken)
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    work(app)
    run = reload(run)
    assert len(attempts) == 3  # the first attempt and two retries
    assert run.state == JobState.FAILED
    assert "disk full" in run.message and run.message.startswith("Не вдалося сформувати звіт")
    assert not os.path.exists(runs.output_path(run))


def test_a_broken_rule_fails_at_once_without_retry(app, monkeypatch):
    attempts = []

    def refused(run, path, progress):
        attempts.append(run.id)
        raise DomainError("Немає даних")

    monkeypatch.setitem(runs.BUILDERS, ReportKind.WEEKLY, refused)
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    work(app)
    run = reload(run)
    assert (len(attempts), run.state, run.message) == (1, JobState.FAILED, "Немає даних")


def test_a_job_that_fails_once_succeeds_on_retry(app, monkeypatch):
    real = runs.BUILDERS[ReportKind.WEEKLY]
    attempts = []

    def flaky(run, path, progress):
        attempts.append(run.id)
        if len(attempts) == 1:
            raise ConnectionError("database restarting")
        real(run, path, progress)

    monkeypatch.setitem(runs.BUILDERS, ReportKind.WEEKLY, flaky)
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    work(app)
    run = reload(run)
    assert (len(attempts), run.state, run.message) == (2, JobState.FINISHED, "")


@jobs.portal_job
def die_hard(run_id: int) -> None:
    """A job whose process is killed, as the kernel's OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


DIE_HARD = f"{die_hard.__module__}.{die_hard.__name__}"


def test_a_killed_worker_process_ends_the_run_failed_with_a_clear_message(app, monkeypatch):
    options = job_queue.JobOptions(timeout=60, result_ttl=60, retries=1, on_failure="jobs.reports.report_failed")
    monkeypatch.setitem(job_queue.JOBS, DIE_HARD, options)
    run = ReportRun(job_id="killed-job", kind=ReportKind.WEEKLY, params={"week": "2026-W47"}, title="t")
    db.session.add(run)
    db.session.commit()
    job_queue.enqueue(DIE_HARD, run.id, job_id=run.job_id)
    PortalWorker([queue()], connection=queue().connection, app=app).work(burst=True, logging_level="WARNING")
    run = reload(run)
    assert run.state == JobState.FAILED
    assert "SIGKILL" in run.message and "несподівано зупинився" in run.message
    job = Job.fetch(run.job_id, connection=queue().connection)
    assert job.get_status() == "failed" and job.retries_left == 0  # retried once before giving up


def test_a_run_whose_job_vanished_is_marked_failed(app):
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    Job.fetch(run.job_id, connection=queue().connection).delete()
    assert runs.reconcile_runs() == 1
    run = reload(run)
    assert run.state == JobState.FAILED and "втрачено" in run.message


def test_the_workers_maintenance_fails_a_run_whose_job_vanished(app):
    from jobs.worker import PortalSimpleWorker

    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    Job.fetch(run.job_id, connection=queue().connection).delete()
    PortalSimpleWorker([queue()], connection=queue().connection, app=app).run_maintenance_tasks()
    run = reload(run)
    assert run.state == JobState.FAILED and "втрачено" in run.message


def test_reconcile_leaves_queued_and_finished_runs_alone(app):
    queued = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    assert runs.reconcile_runs() == 0
    assert reload(queued).state == JobState.QUEUED


def test_running_a_report_again_rewrites_its_file(app):
    run = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    first = runs.execute_run(run.id)
    second = runs.execute_run(run.id)
    run = reload(run)
    assert first == second == run.file_path and run.state == JobState.FINISHED
    assert [f for f in os.listdir(os.path.dirname(first)) if f.endswith(".tmp")] == []


def test_request_without_redis_fails_the_run_and_says_so(app):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    app.extensions["redis"] = redis.Redis(unix_socket_path="/nonexistent/redis.sock", retry=Retry(NoBackoff(), 0))
    with pytest.raises(DomainError, match="Redis"):
        runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    run = db.session.execute(db.select(ReportRun)).scalar_one()
    assert run.state == JobState.FAILED and "Redis" in run.message


# --- the Monday schedule ------------------------------------------------------------------------

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=KYIV)


def test_monday_run_time_is_seven_in_the_morning_kyiv_time(app):
    upcoming = schedule.monday_run_time(WEDNESDAY)
    assert upcoming.astimezone(KYIV).isoformat() == "2026-11-23T07:00:00+02:00"
    assert upcoming.tzinfo == UTC


def test_the_next_monday_is_scheduled_once_however_many_workers_start(app, monkeypatch):
    monkeypatch.setattr(schedule, "scheduled_run_exists", lambda week: True)  # nothing to catch up
    schedule.ensure_weekly_schedule(WEDNESDAY)
    schedule.ensure_weekly_schedule(WEDNESDAY)
    registry = ScheduledJobRegistry(queue=queue())
    assert registry.get_job_ids() == ["weekly-schedule-2026-11-23"]
    when = registry.get_scheduled_time("weekly-schedule-2026-11-23")
    assert when.astimezone(KYIV).isoformat() == "2026-11-23T07:00:00+02:00"


def test_a_missed_monday_is_caught_up_at_worker_start(app):
    schedule.ensure_weekly_schedule(WEDNESDAY)
    assert Job.exists("weekly-schedule-2026-11-16", connection=queue().connection)
    assert queue().get_job_ids() == ["weekly-schedule-2026-11-16"]


def test_the_monday_tick_makes_one_report_of_the_week_just_ended(app):
    today = datetime(2026, 11, 23).date()
    first = schedule.run_scheduled_weekly(today)
    again = schedule.run_scheduled_weekly(today)
    assert first.params == {"week": "2026-W47", "channel": "government", "scheduled": True} and again is None
    assert first.requested_by_id is None


def test_the_monday_tick_job_runs_the_report_and_schedules_the_next(app):
    job_queue.enqueue("jobs.reports.weekly_schedule_tick", job_id="tick")
    work(app)
    run = db.session.execute(db.select(ReportRun)).scalar_one()
    assert run.params["week"] == str(Week.last_complete()) and run.state == JobState.FINISHED
    assert len(ScheduledJobRegistry(queue=queue()).get_job_ids()) == 1


def test_the_paused_jobs_banner_trusts_a_ping_for_seconds_and_a_dead_redis_shows_it(app, monkeypatch):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from portal import redis_conn

    pings = []
    real_ping = redis.Redis.ping
    monkeypatch.setattr(redis.Redis, "ping", lambda self, **kw: pings.append(1) or real_ping(self, **kw))
    app.extensions.pop("redis_answered_until", None)
    with app.test_request_context("/"):
        assert redis_conn.jobs_paused() is False
        assert redis_conn.jobs_paused() is False
        assert len(pings) == 1
        # Redis goes away: once the trusted answer is older than the trust, the banner is up
        app.extensions["redis"] = redis.Redis(unix_socket_path="/nonexistent/redis.sock", retry=Retry(NoBackoff(), 0))
        app.extensions["redis_answered_until"] = 0.0
        assert redis_conn.jobs_paused() is True
        assert redis_conn.jobs_paused() is True  # believed down: no new attempt needed to say so
