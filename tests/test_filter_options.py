"""A list's filter options (executors, topics, directions) are read once and kept for a while;
a change of their table, or a rollback of a transaction that wrote, forgets them at once."""

from __future__ import annotations

from admin_views.filters import lazy_options
from portal.extensions import db
from portal.models import Topic
from tests.factories import make_topic


def _codes(options) -> set[str]:
    return {label for _, label in options.current()}


def _topic_options():
    return lazy_options(Topic, [Topic.code], label=lambda t: t.code)


def test_options_are_kept_between_reads(app):
    options = _topic_options()
    make_topic(code="K-1")
    db.session.flush()
    first = options.current()
    assert "K-1" in _codes(options)
    assert options.current() is first


def test_a_flush_of_their_table_forgets_them(app):
    options = _topic_options()
    assert "K-2" not in _codes(options)
    make_topic(code="K-2")
    db.session.flush()
    assert "K-2" in _codes(options)


def test_a_rollback_after_a_write_forgets_what_the_rolled_back_rows_put_in(app):
    options = _topic_options()
    db.session.begin_nested()
    make_topic(code="K-3")
    db.session.flush()
    assert "K-3" in _codes(options)
    db.session.rollback()
    assert "K-3" not in _codes(options)


def test_a_rollback_of_a_transaction_that_only_read_keeps_them(app):
    # the start's warm-up pages end so; re-reading them would make the first real page cold
    options = _topic_options()
    db.session.commit()
    first = options.current()
    db.session.execute(db.select(Topic)).all()
    db.session.rollback()
    assert options.current() is first


def test_the_warm_up_leaves_the_options_it_read_for_the_first_request(app, monkeypatch):
    from portal.warmup import warm_pages
    from tests.test_warmup import _as_a_real_server

    _as_a_real_server(app, monkeypatch)
    make_topic(code="K-4")
    db.session.commit()
    kept = app.extensions.setdefault("portal_filter_options", {})
    kept.clear()
    assert warm_pages(app, ("/admin/appeal/",)) == 1
    assert any(model is Topic for _, _, model in kept.values())
