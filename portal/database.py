"""The database under concurrent users: SQLite set up for several writers, races retried,
and database errors turned into plain messages.

SQLite (the embedded default) allows one writer at a time. Each connection waits up to
``SQLITE_BUSY_TIMEOUT_MS`` for another's transaction instead of failing at once, the journal
is a write-ahead log (readers never block the writer), and a state-changing request's
transaction begins with ``BEGIN IMMEDIATE``: it takes the write lock before it reads, so
what it read cannot change under it (``SELECT … FOR UPDATE`` is a no-op on SQLite). The
login form is the exception: its password hash costs CPU time and writes only at the end.

A transaction that still loses (the wait ran out, a PostgreSQL deadlock or serialization
failure) is *transient*: :func:`retrying` runs it again.

On PostgreSQL, a page request's transaction that only read ends with COMMIT, which keeps the
statements psycopg prepared on the connection (see ``_pg_end_read``).
"""

from __future__ import annotations

import logging
import time

import psycopg
import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# endpoints whose POST reads for a while before it writes: no write lock from the start
DEFERRED_ENDPOINTS = frozenset({"auth.login"})
PG_TRANSIENT = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available
RETRIES = 4

BUSY_MESSAGE = _l("The database is busy with other users' changes; nothing was saved. Please repeat the action.")
DB_ERROR_MESSAGE = _l(
    "The database refused the change (it conflicts with existing data or a value is out of range); "
    "nothing was saved. Check the values and try again."
)


def is_transient(exc: BaseException) -> bool:
    """Did the transaction lose a race that a second try can win?"""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in PG_TRANSIENT:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def retrying(work, *, session, attempts: int = RETRIES):
    """Run ``work()`` (which commits) again after a transient failure, rolling back between."""
    for attempt in range(attempts):
        try:
            return work()
        except SQLAlchemyError as exc:
            session.rollback()
            if not is_transient(exc) or attempt == attempts - 1:
                raise
            log.warning("transaction lost a race (attempt %s): %s", attempt + 1, exc.__class__.__name__)
            time.sleep(0.05 * (2**attempt))
    return None


def _wants_write_lock() -> bool:
    return has_request_context() and request.method not in SAFE_METHODS and request.endpoint not in DEFERRED_ENDPOINTS


def _sqlite_connect(dbapi_connection, connection_record, busy_ms: int, memory: bool) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
    if not memory:
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    if _wants_write_lock():
        conn.exec_driver_sql("BEGIN IMMEDIATE")


# --- PostgreSQL: a read's transaction ends with COMMIT, and the prepared statements stay ---------
#
# psycopg prepares a statement on the server from its fifth run on a connection, and PostgreSQL
# then plans it once (a generic plan, when that costs no more than planning each run), but psycopg
# drops every prepared statement at a ROLLBACK, and every request ends its transaction with one:
# a page's statements were parsed and planned again on every request. A transaction that only
# read changed nothing, so COMMIT ends it the same way and the statements stay prepared. This is
# done for transactions begun by page requests (GET, HEAD, OPTIONS) alone, which are meant to
# read, and only when every statement SQLAlchemy sent in the transaction was a SELECT, a SET
# LOCAL or an EXPLAIN that does not run its statement: anything else (an INSERT, a savepoint,
# a WITH that may write, a session-wide SET, which a ROLLBACK would undo, an EXPLAIN ANALYZE)
# and a failed transaction roll back. This takes a SELECT to be a read: the portal sends none
# that writes (SELECT INTO, set_config(…, false), a function that changes data); one that did
# would have to be sent in a request that is not a page request, or in a transaction that writes.
_READ_ONLY = "portal_transaction_read_only"


def _pg_begin(conn) -> None:
    # begun by a page request (the session is closed later, when the request is gone)
    conn.info[_READ_ONLY] = has_request_context() and request.method in SAFE_METHODS


def _only_reads(statement: str) -> bool:
    """A SELECT; a SET LOCAL (it lasts until the transaction ends, by COMMIT or ROLLBACK alike); an
    EXPLAIN without ANALYZE (it plans a statement without running it: a list's estimated count)."""
    text = statement.lstrip()
    head = text[:10].upper()
    if head.startswith("EXPLAIN"):
        return "ANALY" not in text[:60].upper()  # ANALYZE (or ANALYSE) in its options would run it
    return head.startswith("SELECT") or head == "SET LOCAL "


def _pg_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if conn.info.get(_READ_ONLY) and not _only_reads(statement):
        conn.info[_READ_ONLY] = False


def _pg_end_read(conn) -> None:
    """Before a rollback: a page request's transaction that only read ends with COMMIT instead."""
    if not conn.info.pop(_READ_ONLY, False) or conn.closed or conn.invalidated:
        return
    raw = conn.connection.dbapi_connection
    if raw is None or raw.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        return  # a failed transaction (INERROR) is rolled back as usual
    try:
        raw.commit()  # the rollback that follows finds no transaction and leaves the statements prepared
    except psycopg.Error as exc:  # a lost connection, say: the rollback that follows reports it
        log.debug("a read's COMMIT failed; rolling back instead: %s", exc)


def setup_engine(engine: sa.Engine, busy_ms: int) -> None:
    """Install the SQLite settings on ``engine``; on PostgreSQL, the ending of transactions that only read."""
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        if not event.contains(engine, "begin", _pg_begin):
            event.listen(engine, "begin", _pg_begin)
            event.listen(engine, "before_cursor_execute", _pg_statement)
            event.listen(engine, "rollback", _pg_end_read)
        return
    if engine.dialect.name != "sqlite" or event.contains(engine, "begin", _sqlite_begin):
        return
    memory = engine.url.database in (None, "", ":memory:")
    event.listen(
        engine,
        "connect",
        lambda dbapi_conn, record: _sqlite_connect(dbapi_conn, record, busy_ms, memory),
    )
    event.listen(engine, "begin", _sqlite_begin)


def _database_error(exc: SQLAlchemyError):
    """Whatever a view did not catch: rolled back, logged in full, shown without SQL."""
    from portal.extensions import db
    from portal.security import _render_error

    db.session.rollback()
    log.error("database error on %s %s", request.method, request.path, exc_info=exc)
    if is_transient(exc):
        return _render_error(503, _l("Nothing was saved"), BUSY_MESSAGE)
    return _render_error(400, _l("Nothing was saved"), DB_ERROR_MESSAGE)


def init_app(app) -> None:
    from portal.extensions import db

    with app.app_context():
        setup_engine(db.engine, int(app.config["SQLITE_BUSY_TIMEOUT_MS"]))
    app.register_error_handler(SQLAlchemyError, _database_error)
