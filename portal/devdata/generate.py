"""Bulk data for performance testing: up to millions of appeals over five years.

Rows are built as tuples of stored values (no ORM, no per-row parameter processing) by forked
builder processes, with explicit primary keys after the current maximum, and written in order
by this one: on SQLite a builder inserts its chunk's rows into an in-memory database of its own
and this process copies its image with ``INSERT … SELECT`` (``_Writer``); on PostgreSQL they are
pickled and written with ``COPY``. Memory stays bounded (a chunk being built by each builder,
one being written). A run that at least doubles the register is one transaction that loads
its tables without their full-text triggers and without the secondary indexes that are cheaper
to build at the end than to keep (all of them on PostgreSQL), builds those at the end; a smaller
run commits batch by batch. Such inserts bypass the audit hooks, so the whole run is recorded as
ONE audit entry. The same seed on the same database state gives the same rows (dates are
relative to the start of today in Kyiv).

Each appeal gets an applicant (some applicants come back with repeated appeals), and by
its state a resolution, assignments (the first one responsible), both answers, a proof of
feedback, an outgoing number, a result code, its status history and its search document.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import gc
import marshal
import multiprocessing
import os
import pickle
import random
import sqlite3
import string
import tempfile
import time as clock
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, repeat

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.sql.schema import ColumnDefault

from portal.devdata import demo
from portal.devdata.catalogues import catalogue
from portal.extensions import db
from portal.i18n import KYIV, kyiv_today
from portal.models.appeals import RegistrationCounter
from portal.models.enums import (
    AnswerKind,
    AppealStatus,
    AppealSubject,
    AppealType,
    AssignmentStatus,
    AuditAction,
    Channel,
    DeliveryStatus,
    ExecutorKind,
    ExecutorRole,
    FeedbackMethod,
    ReceiptSign,
    Role,
    Sex,
)
from portal.models.org import Executor
from portal.models.reference import PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.models.users import User
from portal.services import audit, open_marks, registration, search
from portal.services.errors import DomainError

GENERATE_ACTOR = audit.Actor(None, "generate-data", "", "")
YEARS = 5
RECENT_DAYS = 40  # the last weeks, where appeals are still in every state of the workflow
S = AppealStatus
# tables in insertion order (parents first)
TABLES = (
    "applicant",
    "appeal",
    "appeal_search",
    "resolution",
    "assignment",
    "answer",
    "feedback_proof",
    "status_change",
)
# the lists of a chunk's rows: the tables' rows, except the answers and the status changes,
# which come as one row per appeal ("answered": what its two answers are made of; "history":
# the path it took and the moment of each step), made into rows by the writer (``_Writer``)
CHUNK_LISTS = (
    "applicant",
    "appeal",
    "appeal_search",
    "resolution",
    "assignment",
    "answered",
    "feedback_proof",
    "history",
)
# The data is made chunk by chunk: chunk c (CHUNK appeals in registration order) is built by
# random stream c % STREAMS, which has its own seeded random numbers and its own candidates
# for repeated appeals. Streams do not depend on one another, so BUILDERS processes build them
# side by side, and the rows are the same whatever the number of processes or the batch size.
CHUNK = 2_000
STREAMS = 4
BUILDERS = 2
# Rows other rows point at get explicit ids from a block per chunk (chunk c's applicants from
# first + c * CHUNK, at most one an appeal), so a stream knows them without waiting for the
# others; ids may leave small gaps. The other tables' ids are given by the database in
# insertion order (chunks are written in order).
ID_BLOCKS = {"appeal": 1, "applicant": 1, "resolution": 1, "assignment": 2}
# SQLite: the tables whose secondary indexes a bulk load drops and builds at its end (a sort each).
# It keeps the others and writes them row by row, as the builders go: their keys grow with the
# rows it appends (an id, a moment, or a few values each followed by one), so new entries go to
# the end of the index or of a few of its ranges, whose pages stay in the page cache — measured at
# 1,000,000 appeals, about the CPU time of building them after the load, but spent while the
# builders still work instead of after them. An applicant's name, phone and e-mail come in no
# order: kept, they cost five times their build. (PostgreSQL drops every secondary index.)
SQLITE_BUILT_AFTER = ("applicant",)
# SQLite settings of the writing connection during a run (put back after it): no fsync, 256 MB
# of page cache, the index builds' sorter spilling to temporary files (measured: the in-memory
# temp store used 60 % more CPU time and its RSS) and no CHECK constraints evaluated (the
# generator writes enum values only: an ``IN (…)`` check costs more than the insert itself when
# a statement runs row by row).
BULK_PRAGMAS = (
    ("synchronous", "OFF"),
    ("cache_size", "-262144"),
    ("temp_store", "FILE"),
    ("ignore_check_constraints", "1"),
)

# older appeals are almost all finished; a few stragglers are still in work, long overdue
OLD_STATES = [(S.CLOSED, 9200), (S.RETURNED_TO_APPLICANT, 250), (S.NOT_CONSIDERED, 250), (S.IN_WORK, 5)]
# fraction of the span from registration to the last step at which each state is entered
STEP_AT = {
    S.REGISTERED: 0.0,
    S.ON_RESOLUTION: 0.04,
    S.ASSIGNED: 0.1,
    S.IN_WORK: 0.16,
    S.ANSWER_DRAFTED: 0.7,
    S.ON_SIGNING: 0.77,
    S.SIGNED: 0.84,
    S.SENT: 0.9,
    S.CLOSED: 1.0,
}
# (population, cumulative weights) for random.choices
CHANNELS = (
    [
        Channel.GOVERNMENT,
        Channel.POST,
        Channel.PHONE,
        Channel.PERSONAL,
        Channel.WEB,
        Channel.OTHER_BODY,
        Channel.AUTHORISED,
        Channel.MEDIA,
    ],
    list(accumulate([60, 12, 8, 7, 8, 3, 1, 1])),
)
TYPES = ([AppealType.STATEMENT, AppealType.COMPLAINT, AppealType.PROPOSAL], list(accumulate([62, 30, 8])))
RESULTS = ([r for r, _ in demo.RESULT_WEIGHTS], list(accumulate(w for _, w in demo.RESULT_WEIGHTS)))
OLD_STATES_CUM = ([s for s, _ in OLD_STATES], list(accumulate(w for _, w in OLD_STATES)))


@dataclass
class GenerateResult:
    appeals: int
    seed: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)


@dataclass
class _Context:
    """What the generator draws from: reference rows, executors and users, all by id."""

    topics: list[tuple[int, str, str, int | None]]  # (id, code, name, direction id)
    topic_weights: list[int]
    executors_by_topic: dict[int, list[int]]
    executor_ids: list[int]
    results: dict[str, int]
    social_statuses: list[int]
    privileges: list[int]
    signers: dict[int | None, int]  # direction id → signer id (None: any)
    clerks: list[int | None]
    executor_users: dict[int, int]


def generate_appeals(
    count: int, *, seed: int = 1, batch_size: int = 5_000, progress: Callable[[int, int, float], None] | None = None
) -> GenerateResult:
    """Insert ``count`` appeals with their related rows; one audit entry for the whole run.

    A run that at least doubles the register is a bulk load: one transaction that drops the
    full-text triggers of the tables it fills and those of their secondary indexes that cost
    more to keep row by row than to build at the end (every one on PostgreSQL; on SQLite see
    ``SQLITE_BUILT_AFTER``), inserts every row (indexing the search documents chunk by chunk),
    and builds the dropped indexes at the end (a sort each) — an error leaves the database as
    it was. On SQLite it is written with a rollback journal instead of the write-ahead log
    when no other connection is open (see ``_bulk_pragmas``). A smaller run inserts into the
    indexed tables and commits every ``batch_size`` appeals.
    """
    started = clock.perf_counter()
    with audit.acting_as(GENERATE_ACTOR):
        context = _prepare()
        writer = _Writer(db.session.get_bind().dialect)
        generator = _Generator(
            context,
            seed,
            count,
            first_ids={t: _max_id(t) + 1 for t in ID_BLOCKS},
            numbers=dict(
                db.session.execute(sa.select(RegistrationCounter.year, RegistrationCounter.last_number)).all()
            ),
            stored=writer.stored,
        )
        existing = db.session.execute(sa.select(sa.func.count()).select_from(db.metadata.tables["appeal"])).scalar()
        bulk = (existing or 0) < count
        db.session.commit()
        rows = dict.fromkeys(TABLES, 0)
        last_numbers: dict[int, int] = {}
        restore = _bulk_pragmas(db.session.connection(), bulk) if writer.sqlite else (lambda: None)
        indexer: _SearchIndexer | None = None
        try:
            deferred = _defer_indexes(db.session.connection()) if bulk else None
            if deferred is not None and deferred.triggers:
                indexer = _SearchIndexer.start(db.session.connection())
            done = committed = 0
            for chunk in _chunks(generator, writer):
                connection = db.session.connection()
                for table, written in writer.write(connection, chunk.payload).items():
                    rows[table] += written
                if indexer is not None:
                    indexer.send(chunk.payload)
                elif deferred is not None and deferred.triggers and chunk.appeals:
                    search.index_documents_from(connection, chunk.first_appeal, chunk.first_appeal + chunk.appeals - 1)
                for year, last in chunk.numbers.items():
                    last_numbers[year] = max(last, last_numbers.get(year, 0))
                done += chunk.appeals
                if done - committed >= batch_size or done == count:
                    if deferred is None:
                        db.session.commit()
                    committed = done
                    if progress is not None:
                        progress(done, count, clock.perf_counter() - started)
            if indexer is not None:
                indexer.send(b"")  # the end: it finishes while the dropped indexes are built
            if deferred is not None:
                _restore_indexes(db.session.connection(), deferred, indexer)
            for year, last in sorted(last_numbers.items()):
                demo.bump_registration_counter(year, last)
            _sync_sequences()
            audit.log_event(AuditAction.INSERT, model="Appeal", detail=f"generate-data: {count} appeals, seed {seed}")
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            writer.close()
            if indexer is not None:
                indexer.close(db.session.connection())
            restore()
    return GenerateResult(count, seed, clock.perf_counter() - started, rows)


def _bulk_pragmas(connection, bulk: bool) -> Callable[[], None]:
    """SQLite: settings of this connection while the run lasts (``BULK_PRAGMAS``); returns what puts them back.

    A bulk load also leaves the write-ahead log for a rollback journal (``journal_mode=DELETE``)
    until it has committed: in WAL mode every page of the new rows is written twice (to the
    log, then by the checkpoint into the database) and every read of the index build looks up
    the log first, while a rollback journal keeps only the pages that existed before the run
    (the new ones are appended to the file and dropped by a rollback). An error rolls back as
    before; a crashed process leaves a hot journal that the next connection rolls back. The
    switch needs the only connection to the file: when another is open it is refused and the
    run stays in WAL mode. SQLite refuses ``synchronous`` inside a transaction, so a caller's
    open one keeps its settings (and nothing is changed).
    """
    raw = connection.connection.dbapi_connection
    if raw is None or getattr(raw, "in_transaction", True):
        return lambda: None
    saved = {name: raw.execute(f"PRAGMA {name}").fetchone()[0] for name, _ in BULK_PRAGMAS}
    for name, value in BULK_PRAGMAS:
        raw.execute(f"PRAGMA {name}={value}")
    journal = raw.execute("PRAGMA journal_mode").fetchone()[0]
    if bulk and journal == "wal":
        _journal_mode(raw, "DELETE")

    def restore() -> None:
        if raw.in_transaction:
            return
        for name, value in saved.items():
            raw.execute(f"PRAGMA {name}={value}")
        if raw.execute("PRAGMA journal_mode").fetchone()[0] != journal:
            _journal_mode(raw, journal)  # when refused, the next connection sets WAL (portal.database)

    return restore


def _journal_mode(raw, mode: str) -> None:
    """Switch the journal mode if no other connection has the file open, without waiting for one to close."""
    busy = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute(f"PRAGMA journal_mode={mode}")
    except sqlite3.OperationalError:  # "database is locked": another connection is open
        pass
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy}")


@dataclass
class _Deferred:
    """What a bulk load dropped, to build again at its end: (name, CREATE statement)."""

    indexes: list[tuple[str, str]]
    triggers: list[tuple[str, str]]


def _defer_indexes(connection) -> _Deferred:
    """Drop secondary (non-unique) indexes and the triggers of the generated tables, in this transaction.

    PostgreSQL: every secondary index. SQLite: those of ``SQLITE_BUILT_AFTER`` only (see there).
    On SQLite the search documents are then indexed chunk by chunk by ``search.index_documents_from``
    with FTS5's settings for a bulk load (``search.bulk_fts_settings``), put back with the triggers.
    """
    tables = list(TABLES)
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN")  # pysqlite would run DROP INDEX in autocommit
        rows = connection.execute(
            sa.text(
                "SELECT type, name, sql, tbl_name FROM sqlite_master WHERE type IN ('index', 'trigger') "
                "AND sql IS NOT NULL "
                "AND tbl_name IN :tables ORDER BY type, name"
            ).bindparams(sa.bindparam("tables", expanding=True)),
            {"tables": tables},
        ).all()
        deferred = _Deferred(
            indexes=[
                (n, s)
                for t, n, s, table in rows
                if t == "index" and table in SQLITE_BUILT_AFTER and not s.upper().startswith("CREATE UNIQUE")
            ],
            triggers=[(n, s) for t, n, s, _ in rows if t == "trigger"],
        )
    elif connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text(
                "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(:tables) AND t.relnamespace = current_schema()::regnamespace "
                "AND NOT x.indisprimary AND NOT x.indisunique ORDER BY i.relname"
            ),
            {"tables": tables},
        ).all()
        deferred = _Deferred(indexes=[(n, s) for n, s in rows], triggers=[])
    else:
        return _Deferred([], [])
    quote = connection.dialect.identifier_preparer.quote
    for name, _ in deferred.triggers:
        connection.exec_driver_sql(f"DROP TRIGGER {quote(name)}")
    for name, _ in deferred.indexes:
        connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
    if deferred.triggers:
        search.bulk_fts_settings(connection, True)
    return deferred


def _restore_indexes(connection, deferred: _Deferred, indexer: _SearchIndexer | None = None) -> None:
    """Build the dropped indexes over the loaded rows, take the full-text index built beside, re-create the triggers."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    for _, statement in deferred.indexes:
        connection.exec_driver_sql(statement)
    if indexer is not None:
        indexer.install(connection)
    if deferred.triggers:
        search.bulk_fts_settings(connection, False)
    for _, statement in deferred.triggers:
        connection.exec_driver_sql(statement)


class _SearchIndexer:
    """SQLite: the full-text index of a bulk load into an empty register, built beside the writer.

    FTS5 tokenises each search document and adds every token and its two- and three-letter
    prefixes to its index: about a third of the writing process's work when it indexes each
    chunk after copying it. Here a forked process does it instead, into an FTS5 table of the
    same definition in a temporary database file of its own: this process passes it each
    chunk's image as it writes it (``send``), and at the end (``install``), after the indexes'
    builds, drops its own, still empty, FTS5 table, creates it again (a new table reads its
    structure from its shadow tables, where the old one kept what it had read) and copies the
    shadow tables of its definition (``_data``, ``_idx``, ``_config``; ``_docsize`` unless
    ``columnsize=0``) of the other file into it, in the run's transaction. The index is the one indexing the same documents in the same order
    here would make. The file is deleted after the run (about 0.3 GB at 1,000,000 appeals).
    """

    SCHEMA = "generate_fts"

    def __init__(self, definition: str, path: str, process, sender, receiver):
        self.definition = definition
        self.path = path
        self.process = process
        self.sender = sender
        self.receiver = receiver
        self.attached = None

    @classmethod
    def start(cls, connection) -> _SearchIndexer | None:
        """The indexer of this run, or None (the register has documents already, no FTS5 table, no ``fork``)."""
        if connection.dialect.name != "sqlite" or "fork" not in multiprocessing.get_all_start_methods():
            return None
        raw = connection.connection.dbapi_connection
        row = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'appeal_fts'").fetchone()
        if row is None or raw.execute("SELECT 1 FROM appeal_search LIMIT 1").fetchone() is not None:
            return None
        handle, path = tempfile.mkstemp(prefix="generate-data-fts-", suffix=".sqlite")
        os.close(handle)
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        result_receiver, result_sender = context.Pipe(duplex=False)
        process = context.Process(
            target=_index_documents,
            args=(row[0], path, receiver, sender, result_sender),
            name="generate-data-fts",
            daemon=True,
        )
        process.start()
        receiver.close()
        result_sender.close()
        return cls(row[0], path, process, sender, result_receiver)

    def send(self, payload: bytes) -> None:
        """Pass a chunk's image on (``b""``: the last one was sent)."""
        self.sender.send_bytes(payload)

    def install(self, connection) -> None:
        """Wait for the index and take it into the run's FTS5 table (see the class)."""
        try:
            outcome = self.receiver.recv_bytes().decode()
        except EOFError:
            outcome = "it stopped without finishing"
        if outcome != "ok":
            raise RuntimeError(f"generate-data: the full-text indexer failed: {outcome}")
        self.process.join()
        raw = connection.connection.dbapi_connection
        raw.execute(f"ATTACH ? AS {self.SCHEMA}", (self.path,))
        self.attached = raw
        raw.execute("DROP TABLE main.appeal_fts")
        raw.execute(self.definition)
        for shadow in fts_shadow_tables(raw, "main"):
            raw.execute(f"DELETE FROM main.{shadow}")
            raw.execute(f"INSERT INTO main.{shadow} SELECT * FROM {self.SCHEMA}.{shadow}")

    def close(self, connection) -> None:
        """After the run's commit or rollback: detach and delete the file, stop the process if it still runs."""
        self.sender.close()
        self.receiver.close()
        if self.attached is not None:
            with contextlib.suppress(sqlite3.OperationalError):  # still in a transaction: the connection is discarded
                self.attached.execute(f"DETACH {self.SCHEMA}")
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)


def fts_shadow_tables(raw, schema: str) -> list[str]:
    """The shadow tables of ``appeal_fts`` in a schema, by name (which there are depends on the table's options)."""
    return [
        name
        for (name,) in raw.execute(
            f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name LIKE 'appeal\\_fts\\_%' ESCAPE '\\' "
            "ORDER BY name"
        )
    ]


def _index_documents(definition: str, path: str, receiver, sender, result) -> None:
    """In the indexer's process: index the documents of each image received, in order, until ``b""``."""
    gc.freeze()
    sender.close()  # this process's copy of the other end
    try:
        index = sqlite3.connect(path, isolation_level=None)
        index.execute("PRAGMA journal_mode=OFF")
        index.execute("PRAGMA synchronous=OFF")
        index.execute(definition)
        for name, value in (("hashsize", search.FTS_BULK_HASH_SIZE), ("automerge", 0)):
            index.execute("INSERT INTO appeal_fts(appeal_fts, rank) VALUES (?, ?)", (name, value))
        index.execute(f"ATTACH ':memory:' AS {SCRATCH}")
        index.execute("BEGIN")
        images = 0
        while payload := receiver.recv_bytes():
            index.deserialize(payload, name=SCRATCH)
            images += 1
            index.execute(
                f"INSERT INTO main.appeal_fts(rowid, terms) SELECT id, terms FROM {SCRATCH}.appeal "
                f"ORDER BY id /* {images} */"
            )
        index.execute("COMMIT")
        index.close()
        result.send_bytes(b"ok")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            result.send_bytes(f"{exc.__class__.__name__}: {exc}".encode())
    finally:
        result.close()
        receiver.close()


def _max_id(table: str) -> int:
    t = db.metadata.tables[table]
    return db.session.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()


@dataclass(frozen=True)
class _Chunk:
    """One chunk as the writing process receives it: its rows packed by ``_Writer.pack``, and what it needs to know of them."""

    index: int
    payload: bytes
    numbers: dict[int, int]  # the last registration number of each year in the chunk
    first_appeal: int
    appeals: int


def _chunks(generator: _Generator, writer: _Writer):
    """Every chunk (``_Chunk``), in order, built and packed by forked processes.

    Building rows (and, on SQLite, inserting them into an in-memory database: see
    ``_Writer.pack``) is done in ``BUILDERS`` forked copies of the generator, which share the
    streams out (stream s to builder s % builders), each sending its packed chunks in order
    through a pipe of its own while this process writes the previous ones; a chunk is sent as
    a header and its payload, and a builder waits at the pipe until this process reads the
    payload, so it is at most one chunk ahead. Without ``fork`` the chunks are built in-process.
    """
    chunks = -(-generator.count // CHUNK)
    if "fork" not in multiprocessing.get_all_start_methods():
        for index, tables, numbers in generator.chunks(range(STREAMS)):
            yield _Chunk(index, writer.pack(tables), numbers, *_appeal_range(tables))
        return
    context = multiprocessing.get_context("fork")
    builders = min(BUILDERS, STREAMS, chunks)
    receivers, children = [], []
    try:
        for b in range(builders):
            receiver, sender = context.Pipe(duplex=False)
            streams = [s for s in range(STREAMS) if s % builders == b]
            child = context.Process(
                target=_produce, args=(generator, streams, sender, writer.pack), name=f"generate-data-{b}", daemon=True
            )
            child.start()
            sender.close()
            receivers.append(receiver)
            children.append(child)
        for index in range(chunks):
            receiver = receivers[index % STREAMS % builders]
            try:
                header = marshal.loads(receiver.recv_bytes())
                if header[0] == "error":
                    raise RuntimeError(f"generate-data: a row builder failed: {header[1]}")
                payload = receiver.recv_bytes()
            except EOFError:
                raise RuntimeError("generate-data: a row builder stopped without finishing") from None
            _, got, numbers, first_appeal, appeals = header
            if got != index:
                raise RuntimeError(f"generate-data: chunk {got} came instead of {index}")
            yield _Chunk(index, payload, numbers, first_appeal, appeals)
    finally:
        for receiver in receivers:
            receiver.close()
        for child in children:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()


def _appeal_range(tables: dict[str, list]) -> tuple[int, int]:
    """(first appeal id, number of appeals) of a chunk's rows."""
    appeals = tables["appeal"]
    return (appeals[0][0] if appeals else 0), len(appeals)


def _produce(generator: _Generator, streams: list[int], sender, pack: Callable[[dict], bytes]) -> None:
    """In a builder: build, pack and send the chunks of ``streams`` in order (never touches the database)."""
    # A builder makes rows, which hold no reference cycles: what it inherited (the whole app) is
    # left out of the collector's passes and its youngest generation is collected less often
    # (by default 7–9 % of a builder's time went to the collector, mostly passing over those).
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    try:
        for index, tables, numbers in generator.chunks(streams):
            payload = pack(tables)
            sender.send_bytes(marshal.dumps(("chunk", index, numbers, *_appeal_range(tables))))
            sender.send_bytes(payload)
    except BrokenPipeError:  # the parent stopped reading (an error while writing)
        pass
    except BaseException as exc:
        sender.send_bytes(marshal.dumps(("error", f"{exc.__class__.__name__}: {exc}")))
    finally:
        sender.close()


# --- what the generator needs in the database ------------------------------------------------------


def _prepare() -> _Context:
    topics = [
        (t.id, t.code, t.name, t.direction_id)
        for t in db.session.execute(sa.select(Topic).where(Topic.parent_id.is_not(None)).order_by(Topic.code)).scalars()
    ]
    if not topics:
        raise DomainError(_l("Load the reference data first (flask init-db)."))
    if not db.session.execute(sa.select(Executor.id).limit(1)).first():
        _create_executors()
    if not db.session.execute(sa.select(User.id).where(User.role == Role.SIGNER).limit(1)).first():
        _create_placeholder_signers()
    db.session.commit()

    executor_ids = [
        e
        for (e,) in db.session.execute(sa.select(Executor.id).where(Executor.is_active.is_(True)).order_by(Executor.id))
    ]
    if not executor_ids:
        raise DomainError(_l("There are no active executor bodies."))
    from portal.models.org import executor_topic

    by_topic: dict[int, list[int]] = {}
    for executor_id, topic_id in db.session.execute(
        sa.select(executor_topic.c.executor_id, executor_topic.c.topic_id).order_by(
            executor_topic.c.topic_id, executor_topic.c.executor_id
        )
    ):
        if executor_id in executor_ids:
            by_topic.setdefault(topic_id, []).append(executor_id)
    users = db.session.execute(
        sa.select(User.id, User.role, User.direction_id, User.executor_id).order_by(User.id)
    ).all()
    signers: dict[int | None, int] = {}
    for user_id, role, direction_id, _ in users:
        if Role(role) == Role.SIGNER:
            signers.setdefault(direction_id, user_id)
            signers.setdefault(None, user_id)
    return _Context(
        topics=topics,
        topic_weights=[catalogue("section_weights").get(code.split(".")[0], 1) for _, code, _, _ in topics],
        executors_by_topic=by_topic,
        executor_ids=executor_ids,
        results={code: id_ for id_, code in db.session.execute(sa.select(ResultCode.id, ResultCode.code))},
        social_statuses=[i for (i,) in db.session.execute(sa.select(SocialStatus.id).order_by(SocialStatus.code))],
        privileges=[i for (i,) in db.session.execute(sa.select(PrivilegeCategory.id).order_by(PrivilegeCategory.code))],
        signers=signers,
        clerks=[u for u, role, _, _ in users if Role(role) == Role.CLERK] or [None],
        executor_users={e: u for u, role, _, e in users if Role(role) == Role.EXECUTOR and e},
    )


def _create_executors() -> None:
    """The council's executor bodies of the demo catalogue, with their topics (audited, ORM)."""
    from portal.models.org import ExecutorContact

    rng = random.Random(0)
    topics = {t.code: t for t in db.session.execute(sa.select(Topic)).scalars()}
    for (name, short, head_title, codes, mail), kind in [
        (spec, ExecutorKind.EXTERNAL) for spec in catalogue("executors")
    ] + [(catalogue("internal_executor"), ExecutorKind.INTERNAL)]:
        head = demo.person(rng)[0]
        executor = Executor(
            name=name,
            short_name=short,
            kind=kind,
            head_name=head,
            email=f"{mail}@{demo.EXECUTOR_DOMAIN}",
            phone=demo.city_phone(rng),
            topics=[topics[c] for c in codes if c in topics],
        )
        executor.contacts.append(
            ExecutorContact(full_name=head, position=head_title, phone=executor.phone, email=executor.email)
        )
        db.session.add(executor)
    db.session.flush()


def _create_placeholder_signers() -> None:
    """Resolutions need a signer: one inactive account per direction when there is none at all."""
    import secrets

    from portal.models.reference import Direction
    from portal.services.users import create_user

    for direction in db.session.execute(sa.select(Direction).order_by(Direction.id)).scalars():
        user = create_user(
            username=f"generated.signer{direction.id}",
            role=Role.SIGNER,
            password=f"Gen{secrets.token_hex(12)}x9",
            full_name=direction.signer_title,
            direction_id=direction.id,
        )
        user.active = False  # nobody logs in as it: it only signs generated resolutions
    db.session.flush()


def _sync_sequences() -> None:
    """PostgreSQL: move each id sequence past the explicitly inserted ids."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in sorted(set(TABLES) - {"appeal_search"}):
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


def _joins(character: str) -> bool:
    """Whether a character may be part of a search document's word (a letter, a digit or an apostrophe)."""
    return search.document_words(f"ab{character}cd") != ["ab", "cd"]


def _kyiv_date(naive_utc: datetime) -> date:
    return naive_utc.replace(tzinfo=UTC).astimezone(KYIV).date()


# The generator keeps a moment as whole microseconds since the epoch (naive UTC) until it stores
# it: ``datetime`` arithmetic and ``isoformat`` cost ~3 µs a moment, about a fifth of a builder's
# work (9–10 moments an appeal). The values are those ``datetime`` gives (see ``_Generator.history``).
EPOCH = datetime(1970, 1, 1)
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


def _micros(naive_utc: datetime) -> int:
    return (naive_utc - EPOCH) // timedelta(microseconds=1)


def _from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


class _MomentText:
    """A moment (µs since the epoch) as SQLAlchemy stores a naive datetime on SQLite, "2026-03-14 09:26:53.000000".

    Made of remembered pieces: the day's text, the second of the day's, two halves of the microseconds.
    """

    def __init__(self):
        self.days: dict[int, str] = {}
        self.seconds = [f"{h:02d}:{m:02d}:{s:02d}." for h in range(24) for m in range(60) for s in range(60)]
        self.thousands = [f"{i:03d}" for i in range(1000)]

    def __call__(self, micros: int) -> str:
        day, rest = divmod(micros, DAY_US)
        second, fraction = divmod(rest, 1_000_000)
        text = self.days.get(day)
        if text is None:
            text = self.days[day] = f"{(EPOCH + timedelta(days=day)).date().isoformat()} "
        thousands = self.thousands
        return text + self.seconds[second] + thousands[fraction // 1000] + thousands[fraction % 1000]


# --- writing ---------------------------------------------------------------------------------------

# the appeal's columns the generator decides at registration, then those its history decides
APPEAL_HEAD = (
    "id",
    "reg_number",
    "reg_seq",
    "registered_at",
    "received_at",
    "created_at",
    "channel",
    "ukc_number",
    "regional_number",
    "applicant_id",
    "appeal_type",
    "subject",
    "sign",
    "topic_id",
    "direction_id",
    "summary",
    "content",
    "signed_by_applicant",
    "status",
    "is_privileged",
    "term_days",
    "due_date",
    "repeat_of_id",
    "reopen_count",
    "created_by_id",
)
APPEAL_OUTCOME = (
    "signer_id",
    "rework_count",
    "decision_reason",
    "forwarded_to",
    "forwarded_at",
    "applicant_notified_on",
    "outgoing_number",
    "sent_at",
    "delivery_status",
    "paper_copy_sent",
    "result_code_id",
    "closed_at",
    "main_executor_id",
    "updated_at",
)
APPEAL_CLOSED_AT = APPEAL_OUTCOME.index("closed_at")
# the columns the generator fills, in the order of its row tuples (the rest take their defaults;
# the ids of the tables not in ID_BLOCKS are given by the database)
COLUMNS = {
    "applicant": (
        "id",
        "full_name",
        "address",
        "phone",
        "phone2",
        "email",
        "sex",
        "social_status_id",
        "privilege_category_id",
        "created_at",
        "updated_at",
    ),
    "appeal": APPEAL_HEAD + APPEAL_OUTCOME,
    "appeal_search": ("appeal_id", "terms"),
    "resolution": ("id", "appeal_id", "signer_id", "text", "resolved_on", "deadline", "created_at", "updated_at"),
    "assignment": (
        "id",
        "appeal_id",
        "resolution_id",
        "executor_id",
        "position",
        "executor_role",
        "status",
        "due_date",
        "accepted_at",
        "answered_at",
        "created_at",
        "updated_at",
        "appeal_open",
    ),
    "answer": (
        "appeal_id",
        "assignment_id",
        "kind",
        "body",
        "drafted_by_id",
        "signed_by_id",
        "signed_at",
        "outgoing_number",
        "created_at",
        "updated_at",
    ),
    "feedback_proof": (
        "appeal_id",
        "method",
        "contacted_at",
        "result",
        "attachment_id",
        "created_at",
        "updated_at",
    ),
    "status_change": ("appeal_id", "from_status", "to_status", "at", "user_id", "comment"),
}
# a chunk's rows that are no table's: an appeal's path, the stored moments of its steps, who
# records a step (by ``ACTOR``); and, in a chunk's in-memory database, the steps of those paths
HISTORY = ("appeal_id", "path", "moments", "clerk", "signer", "executor")
PATH_STEP = ("path", "step", "start", "from_status", "to_status", "actor", "comment")
# an appeal's answers: (kind, the text before its number or summary, which of them, the text before the action)
ANSWER_TEXTS = (
    (AnswerKind.TO_REGIONAL_CENTER.value, "На звернення № ", "number", " повідомляємо: "),
    (AnswerKind.TO_APPLICANT.value, "Щодо «", "summary", "» повідомляємо: "),
)
ANSWERED = (
    "appeal_id",
    "assignment_id",
    "number",
    "summary",
    "action",
    "drafted_by_id",
    "signed_by_id",
    "signed_at",
    "outgoing_number",
    "drafted_at",
)
ANSWER_TEXT = ("n", "kind", "head", "of_summary", "middle")
# SQLite: a chunk's in-memory database keeps one wide row an appeal where rows come one an appeal
# (binding a row costs ~2.5 µs beside its values): the appeal's row ends with its search document
# and its history (the clerk is the appeal's ``created_by_id``), the answered row with its proof of
# feedback (created when the answer was drafted, no attachment)
SCRATCH_COLUMNS = {
    "appeal": COLUMNS["appeal"] + ("terms", "path", "moments", "signer", "executor"),
    "answered": ANSWERED + ("method", "contacted_at", "result"),
}
MOMENT_WIDTH = 26  # a moment stored on SQLite: "2026-03-14 09:26:53.000000"
# SQLite: how the writer copies a chunk's table. ``OR FAIL`` spares every copy its statement journal:
# a statement that may abort half-way (any ``INSERT … SELECT`` under a NOT NULL or UNIQUE
# constraint) first writes the original of every page it changes — the ends of the kept indexes'
# ranges, most of them, for every chunk — to a temporary file so that it can be undone alone
# (measured at 200,000 appeals: 155,000 of the writer's 417,000 writes, ~15 % of its CPU time).
# A failed copy then keeps the rows it wrote before the error, but an error ends the run, and the
# run's transaction is rolled back whole (``generate_appeals``).
SQLITE_COPY = "INSERT OR FAIL INTO"


def _same(value):
    return value


@dataclass(frozen=True)
class _Stored:
    """How the generator writes a moment (µs since the epoch, naive UTC: what ``UTCDateTime`` stores) and a date."""

    moment: Callable
    day: Callable


def _scratch_table(name: str) -> str:
    """A table of a chunk's in-memory database: the generated columns, untyped, keyed by the id the generator gives.

    Untyped columns keep the values as bound; the copy applies the real column's type affinity,
    as an insert of the same values would. Rows without such an id are read back in rowid order.
    """
    if name == "path_step":
        return f"CREATE TABLE path_step ({', '.join(PATH_STEP)}, PRIMARY KEY (path, step)) WITHOUT ROWID"
    columns = SCRATCH_COLUMNS.get(name) or {"answer_text": ANSWER_TEXT}.get(name) or COLUMNS[name]
    key = {"answered": "appeal_id", "answer_text": "n"}.get(name, "id")
    definitions = (f'"{c}" INTEGER PRIMARY KEY' if c == key else f'"{c}"' for c in columns)
    return f"CREATE TABLE {name} ({', '.join(definitions)})"


# the schema a chunk's in-memory database is attached as to the writing connection (SQLite), its tables
SCRATCH = "generate_chunk"
SCRATCH_TABLES = ("applicant", "appeal", "resolution", "assignment", "answered", "path_step", "answer_text")


def _image(tables: dict[str, list]) -> bytes:
    """A chunk's rows in an in-memory SQLite database (``SCRATCH_TABLES``), as the bytes of its file."""
    histories = tables["history"]
    appeals, documents, answered, proofs = (
        tables["appeal"],
        tables["appeal_search"],
        tables["answered"],
        tables["feedback_proof"],
    )
    if not (len(appeals) == len(documents) == len(histories) and len(answered) == len(proofs)):
        raise RuntimeError("generate-data: a chunk's rows of one an appeal do not match")
    moments = ["".join(h[2]) for h in histories]
    if sum(map(len, moments)) != MOMENT_WIDTH * sum(len(h[2]) for h in histories):
        raise RuntimeError("generate-data: a moment is not stored in the expected width")
    tables["appeal"] = [
        (*a, d[1], h[1], m, h[4], h[5]) for a, d, h, m in zip(appeals, documents, histories, moments, strict=True)
    ]
    tables["answered"] = [(*r, f[1], f[2], f[3]) for r, f in zip(answered, proofs, strict=True)]
    tables["path_step"] = steps = []
    for code in sorted({h[1] for h in histories}):
        path = _path(code)
        for i, step in enumerate(zip(path.from_states, path.to_states, path.actors, path.comments)):
            steps.append((code, i, 1 + i * MOMENT_WIDTH, *step))
    tables["answer_text"] = [
        (n, kind, head, which == "summary", middle) for n, (kind, head, which, middle) in enumerate(ANSWER_TEXTS)
    ]
    part = sqlite3.connect(":memory:", isolation_level=None)
    try:
        part.execute("PRAGMA journal_mode=OFF")
        for name in SCRATCH_TABLES:  # every table before any row: the same schema and root pages in every image
            part.execute(_scratch_table(name))
        part.execute("BEGIN")
        for name in SCRATCH_TABLES:
            if tables[name]:
                width = len(tables[name][0])
                part.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * width)})", tables[name])
        part.execute("COMMIT")
        return part.serialize()
    finally:
        part.close()


def _answers(answered: list[tuple]) -> list[tuple]:
    """The rows of the answers of a chunk's answered appeals (``ANSWERED``), two an appeal (``ANSWER_TEXTS``)."""
    rows = []
    for appeal_id, assignment, number, summary, action, drafter, signer, signed_at, outgoing, drafted in answered:
        for kind, head, which, middle in ANSWER_TEXTS:
            text = f"{head}{summary if which == 'summary' else number}{middle}{action}."
            rows.append(
                (appeal_id, assignment, kind, text, drafter, signer, signed_at, outgoing, drafted, signed_at or drafted)
            )
    return rows


def _status_changes(histories: list[tuple]) -> list[tuple]:
    """The status changes of a chunk's histories (``HISTORY``), a row a step of each path."""
    rows: list[tuple] = []
    for appeal_id, code, stored, clerk, signer, executor in histories:
        path = _path(code)
        actors = (clerk, signer, executor)
        rows.extend(
            zip(
                repeat(appeal_id),
                path.from_states,
                path.to_states,
                stored,
                map(actors.__getitem__, path.actors),
                path.comments,
            )
        )
    return rows


class _Writer:
    """Writes chunks of rows already in their stored form: on SQLite copied from an in-memory database, COPY on PostgreSQL.

    SQLAlchemy's per-row parameter processing costs more than the insert itself at this
    volume, so the generator makes tuples of stored values: enums as their values, on SQLite
    datetimes in SQLAlchemy's text format (microseconds always present) and dates as ISO
    text; psycopg takes naive datetimes and dates as they are.

    A chunk is packed by its builder (``pack``) and written by this process (``write``). On
    SQLite the driver's per-row work (binding every value of every row, ~70 µs an appeal) is
    the largest part of the writing, so the builders do it, side by side: a chunk's rows are
    inserted into an in-memory database of its own whose image (``serialize``) is sent; the
    writing connection deserializes it into a schema attached once (``SCRATCH``) and copies
    each table with one ``INSERT … SELECT`` (~18 µs an appeal). A scratch file per builder,
    attached, would not do: the run's transaction keeps every file it has read locked to its
    end, and SQLite detaches nothing inside a transaction; a deserialized image replaces the
    attached one in place. On PostgreSQL the rows are pickled and written with COPY.
    """

    def __init__(self, dialect):
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        if self.sqlite:
            self.stored = _Stored(_MomentText(), date.isoformat)
        else:
            self.stored = _Stored(_from_micros, _same)
        self.statements: dict[str, tuple[str, tuple]] = {}
        self.attached: list[sqlite3.Connection] = []  # the connections ``SCRATCH`` is attached to
        self.images = 0

    def pack(self, tables: dict[str, list]) -> bytes:
        """A chunk's rows as the payload ``write`` takes (in a builder: no database of the run touched)."""
        if self.sqlite:
            return _image(tables)
        tables["answer"] = _answers(tables.pop("answered"))
        tables["status_change"] = _status_changes(tables.pop("history"))
        return pickle.dumps(tables)

    def write(self, connection, payload: bytes) -> dict[str, int]:
        """Write a packed chunk in the connection's transaction; returns the rows written by table."""
        if not self.sqlite:
            tables = pickle.loads(payload)
            for name in TABLES:
                self.insert(connection, name, tables[name])
            return {name: len(tables[name]) for name in TABLES}
        raw = connection.connection.dbapi_connection
        if not any(raw is attached for attached in self.attached):
            raw.execute(f"ATTACH ':memory:' AS {SCRATCH}")
            self.attached.append(raw)
        raw.deserialize(payload, name=SCRATCH)
        self.images += 1
        written = {}
        for name in TABLES:
            sql, tail = self.statements.get(name) or self._statement(name)
            # a statement text of its own for each image: prepared against the schema just read, never a cached one
            written[name] = raw.execute(f"{sql} /* {self.images} */", tail).rowcount
        return written

    def close(self) -> None:
        """Detach the scratch schema: after the run's commit or rollback (SQLite refuses it inside a transaction)."""
        for raw in self.attached:
            with contextlib.suppress(sqlite3.OperationalError):  # still in a transaction: the connection is discarded
                raw.execute(f"DETACH {SCRATCH}")
        self.attached.clear()

    def insert(self, connection, name: str, rows: list[tuple]) -> None:
        """PostgreSQL: write one table's rows of a chunk."""
        if not rows:
            return
        sql, tail = self.statements.get(name) or self._statement(name)
        if tail:
            rows = [row + tail for row in rows]
        if self.copy:
            # COPY is several times faster than any INSERT, in the same transaction
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:
                for record in rows:
                    copy.write_row(record)
        else:
            connection.exec_driver_sql(sql, rows)

    def _statement(self, name: str) -> tuple[str, tuple]:
        """(statement, the values of the columns the rows do not give) for a table."""
        table = db.metadata.tables[name]
        defaults = self._defaults(table, COLUMNS[name])
        keys = COLUMNS[name] + tuple(defaults)
        quote = self.dialect.identifier_preparer.quote
        columns = ", ".join(quote(k) for k in keys)
        if self.sqlite and name == "status_change":
            values = ", ".join(
                [
                    f"h.id, s.from_status, s.to_status, substr(h.moments, s.start, {MOMENT_WIDTH})",
                    f"CASE s.actor WHEN {CLERK} THEN h.created_by_id WHEN {SIGNER} THEN h.signer ELSE h.executor END",
                    "s.comment",
                ]
                + ["?"] * len(defaults)
            )
            # each history in appeal order, its steps in order (the path's key): no sort
            sql = (
                f"{SQLITE_COPY} main.{quote(name)} ({columns}) SELECT {values} FROM {SCRATCH}.appeal AS h "
                f"CROSS JOIN {SCRATCH}.path_step AS s ON s.path = h.path ORDER BY h.id, s.step"
            )
        elif self.sqlite and name == "answer":
            values = ", ".join(
                [
                    "r.appeal_id, r.assignment_id, t.kind",
                    "t.head || CASE WHEN t.of_summary THEN r.summary ELSE r.number END || t.middle || r.action || '.'",
                    "r.drafted_by_id, r.signed_by_id, r.signed_at, r.outgoing_number, r.drafted_at",
                    "coalesce(r.signed_at, r.drafted_at)",
                ]
                + ["?"] * len(defaults)
            )
            sql = (
                f"{SQLITE_COPY} main.{quote(name)} ({columns}) SELECT {values} FROM {SCRATCH}.answered AS r "
                f"CROSS JOIN {SCRATCH}.answer_text AS t ORDER BY r.appeal_id, t.n"
            )
        elif self.sqlite and name in ("appeal_search", "feedback_proof"):
            source, given = {
                "appeal_search": ("appeal", "id, terms"),
                "feedback_proof": ("answered", "appeal_id, method, contacted_at, result, NULL, drafted_at, drafted_at"),
            }[name]
            values = ", ".join([given] + ["?"] * len(defaults))
            sql = f"{SQLITE_COPY} main.{quote(name)} ({columns}) SELECT {values} FROM {SCRATCH}.{source} ORDER BY rowid"
        elif self.sqlite:
            values = ", ".join([quote(k) for k in COLUMNS[name]] + ["?"] * len(defaults))
            sql = f"{SQLITE_COPY} main.{quote(name)} ({columns}) SELECT {values} FROM {SCRATCH}.{name} ORDER BY rowid"
        elif self.copy:
            sql = f"COPY {quote(name)} ({columns}) FROM STDIN"
        else:
            sql = f"INSERT INTO {quote(name)} ({columns}) VALUES ({', '.join([self.placeholder] * len(keys))})"
        self.statements[name] = sql, tuple(defaults.values())
        return self.statements[name]

    def _defaults(self, table: sa.Table, given: tuple[str, ...]) -> dict:
        """Stored values of the column defaults of the columns the rows do not give."""
        values = {}
        for column in table.columns:
            default = column.default
            if column.key in given or not isinstance(default, ColumnDefault) or column.primary_key:
                continue
            if default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
            else:
                continue
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, datetime):
                if value.tzinfo is not None:
                    value = value.astimezone(UTC).replace(tzinfo=None)
                value = self.stored.moment(_micros(value))
            elif isinstance(value, date):
                value = self.stored.day(value)
            values[column.key] = value
        return values


# --- the generator --------------------------------------------------------------------------------

ONE_DAY = timedelta(days=1)
DAYS = [timedelta(days=n) for n in range(31)]  # made once: a timedelta costs ~1 µs to make
EARLIER_DEADLINE = (DAYS[0], DAYS[0], DAYS[1], DAYS[2])  # a deadline before the due date, drawn by ``pick``
CHANNEL_VALUES = [c.value for c in CHANNELS[0]]
TYPE_VALUES = [t.value for t in TYPES[0]]
GOVERNMENT = Channel.GOVERNMENT.value
PRIMARY, REPEATED = ReceiptSign.PRIMARY.value, ReceiptSign.REPEATED.value
RESPONSIBLE, CO_EXECUTOR = ExecutorRole.RESPONSIBLE.value, ExecutorRole.CO_EXECUTOR.value
ASSIGNMENT_NEW, ASSIGNMENT_ACCEPTED, ASSIGNMENT_ANSWERED = (
    AssignmentStatus.NEW.value,
    AssignmentStatus.ACCEPTED.value,
    AssignmentStatus.ANSWERED.value,
)
DELIVERY_SENT = DeliveryStatus.SENT.value
FEEDBACK_PHONE, FEEDBACK_EMAIL = FeedbackMethod.PHONE.value, FeedbackMethod.EMAIL.value
HOUSE_LETTERS = ("", "", "", "", "А", "Б")
SEX_VALUES = {sex: sex.value for sex in Sex}
SUBJECT_VALUES = {subject: subject.value for subject in AppealSubject}
REGIONAL_KEY = search.number_key("КЦ-")  # a regional number's token: this, the appeal's id and the year's two digits
MAIL_DOMAINS = ("gmail.com", "ukr.net", "i.ua", "meta.ua")
DECIDED = frozenset((S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.FORWARDED, S.CANCELLED))
SIGNING_OR_LATER = frozenset((S.ON_SIGNING, S.SIGNED, S.SENT, S.CLOSED))
CLOSED, RETURNED, CANCELLED, NOT_CONSIDERED = S.CLOSED, S.RETURNED_TO_APPLICANT, S.CANCELLED, S.NOT_CONSIDERED
ANONYMOUS = AppealSubject.ANONYMOUS
# who records each step of the history: the clerk, the signer or the executor's user
CLERK, SIGNER, EXECUTOR = 0, 1, 2
ACTOR = {S.ASSIGNED: SIGNER, S.SIGNED: SIGNER, S.IN_WORK: EXECUTOR, S.ANSWER_DRAFTED: EXECUTOR, S.ON_SIGNING: EXECUTOR}
REWORK_COMMENT = "Повернуто на доопрацювання."


@dataclass(frozen=True)
class _Path:
    """One way to a final state, worked out once: its states, where each step falls, who records it."""

    states: tuple[AppealStatus, ...]
    fractions: tuple[float, ...]  # of the span from registration, for the steps after the first
    even: bool  # the steps are spread evenly over a short span (decisions, forwarding, rework)
    # each step's status change, column by column: from, to, who records it, comment
    from_states: tuple[str | None, ...]
    to_states: tuple[str, ...]
    actors: tuple[int, ...]
    comments: tuple[str, ...]
    first_in_work: int | None  # the step where the work began (a reworked answer has a second one)
    code: int  # the same in every process (``_path``)
    # the last step into each of these states (None: not on the path), as the history needs them
    assigned: int | None = None
    drafted: int | None = None
    signed: int | None = None
    sent: int | None = None
    forwarded: int | None = None
    resolution: bool = False  # the appeal went to a resolution (it has a signer)
    rework_count: int = 0

    @classmethod
    def of(cls, status: AppealStatus, rework: bool, via_forward: bool) -> _Path:
        states = tuple(demo.path_to(status, rework, via_forward))
        steps = len(states) - 1
        even = rework or via_forward or status in DECIDED
        if steps == 0:
            fractions: tuple[float, ...] = ()
        elif even:
            fractions = tuple((i + 1) / steps for i in range(steps))
        else:
            fractions = tuple(STEP_AT[s] / STEP_AT[states[-1]] for s in states[1:])
        changes: list[tuple[str | None, str, int, str]] = []
        previous: AppealStatus | None = None
        for state in states:
            reworked = previous is S.ON_SIGNING and state is S.IN_WORK
            changes.append(
                (
                    previous.value if previous is not None else None,
                    state.value,
                    SIGNER if reworked else ACTOR.get(state, CLERK),
                    REWORK_COMMENT if reworked else "",
                )
            )
            previous = state
        first_in_work = states.index(S.IN_WORK) if S.IN_WORK in states else None
        from_states, to_states, actors, comments = zip(*changes)
        code = STATUS_ORDER.index(status) * 4 + rework * 2 + via_forward
        last = {state: i for i, state in enumerate(states)}
        return cls(
            states,
            fractions,
            even,
            from_states,
            to_states,
            actors,
            comments,
            first_in_work,
            code,
            assigned=last.get(S.ASSIGNED),
            drafted=last.get(S.ANSWER_DRAFTED),
            signed=last.get(S.SIGNED),
            sent=last.get(S.SENT),
            forwarded=last.get(S.FORWARDED),
            resolution=S.ON_RESOLUTION in last,
            rework_count=max(0, states.count(S.IN_WORK) - 1),
        )


STATUS_ORDER = tuple(AppealStatus)


@functools.cache
def _path(code: int) -> _Path:
    """The path of a code (``_Path.code``)."""
    return _Path.of(STATUS_ORDER[code // 4], bool(code & 2), bool(code & 1))


class _Stream:
    """One random stream of the generator: its random numbers, its candidates for repeated appeals, its outgoing numbers."""

    def __init__(self, index: int, seed: int):
        self.index = index
        self.rng = random.Random(f"generate-data {seed} stream {index}")
        # closed appeals an applicant may come back about (a repeated appeal), oldest first:
        # (appeal id, applicant id, topic index, privileged, name, closed at (stored), person)
        self.recent: list[tuple] = []
        self.outgoing = 0


# closed appeals a stream keeps as candidates for repeated appeals (the older half is drawn from)
RECENT_CANDIDATES = 20_000 // STREAMS


class _Generator:
    """Rows of ``count`` appeals as tuples in the order of ``COLUMNS``, chunk by chunk (see ``CHUNK``)."""

    def __init__(
        self, context: _Context, seed: int, count: int, *, first_ids: dict[str, int], numbers: dict, stored: _Stored
    ):
        self.c = context
        self.seed = seed
        self.count = count
        self.today = kyiv_today()
        self.first_ids = dict(first_ids)
        self.first_appeal_id = first_ids["appeal"]
        self.numbers = dict(numbers)  # the registration counters before the run, by year
        self.streams: dict[int, _Stream] = {}
        self.stream = _Stream(0, seed)  # the current chunk's stream (set by _chunk)
        self.rng = self.stream.rng
        self.random = self.rng.random
        self.recent = self.stream.recent
        self.next_id: dict[str, int] = {}
        self.topic_cum_weights = list(accumulate(context.topic_weights))
        self.moment = stored.moment
        self.day = stored.day
        self.midnights: dict[date, int] = {}  # a Kyiv day → its midnight as naive UTC (µs)
        self.kyiv_dates: dict[int, date] = {}  # an hour since the epoch (UTC) → its day in Kyiv
        self.years: dict[int, int] = {}  # a day since the epoch (UTC) → its year
        self.paths: dict[tuple, _Path] = {}
        self.requests = catalogue("requests")
        self.resolution_texts = catalogue("resolution_texts")
        self.actions = catalogue("actions")
        self.feedback_results = catalogue("feedback_results")
        self.forward_bodies = catalogue("forward_bodies")
        self.return_reason = catalogue("return_reasons")[1]
        self.not_considered_reasons = catalogue("not_considered_reasons")
        self.surnames = catalogue("surnames")
        self.male_names = catalogue("male_names")
        self.female_names = catalogue("female_names")
        self.streets = catalogue("streets")
        self.mobile_codes = catalogue("mobile_codes")
        # a mobile phone is "+38" and ten national digits: then its key (``search.phone_key``) is those digits
        self.national_phones = all(
            search.phone_key(f"+38{code}1234567") == f"{code}1234567" for code in self.mobile_codes
        )
        self.routes = catalogue("routes")
        self.scenarios = catalogue("scenarios")
        self.word_cache: dict[str, tuple[str, ...]] = {}
        self.templates: dict[str, tuple | None] = {}
        self.house_words = self.words(", буд. ")
        self.city_words = self.words(f"{demo.CITY}, ")
        self.flat_words = self.words(", кв. ")
        self.collective_words = self.words("Мешканці будинку ")
        self.number_prefixes: dict[str, str] = {}  # a registration number's prefix → its part of the number's token

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def pick(self, seq):
        """One element of ``seq``, uniformly."""
        return seq[int(self.random() * len(seq))]

    # people and places as in the demo (``demo.person`` …), drawn with ``random`` only (``pick``, written
    # out where it runs for every appeal: a call costs more than the draw), each with its search
    # document's words (``words``)
    def person(self) -> tuple[str, Sex, tuple[str, ...]]:
        rnd = self.random
        words = self.words
        surname = self.surnames[int(rnd() * len(self.surnames))]
        father = self.male_names[int(rnd() * len(self.male_names))]
        if rnd() < 0.5:
            first = self.male_names[int(rnd() * len(self.male_names))][0]
            return f"{surname[0]} {first} {father[1]}", Sex.MALE, words(surname[0]) + words(first) + words(father[1])
        first = self.female_names[int(rnd() * len(self.female_names))]
        return f"{surname[1]} {first} {father[2]}", Sex.FEMALE, words(surname[1]) + words(first) + words(father[2])

    def street_address(self) -> tuple[str, str, tuple[str, ...]]:
        """(street, house address, the house address's words)."""
        rnd = self.random
        street = self.streets[int(rnd() * len(self.streets))]
        number = f"{1 + int(rnd() * 160)}{HOUSE_LETTERS[int(rnd() * len(HOUSE_LETTERS))]}"
        return street, f"{street}, буд. {number}", self.words(street) + self.house_words + self.words(number)

    def home_address(self) -> tuple[str, tuple[str, ...]]:
        rnd = self.random
        _, house, words = self.street_address()
        if rnd() < 0.8:
            flat = 1 + int(rnd() * 220)
            return f"{demo.CITY}, {house}, кв. {flat}", self.city_words + words + self.flat_words + self.words(
                str(flat)
            )
        return f"{demo.CITY}, {house}", self.city_words + words

    def mobile_phone(self) -> str:
        rnd = self.random
        return f"+38{self.mobile_codes[int(rnd() * len(self.mobile_codes))]}{int(rnd() * 10_000_000):07d}"

    def email_for(self, full_name: str) -> str:
        parts = full_name.split()
        return (
            f"{demo.latin(parts[1])[:1]}.{demo.latin(parts[0])}{1 + int(self.random() * 99)}@{self.pick(MAIL_DOMAINS)}"
        )

    def texts(self, topic_code: str, topic_name: str) -> tuple[str, str, tuple[str, ...]]:
        """(summary, content, their words) of an appeal on a subtopic, its placeholders filled in."""
        rnd = self.random
        street, address, address_words = self.street_address()
        options = self.scenarios.get(topic_code)
        if options:
            summary, detail = options[int(rnd() * len(options))]
        else:
            summary, detail = topic_name, f"Звертаюся з питання: {topic_name.lower()}."
        route = self.routes[int(rnd() * len(self.routes))]
        values = {"address": address_words, "street": self.words(street), "route": self.words(route)}
        text = summary.format(address=address, street=street, route=route)
        summary_words = self.filled_words(summary, values) if len(text) <= 500 else None
        summary = text[:500]
        route = self.routes[int(rnd() * len(self.routes))]
        values["route"] = self.words(route)
        detail_words = self.filled_words(detail, values)
        detail = detail.format(address=address, street=street, route=route)
        request = self.requests[int(rnd() * len(self.requests))]
        if summary_words is None or detail_words is None:  # a template the words cannot be pieced together for
            words = tuple(search.document_words(f"{summary} {detail} {request}"))
        else:
            words = summary_words + detail_words + self.words(request)
        return summary, f"{detail} {request}", words

    def words(self, text: str) -> tuple[str, ...]:
        """``search.document_words`` of a piece of text, remembered (pieces come from the catalogues)."""
        words = self.word_cache.get(text)
        if words is None:
            words = self.word_cache[text] = tuple(search.document_words(text))
        return words

    def filled_words(self, template: str, values: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
        """The words of a template filled with ``values`` (the words of each field), or None when it cannot be pieced."""
        if template in self.templates:
            parts = self.templates[template]
        else:
            parts = self.templates[template] = self._template_parts(template)
        if parts is None:
            return None
        words: tuple[str, ...] = ()
        for part in parts:
            words += values[part] if part.__class__ is str else part
        return words

    def _template_parts(self, template: str) -> tuple | None:
        """A template as the words of its literal text (tuples) and its fields (names), or None.

        Pieced together only when every field is bare and stands between characters that end
        a word (neither a letter, a digit nor an apostrophe): then no word spans a field's edge.
        """
        parts: list = []
        pieces = list(string.Formatter().parse(template))
        for i, (literal, name, spec, conversion) in enumerate(pieces):
            if literal:
                parts.append(tuple(search.document_words(literal)))
            if name is None:
                continue
            after = pieces[i + 1][0] if i + 1 < len(pieces) else ""
            if name not in ("address", "street", "route") or spec or conversion:
                return None
            if (literal and _joins(literal[-1])) or (after and _joins(after[0])):
                return None
            parts.append(name)
        return tuple(parts)

    def _midnight(self, day: date) -> int:
        """Midnight of a Kyiv day as naive UTC (µs), by the day's offset at noon (DST switches at night)."""
        midnight = self.midnights.get(day)
        if midnight is None:
            noon = datetime.combine(day, time(12), tzinfo=KYIV).astimezone(UTC).replace(tzinfo=None)
            midnight = self.midnights[day] = _micros(noon - timedelta(hours=12))
        return midnight

    def _kyiv_date(self, micros: int) -> date:
        """The Kyiv day of a moment (µs): by its hour, as Kyiv's offsets are whole hours."""
        hour = micros // HOUR_US
        day = self.kyiv_dates.get(hour)
        if day is None:
            day = self.kyiv_dates[hour] = _kyiv_date(_from_micros(hour * HOUR_US))
        return day

    def _year(self, micros: int) -> int:
        """The (UTC) year of a moment (µs)."""
        day = micros // DAY_US
        year = self.years.get(day)
        if year is None:
            year = self.years[day] = _from_micros(day * DAY_US).year
        return year

    # the plan: registration ages (oldest first) and final states
    def ages(self):
        """(age in days, state, term) of every appeal: the old bulk spread evenly, then the recent weeks by quota.

        Drawn from the plan's own random stream (every builder walks the whole plan).
        """
        rng = random.Random(f"generate-data {self.seed} plan")
        rnd = rng.random
        span = YEARS * 365
        recent = min(self.count, max(24, round(self.count * RECENT_DAYS / span)))
        old = self.count - recent
        states, cum_weights = OLD_STATES_CUM
        total = cum_weights[-1]
        for i in range(old):
            age = span - (span - RECENT_DAYS) * (i + rnd()) / old
            yield age, states[bisect(cum_weights, rnd() * total)], 15 if rnd() < 0.2 else 30
        counts = {status: max(1, round(share * recent)) for status, share, _ in demo.STATE_PLAN if share is not None}
        counts[S.CLOSED] = max(0, recent - sum(counts.values()))
        plan = []
        for status, _, (low, high) in demo.STATE_PLAN:
            for _ in range(counts[status]):
                term = 15 if rnd() < 0.2 else 30
                high_ = min(high, RECENT_DAYS)
                age = rng.uniform(min(low, high_), high_)
                if status is S.IN_WORK and rnd() < 0.25:
                    age = term + rng.uniform(1, 8)  # overdue
                plan.append((age, status, term))
        if len(plan) > recent:  # only for a handful of appeals, where rounding overshoots
            plan = rng.sample(plan, recent)
        plan.sort(key=lambda p: -p[0])
        yield from plan

    def chunks(self, streams):
        """(chunk index, rows by table, last registration number by year) of each chunk of ``streams``, in order.

        The registration numbers run on over the whole plan (a year's numbers in order of
        registration), so every builder counts every appeal's year, cheaply, and builds only
        its own chunks.
        """
        mine = frozenset(streams)
        numbers = dict(self.numbers)
        days: dict[int, date] = {}  # whole days of age → the registration day (a working day)
        entries: list[tuple] = []
        index = 0
        for position, (age, status, term) in enumerate(self.ages()):
            whole = int(age)
            day = days.get(whole)
            if day is None:
                day = self.today - timedelta(days=whole + 1)
                while day.weekday() >= 5:
                    day -= ONE_DAY
                days[whole] = day
            seq = numbers[day.year] = numbers.get(day.year, 0) + 1
            chunk = position // CHUNK
            if chunk != index:
                if entries:
                    yield self._chunk(index, entries)
                    entries = []
                index = chunk
            if chunk % STREAMS in mine:
                entries.append((age, status, term, day, seq))
        if entries:
            yield self._chunk(index, entries)

    def _chunk(self, index: int, entries: list[tuple]) -> tuple[int, dict[str, list], dict[int, int]]:
        stream = self.streams.get(index % STREAMS)
        if stream is None:
            stream = self.streams[index % STREAMS] = _Stream(index % STREAMS, self.seed)
        self.stream = stream
        self.rng = stream.rng
        self.random = stream.rng.random
        self.recent = stream.recent
        self.next_id = {table: self.first_ids[table] + index * CHUNK * per for table, per in ID_BLOCKS.items()}
        tables: dict[str, list] = {t: [] for t in CHUNK_LISTS}
        numbers: dict[int, int] = {}
        for age, status, term, day, seq in entries:
            self.appeal(tables, age, status, term, day, seq)
            numbers[day.year] = seq
        return index, tables, numbers

    # one appeal and its rows
    def appeal(self, out: dict[str, list], age: float, status: AppealStatus, term: int, day: date, seq: int) -> None:
        rnd = self.random
        c = self.c
        moment = self.moment
        registered = self._midnight(day) + (8 * 3600 + int(rnd() * 36_000)) * 1_000_000  # 8:00–18:00
        registered_at = moment(registered)
        year = day.year
        appeal_id = self._id("appeal")

        subject = AppealSubject.INDIVIDUAL
        if status is S.NOT_CONSIDERED and rnd() < 0.6:
            subject = AppealSubject.ANONYMOUS
        elif rnd() < 0.04:
            subject = AppealSubject.COLLECTIVE
        repeat_of = None
        applicant_id: int | None
        recent = self.recent
        # one of the older half of the candidates (as ``pick`` over that slice, without copying it)
        earlier = recent[int(rnd() * (len(recent) // 2 + 1))] if recent and rnd() < 0.05 else None
        if subject is AppealSubject.INDIVIDUAL and earlier is not None and earlier[5] < registered_at:
            repeat_of, applicant_id, topic_index, privileged, name, _, person = earlier
        else:
            topic_index = bisect(self.topic_cum_weights, rnd() * self.topic_cum_weights[-1])
            applicant_id, privileged, name, person = self.applicant(out, subject, registered_at)
        topic_id, topic_code, topic_name, direction_id = c.topics[topic_index]
        summary, content, text_words = self.texts(topic_code, topic_name)
        channel = CHANNEL_VALUES[bisect(CHANNELS[1], rnd() * CHANNELS[1][-1])]
        appeal_type = TYPE_VALUES[bisect(TYPES[1], rnd() * TYPES[1][-1])]
        due = day + DAYS[term]
        if subject is AppealSubject.COLLECTIVE:
            prefix = "КО"
        elif subject is AppealSubject.ANONYMOUS:
            prefix = "БП"
        else:
            prefix = name[:1].upper() or registration.FALLBACK_PREFIX
        reg_number = registration.format_reg_number(prefix, seq, year)
        # the search document's tokens (``search.document``): the numbers' keys, the applicant's, the words
        number_key = self.number_prefixes.get(prefix)
        if number_key is None:
            number_key = self.number_prefixes[prefix] = search.number_key(prefix)
        tokens = [f"{number_key}{seq:06d}{year % 100:02d}"]
        government = channel == GOVERNMENT
        if government:
            ukc_number = f"{20_000_000 + appeal_id}"
            regional_number = f"КЦ-{appeal_id}/{year % 100:02d}"
            tokens += (ukc_number, f"{REGIONAL_KEY}{appeal_id}{year % 100:02d}")
        else:
            ukc_number = regional_number = ""
        clerk = c.clerks[int(rnd() * len(c.clerks))]
        outcome = self.history(
            out,
            appeal_id,
            registered,
            status,
            age,
            term,
            due,
            topic_id,
            direction_id,
            clerk,
            reg_number,
            summary,
            subject,
        )
        out["appeal"].append(
            (
                appeal_id,
                reg_number,
                seq,
                registered_at,
                registered_at,
                registered_at,
                channel,
                ukc_number,
                regional_number,
                applicant_id,
                appeal_type,
                SUBJECT_VALUES[subject],
                REPEATED if repeat_of else PRIMARY,
                topic_id,
                direction_id,
                summary,
                content,
                status is not S.RETURNED_TO_APPLICANT,
                status.value,
                privileged,
                term,
                self.day(due),
                repeat_of,
                0,
                clerk,
            )
            + outcome
        )
        if person:
            tokens += person
        tokens += text_words
        out["appeal_search"].append((appeal_id, " ".join(dict.fromkeys(tokens))))
        if status is S.CLOSED and applicant_id is not None and subject is AppealSubject.INDIVIDUAL:
            closed_at = outcome[APPEAL_CLOSED_AT]
            self.recent.append((appeal_id, applicant_id, topic_index, privileged, name, closed_at, person))
            if len(self.recent) > RECENT_CANDIDATES:
                del self.recent[: RECENT_CANDIDATES // 4]

    def applicant(self, out, subject, registered_at: str) -> tuple[int | None, bool, str, tuple | None]:
        """A new applicant's row: (id, privileged, name, (name, address, phone, e-mail)) — nobody for anonymous."""
        rnd = self.random
        c = self.c
        if subject is AppealSubject.ANONYMOUS:
            return None, False, "", None
        applicant_id = self._id("applicant")
        privilege = status = None
        if subject is AppealSubject.COLLECTIVE:
            _, house, house_words = self.street_address()
            name = f"Мешканці будинку {house}"
            name_words = self.collective_words + house_words
            sex = Sex.UNKNOWN
        else:
            name, sex, name_words = self.person()
            privilege = c.privileges[int(rnd() * len(c.privileges))] if c.privileges and rnd() < 0.15 else None
            status = (
                c.social_statuses[int(rnd() * len(c.social_statuses))] if c.social_statuses and rnd() < 0.85 else None
            )
        address, address_words = self.home_address()
        phone = self.mobile_phone()
        email = self.email_for(name) if sex is not Sex.UNKNOWN and rnd() < 0.3 else ""
        out["applicant"].append(
            (
                applicant_id,
                name,
                address,
                phone,
                "",
                email,
                SEX_VALUES[sex],
                status,
                privilege,
                registered_at,
                registered_at,
            )
        )
        # the applicant's part of a search document (``search.document``): phone and e-mail keys, then words
        keys = [phone[3:] if self.national_phones else search.phone_key(phone)]
        if len(keys[0]) < 5:
            keys = []
        if email_key := search.email_key(email):
            keys.append(email_key)
        return applicant_id, privilege is not None, name, tuple(keys) + name_words + address_words

    def history(
        self,
        out,
        appeal_id: int,
        registered: int,
        status: AppealStatus,
        age: float,
        term: int,
        due: date,
        topic_id: int,
        direction_id: int | None,
        clerk: int | None,
        reg_number: str,
        summary: str,
        subject: AppealSubject,
    ) -> tuple:
        """The path to ``status`` with its moments and the rows each step leaves behind.

        Returns the appeal's columns its history decides (``APPEAL_OUTCOME``, stored values).
        """
        rnd = self.random
        c = self.c
        day = self.day
        closed = status is CLOSED
        via_forward = closed and rnd() < 0.03
        rework = status in SIGNING_OR_LATER and not via_forward and rnd() < 0.08
        key = (status, rework, via_forward)
        path = self.paths.get(key)
        if path is None:
            path = self.paths[key] = _Path.of(status, rework, via_forward)
        fractions = path.fractions
        if not fractions:
            moments = [registered]
        else:
            if closed and not via_forward:
                span = term * (0.4 + 0.55 * rnd()) if rnd() < 0.88 else term + 1 + 5 * rnd()
            elif path.even:
                span = 0.5 + 4 * rnd()
            else:
                span = max(0.02, age - 0.01) * (0.55 + 0.4 * rnd())
            available = max(0.02, age - 0.01)
            if span > available:
                span = available
            # ``registered + timedelta(days=span * f)``: whole days, then the fraction's microseconds
            # rounded half to even (``round``), as ``timedelta`` does
            moments = [registered]
            for f in fractions:
                days = span * f
                whole = int(days)
                moments.append(registered + whole * DAY_US + round((days - whole) * 86_400_000_000.0))
        stored = list(map(self.moment, moments))
        signers = c.signers
        signer = signers.get(direction_id) or signers.get(None)
        signer_id = signer if path.resolution else None

        main_executor = executor_user = main_assignment = None
        deadline = None
        step = path.assigned
        if step is not None:
            assigned_at = stored[step]
            resolved_on = self._kyiv_date(moments[step])
            deadline = day(max(resolved_on, due - EARLIER_DEADLINE[int(rnd() * len(EARLIER_DEADLINE))]))
            resolution_id = self._id("resolution")
            out["resolution"].append(
                (
                    resolution_id,
                    appeal_id,
                    signer,
                    self.resolution_texts[int(rnd() * len(self.resolution_texts))],
                    day(resolved_on),
                    deadline,
                    assigned_at,
                    assigned_at,
                )
            )
            candidates = c.executors_by_topic.get(topic_id) or c.executor_ids
            main_executor = candidates[int(rnd() * len(candidates))]
            executor_user = c.executor_users.get(main_executor)
            in_work = stored[path.first_in_work] if path.first_in_work is not None else None
            drafted = stored[path.drafted] if path.drafted is not None else None
            main_assignment = self._id("assignment")
            if drafted is not None:
                state = ASSIGNMENT_ANSWERED
            elif in_work is not None:
                state = ASSIGNMENT_ACCEPTED
            else:
                state = ASSIGNMENT_NEW
            assignments = out["assignment"]
            appeal_open = open_marks.is_open(status)
            assignments.append(
                (
                    main_assignment,
                    appeal_id,
                    resolution_id,
                    main_executor,
                    1,
                    RESPONSIBLE,
                    state,
                    deadline,
                    in_work,
                    drafted,
                    assigned_at,
                    drafted or assigned_at,
                    appeal_open,
                )
            )
            if len(candidates) > 1 and rnd() < 0.25:
                other = candidates[int(rnd() * len(candidates))]
                if other != main_executor:
                    assignments.append(
                        (
                            self._id("assignment"),
                            appeal_id,
                            resolution_id,
                            other,
                            2,
                            CO_EXECUTOR,
                            ASSIGNMENT_NEW,
                            deadline,
                            None,
                            None,
                            assigned_at,
                            drafted or assigned_at,
                            appeal_open,
                        )
                    )

        outgoing_number = ""
        sent_at = delivery_status = None
        step = path.sent
        if step is not None:
            stream = self.stream
            stream.outgoing += 1  # numbered per stream, the streams' numbers interleaved
            outgoing_number = f"Г-{stream.outgoing * STREAMS - stream.index}/05-{self._year(moments[step]) % 100:02d}"
            sent_at = stored[step]
            delivery_status = DELIVERY_SENT

        step = path.drafted
        if step is not None:
            drafted_moment = moments[step]
            drafted = stored[step]
            signed_at = stored[path.signed] if path.signed is not None else None
            action = self.pick(self.actions["positive" if rnd() < 0.5 else "explained"])
            # both its answers, made by the writer from one row (``ANSWER_TEXTS``)
            out["answered"].append(
                (
                    appeal_id,
                    main_assignment,
                    reg_number,
                    summary,
                    action,
                    executor_user,
                    signer if signed_at else None,
                    signed_at,
                    outgoing_number,
                    drafted,
                )
            )
            assert path.first_in_work is not None  # an answer is drafted after the work began
            # ``timedelta / 4``: rounded half to even (exact in a float below 2**53 µs)
            contacted = drafted_moment - round((drafted_moment - moments[path.first_in_work]) / 4)
            out["feedback_proof"].append(
                (
                    appeal_id,
                    FEEDBACK_PHONE if rnd() < 0.75 else FEEDBACK_EMAIL,
                    self.moment(contacted),
                    self.feedback_results[int(rnd() * len(self.feedback_results))],
                    None,
                    drafted,
                    drafted,
                )
            )

        decision_reason = forwarded_to = ""
        forwarded_at = notified_on = None
        if status is RETURNED:
            decision_reason = self.return_reason
            notified_on = day(self._kyiv_date(moments[-1]))
        elif status is CANCELLED:
            decision_reason = "Помилкова реєстрація: звернення зареєстровано двічі."
        elif status is NOT_CONSIDERED:
            decision_reason = self.not_considered_reasons[0 if subject is ANONYMOUS else 1]
        step = path.forwarded
        if step is not None:
            forwarded_to = self.forward_bodies[int(rnd() * len(self.forward_bodies))]
            forwarded_at = stored[step]
            notified_on = day(self._kyiv_date(moments[step]))
        result_code_id = closed_at = None
        if closed:
            code = "forwarded" if via_forward else RESULTS[0][bisect(RESULTS[1], rnd() * RESULTS[1][-1])]
            result_code_id = c.results.get(code)
            closed_at = stored[-1]

        # its status changes, expanded by the writer (``_Writer.pack``) from the path's steps
        out["history"].append((appeal_id, path.code, stored, clerk, signer, executor_user))
        return (
            signer_id,
            path.rework_count,
            decision_reason,
            forwarded_to,
            forwarded_at,
            notified_on,
            outgoing_number,
            sent_at,
            delivery_status,
            sent_at is not None,
            result_code_id,
            closed_at,
            main_executor,
            stored[-1],
        )
