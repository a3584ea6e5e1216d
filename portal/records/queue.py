"""Put a job on the app's queue by its dotted name (views and services never import ``jobs``)."""

from __future__ import annotations

from flask import current_app


def enqueue_by_name(name: str, *args, timeout: int = 3600, job_id: str | None = None):
    """Queue ``name(*args)`` (e.g. ``"jobs.records.anonymise"``) on ``RQ_QUEUE``."""
    from rq import Queue

    from portal.redis_conn import get_redis

    queue = Queue(current_app.config["RQ_QUEUE"], connection=get_redis())
    return queue.enqueue(name, *args, job_id=job_id, job_timeout=timeout, result_ttl=7 * 24 * 3600)
