"""A server process compiles its templates and loads its catalogues before its first request."""

from __future__ import annotations

import pytest
from sqlalchemy import text as sa_text

from portal.models.enums import Role
from portal.warmup import WARM_PAGES, warm_pages, warm_up


def test_after_the_warm_up_no_page_compiles_a_template(app, client, auth, monkeypatch):
    warm_up(app)
    assert len(app.jinja_env.cache) > 40
    auth.as_role(Role.DIRECTOR)
    compiled = []
    monkeypatch.setattr(app.jinja_env, "compile", lambda source, name=None, *a, **k: compiled.append(name))
    for url in ["/admin/appeal/", "/admin/appeal/?search=%D0%9F%D0%B5%D1%82%D1%80%D0%B5%D0%BD%D0%BA%D0%BE", "/admin/"]:
        assert client.get(url).status_code == 200, url
    assert compiled == []


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_warm_up_loads_each_language_once(app, language):
    from flask_babel import force_locale, get_translations

    warm_up(app)
    with app.test_request_context("/"), force_locale(language):
        first = get_translations()
        assert get_translations() is first
        if language == "uk":
            assert first.gettext("Appeals") != "Appeals"


def _table_counts() -> dict[str, int]:
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.models import Appeal, AuditLog, User

    return {
        m.__name__: db.session.execute(sa.select(sa.func.count()).select_from(m)).scalar_one()
        for m in (Appeal, AuditLog, User)
    }


def _as_a_real_server(app, monkeypatch):
    # the test harness empties ``g`` before each request (conftest._fresh_g), which would also
    # drop the warm-up's user, set before its request starts; a real server has no such step
    kept = [f for f in app.before_request_funcs[None] if f.__name__ != "_fresh_g"]
    monkeypatch.setitem(app.before_request_funcs, None, kept)


def test_the_warm_up_renders_the_busiest_pages_and_leaves_nothing_behind(app, monkeypatch):
    from tests.factories import make_appeal

    _as_a_real_server(app, monkeypatch)
    make_appeal()
    before = _table_counts()
    assert warm_pages(app) == len(WARM_PAGES)
    assert _table_counts() == before


def test_after_the_warm_up_a_directors_first_pages_compile_no_sql_statement(app, client, auth, monkeypatch):
    """Each statement shape compiled once per process cost the first user's search milliseconds; the
    warm-up's user must also run the per-user reads (chosen columns, bell) a real user's page runs."""
    import sqlalchemy as sa
    from sqlalchemy.engine.interfaces import CacheStats

    from portal.extensions import db
    from tests.factories import make_appeal

    _as_a_real_server(app, monkeypatch)
    make_appeal()
    auth.as_role(Role.DIRECTOR)
    db.engine._compiled_cache.clear()  # earlier tests compiled these shapes already
    warm_pages(app)
    missed: list[str] = []

    def cache_miss(conn, cursor, statement, parameters, context, executemany):
        if context is not None and context.cache_hit == CacheStats.CACHE_MISS:
            missed.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", cache_miss)
    try:
        for url in (*WARM_PAGES, "/admin/appeal/?search=%D0%9A%D0%BE%D0%B2%D0%B0%D0%BB%D0%B5%D0%BD%D0%BA%D0%BE"):
            assert client.get(url).status_code == 200, url
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", cache_miss)
    assert missed == []


def test_a_warm_up_page_that_writes_is_rolled_back_and_counted_cold(app, monkeypatch, caplog):
    from portal.extensions import db
    from tests.factories import make_applicant

    view = next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == "appeal")
    real_get_list = view.get_list

    def get_list_that_writes(*args, **kwargs):
        make_applicant(full_name="Записаний Під Час Прогрівання")
        db.session.commit()
        return real_get_list(*args, **kwargs)

    monkeypatch.setattr(view, "get_list", get_list_that_writes)
    _as_a_real_server(app, monkeypatch)
    before = _table_counts()
    assert warm_pages(app, ("/admin/appeal/",)) == 0
    assert "may not write" in caplog.text
    assert _table_counts() == before
    assert "Записаний" not in str(db.session.execute(sa_text("SELECT full_name FROM applicant")).scalars().all())


def test_the_warm_up_puts_what_the_process_loaded_out_of_the_collectors_reach(app):
    import gc

    try:
        warm_up(app)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_on_postgresql_the_warm_up_also_searches_the_registers_most_common_word(app, monkeypatch):
    """The first plan of a search by a word the statistics hold costs a connection some 40 ms once."""
    from urllib.parse import unquote

    from portal.extensions import db
    from portal.warmup import common_word_pages
    from tests.factories import make_appeal

    _as_a_real_server(app, monkeypatch)
    if db.engine.dialect.name != "postgresql":
        assert common_word_pages(app) == ()
        return
    for _ in range(3):
        make_appeal(summary="Зруйнований міст через річку")
    db.session.commit()
    db.session.execute(sa_text("ANALYZE appeal_search"))  # inside the test's transaction, rolled back with it
    pages = common_word_pages(app)
    assert len(pages) == 1 and pages[0].startswith("/admin/appeal/?search=")
    assert len(unquote(pages[0].split("=", 1)[1])) >= 4
    before = _table_counts()
    assert warm_pages(app, pages) == 1
    assert _table_counts() == before


@pytest.mark.parametrize(("loaded_by", "warmed"), [("a WSGI server", True), ("a flask command", False)])
def test_wsgi_warms_the_app_for_a_server_and_not_for_a_command(tmp_path, loaded_by, warmed):
    import os
    import subprocess
    import sys

    own = ("PORTAL_DATABASE_URL", "PORTAL_REDIS_URL", "PORTAL_SECRET_KEY", "PORTAL_FILES_DIR", "PORTAL_REPORTS_DIR")
    env = {k: v for k, v in os.environ.items() if k not in own}
    env.update(PORTAL_INSTANCE_PATH=str(tmp_path / "instance"), PORTAL_SECRET_KEY="s" * 32)
    load = "import wsgi"
    if loaded_by == "a flask command":  # what `flask --app wsgi generate-data` does: a click context is active
        load = "import click\nwith click.Context(click.Command('generate-data')):\n    import wsgi"
    script = f"{load}\nprint(len(wsgi.app.jinja_env.cache))"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    compiled = int(out.stdout.strip().splitlines()[-1])
    assert (compiled > 40) is warmed
