"""PostgreSQL: a page request whose transaction only read ends it with COMMIT, so that the
statements psycopg prepared stay prepared (a ROLLBACK drops them all); whatever wrote (a
session-wide SET too), failed or came from a request that may change data is rolled back as
before (``portal.database``)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import CalendarDay
from tests.conftest import PG_URL

# each request's transaction must really end (commit or rollback) on the pooled connection
pytestmark = [
    pytest.mark.committed,
    pytest.mark.skipif(not PG_URL, reason="prepared statements are psycopg's, on PostgreSQL"),
]

# a statement of this test's own, recognisable in pg_prepared_statements
PROBE = sa.text("SELECT count(*) FROM calendar_day WHERE day > :day AND name <> 'prepared-probe'")
RUNS = 8  # psycopg prepares a statement at its fifth run on a connection


def _request(app, method: str, work) -> None:
    """``work()`` inside one request of ``method``, its transaction ended as a request's is (the session closed)."""
    with app.test_request_context("/", method=method):
        try:
            work()
        finally:
            db.session.remove()


def _probe() -> None:
    db.session.execute(PROBE, {"day": date(2000, 1, 1)}).scalar_one()


def _prepared() -> bool:
    """Is the probe prepared on the pooled connection (the only one: the requests ran one after another)?"""
    with db.engine.connect() as conn:
        statements = conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    return any("prepared-probe" in s for s in statements)


def _kept_day() -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(sa.text("SELECT count(*) FROM calendar_day WHERE name = 'never-kept'")).scalar())


def _write() -> None:
    _probe()
    db.session.add(CalendarDay(day=date(2031, 5, 5), name="never-kept"))
    db.session.flush()  # an INSERT, never committed


def _set_local() -> None:
    db.session.execute(sa.text("SET LOCAL join_collapse_limit = 1"))  # ends with the transaction either way
    _probe()


def _set_session() -> None:
    db.session.execute(sa.text("SET join_collapse_limit = 1"))  # a ROLLBACK undoes it, a COMMIT would keep it
    _probe()


def _explain() -> None:
    db.session.execute(sa.text("EXPLAIN (FORMAT JSON) SELECT count(*) FROM calendar_day"))  # plans, runs nothing
    _probe()


def _explain_analyze_write() -> None:
    _probe()  # ANALYZE runs the INSERT: a write
    db.session.execute(
        sa.text(
            "EXPLAIN ANALYZE INSERT INTO calendar_day (day, kind, name, created_at, updated_at)"
            " VALUES ('2031-05-05', 'day_off', 'never-kept', now(), now())"
        )
    )


def _fail() -> None:
    _probe()
    with pytest.raises(DBAPIError):
        db.session.execute(sa.text("SELECT 1 / 0"))


@pytest.mark.parametrize(
    ("method", "work", "kept_prepared"),
    [
        ("GET", _probe, True),
        ("HEAD", _probe, True),
        ("OPTIONS", _probe, True),
        ("POST", _probe, False),  # a form's request may write: rolled back, whatever it ran
        ("PUT", _probe, False),
        ("DELETE", _probe, False),
        ("GET", _set_local, True),
        ("GET", _set_session, False),
        ("GET", _explain, True),
        ("GET", _explain_analyze_write, False),
        ("GET", _write, False),  # wrote without committing: rolled back
        ("GET", _fail, False),  # a failed transaction: rolled back
    ],
    ids=[
        "get-read",
        "head-read",
        "options-read",
        "post-read",
        "put-read",
        "delete-read",
        "get-set-local",
        "get-set",
        "get-explain",
        "get-explain-analyze",
        "get-write",
        "get-failed",
    ],
)
def test_only_a_page_request_that_only_read_ends_with_commit(app, method, work, kept_prepared):
    db.engine.dispose()  # one connection, this test's own
    with db.engine.connect() as conn:
        limit = conn.execute(sa.text("SHOW join_collapse_limit")).scalar()
    for _ in range(RUNS):
        _request(app, method, work)
    assert _prepared() is kept_prepared
    assert not _kept_day(), "an INSERT no one committed was kept"
    with db.engine.connect() as conn:  # a session-wide SET rolled back with its transaction
        assert conn.execute(sa.text("SHOW join_collapse_limit")).scalar() == limit
    # the connection is usable after each ending, and reads what is there
    _request(app, "GET", _probe)


def test_a_transaction_begun_outside_a_request_is_rolled_back(app):
    """A job's or a command's transaction (no request) keeps the usual ROLLBACK."""
    db.engine.dispose()
    for _ in range(RUNS):
        _probe()
        db.session.remove()
    assert not _prepared()


def test_pages_keep_their_statements_prepared_between_requests(app, client, auth):
    """The real thing: the register's page statements stay prepared from one request to the next."""
    from portal.models.enums import Role
    from tests import factories as f

    f.make_appeal()
    db.session.commit()
    auth.as_role(Role.DIRECTOR)
    db.engine.dispose()
    for _ in range(RUNS):
        assert client.get("/admin/appeal/").status_code == 200
        db.session.remove()  # the app context's teardown, which the test's own app context defers
    with db.engine.connect() as conn:
        statements = conn.execute(sa.text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM appeal" in s for s in statements), statements
