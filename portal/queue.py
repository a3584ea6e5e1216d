"""The job queue: every job's options, declared once by the job's dotted name, and the one way in.

Views, services and reports put work on the queue by name (``enqueue("jobs.reports.build_report",
run_id, ...)``) and never import ``jobs``: RQ imports the job function by that name in the worker.
The job functions in ``jobs/`` are declared with ``jobs.portal_job``; a test checks that every
name here is such a function and every such function has its options here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class JobOptions:
    timeout: int  # seconds one attempt may take
    result_ttl: int  # seconds the finished job is kept in Redis
    failure_ttl: int = 7 * 24 * 3600  # seconds a failed job is kept in Redis
    retries: int = 0  # further attempts after a failure (a crash of the worker included)
    on_failure: str | None = None  # dotted path of the failure callback
    retry_intervals_setting: str = "RQ_RETRY_INTERVALS"  # the config key of its back-off


DAY = 24 * 3600

JOBS: dict[str, JobOptions] = {
    "jobs.reports.build_report": JobOptions(
        timeout=15 * 60, result_ttl=7 * DAY, retries=2, on_failure="jobs.reports.report_failed"
    ),
    "jobs.reports.weekly_schedule_tick": JobOptions(timeout=5 * 60, result_ttl=8 * DAY, retries=2),
    "jobs.audit_export.export_audit_log": JobOptions(
        timeout=2 * 3600, result_ttl=7 * DAY, retries=1, on_failure="jobs.reports.report_failed"
    ),
    # the appeals register in full (a million rows: about a minute on two cores)
    "jobs.register_export.export_register": JobOptions(
        timeout=2 * 3600, result_ttl=7 * DAY, retries=1, on_failure="jobs.reports.report_failed"
    ),
    "jobs.records.nightly_tick": JobOptions(timeout=4 * 3600, result_ttl=8 * DAY, retries=1),
    "jobs.records.anonymise": JobOptions(timeout=4 * 3600, result_ttl=7 * DAY, retries=2),
    # the answer's e-mail to the regional center: retried with its own, longer back-off
    "jobs.mail.send_answer_mail": JobOptions(
        timeout=5 * 60,
        result_ttl=7 * DAY,
        retries=4,
        on_failure="jobs.mail.delivery_failed",
        retry_intervals_setting="MAIL_RETRY_INTERVALS",
    ),
    "jobs.mail.poll_mailbox": JobOptions(timeout=10 * 60, result_ttl=3600, failure_ttl=DAY),
    # the morning's notifications: the term-ending sweep, then one digest job per user who chose it
    "jobs.mail.daily_digest_tick": JobOptions(timeout=15 * 60, result_ttl=8 * DAY, retries=2),
    "jobs.mail.send_digest": JobOptions(
        timeout=5 * 60, result_ttl=2 * DAY, retries=3, retry_intervals_setting="MAIL_RETRY_INTERVALS"
    ),
}


class WorkerDied(RuntimeError):
    """The process running a job ended without finishing it (killed, out of memory, crashed)."""


def get_queue():
    """The app's queue (``RQ_QUEUE``) on the app's Redis."""
    from rq import Queue

    from portal.redis_conn import get_redis

    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def retry_intervals(setting: str = "RQ_RETRY_INTERVALS") -> list[int]:
    """Seconds to wait before each further attempt (``RQ_RETRY_INTERVALS`` or a job's own; 0 = at once)."""
    value = current_app.config.get(setting, (10, 60))
    if isinstance(value, str):
        value = [int(v) for v in value.split(",") if v.strip()]
    if isinstance(value, int):
        value = [value]
    return list(value)


def enqueue(name: str, *args, job_id: str | None = None, at=None, meta: dict | None = None):
    """Put job ``name(*args)`` on the app's queue with the options declared for it in ``JOBS``.

    ``at`` (an aware datetime) schedules it instead; the worker's scheduler enqueues it then.
    """
    from rq import Callback, Retry

    options = JOBS[name]
    kwargs: dict[str, object] = {
        "job_id": job_id,
        "job_timeout": options.timeout,
        "result_ttl": options.result_ttl,
        "failure_ttl": options.failure_ttl,
        "meta": meta or {},
    }
    if options.retries:
        intervals = retry_intervals(options.retry_intervals_setting)
        kwargs["retry"] = Retry(max=options.retries, interval=intervals if any(intervals) else 0)
    if options.on_failure:
        kwargs["on_failure"] = Callback(options.on_failure)
    queue = get_queue()
    if at is not None:
        return queue.enqueue_at(at, name, *args, **kwargs)
    return queue.enqueue(name, *args, **kwargs)


def set_job_meta(**values) -> None:
    """Record ``values`` in the running job's meta (no-op outside a job)."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta.update(values)
    with contextlib.suppress(Exception):  # progress in Redis is a convenience; the row is the record
        job.save_meta()


def worker_count() -> int:
    """Workers listening on the app's queue (0 when Redis is down)."""
    from rq import Worker

    from portal.redis_conn import believed_down, mark_down

    if believed_down():  # a Redis that just did not answer is not asked again for a while
        return 0
    try:
        return Worker.count(queue=get_queue())
    except Exception:
        mark_down()
        return 0
