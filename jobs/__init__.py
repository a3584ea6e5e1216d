"""RQ job functions: each takes primitive ids, reloads its rows and records its state.

Every job function is declared with :func:`portal_job`, which keeps its queue options
(timeout, result and failure TTL, retries, failure callback) next to the function and runs
it inside the app context — the worker's app when started by ``flask worker``, otherwise
one created on first use — with texts in the portal's default language. :func:`enqueue` is the one way jobs are put on the app's queue.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass

from flask import current_app, has_app_context

_worker_app = None  # set by the worker, so jobs reuse its app instead of creating one


def use_app(app) -> None:
    """Make ``app`` the one job functions run in when no app context is active."""
    global _worker_app
    _worker_app = app


def app_context():
    """The active app context, or a fresh one of the worker's (or a new) app."""
    global _worker_app
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:
        from portal import create_app

        _worker_app = create_app()
    return _worker_app.app_context()


@contextlib.contextmanager
def default_locale():
    """Translate into the portal's default language outside a request (jobs, CLI)."""
    from flask import has_request_context
    from flask_babel import force_locale

    if has_request_context():
        yield
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        yield


@dataclass(frozen=True)
class JobOptions:
    timeout: int  # seconds one attempt may take
    result_ttl: int  # seconds the finished job is kept in Redis
    failure_ttl: int  # seconds a failed job is kept in Redis
    retries: int = 0  # further attempts after a failure (a crash of the worker included)
    on_failure: str | None = None  # dotted path of the failure callback
    retry_intervals_setting: str = "RQ_RETRY_INTERVALS"  # the config key of its back-off


def portal_job(
    *,
    timeout: int,
    result_ttl: int,
    failure_ttl: int = 7 * 24 * 3600,
    retries: int = 0,
    on_failure: str | None = None,
    retry_intervals_setting: str = "RQ_RETRY_INTERVALS",
):
    """Declare a job function: its options, and the app context it runs in."""
    options = JobOptions(timeout, result_ttl, failure_ttl, retries, on_failure, retry_intervals_setting)

    def decorate(func):
        @functools.wraps(func)
        def job(*args, **kwargs):
            with app_context(), default_locale():
                return func(*args, **kwargs)

        job.job_options = options
        return job

    return decorate


def get_queue():
    """The app's queue (``RQ_QUEUE``) on the app's Redis."""
    from rq import Queue

    from portal.redis_conn import get_redis

    return Queue(current_app.config["RQ_QUEUE"], connection=get_redis())


def retry_intervals(setting: str = "RQ_RETRY_INTERVALS") -> list[int]:
    """Seconds to wait before each further attempt (``RQ_RETRY_INTERVALS`` or the job's own; 0 = at once)."""
    value = current_app.config.get(setting, (10, 60))
    if isinstance(value, str):
        value = [int(v) for v in value.split(",") if v.strip()]
    if isinstance(value, int):
        value = [value]
    return list(value)


def enqueue(func, *args, job_id: str | None = None, at=None, meta: dict | None = None):
    """Put ``func(*args)`` on the app's queue with the options it was declared with.

    ``at`` (an aware datetime) schedules it instead; the worker's scheduler enqueues it then.
    """
    from rq import Callback, Retry

    options: JobOptions = func.job_options
    kwargs = {
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
        return queue.enqueue_at(at, func, *args, **kwargs)
    return queue.enqueue(func, *args, **kwargs)


def set_job_meta(**values) -> None:
    """Record ``values`` in the running job's meta (no-op outside a job)."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta.update(values)
    with contextlib.suppress(Exception):  # progress in Redis is a convenience; the row is the record
        job.save_meta()
