"""WSGI entry point: ``app = create_app()``, its templates compiled before the first request."""

from portal import create_app
from portal.warmup import warm_up

app = create_app()
warm_up(app)
