"""RQ job functions: each takes primitive ids, reloads its rows and records its state.

Every job function is declared with :func:`portal_job`, which runs it inside the app context —
the worker's app (set by the portal's worker classes), otherwise the one Flask's CLI would load
(``FLASK_APP``, else ``wsgi.py``) — with texts in the portal's default language. Its queue options
(timeout, result and failure TTL, retries, failure callback) are declared once, by its dotted
name, in ``portal.queue.JOBS``; ``portal.queue.enqueue`` is the one way jobs are put on the queue.

Jobs depend on ``portal.reports`` and ``portal.services``; nothing in ``portal`` imports them.
"""

from __future__ import annotations

import functools

from flask import has_app_context

from portal.i18n import default_locale

_worker_app = None  # set by the worker, so jobs reuse its app instead of creating one


def use_app(app) -> None:
    """Make ``app`` the one job functions run in when no app context is active."""
    global _worker_app
    _worker_app = app


def app_context():
    """The active app context, or a fresh one of the worker's (or the CLI's) app."""
    import contextlib

    global _worker_app
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:
        import os

        from flask.cli import ScriptInfo

        _worker_app = ScriptInfo(app_import_path=os.environ.get("FLASK_APP")).load_app()
    return _worker_app.app_context()


def portal_job(func):
    """Declare a job function: it runs in the app's context, in the portal's default language."""

    @functools.wraps(func)
    def job(*args, **kwargs):
        with app_context(), default_locale():
            return func(*args, **kwargs)

    job.__dict__["is_portal_job"] = True  # a function attribute the checker cannot see
    return job
