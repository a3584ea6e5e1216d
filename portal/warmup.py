"""Work a server process does once at start instead of on its first requests.

A fresh process compiles each Jinja template the first time a page uses it: the appeals list
alone extends five templates and imports Flask-Admin's macros, about half a second on this
kind of machine, paid by the first user after every restart or deploy. ``compile_templates``
compiles them all before the server takes requests, and ``warm_up`` also loads the message
catalogues of every language (the portal's and Flask-Admin's, completed from its ``admin.po``)
(``wsgi.py``, ``portal.runner``); tests and CLI commands build apps without it.
"""

from __future__ import annotations

import time

from flask import Flask
from flask_babel import force_locale, get_translations

# Flask-Admin ships its templates for three themes; the portal uses Bootstrap 4 only
OTHER_THEMES = ("bootstrap2/", "bootstrap3/")


def compile_templates(app: Flask) -> tuple[int, float]:
    """Compile every HTML template the app can load; (templates, seconds)."""
    started = time.perf_counter()
    environment = app.jinja_env
    names = [name for name in environment.list_templates(extensions=["html"]) if not name.startswith(OTHER_THEMES)]
    for name in names:
        environment.get_template(name)
    return len(names), time.perf_counter() - started


def load_translations(app: Flask) -> None:
    """Load the catalogues of every language the portal offers (Flask-Babel keeps them per app)."""
    from flask_admin import babel as admin_babel

    with app.test_request_context("/"):
        for language in app.config["LANGUAGES"]:
            with force_locale(language):
                get_translations()
                admin_babel.domain.get_translations()


def warm_up(app: Flask) -> float:
    """Everything above, before a server process takes its first request; seconds spent."""
    started = time.perf_counter()
    compile_templates(app)
    load_translations(app)
    return time.perf_counter() - started
