"""Lists that do not grow with the table: keyset (seek) pages and counts that stop at a cap.

A list sorted by one non-null column of its model (its default sort included) is ordered
by that column and the id, and its pager links carry the key of the row they continue
from (``?after=<value>,<id>`` for the next page, ``?before=…`` for the previous one, an
empty ``before`` for the last page): every page is one index range read, whatever its
depth. Without a key, ``?page=N`` still works by OFFSET (the numbered pager of a list of
at most ``count_cap`` rows, or a link typed by hand).

A view with ``count_cap`` counts at most that many rows: the exact number below the cap,
"more than N" above it (the template says which), and never a scan of the whole table.
Reading cap + 1 index entries still costs a few milliseconds a page (10,000 of them), so a
list found to hold more than its cap is remembered as such for ``OVER_CAP_SECONDS``
(``OverCap``, per process, per user and list arguments): the next pages and reloads of the
same list say "more than N" without counting again. A list shown with the database's
estimate instead of a count (``estimated_rows``, PostgreSQL) is remembered with that
estimate: its next pages show it again without asking the planner. A count below the cap
is never remembered: it is exact on every request.
"""

from __future__ import annotations

import enum
import json
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.properties import ColumnProperty

from portal.extensions import db


@dataclass
class Seek:
    """How the current list page is read: the sort key, its direction and the cursor given."""

    column: InstrumentedAttribute
    pk: InstrumentedAttribute
    desc: bool
    after: tuple | None = None
    before: tuple | None = None
    last: bool = False  # an empty ``before``: the last page
    key: Any = None  # what the rows are ordered and compared by instead of ``pk`` (a search index's rowid)

    @property
    def single(self) -> bool:
        return self.column.property is self.pk.property

    @property
    def reversed(self) -> bool:
        return self.before is not None or self.last

    @property
    def _pk(self):
        return self.pk if self.key is None else self.key

    def _key(self, values: tuple):
        if self.single:
            return self._pk, values[-1]
        return sa.tuple_(self.column, self.pk), sa.tuple_(
            sa.bindparam(None, values[0], type_=self.column.type), sa.bindparam(None, values[1], type_=self.pk.type)
        )

    def _order(self, desc: bool):
        columns = [self._pk] if self.single else [self.column, self.pk]
        return [c.desc() if desc else c.asc() for c in columns]

    def apply(self, query, page: int, page_size: int | None):
        """ORDER BY the key, then the key range of the cursor (or OFFSET without one), LIMIT a page."""
        if self.reversed:
            query = query.order_by(None).order_by(*self._order(not self.desc))
        else:
            query = query.order_by(None).order_by(*self._order(self.desc))
        if self.after is not None or self.before is not None:
            left, right = self._key(cast(tuple, self.after if self.after is not None else self.before))
            forward = self.after is not None
            query = query.filter(left < right if forward == self.desc else left > right)
        if page_size:
            # literals: SQLite plans "LIMIT ?" as if the limit were unknown and may sort a whole range
            query = query.limit(sa.literal_column(str(int(page_size))))
            if self.uses_offset(page):
                query = query.offset(sa.literal_column(str(int(page) * int(page_size))))
        return query

    def uses_offset(self, page: int | None) -> bool:
        """Is this page read by OFFSET (a page number and no cursor) rather than from a key?"""
        return bool(page) and self.after is None and self.before is None and not self.last

    def finish(self, rows: list) -> list:
        return list(reversed(rows)) if self.reversed else rows

    def key_of(self, row) -> str:
        if self.single:
            return str(getattr(row, self.pk.key))
        return f"{encode(getattr(row, self.column.key))},{getattr(row, self.pk.key)}"


def encode(value) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _python_type(column):
    type_ = column.type
    if isinstance(type_, sa.types.TypeDecorator):
        type_ = type_.impl_instance
    try:
        return type_.python_type
    except NotImplementedError:
        return object


def decode(column, raw: str):
    """A cursor value back in the column's Python type (ValueError when it is not one)."""
    kind = _python_type(column)
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if kind is bool:
        return raw == "1"
    if kind is int:
        return int(raw)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(raw)
    return raw


def _sort_attribute(view, name: str):
    """The model column a list sort name stands for (``column_sortable_list`` may map a name to a column)."""
    for entry in view.column_sortable_list or ():
        if isinstance(entry, tuple) and entry[0] == name:
            target = entry[1]
            return getattr(view.model, target) if isinstance(target, str) else target
    return getattr(view.model, name, None)


def _default_sort(view) -> tuple[str, bool]:
    default = view.column_default_sort
    if isinstance(default, list):
        default = default[0] if default else None
    if default is None:
        return "id", False
    if isinstance(default, tuple):
        return default[0], bool(default[1])
    return default, False


def plan(view, sort_column: str | None, sort_desc) -> Seek | None:
    """The keyset plan of the current list request, or None when its sort cannot be seeked."""
    pk = getattr(view.model, "id", None)
    if not isinstance(pk, InstrumentedAttribute):
        return None
    # a view may read an unsorted list in another key's order (the appeals' full-text search: newest first)
    key = None if sort_column else getattr(view, "seek_key", lambda: None)()
    if key is not None:
        seek = Seek(column=pk, pk=pk, desc=True, key=key)
    else:
        name, desc = (sort_column, bool(sort_desc)) if sort_column else _default_sort(view)
        attr = _sort_attribute(view, name) if isinstance(name, str) else name
        if not isinstance(attr, InstrumentedAttribute) or not isinstance(attr.property, ColumnProperty):
            return None
        columns = attr.property.columns
        if len(columns) != 1 or columns[0].nullable or columns[0].table is not pk.property.columns[0].table:
            return None
        seek = Seek(column=attr, pk=pk, desc=desc)
    after, before = request.args.get("after"), request.args.get("before")
    try:
        if after:
            seek.after = _parse(seek, after)
        elif before is not None:
            if before:
                seek.before = _parse(seek, before)
            else:
                seek.last = True
    except (ValueError, TypeError, KeyError):
        seek.after = seek.before = None
        seek.last = False
    return seek


def _parse(seek: Seek, raw: str) -> tuple:
    if seek.single:
        return (int(raw),)
    value, _, pk = raw.rpartition(",")
    if not value:
        raise ValueError(raw)
    return decode(seek.column, value), int(pk)


OVER_CAP_SECONDS = 60.0


class OverCap:
    """Lists known to hold more rows than their count cap, each for ``OVER_CAP_SECONDS``, with the estimate
    shown for them when one was (``recall``).

    A key names one list as one user sees it: the view, the user (whose scope it is), the
    cap and the request's arguments other than the page, the cursor and the sort.
    """

    PAGING_ARGS = frozenset(("page", "after", "before", "sort", "desc", "page_size"))
    MAX_KEYS = 2_000

    def __init__(self, seconds: float = OVER_CAP_SECONDS):
        self.seconds = seconds
        self._until: dict[tuple, tuple[float, int | None]] = {}
        self._lock = threading.Lock()

    def key(self, endpoint: str, user_id, cap: int, args) -> tuple:
        kept = sorted((k, v) for k, v in args.items(multi=True) if k not in self.PAGING_ARGS)
        return (endpoint, user_id, cap, tuple(kept))

    def recall(self, key: tuple) -> tuple[bool, int | None]:
        """(known to be over its cap?, the estimate shown for it, when one was)."""
        entry = self._until.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return False, None
        return True, entry[1]

    def remember(self, key: tuple, estimate: int | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._until) >= self.MAX_KEYS:
                self._until = {k: e for k, e in self._until.items() if e[0] > now}
                if len(self._until) >= self.MAX_KEYS:
                    self._until.clear()
            self._until[key] = (now + self.seconds, estimate)

    def forget(self) -> None:
        with self._lock:
            self._until.clear()


over_cap = OverCap()


def capped_count(query, pk, cap: int) -> tuple[int, bool]:
    """(rows, exact?) of a list query, reading at most ``cap`` + 1 rows of it."""
    return capped_rows(query.order_by(None).with_entities(pk).statement, cap)


def capped_rows(select: sa.Select, cap: int) -> tuple[int, bool]:
    """(rows, exact?) of a SELECT, reading at most ``cap`` + 1 of its rows."""
    inner = select.order_by(None).limit(cap + 1).subquery()
    n = db.session.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one()
    return min(n, cap), n <= cap


ESTIMATE_OVER = 20  # a list estimated at this many times its cap or more is not counted: its estimate is shown


def estimated_rows(query, pk) -> int | None:
    """PostgreSQL's estimate of how many rows ``query`` gives (its planner's, nothing read); None elsewhere.

    A search by a common word matches a sixtieth of ten million appeals: counting even 1,001 of
    them builds the full-text index's bitmap of all 160,000 (200 ms and more), where planning
    the count takes a millisecond and its estimate is within a few per cent.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    statement = query.order_by(None).with_entities(pk).statement
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    plan = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def about(n: int) -> int:
    """An estimate rounded to two significant digits (153,211 → 150,000)."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return round(n / scale) * scale


def pager_links(seek: Seek, rows: list, page: int, page_size: int) -> dict:
    """First, previous, next and last page URLs of a keyset page (None where there is none)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("page", "after", "before")}
    full = len(rows) >= page_size
    at_end = seek.last or (not seek.reversed and not full)
    at_start = (seek.after is None and seek.before is None and not seek.last and not page) or (
        seek.before is not None and not full
    )
    # a page reached from the last one backwards has no number
    known = not seek.last and ("page" in request.args or (seek.after is None and seek.before is None))
    links: dict[str, int | str | None]
    links = {"page": page + 1 if known else None, "first": None, "prev": None, "next": None, "last": None}
    if not at_start:
        links["first"] = url_for(".index_view", **args)
        if rows:
            if known and page == 1:
                links["prev"] = links["first"]
            else:
                extra: dict[str, Any] = {"page": page - 1} if known and page else {}
                links["prev"] = url_for(".index_view", before=seek.key_of(rows[0]), **extra, **args)
    if not at_end and rows:
        extra = {"page": page + 1} if known else {}
        links["next"] = url_for(".index_view", after=seek.key_of(rows[-1]), **extra, **args)
        links["last"] = url_for(".index_view", before="", **args)
    return links
