"""The appeals register in full as CSV: a report run of kind REGISTER_EXPORT.

The file is the register list's own CSV export (the same columns, headers and cell texts,
``;``-separated with a BOM, formulas neutralised) without its ``EXPORT_MAX_ROWS`` cap: the
search, filters and sorting of the list are recorded on the run, and the job reads within the
requester's scope (``portal.reports.runs.execute_run``).

A million rows in bounded memory and about a minute: the rows are read in keyset batches of
plain column values (no ORM objects, so nothing accumulates in the session), related records
are named from small lookup tables read once, and each cell is formatted by a function chosen
per column — dates and Kyiv times from caches, enum labels and yes/no translated once.

What the list's search and filters mean is the register screen's (``admin_views.appeals``):
it installs, when the admin is set up, a function turning a run's parameters into the
list's WHERE clause, ORDER BY and export columns (:data:`LIST_QUERY`, see :class:`ListQuery`);
an import of the screen from here would point upward.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.i18n import format_date, format_datetime, to_kyiv
from portal.labels import enum_label
from portal.models.appeals import Appeal, Applicant
from portal.models.base import utcnow
from portal.models.enums import (
    AppealStatus,
    AppealSubject,
    AppealType,
    Channel,
    DeliveryStatus,
    ReceiptSign,
    ReportKind,
)
from portal.models.org import Executor
from portal.models.reference import Direction, ResultCode, Topic
from portal.services.errors import DomainError
from portal.services.export import BOM, CSV_DELIMITER, export_filename, safe_text
from portal.sqlite import MMAP_SIZE

KIND = ReportKind.REGISTER_EXPORT
JOB = "jobs.register_export.export_register"
EXTENSION = "csv"
MIMETYPE = "text/csv"
BATCH = 5000  # rows a keyset read returns
LIST_QUERY = "portal.register_list_query"  # app.extensions key: run params -> ListQuery (admin_views.appeals)


@dataclass(frozen=True)
class ListQuery:
    """The register list as a run's parameters describe it."""

    columns: Sequence[tuple[str, Any]]  # (column name, header) of the list's CSV export, in order
    where: Any  # the list's search and filters as one clause; None: every appeal
    order: Sequence[tuple[Any, bool]]  # (NOT NULL column, descending?) ending with a unique one (the id)


def normalise_params(params: dict) -> tuple[dict, str]:
    """The list's search, filters (``[[key, value], …]``) and sorting, and the run's title (made now)."""
    filters = [[str(k), str(v)] for k, v in params.get("filters") or []]
    normal = {
        "search": str(params.get("search") or "")[:500],
        "filters": filters,
        "sort": str(params.get("sort") or ""),
        "desc": bool(params.get("desc")),
    }
    return normal, f"{enum_label(KIND)} {format_datetime(utcnow())}"


def download_name(run) -> str:
    """The file's name, like the list's own export's ("zvernennia-2026-12-01-0930.csv"), at the time of the request."""
    return export_filename(_l("Appeals"), EXTENSION, run.created_at)[0]


def build(run, path: str, progress) -> None:
    """The run's file: ``run.params`` = {"search", "filters", "sort", "desc"} → CSV."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "uk")):  # a job has no request
        make_list_query = current_app.extensions.get(LIST_QUERY)
        if make_list_query is None:
            raise RuntimeError("the register screen is not set up in this app (admin_views.appeals)")
        write_csv(make_list_query(run.params), path, progress)


# --- cells ---------------------------------------------------------------------------------------
# Each column: what to select and the kind of its cell; the texts are those the list's
# export writes (admin_views.base.EXPORT_TYPE_FORMATTERS, then services.export.safe_cell).


def _text(value) -> str:
    return safe_text(value) if value else ""


def _dates() -> Callable[[Any], str]:
    """A date (SQLite's stored "рррр-мм-дд" text, or a date) → "дд.мм.рррр", each one worked out once."""
    seen: dict = {}

    def cell(value) -> str:
        if value is None:
            return ""
        text = seen.get(value)
        if text is None:
            day = date.fromisoformat(value) if isinstance(value, str) else value
            text = seen[value] = format_date(day)
        return text

    return cell


def _kyiv_times() -> Callable[[Any], str]:
    """A UTC timestamp (SQLite's stored text, or a naive datetime) → "дд.мм.рррр гг:хх" in Kyiv.

    Kyiv's offset from UTC is whole hours, so the minutes carry over and each hour's text is
    worked out once (a year of appeals has 8,760 hours; a million appeals, ~20 in each).
    """
    hours: dict = {}

    def whole(value) -> str:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment.replace(tzinfo=UTC))

    def cell(value) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            if len(value) < 16 or value[13] != ":":
                return whole(value)
            hour, minute = value[:13], value[14:16]
        else:
            hour, minute = value.replace(minute=0, second=0, microsecond=0), f"{value.minute:02d}"
        prefix = hours.get(hour)
        if prefix is None:
            start = (datetime.fromisoformat(f"{hour}:00") if isinstance(hour, str) else hour).replace(tzinfo=UTC)
            if to_kyiv(start).minute or len(hours) > 500_000:  # not a whole-hour offset (or a cache too big)
                return whole(value)
            prefix = hours[hour] = format_datetime(start)[:-2]  # "дд.мм.рррр гг:"
        return prefix + minute

    return cell


def _labels(enum_cls) -> Callable[[str | None], str]:
    texts = {member.value: safe_text(str(enum_label(member))) for member in enum_cls}
    return lambda value: "" if value is None else texts[value]


def _names(model) -> Callable[[int | None], str]:
    """A related record's text (its ``str``), for a small table read once."""
    texts = {row.id: safe_text(str(row)) for row in db.session.execute(sa.select(model)).scalars()}
    return lambda value: "" if value is None else texts.get(value, "")


def _yes_no() -> Callable[[bool | None], str]:
    yes, no = str(_l("yes")), str(_l("no"))
    return lambda value: "" if value is None else (yes if value else no)


def _as_stored(column):
    """The column as the driver returns it, without SQLAlchemy's conversion: SQLite's text of a
    timestamp or a date (PostgreSQL's driver still makes a datetime or a date), an enum's value."""
    return sa.type_coerce(column, sa.String).label(column.key)


# column name → (what to select, its kind: "text", "time", "date", "yes/no", an enum or a related model)
COLUMNS: dict[str, tuple[Any, Any]] = {
    "reg_number": (Appeal.reg_number, "text"),
    "received_at": (_as_stored(Appeal.received_at), "time"),
    "registered_at": (_as_stored(Appeal.registered_at), "time"),
    "channel": (_as_stored(Appeal.channel), Channel),
    "ukc_number": (Appeal.ukc_number, "text"),
    "ukc_date": (_as_stored(Appeal.ukc_date), "date"),
    "regional_number": (Appeal.regional_number, "text"),
    "regional_date": (_as_stored(Appeal.regional_date), "date"),
    "sender_email": (Appeal.sender_email, "text"),
    "applicant": (Applicant.full_name, "text"),  # the outer join below
    "is_privileged": (Appeal.is_privileged, "yes/no"),
    "appeal_type": (_as_stored(Appeal.appeal_type), AppealType),
    "subject": (_as_stored(Appeal.subject), AppealSubject),
    "sign": (_as_stored(Appeal.sign), ReceiptSign),
    "topic": (Appeal.topic_id, Topic),
    "direction": (Appeal.direction_id, Direction),
    "summary": (Appeal.summary, "text"),
    "status": (_as_stored(Appeal.status), AppealStatus),
    "due_date": (_as_stored(Appeal.due_date), "date"),
    "main_executor": (Appeal.main_executor_id, Executor),
    "outgoing_number": (Appeal.outgoing_number, "text"),
    "sent_at": (_as_stored(Appeal.sent_at), "time"),
    "delivery_status": (_as_stored(Appeal.delivery_status), DeliveryStatus),
    "paper_copy_sent_on": (_as_stored(Appeal.paper_copy_sent_on), "date"),
    "result_code": (Appeal.result_code_id, ResultCode),
    "closed_at": (_as_stored(Appeal.closed_at), "time"),
}


def cell_makers() -> Callable[[Any], Callable]:
    """kind → the function writing a cell of that kind (the time and date caches shared by their columns)."""
    made: dict = {"text": _text, "time": _kyiv_times(), "date": _dates(), "yes/no": _yes_no()}

    def maker(kind) -> Callable:
        if kind not in made:
            made[kind] = _labels(kind) if isinstance(kind, type) and issubclass(kind, enum.Enum) else _names(kind)
        return made[kind]

    return maker


# --- reading in keyset batches -------------------------------------------------------------------


def after(order: Sequence[tuple[Any, bool]], key: Sequence) -> Any:
    """Rows that come after ``key`` (the order columns' values of the last row read) in ``order``."""
    # the values as the driver gave them (SQLite's stored text of a timestamp, PostgreSQL's datetime),
    # handed back to it as they are, against the columns as stored: no conversion on either side
    raw = sa.types.NullType()
    columns = [sa.type_coerce(column, raw) for column, _desc in order]
    values = [sa.bindparam(None, value, type_=raw) for value in key]
    if len({desc for _column, desc in order}) == 1:  # one direction: a row value, read as an index range
        left, right = sa.tuple_(*columns), sa.tuple_(*values)
        return left < right if order[0][1] else left > right
    clauses = []
    for i, (_column, desc) in enumerate(order):
        equal = [columns[j] == values[j] for j in range(i)]
        clauses.append(sa.and_(*equal, columns[i] < values[i] if desc else columns[i] > values[i]))
    return sa.or_(*clauses)


def _read_through_page_cache() -> None:
    """SQLite: read without the memory map (``portal.sqlite``) on the connection of the next batch.

    A million rows read through the map leave every page of the tables read resident in this
    process (~300 MB more at a million appeals); through SQLite's own page cache, memory stays
    at its size. Set before each batch: a commit between batches may hand back another connection.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA mmap_size=0"))


def _restore_memory_map() -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text(f"PRAGMA mmap_size={MMAP_SIZE}"))


def csv_text(width: int) -> Callable[[list[list[str]]], str]:
    """Rows of ``width`` texts → the text ``csv.writer`` (";") writes for them, a row with nothing to quote
    only joined: the csv module's own loop over the cells took a quarter of the export's time."""
    separators = width - 1
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER)

    def quoted(row: list[str]) -> str:  # a cell holds the delimiter, a quote or a line break
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        return buffer.getvalue()

    def text(rows: list[list[str]]) -> str:
        out = []
        for row in rows:
            line = CSV_DELIMITER.join(row)
            if line.count(CSV_DELIMITER) == separators and '"' not in line and "\n" not in line and "\r" not in line:
                out.append(line + "\r\n")  # csv.writer's line end
            else:
                out.append(quoted(row))
        return "".join(out)

    return text


def count_rows(where) -> int:
    query = sa.select(sa.func.count()).select_from(Appeal)
    return db.session.execute(query if where is None else query.where(where)).scalar_one()


def write_csv(list_query: ListQuery, path: str, progress=lambda percent: None) -> int:
    """Write every row of ``list_query`` to ``path`` as the list's CSV export does; return the rows written."""
    unknown = [name for name, _ in list_query.columns if name not in COLUMNS]
    if unknown:
        raise DomainError(_l("The export does not know the column %(name)s.", name=", ".join(unknown)))
    maker = cell_makers()
    selected = [COLUMNS[name][0] for name, _ in list_query.columns]
    cells = [maker(COLUMNS[name][1]) for name, _ in list_query.columns]
    order = list(list_query.order)
    width = len(selected)
    keys = [sa.type_coerce(column, sa.String).label(f"key_{i}") for i, (column, _) in enumerate(order)]
    query = sa.select(*selected, *keys).select_from(Appeal)
    if any(name == "applicant" for name, _ in list_query.columns):
        query = query.outerjoin(Applicant, Applicant.id == Appeal.applicant_id)
    if list_query.where is not None:
        query = query.where(list_query.where)
    query = query.order_by(*(column.desc() if desc else column.asc() for column, desc in order))
    # a literal: SQLite plans "LIMIT ?" as if the limit were unknown (see admin_views.paging)
    query = query.limit(sa.literal_column(str(BATCH)))

    lines = csv_text(width)
    total = max(1, count_rows(list_query.where))
    written, shown, key = 0, -1, None
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(BOM)
            writer = csv.writer(out, delimiter=CSV_DELIMITER)
            writer.writerow([safe_text(str(header)) for _, header in list_query.columns])
            while True:
                _read_through_page_cache()
                batch = db.session.execute(query if key is None else query.where(after(order, key))).all()
                if not batch:
                    break
                out.write(lines([[cell(value) for cell, value in zip(cells, row)] for row in batch]))
                written += len(batch)
                key = tuple(batch[-1][width:])
                percent = min(99, written * 100 // total)
                if percent != shown:
                    progress(percent)
                    shown = percent
                if len(batch) < BATCH:
                    break
    finally:
        with contextlib.suppress(SQLAlchemyError):  # never in the way of the error that ended the export
            _restore_memory_map()
    return written
