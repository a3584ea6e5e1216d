"""Hostile input gets a 400 (or a 404), never a 500.

- path integers beyond 64 bits are no route (404): no database is asked about them;
- NUL characters in a query or form value are refused at the door (PostgreSQL cannot store
  them, and no legitimate text holds them);
- what still slips through as an out-of-range number (``OverflowError``) answers 400.
"""

from __future__ import annotations

import logging

from flask import abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

log = logging.getLogger(__name__)
MAX_INT = 2**63 - 1
INVALID_INPUT = _l("The request holds a value that is not valid (too large, out of range or malformed).")


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only what fits a 64-bit database integer."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _refuse_nul():
    sources = [request.args]
    if request.method == "POST":
        sources.append(request.form)
    for values in sources:
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)
    return None


REDIRECT_PARAMS = ("url", "next")


def _local_target(target: str) -> bool:
    """A redirect target on this site: a local path, or an absolute URL of this very host."""
    from urllib.parse import urlsplit

    from portal.redirects import is_local_path

    if is_local_path(target):
        return True
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        rest = target[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
        return is_local_path(rest)
    return False


def _refuse_foreign_redirects():
    """A return address (Flask-Admin's ``url``, the login's ``next``) that leaves the site, or
    holds control characters or backslashes, is refused with a 400, not cleaned up later."""
    for name in REDIRECT_PARAMS:
        target = request.values.get(name) if request.method == "POST" else request.args.get(name)
        if target and not _local_target(target):
            if request.endpoint == "auth.login":
                continue  # the login page ignores a bad ``next`` and goes home
            abort(400)
    return None


def _bad_value(exc):
    from portal.extensions import db
    from portal.security import _render_error

    db.session.rollback()
    log.warning("value refused on %s %s: %r", request.method, request.path, exc)
    return _render_error(400, _l("Nothing was saved"), INVALID_INPUT)


def init_app(app) -> None:
    """Before any blueprint or view registers its routes (the converter is read then)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_refuse_nul)
    app.before_request(_refuse_foreign_redirects)
    app.register_error_handler(OverflowError, _bad_value)
