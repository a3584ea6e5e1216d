"""Bulk data for performance testing: up to a million appeals over five years.

Rows are written in batches (one transaction each) with ``INSERT … executemany`` at the
driver level (``COPY`` on PostgreSQL), with explicit primary keys after the current maximum:
memory stays bounded (one batch being built while the previous one is written) and neither
the ORM unit of work nor per-row parameter processing is involved. Such inserts bypass the
audit hooks, so the whole run is recorded as ONE audit entry. The same seed on the same
database state gives the same rows (dates are relative to the start of today in Kyiv).

Each appeal gets an applicant (some applicants come back with repeated appeals), and by
its state a resolution, assignments (the first one responsible), both answers, a proof of
feedback, an outgoing number, a result code, and its status history.
"""

from __future__ import annotations

import operator
import queue
import random
import threading
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.sql.schema import ColumnDefault

from portal.devdata import demo
from portal.devdata.catalogues import catalogue
from portal.extensions import db
from portal.i18n import KYIV, kyiv_today
from portal.models.appeals import RegistrationCounter
from portal.models.base import UTCDateTime
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
from portal.services import audit, registration, search
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
KEYED = frozenset(TABLES) - {"appeal_search"}  # tables with an id sequence of their own

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
    """Insert ``count`` appeals with their related rows; one audit entry for the whole run."""
    started = clock.perf_counter()
    with audit.acting_as(GENERATE_ACTOR):
        context = _prepare()
        generator = _Generator(context, seed, count)
        done = 0
        writer = _Writer(db.session.get_bind().dialect)
        raw = db.session.connection().connection.dbapi_connection
        if writer.sqlite and raw is not None and not getattr(raw, "in_transaction", True):
            # a bulk load: no fsync per batch (a crash loses the unfinished run only) and a page
            # cache big enough for the indexes' hot pages; both end with this connection (SQLite
            # refuses the first inside a transaction: a caller's open one keeps its settings)
            db.session.execute(sa.text("PRAGMA synchronous=OFF"))
            db.session.execute(sa.text("PRAGMA cache_size=-262144"))
        for batch in _ahead(generator.batches(batch_size)):
            connection = db.session.connection()
            for table in TABLES:
                writer.insert(connection, table, batch[table])
            done += len(batch["appeal"])
            db.session.commit()
            if progress is not None:
                progress(done, count, clock.perf_counter() - started)
        for year, last in generator.last_numbers.items():
            demo.bump_registration_counter(year, last)
        _sync_sequences()
        audit.log_event(AuditAction.INSERT, model="Appeal", detail=f"generate-data: {count} appeals, seed {seed}")
        db.session.commit()
    return GenerateResult(count, seed, clock.perf_counter() - started, dict(generator.rows))


def _ahead(batches, depth: int = 1):
    """Build the next batches in a thread while the current one is written.

    The database driver releases the GIL while it executes, so building rows (pure Python)
    and inserting them overlap on a second core. At most ``depth`` batches wait in memory;
    the rows are the same as without the thread (one generator, consumed in order).
    """
    pending: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        pending.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            pending.put(done)
        except BaseException as exc:  # handed over to the consumer, raised there
            pending.put(exc)

    thread = threading.Thread(target=produce, name="generate-data", daemon=True)
    thread.start()
    try:
        while True:
            item = pending.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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
    for table in sorted(KEYED):
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


def _kyiv_date(naive_utc: datetime) -> date:
    return naive_utc.replace(tzinfo=UTC).astimezone(KYIV).date()


# --- writing ---------------------------------------------------------------------------------------


class _Writer:
    """INSERT … executemany at the driver level (COPY on PostgreSQL), values in their stored form.

    SQLAlchemy's per-row parameter processing costs more than the insert itself at this
    volume, so the few conversions the column types would do are done here: the generator
    works in naive UTC datetimes (what ``UTCDateTime`` stores), written in SQLAlchemy's text
    format on SQLite; dates as ISO text on SQLite; enums as their values.
    """

    def __init__(self, dialect):
        self.dialect = dialect
        self.sqlite = dialect.name == "sqlite"
        self.placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.statements: dict[tuple[str, tuple[str, ...]], str] = {}

    def insert(self, connection, name: str, rows: list[dict]) -> None:
        if not rows:
            return
        table = db.metadata.tables[name]
        given = tuple(rows[0])
        defaults = self._defaults(table, given)
        keys = given + tuple(defaults)
        sql = self.statements.get((name, keys))
        if sql is None:
            quote = self.dialect.identifier_preparer.quote
            columns = ", ".join(quote(k) for k in keys)
            if self.copy:
                sql = f"COPY {quote(name)} ({columns}) FROM STDIN"
            else:
                sql = f"INSERT INTO {quote(name)} ({columns}) VALUES ({', '.join([self.placeholder] * len(keys))})"
            self.statements[name, keys] = sql
        converters = [(i, self._converter(table.c[k].type)) for i, k in enumerate(keys)]
        converters = [(i, f) for i, f in converters if f is not None]
        getter = operator.itemgetter(*given)
        tail = list(defaults.values())
        params = []
        for row in rows:
            values = list(getter(row)) + tail
            for i, convert in converters:
                if values[i] is not None:
                    values[i] = convert(values[i])
            params.append(tuple(values))
        if self.copy:
            # PostgreSQL: COPY is several times faster than any INSERT, in the same transaction
            with connection.connection.dbapi_connection.cursor() as cursor, cursor.copy(sql) as copy:
                for record in params:
                    copy.write_row(record)
        else:
            connection.exec_driver_sql(sql, params)

    @staticmethod
    def _defaults(table: sa.Table, given: tuple[str, ...]) -> dict:
        """Python-side column defaults the rows leave out (a driver-level INSERT skips them)."""
        values = {}
        for column in table.columns:
            default = column.default
            if column.key in given or not isinstance(default, ColumnDefault) or column.primary_key:
                continue
            if default.is_scalar:
                values[column.key] = default.arg
            elif default.is_callable:
                value = default.arg(None)  # SQLAlchemy wraps zero-argument callables to take a context
                if isinstance(value, datetime) and value.tzinfo is not None:
                    value = value.astimezone(UTC).replace(tzinfo=None)
                values[column.key] = value
        return values

    def _converter(self, type_):
        if not self.sqlite:  # psycopg takes naive datetimes and dates as they are
            return (lambda v: v.value) if isinstance(type_, sa.Enum) else None
        # SQLite: the text formats of SQLAlchemy's types (microseconds always present); a
        # str-based enum member is bound as its value already
        if isinstance(type_, UTCDateTime):
            return lambda v: v.isoformat(" ", "microseconds")
        if isinstance(type_, sa.Date):
            return date.isoformat
        return None


# --- the generator --------------------------------------------------------------------------------


class _Generator:
    def __init__(self, context: _Context, seed: int, count: int):
        self.c = context
        self.rng = random.Random(seed)
        self.count = count
        self.today = kyiv_today()
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.next_id = {t: self._max_id(t) + 1 for t in KEYED}
        self.numbers = dict(
            db.session.execute(sa.select(RegistrationCounter.year, RegistrationCounter.last_number)).all()
        )
        self.last_numbers: dict[int, int] = {}
        # closed appeals an applicant may come back about (a repeated appeal), oldest first
        self.recent: list[tuple[int, int, int, bool, str, datetime, dict | None]] = []
        self.outgoing = 0
        self.topic_indexes = range(len(context.topics))
        self.topic_cum_weights = list(accumulate(context.topic_weights))

    @staticmethod
    def _max_id(table: str) -> int:
        t = db.metadata.tables[table]
        return db.session.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one()

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        self.rows[table] += 1
        return value

    # the plan: registration ages (oldest first) and final states
    def ages(self):
        """(age in days, state, term): the old bulk spread evenly, then the recent weeks by quota."""
        rng = self.rng
        span = YEARS * 365
        recent = min(self.count, max(24, round(self.count * RECENT_DAYS / span)))
        old = self.count - recent
        states, cum_weights = OLD_STATES_CUM
        for i in range(old):
            age = span - (span - RECENT_DAYS) * (i + rng.random()) / old
            yield age, rng.choices(states, cum_weights=cum_weights)[0], 15 if rng.random() < 0.2 else 30
        counts = {status: max(1, round(share * recent)) for status, share, _ in demo.STATE_PLAN if share is not None}
        counts[S.CLOSED] = max(0, recent - sum(counts.values()))
        plan = []
        for status, _, (low, high) in demo.STATE_PLAN:
            for _ in range(counts[status]):
                term = 15 if rng.random() < 0.2 else 30
                high_ = min(high, RECENT_DAYS)
                age = rng.uniform(min(low, high_), high_)
                if status is S.IN_WORK and rng.random() < 0.25:
                    age = term + rng.uniform(1, 8)  # overdue
                plan.append((age, status, term))
        if len(plan) > recent:  # only for a handful of appeals, where rounding overshoots
            plan = rng.sample(plan, recent)
        plan.sort(key=lambda p: -p[0])
        yield from plan

    def batches(self, size: int):
        tables: dict[str, list] = {t: [] for t in TABLES}
        for age, status, term in self.ages():
            self.appeal(tables, age, status, term)
            if len(tables["appeal"]) >= size:
                yield tables
                tables = {t: [] for t in TABLES}
        if tables["appeal"]:
            yield tables

    # one appeal and its rows
    def appeal(self, out: dict[str, list], age: float, status: AppealStatus, term: int) -> None:
        rng = self.rng
        c = self.c
        day = self.today - timedelta(days=int(age) + 1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        registered = (
            datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)), tzinfo=KYIV)
            .astimezone(UTC)
            .replace(tzinfo=None)
        )
        year = day.year
        seq = self.numbers.get(year, 0) + 1
        self.numbers[year] = seq
        self.last_numbers[year] = seq
        appeal_id = self._id("appeal")

        subject = AppealSubject.INDIVIDUAL
        if status is S.NOT_CONSIDERED and rng.random() < 0.6:
            subject = AppealSubject.ANONYMOUS
        elif rng.random() < 0.04:
            subject = AppealSubject.COLLECTIVE
        repeat_of = None
        applicant_id: int | None
        earlier = rng.choice(self.recent[: len(self.recent) // 2 + 1]) if self.recent and rng.random() < 0.05 else None
        if subject is AppealSubject.INDIVIDUAL and earlier is not None and earlier[5] < registered:
            repeat_of, applicant_id, topic_index, privileged, name, _, person = earlier
        else:
            topic_index = rng.choices(self.topic_indexes, cum_weights=self.topic_cum_weights)[0]
            applicant_id, privileged, name = self.applicant(out, subject, registered)
            person = out["applicant"][-1] if applicant_id is not None else None
        topic_id, topic_code, topic_name, direction_id = c.topics[topic_index]
        street, address = demo.street_address(rng)
        summary, detail = demo.scenario_for(topic_code, topic_name, rng)
        summary = demo.fill(summary, rng, address, street)[:500]
        content = demo.fill(detail, rng, address, street) + " " + rng.choice(catalogue("requests"))
        channel = rng.choices(CHANNELS[0], cum_weights=CHANNELS[1])[0]
        due = day + timedelta(days=term)
        if subject is AppealSubject.COLLECTIVE:
            prefix = "КО"
        elif subject is AppealSubject.ANONYMOUS:
            prefix = "БП"
        else:
            prefix = name[:1].upper() or registration.FALLBACK_PREFIX
        row = {
            "id": appeal_id,
            "reg_number": registration.format_reg_number(prefix, seq, year),
            "reg_seq": seq,
            "registered_at": registered,
            "received_at": registered,
            "channel": channel,
            "ukc_number": f"{20_000_000 + appeal_id}" if channel is Channel.GOVERNMENT else "",
            "regional_number": f"КЦ-{appeal_id}/{year % 100:02d}" if channel is Channel.GOVERNMENT else "",
            "applicant_id": applicant_id,
            "appeal_type": rng.choices(TYPES[0], cum_weights=TYPES[1])[0],
            "subject": subject,
            "sign": ReceiptSign.REPEATED if repeat_of else ReceiptSign.PRIMARY,
            "topic_id": topic_id,
            "direction_id": direction_id,
            "summary": summary,
            "content": content,
            "signed_by_applicant": status is not S.RETURNED_TO_APPLICANT,
            "status": status,
            "is_privileged": privileged,
            "term_days": term,
            "due_date": due,
            "repeat_of_id": repeat_of,
            "signer_id": None,
            "rework_count": 0,
            "decision_reason": "",
            "forwarded_to": "",
            "forwarded_at": None,
            "reopen_count": 0,
            "applicant_notified_on": None,
            "outgoing_number": "",
            "sent_at": None,
            "delivery_status": None,
            "paper_copy_sent": False,
            "result_code_id": None,
            "closed_at": None,
            "created_by_id": rng.choice(c.clerks),
            "main_executor_id": None,
            "created_at": registered,
            "updated_at": registered,
        }
        self.history(out, row, status, age)
        out["appeal"].append(row)
        self.rows["appeal_search"] += 1
        out["appeal_search"].append(
            {
                "appeal_id": appeal_id,
                "terms": search.document(
                    reg_number=row["reg_number"],
                    ukc_number=row["ukc_number"],
                    regional_number=row["regional_number"],
                    summary=summary,
                    content=content,
                    full_name=person["full_name"] if person else "",
                    address=person["address"] if person else "",
                    phones=(person["phone"],) if person else (),
                    email=person["email"] if person else "",
                ),
            }
        )
        if status is S.CLOSED and applicant_id is not None and subject is AppealSubject.INDIVIDUAL:
            self.recent.append((appeal_id, applicant_id, topic_index, privileged, name, row["closed_at"], person))
            if len(self.recent) > 20_000:
                del self.recent[:5_000]

    def applicant(self, out, subject, registered) -> tuple[int | None, bool, str]:
        rng = self.rng
        c = self.c
        if subject is AppealSubject.ANONYMOUS:
            return None, False, ""
        applicant_id = self._id("applicant")
        privilege = None
        if subject is AppealSubject.COLLECTIVE:
            name = f"Мешканці будинку {demo.street_address(rng)[1]}"
            sex = Sex.UNKNOWN
            status = None
        else:
            name, sex = demo.person(rng)
            privilege = rng.choice(c.privileges) if c.privileges and rng.random() < 0.15 else None
            status = rng.choice(c.social_statuses) if c.social_statuses and rng.random() < 0.85 else None
        out["applicant"].append(
            {
                "id": applicant_id,
                "full_name": name,
                "address": demo.home_address(rng),
                "phone": demo.mobile_phone(rng),
                "phone2": "",
                "email": demo.email_for(name, rng) if sex is not Sex.UNKNOWN and rng.random() < 0.3 else "",
                "sex": sex,
                "social_status_id": status,
                "privilege_category_id": privilege,
                "created_at": registered,
                "updated_at": registered,
            }
        )
        return applicant_id, privilege is not None, name

    def history(self, out, row: dict, status: AppealStatus, age: float) -> None:
        """The path to ``status`` with its moments, and the rows each step leaves behind."""
        rng = self.rng
        c = self.c
        registered = row["registered_at"]
        available = max(0.02, age - 0.01)
        via_forward = status is S.CLOSED and rng.random() < 0.03
        rework = status in (S.ON_SIGNING, S.SIGNED, S.SENT, S.CLOSED) and not via_forward and rng.random() < 0.08
        path = demo.path_to(status, rework, via_forward)
        if len(path) == 1:
            moments = [registered]
        else:
            if status is S.CLOSED and not via_forward:
                span = (
                    row["term_days"] * rng.uniform(0.4, 0.95)
                    if rng.random() < 0.88
                    else row["term_days"] + rng.uniform(1, 6)
                )
            elif status in (S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.FORWARDED, S.CANCELLED) or via_forward:
                span = rng.uniform(0.5, 4.5)
            else:
                span = available * rng.uniform(0.55, 0.95)
            span = min(span, available)
            steps = len(path) - 1
            if rework or via_forward or status in (S.RETURNED_TO_APPLICANT, S.NOT_CONSIDERED, S.FORWARDED, S.CANCELLED):
                fractions = [(i + 1) / steps for i in range(steps)]
            else:
                last = STEP_AT[path[-1]]
                fractions = [STEP_AT[s] / last for s in path[1:]]
            moments = [registered] + [registered + timedelta(days=span * f) for f in fractions]
        at = dict(zip(path, moments))
        first_in_work = moments[path.index(S.IN_WORK)] if S.IN_WORK in path else None
        signer = c.signers.get(row["direction_id"]) or c.signers.get(None)
        clerk = row["created_by_id"]
        if S.ON_RESOLUTION in path:
            row["signer_id"] = signer
        row["rework_count"] = max(0, path.count(S.IN_WORK) - 1)
        row["updated_at"] = moments[-1]

        main_assignment = executor_user = None
        if S.ASSIGNED in path:
            assigned_at = at[S.ASSIGNED]
            resolved_on = _kyiv_date(assigned_at)
            deadline = max(resolved_on, row["due_date"] - timedelta(days=rng.choice((0, 0, 1, 2))))
            resolution_id = self._id("resolution")
            out["resolution"].append(
                {
                    "id": resolution_id,
                    "appeal_id": row["id"],
                    "signer_id": signer,
                    "text": rng.choice(catalogue("resolution_texts")),
                    "resolved_on": resolved_on,
                    "deadline": deadline,
                    "created_at": assigned_at,
                    "updated_at": assigned_at,
                }
            )
            candidates = c.executors_by_topic.get(row["topic_id"]) or c.executor_ids
            main = rng.choice(candidates)
            row["main_executor_id"] = main
            executor_user = c.executor_users.get(main)
            named = [(main, ExecutorRole.RESPONSIBLE)]
            if len(candidates) > 1 and rng.random() < 0.25:
                other = rng.choice(candidates)
                if other != main:
                    named.append((other, ExecutorRole.CO_EXECUTOR))
            for position, (executor_id, role) in enumerate(named, start=1):
                assignment = {
                    "id": self._id("assignment"),
                    "appeal_id": row["id"],
                    "resolution_id": resolution_id,
                    "executor_id": executor_id,
                    "position": position,
                    "executor_role": role,
                    "status": AssignmentStatus.NEW,
                    "due_date": deadline,
                    "accepted_at": None,
                    "answered_at": None,
                    "created_at": assigned_at,
                    "updated_at": at.get(S.ANSWER_DRAFTED, assigned_at),
                }
                if role is ExecutorRole.RESPONSIBLE:
                    main_assignment = assignment
                    if first_in_work is not None:
                        assignment["status"] = AssignmentStatus.ACCEPTED
                        assignment["accepted_at"] = first_in_work
                    if S.ANSWER_DRAFTED in path:
                        assignment["status"] = AssignmentStatus.ANSWERED
                        assignment["answered_at"] = at[S.ANSWER_DRAFTED]
                out["assignment"].append(assignment)

        if S.ANSWER_DRAFTED in path:
            drafted = at[S.ANSWER_DRAFTED]
            signed_at = at.get(S.SIGNED)
            action = rng.choice(catalogue("actions")["positive" if rng.random() < 0.5 else "explained"])
            assert main_assignment is not None  # a drafted answer follows the responsible executor's assignment
            for kind, text in (
                (AnswerKind.TO_REGIONAL_CENTER, f"На звернення № {row['reg_number']} повідомляємо: {action}."),
                (AnswerKind.TO_APPLICANT, f"Щодо «{row['summary']}» повідомляємо: {action}."),
            ):
                out["answer"].append(
                    {
                        "id": self._id("answer"),
                        "appeal_id": row["id"],
                        "assignment_id": main_assignment["id"],
                        "kind": kind,
                        "body": text,
                        "drafted_by_id": executor_user,
                        "signed_by_id": signer if signed_at else None,
                        "signed_at": signed_at,
                        "outgoing_number": "",
                        "created_at": drafted,
                        "updated_at": signed_at or drafted,
                    }
                )
            contacted = drafted - (drafted - first_in_work) / 4
            out["feedback_proof"].append(
                {
                    "id": self._id("feedback_proof"),
                    "appeal_id": row["id"],
                    "method": FeedbackMethod.PHONE if rng.random() < 0.75 else FeedbackMethod.EMAIL,
                    "contacted_at": contacted,
                    "result": rng.choice(catalogue("feedback_results")),
                    "attachment_id": None,
                    "created_at": drafted,
                    "updated_at": drafted,
                }
            )

        if status is S.RETURNED_TO_APPLICANT:
            row["decision_reason"] = catalogue("return_reasons")[1]
            row["applicant_notified_on"] = _kyiv_date(moments[-1])
        elif status is S.CANCELLED:
            row["decision_reason"] = "Помилкова реєстрація: звернення зареєстровано двічі."
        elif status is S.NOT_CONSIDERED:
            row["decision_reason"] = catalogue("not_considered_reasons")[
                0 if row["subject"] is AppealSubject.ANONYMOUS else 1
            ]
        if S.FORWARDED in path:
            row["forwarded_to"] = rng.choice(catalogue("forward_bodies"))
            row["forwarded_at"] = at[S.FORWARDED]
            row["applicant_notified_on"] = _kyiv_date(at[S.FORWARDED])
        if S.SENT in path:
            self.outgoing += 1
            number = f"Г-{self.outgoing}/05-{at[S.SENT].year % 100:02d}"
            row.update(
                outgoing_number=number, sent_at=at[S.SENT], delivery_status=DeliveryStatus.SENT, paper_copy_sent=True
            )
            for answer in out["answer"][-2:]:
                answer["outgoing_number"] = number
        if status is S.CLOSED:
            code = "forwarded" if via_forward else rng.choices(RESULTS[0], cum_weights=RESULTS[1])[0]
            row["result_code_id"] = c.results.get(code)
            row["closed_at"] = at[S.CLOSED]

        actor = {
            S.ASSIGNED: signer,
            S.SIGNED: signer,
            S.IN_WORK: executor_user,
            S.ANSWER_DRAFTED: executor_user,
            S.ON_SIGNING: executor_user,
        }
        previous = None
        for state, moment in zip(path, moments):
            reworked = previous is S.ON_SIGNING and state is S.IN_WORK
            out["status_change"].append(
                {
                    "id": self._id("status_change"),
                    "appeal_id": row["id"],
                    "from_status": previous,
                    "to_status": state,
                    "at": moment,
                    "user_id": signer if reworked else actor.get(state, clerk),
                    "comment": "Повернуто на доопрацювання." if reworked else "",
                }
            )
            previous = state
