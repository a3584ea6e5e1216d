"""The portal's RQ workers: the app's context for jobs, and a clear record when a job's process dies."""

from __future__ import annotations

import contextlib
import logging
import os
import signal

from flask import has_app_context
from rq import SimpleWorker, Worker

import jobs
from portal.i18n import default_locale
from portal.queue import WorkerDied

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL = 60  # seconds: abandoned jobs of a dead worker and lost runs are found within about this


def horse_killed(job, retpid, ret_val, rusage) -> None:
    """RQ's ``work_horse_killed_handler``: tell the job's failure callback what happened.

    RQ itself only retries or fails the job in Redis; the callback records it on the job's row.
    """
    signal_name = ""
    if ret_val and os.WIFSIGNALED(ret_val):
        with contextlib.suppress(ValueError):
            signal_name = signal.Signals(os.WTERMSIG(ret_val)).name
    error = WorkerDied(signal_name or f"exit status {ret_val}")
    if job.failure_callback is None:
        return
    try:
        job.failure_callback(job, job.connection, WorkerDied, error, None)
    except Exception:  # the worker must go on even if the record cannot be written
        log.exception("failure callback of job %s failed", job.id)


class _PortalMixin:
    def __init__(self, *args, app=None, **kwargs):
        kwargs.setdefault("maintenance_interval", MAINTENANCE_INTERVAL)
        kwargs.setdefault("work_horse_killed_handler", horse_killed)
        super().__init__(*args, **kwargs)
        if app is not None:
            jobs.use_app(app)
        self.app = app

    def run_maintenance_tasks(self):
        """RQ's maintenance (at start, then every ``maintenance_interval``), plus the report runs'."""
        super().run_maintenance_tasks()  # type: ignore[misc]  # a mixin: RQ's Worker is next in the MRO
        self.reconcile_report_runs()

    def reconcile_report_runs(self) -> int:
        """Fail report runs whose job is gone or failed in Redis; the worker goes on whatever happens."""
        from portal.extensions import db
        from portal.reports import runs

        if self.app is None and not has_app_context():
            return 0
        with jobs.app_context(), default_locale():
            try:
                failed = runs.reconcile_runs()
            except Exception:
                log.exception("reconciling report runs failed")
                db.session.rollback()
                return 0
            if failed:
                log.warning("marked %s report run(s) whose job was lost as failed", failed)
            return failed


class PortalWorker(_PortalMixin, Worker):
    """Forks a work horse per job; the horse drops the parent's database connections first."""

    def main_work_horse(self, job, queue):
        if self.app is not None:
            from portal.extensions import db

            with self.app.app_context():
                # connections are not shared across fork(): forget them without closing
                db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


class PortalSimpleWorker(_PortalMixin, SimpleWorker):
    """Runs jobs in its own process (tests, ``report … --wait`` without a running worker)."""


def run_burst(queue, app=None) -> bool:
    """Work the queue until it is empty, in this process; signal handlers are restored after."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = PortalSimpleWorker([queue], connection=queue.connection, app=app)
        return worker.work(burst=True, logging_level="WARNING")
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)
