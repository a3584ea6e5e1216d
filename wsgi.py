"""WSGI entry point: ``app = create_app()``, its templates compiled before the first request.

Not when a ``flask --app wsgi`` command loads it (``generate-data``, ``init-db``…: a click
context is active then): a command serves no page, and the warm-up cost it some 3 s of CPU.
The server runner (``portal.runner``) warms its app itself.
"""

import click

from portal import create_app
from portal.warmup import warm_up

app = create_app()
if click.get_current_context(silent=True) is None:
    warm_up(app)
