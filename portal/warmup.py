"""Work a server process does once at start instead of on its first requests.

A fresh process compiles each Jinja template the first time a page uses it: the appeals list
alone extends five templates and imports Flask-Admin's macros, about half a second on this
kind of machine, paid by the first user after every restart or deploy. ``compile_templates``
compiles them all before the server takes requests, and ``warm_up`` also loads the message
catalogues of every language (the portal's and Flask-Admin's, completed from its ``admin.po``)
(``wsgi.py``, ``portal.runner``); tests and CLI commands build apps without it.

The first request of a fresh process also paid for the database side of a page: SQLAlchemy
compiles each statement shape once per process (about a third of the first search's time),
and a new database connection starts with an empty page cache. ``warm_pages`` renders the
busiest pages (``WARM_PAGES``: the appeals list, a search by a word and by a number, a
filter; on PostgreSQL also a search by the register's most common word) twice (see
``warm_pages``), as a director who exists only in this process, inside a transaction that is
rolled back and may not commit (on PostgreSQL one that only read ends with a COMMIT, which
changes nothing and keeps its prepared statements: ``portal.database``). Last, ``gc.freeze``
moves everything loaded so far (the app, its templates, catalogues and mappings: some 200,000
objects) out of the collector's reach, so a full collection in a request no longer walks them
(several ms a list page).
"""

from __future__ import annotations

import gc
import logging
import time
from urllib.parse import quote

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale, get_translations
from flask_login import login_user
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

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


# a word no applicant has, a registration number's shape, a filter: each its own statement shapes
WARM_PAGES = (
    "/admin/appeal/",
    "/admin/appeal/?search=" + quote("прогрівання"),
    "/admin/appeal/?search=" + quote("1-2026"),
    "/admin/appeal/?flt0_status=in_work",
)


WARM_UP_USER_ID = -1


class WarmUpWrite(RuntimeError):
    """A warm-up page tried to commit: it is rolled back and the page left cold."""


def _refuse_commit(session) -> None:
    raise WarmUpWrite("a warm-up page may not write")


def warm_pages(app: Flask, pages: tuple[str, ...] = WARM_PAGES) -> int:
    """Render each of ``pages`` as a director of this process only, nothing committed; pages that answered 200.

    A page that answers is rendered a second time: a statement's cache key can depend on what
    compiled before it in the same request (SQLAlchemy keeps a subquery compiled for the count and
    keys the page's statement with it), and a real user's first request finds the count compiled,
    as the second rendering does. A page that fails (a database not yet created, say) is logged
    and skipped: the warm-up never stops a server from starting.
    """
    warmed = 0
    sa.event.listen(Session, "before_commit", _refuse_commit)
    try:
        for path in pages:
            if _render(app, path):
                warmed += 1
                _render(app, path)
    finally:
        sa.event.remove(Session, "before_commit", _refuse_commit)
    return warmed


def _render(app: Flask, path: str) -> bool:
    """Render one page as the warm-up's director, rolled back; did it answer 200?"""
    from portal.extensions import db
    from portal.models.enums import Role
    from portal.models.users import User

    with app.app_context(), app.test_request_context(path):  # an app context (and g) of its own
        try:
            # id -1 is nobody's: the page's per-user reads (bell, chosen columns) run and find nothing
            # (a false id such as 0 would skip those that first ask whether the user has one)
            db.session.get(User, WARM_UP_USER_ID)  # the statement of every request's user loader
            login_user(
                User(
                    id=WARM_UP_USER_ID,
                    username="warm-up",
                    full_name="",
                    role=Role.DIRECTOR,
                    active=True,
                    session_version=1,
                )
            )
            response = app.full_dispatch_request()
            response.get_data()
            if response.status_code != 200:
                log.warning("warm-up: %s answered %s", path, response.status_code)
            return response.status_code == 200
        except Exception as exc:  # a cold page is no reason to refuse to start
            log.warning("warm-up: %s failed: %s", path, exc)
            return False
        finally:
            db.session.rollback()


def common_word_pages(app: Flask) -> tuple[str, ...]:
    """PostgreSQL: a search by the register's most common word (from the planner's statistics), else none.

    The first plan of a search whose word the statistics hold costs a server connection some
    40 ms once (the search index's statistics and costs loaded), whichever word it is; the
    warm-up's own word is in no document, so it did not pay it and the first user's search did.
    """
    from portal.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return ()
        try:
            word = db.session.execute(
                sa.text(
                    "SELECT u.word FROM pg_stats s, unnest(s.most_common_elems::text::text[], "
                    "s.most_common_elem_freqs) AS u(word, freq) WHERE s.tablename = 'appeal_search' "
                    "AND s.attname = 'tsv' AND s.schemaname = current_schema() AND length(u.word) >= 4 "
                    "ORDER BY u.freq DESC LIMIT 1"
                )
            ).scalar()
        except Exception as exc:  # no table yet: nothing to warm
            log.warning("warm-up: no common word: %s", exc)
            return ()
        finally:
            db.session.rollback()
    return ("/admin/appeal/?search=" + quote(word),) if word and word.isalpha() else ()


def warm_up(app: Flask) -> float:
    """Everything above, before a server process takes its first request; seconds spent."""
    started = time.perf_counter()
    compile_templates(app)
    load_translations(app)
    warm_pages(app, WARM_PAGES + common_word_pages(app))
    gc.collect()
    gc.freeze()
    return time.perf_counter() - started
