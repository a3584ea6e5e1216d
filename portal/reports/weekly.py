"""The weekly analysis of receipt and execution of appeals (seed 002, §8), for one ISO week.

Weeks run Monday 00:00 to Monday 00:00 in Europe/Kyiv. The analysis is about the appeals
received through one channel — by default those from the Government Contact Center (1545)
through the regional center, as seed 002 describes — or through all of them. Every figure is
an aggregate query with range conditions on ``registered_at`` / ``sent_at`` /
``forwarded_at`` (all indexed), so a week costs about the same on a year of data as on a
decade of it. Cancelled registrations are not appeals and count nowhere.

Definitions (the leadership reads them off the report's first sheet):
- *received*: registered within the week;
- *answered on time / late*: the answer was sent (the dispatch), or the appeal forwarded by
  competence, within the week, on or before / after the due date (the Kyiv date of that act
  compared with ``due_date``; closing the case later does not matter, Art. 20);
- *open at the week's end*: registered before the week ended and neither sent nor forwarded
  by then (appeals returned to the applicant, not considered or closed count as done);
- *overdue*: open at the week's end with the due date already passed (due on or before Sunday);
- the responsible executor is the one named first in the resolution.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import KYIV, format_date, format_datetime, kyiv_today
from portal.labels import enum_label, field_label
from portal.models.appeals import Appeal, Assignment
from portal.models.enums import AppealStatus, AppealType, Channel, ExecutorRole, ReportKind
from portal.models.org import Executor
from portal.models.reference import Topic
from portal.reports import xlsx
from portal.services.errors import DomainError
from portal.services.export import neutralise_formula

KIND = ReportKind.WEEKLY
JOB = "jobs.reports.build_report"

WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")
OVERDUE_LIST_LIMIT = 2000  # the on-screen page shows the first ones, the XLSX all of these
# done without an answer's moment: they are never "open"
DONE_WITHOUT_ANSWER = (
    AppealStatus.RETURNED_TO_APPLICANT,
    AppealStatus.NOT_CONSIDERED,
    AppealStatus.CLOSED,
    AppealStatus.CANCELLED,
)
# the Government Contact Center (1545), whose appeals reach the council through the regional center
UKC_CHANNEL = Channel.GOVERNMENT
ALL_CHANNELS = "all"


def parse_channel(text: str | None) -> Channel | None:
    """A channel's value (the GCC channel when empty), or None for ``all``; a DomainError otherwise."""
    text = (text or "").strip()
    if not text:
        return UKC_CHANNEL
    if text == ALL_CHANNELS:
        return None
    try:
        return Channel(text)
    except ValueError:
        choices = ", ".join([c.value for c in Channel] + [ALL_CHANNELS])
        raise DomainError(
            _l("Unknown channel %(channel)s; give one of: %(choices)s.", channel=text, choices=choices),
            field="channel",
        ) from None


def channel_param(channel: Channel | None) -> str:
    """The run parameter (and URL argument) naming ``channel``: its value, or ``all``."""
    return ALL_CHANNELS if channel is None else channel.value


def heading(channel: Channel | None) -> str:
    """The report's title: which appeals it analyses."""
    if channel is None:
        return str(_l("Weekly analysis of receipt and execution of appeals from all channels"))
    if channel == UKC_CHANNEL:
        return str(
            _l("Weekly analysis of receipt and execution of appeals received from the Government Contact Center (1545)")
        )
    return str(
        _l(
            "Weekly analysis of receipt and execution of appeals received via «%(channel)s»",
            channel=enum_label(channel),
        )
    )


def channel_scope(channel: Channel | None) -> str:
    """A short name of the appeals analysed, for the run's title."""
    if channel is None:
        return str(_l("all channels"))
    if channel == UKC_CHANNEL:
        return str(_l("from the GCC (1545)"))
    return str(enum_label(channel))


@dataclass(frozen=True)
class Week:
    """An ISO week: Monday ``first_day`` to Sunday ``last_day``, bounds in UTC."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """``2026-W47`` → Week; a clear DomainError for anything else."""
        match = WEEK_RE.match((text or "").strip())
        if not match:
            raise DomainError(_l("Give the week as YYYY-Www, for example 2026-W47."), field="week")
        year, number = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise DomainError(
                _l("The year %(year)s has no week %(week)s.", year=year, week=number), field="week"
            ) from None
        return cls(year, number)

    @classmethod
    def of(cls, day: date) -> Week:
        year, number, _ = day.isocalendar()
        return cls(year, number)

    @classmethod
    def last_complete(cls, today: date | None = None) -> Week:
        """The week before the current one (what Monday morning's report covers)."""
        return cls.of((today or kyiv_today()) - timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def first_day(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=6)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(7)]

    @property
    def start(self) -> datetime:
        return kyiv_midnight(self.first_day)

    @property
    def end(self) -> datetime:
        return kyiv_midnight(self.first_day + timedelta(days=7))

    def previous(self) -> Week:
        return Week.of(self.first_day - timedelta(days=7))


def kyiv_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Kyiv."""
    return datetime.combine(day, time(0), KYIV).astimezone(UTC)


@dataclass
class Summary:
    """The headline figures of one week."""

    received: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    open_within_term: int = 0
    open_overdue: int = 0

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def open(self) -> int:
        return self.open_within_term + self.open_overdue

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.answered_on_time, self.answered)


@dataclass
class ExecutorRow:
    executor_id: int | None
    name: str
    received: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    open_overdue: int = 0

    @property
    def answered(self) -> int:
        return self.answered_on_time + self.answered_late

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.answered_on_time, self.answered)


@dataclass
class WeeklyAnalysis:
    week: Week
    summary: Summary
    previous: Summary
    channel: Channel | None = UKC_CHANNEL  # None: all channels
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_topic: list[tuple[str, int]] = field(default_factory=list)
    by_executor: list[tuple[str, int]] = field(default_factory=list)
    executors: list[ExecutorRow] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    overdue_truncated: bool = False

    @property
    def title(self) -> str:
        return heading(self.channel)

    @property
    def channel_param(self) -> str:
        return channel_param(self.channel)

    def changes(self) -> list[tuple[str, int, int, int, int]]:
        """(label, this week, previous week, difference, +1/-1/0 = a rise is good/bad/neither)."""
        rows = [
            (_l("Appeals received"), "received", 0),
            (_l("Answered on time"), "answered_on_time", 1),
            (_l("Answered late"), "answered_late", -1),
            (_l("Open within term at the week's end"), "open_within_term", 0),
            (_l("Overdue at the week's end"), "open_overdue", -1),
        ]
        out = []
        for label, attr, rise in rows:
            now, before = getattr(self.summary, attr), getattr(self.previous, attr)
            out.append((str(label), now, before, now - before, rise))
        return out


def rate(part: int, whole: int) -> float | None:
    """Percentage rounded to one decimal, or None when there is nothing to rate."""
    return round(100.0 * part / whole, 1) if whole else None


# --- SQL building blocks --------------------------------------------------------------
#
# The answer's moment is ``forwarded_at`` when the appeal was forwarded by competence (that
# happens before any resolution, and a forwarded appeal is never dispatched), else ``sent_at``.
# Each question is asked in parts whose rows never overlap, each part a range of one index.


def _scope(channel: Channel | None, by_receipt: bool = False) -> list:
    """The appeals analysed: not cancelled, and received through ``channel`` (None: any).

    Only the week's receipt walks the (channel, registration) index; elsewhere the channel is a
    row test (coalesce() hides the column from the planner), or the database would walk every
    appeal of the channel instead of the small range of answer moments.
    """
    conds = [Appeal.status != AppealStatus.CANCELLED]
    if channel is not None:
        column = Appeal.channel if by_receipt else sa.func.coalesce(Appeal.channel, Appeal.channel)
        conds.append(column == channel)
    return conds


def _received(week: Week):
    return sa.and_(Appeal.registered_at >= week.start, Appeal.registered_at < week.end)


def _answered(week: Week) -> list[tuple]:
    """Answered within the week, in two parts: (WHERE, the column holding the answer's moment)."""
    return [
        (sa.and_(Appeal.forwarded_at >= week.start, Appeal.forwarded_at < week.end), Appeal.forwarded_at),
        (
            sa.and_(Appeal.sent_at >= week.start, Appeal.sent_at < week.end, Appeal.forwarded_at.is_(None)),
            Appeal.sent_at,
        ),
    ]


def _open_at_end(week: Week) -> list[tuple]:
    """Without an answer when the week ended, in three parts whose rows never overlap: (WHERE, row test).

    Only the WHERE (never sent nor forwarded, or sent or forwarded after the week) is meant for
    an index; the row test runs inside CASE, so the planner cannot trade that small range for a
    scan of ``registered_at < end``, which covers almost the whole table.
    """
    return [
        (
            sa.and_(Appeal.sent_at.is_(None), Appeal.forwarded_at.is_(None)),
            sa.and_(Appeal.registered_at < week.end, Appeal.status.not_in(DONE_WITHOUT_ANSWER)),
        ),
        (sa.and_(Appeal.sent_at >= week.end, Appeal.forwarded_at.is_(None)), Appeal.registered_at < week.end),
        (Appeal.forwarded_at >= week.end, Appeal.registered_at < week.end),
    ]


def _flag(condition):
    return sa.case((condition, 1), else_=0)


def _on_time(week: Week, moment):
    """1 when an appeal answered within ``week`` (at ``moment``) was answered on or before its due date, else 0.

    Answering before the week ended is on time when the due date is Sunday or later and late
    when it was before Monday; for the six days between, the answer's instant is compared with
    the end of that Kyiv day (exact across daylight-saving changes, with no date arithmetic
    in SQL).
    """
    whens = [(Appeal.due_date >= week.last_day, 1), (Appeal.due_date < week.first_day, 0)]
    for day in week.days[:-1]:
        whens.append((sa.and_(Appeal.due_date == day, moment < kyiv_midnight(day + timedelta(days=1))), 1))
    return sa.case(*whens, else_=0)


def _overdue(week: Week):
    """Past its due date when the week ended (for an appeal still open then)."""
    return Appeal.due_date <= week.last_day


def _responsible_join():
    return sa.and_(Assignment.appeal_id == Appeal.id, Assignment.executor_role == ExecutorRole.RESPONSIBLE)


def _scalar_pair(query) -> tuple[int, int]:
    a, b = db.session.execute(query).one()
    return int(a or 0), int(b or 0)


# --- the figures -------------------------------------------------------------------------


def summary(week: Week, channel: Channel | None = UKC_CHANNEL) -> Summary:
    """The headline figures of a week (six aggregate queries)."""
    scope = _scope(channel)
    s = Summary()
    s.received = db.session.execute(
        sa.select(sa.func.count()).select_from(Appeal).where(_received(week), *_scope(channel, by_receipt=True))
    ).scalar_one()
    for where, moment in _answered(week):
        on_time, answered = _scalar_pair(
            sa.select(sa.func.sum(_on_time(week, moment)), sa.func.count()).select_from(Appeal).where(where, *scope)
        )
        s.answered_on_time += on_time
        s.answered_late += answered - on_time
    for where, test in _open_at_end(week):
        overdue, total = _scalar_pair(
            sa.select(sa.func.sum(_flag(sa.and_(test, _overdue(week)))), sa.func.sum(_flag(test)))
            .select_from(Appeal)
            .where(where, *scope)
        )
        s.open_overdue += overdue
        s.open_within_term += total - overdue
    return s


def _grouped(column, week: Week, channel: Channel | None) -> dict:
    rows = db.session.execute(
        sa.select(column, sa.func.count())
        .select_from(Appeal)
        .where(_received(week), *_scope(channel, by_receipt=True))
        .group_by(column)
    )
    return dict(rows.all())


def _enum_breakdown(enum_cls, column, week: Week, channel: Channel | None) -> list[tuple[str, int]]:
    counts = _grouped(column, week, channel)
    return [(str(enum_label(m)), counts[m]) for m in enum_cls if counts.get(m)]


def _topic_breakdown(week: Week, channel: Channel | None) -> list[tuple[str, int]]:
    counts = _grouped(Appeal.topic_id, week, channel)
    ids = [i for i in counts if i is not None]
    names = (
        {t.id: str(t) for t in db.session.execute(sa.select(Topic).where(Topic.id.in_(ids))).scalars()} if ids else {}
    )
    rows = sorted(((names.get(i, f"#{i}"), n) for i, n in counts.items() if i is not None), key=lambda r: (-r[1], r[0]))
    if counts.get(None):
        rows.append((str(_l("No topic")), counts[None]))
    return rows


def _executor_names(ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {e.id: str(e) for e in db.session.execute(sa.select(Executor).where(Executor.id.in_(ids))).scalars()}


def _executors(week: Week, channel: Channel | None) -> tuple[list[ExecutorRow], list[tuple[str, int]]]:
    """Per responsible executor: received, answered on time / late, overdue at the week's end.

    Outer joins put appeals with no executor named yet into the ``None`` group.
    """
    rows: dict[int | None, ExecutorRow] = {}
    scope = _scope(channel)

    def row(executor_id):
        return rows.setdefault(executor_id, ExecutorRow(executor_id, ""))

    def per_executor(*columns, where):
        return db.session.execute(
            sa.select(Assignment.executor_id, *columns)
            .select_from(Appeal)
            .outerjoin(Assignment, _responsible_join())
            .where(*where, *scope)
            .group_by(Assignment.executor_id)
        )

    appeals = sa.func.count(sa.distinct(Appeal.id))
    for executor_id, n in per_executor(appeals, where=[_received(week)]):
        row(executor_id).received = n
    for where, moment in _answered(week):
        on_time = sa.func.count(sa.distinct(sa.case((_on_time(week, moment) == 1, Appeal.id))))
        for executor_id, total, in_time in per_executor(appeals, on_time, where=[where]):
            r = row(executor_id)
            r.answered_on_time += in_time
            r.answered_late += total - in_time
    for where, test in _open_at_end(week):
        # the row test filters before the join, so only overdue appeals look up their executor
        for executor_id, n in per_executor(appeals, where=[where, _flag(sa.and_(test, _overdue(week))) == 1]):
            row(executor_id).open_overdue += n

    names = _executor_names(rows)
    for executor_id, r in rows.items():
        r.name = names.get(executor_id, f"#{executor_id}") if executor_id is not None else str(_l("Not assigned yet"))
    ordered = sorted(rows.values(), key=lambda r: (r.executor_id is None, r.name))
    by_executor = sorted(((r.name, r.received) for r in ordered if r.received), key=lambda x: (-x[1], x[0]))
    return ordered, by_executor


def overdue_list(
    week: Week, limit: int = OVERDUE_LIST_LIMIT, channel: Channel | None = UKC_CHANNEL
) -> tuple[list[dict], bool]:
    """Appeals overdue at the week's end, most overdue first; and whether the list was cut."""
    out: dict[int, dict] = {}
    for where, test in _open_at_end(week):
        query = (
            sa.select(
                Appeal.id,
                Appeal.reg_number,
                Appeal.registered_at,
                Appeal.due_date,
                Appeal.summary,
                Appeal.is_privileged,
                Appeal.status,
                Executor.short_name,
                Executor.name,
            )
            .select_from(Appeal)
            .outerjoin(Assignment, sa.and_(_responsible_join(), Assignment.position == 1))
            .outerjoin(Executor, Executor.id == Assignment.executor_id)
            .where(where, _flag(sa.and_(test, _overdue(week))) == 1, *_scope(channel))
            # coalesce(): sort the few matching rows rather than walk the due_date index
            .order_by(sa.func.coalesce(Appeal.due_date, Appeal.due_date), Appeal.id)
            .limit(limit + 1)
        )
        for r in db.session.execute(query):
            if r.id in out:
                continue
            out[r.id] = {
                "id": r.id,
                "reg_number": r.reg_number,
                "registered_at": r.registered_at,
                "due_date": r.due_date,
                "summary": r.summary,
                "is_privileged": bool(r.is_privileged),
                "status": AppealStatus(r.status),
                "executor": r.short_name or r.name or "",
                "days_overdue": (week.last_day - r.due_date).days + 1,
            }
    rows = sorted(out.values(), key=lambda r: (r["due_date"], r["id"]))
    return rows[:limit], len(rows) > limit


def analyse(week: Week, progress=None, channel: Channel | None = UKC_CHANNEL) -> WeeklyAnalysis:
    """Everything the weekly report shows for the appeals of ``channel`` (None: all channels).

    ``progress(percent)`` is called along the way.
    """
    step = progress or (lambda pct: None)
    current = summary(week, channel)
    step(20)
    previous = summary(week.previous(), channel)
    step(35)
    analysis = WeeklyAnalysis(week=week, summary=current, previous=previous, channel=channel)
    analysis.by_channel = _enum_breakdown(Channel, Appeal.channel, week, channel)
    analysis.by_type = _enum_breakdown(AppealType, Appeal.appeal_type, week, channel)
    analysis.by_topic = _topic_breakdown(week, channel)
    step(50)
    analysis.executors, analysis.by_executor = _executors(week, channel)
    step(65)
    analysis.overdue, analysis.overdue_truncated = overdue_list(week, channel=channel)
    step(75)
    return analysis


# --- the report run ---------------------------------------------------------------------------


def normalise_params(params: dict) -> tuple[dict, str]:
    """The ISO week (the week just ended by default), the channel (the GCC's by default) and the run's title."""
    week = Week.parse(params.get("week") or str(Week.last_complete()))
    channel = parse_channel(params.get("channel"))
    out: dict[str, object] = {"week": str(week), "channel": channel_param(channel)}
    if params.get("scheduled"):
        out["scheduled"] = True
    dates = f"{format_date(week.first_day)}–{format_date(week.last_day)}"
    return out, f"{enum_label(KIND)} {week} ({dates}), {channel_scope(channel)}"


def build(run, path: str, progress) -> None:
    """The run's file: the analysis of its week and channel as a workbook."""
    analysis = analyse(Week.parse(run.params["week"]), progress, channel=parse_channel(run.params.get("channel")))
    write_xlsx(analysis, path)
    progress(95)


# --- the workbook ---------------------------------------------------------------------------


def write_xlsx(analysis: WeeklyAnalysis, path: str) -> None:
    """The weekly analysis as a workbook: summary with the change, receipt, executors, overdue list."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    header = xlsx.header
    week = analysis.week

    def table(ws, row, title, rows, first_header):
        """A two-column table (name, count) starting at ``row``; returns the row after it."""
        ws.cell(row=row, column=1, value=str(title)).font = Font(bold=True, size=12)
        header(ws, row + 1, [first_header, _l("Appeals")])
        for i, (name, n) in enumerate(rows, start=row + 2):
            ws.cell(row=i, column=1, value=neutralise_formula(name))
            ws.cell(row=i, column=2, value=n)
        return row + 3 + len(rows)

    wb = xlsx.workbook()
    ws = wb.active
    ws.title = xlsx.sheet_title(_l("Weekly summary"))
    xlsx.title(
        ws,
        analysis.title,
        f"{week}: {format_date(week.first_day)} – {format_date(week.last_day)}",
    )
    header(ws, 4, [_l("Indicator"), _l("This week"), _l("Previous week"), _l("Change, +/-")], [48, 14, 16, 12])
    for i, (indicator, now, before, diff, _rise) in enumerate(analysis.changes(), start=5):
        ws.append([indicator, now, before, diff])
        ws.cell(row=i, column=4).number_format = "+0;-0;0"
    r = ws.max_row + 1
    ws.cell(row=r, column=1, value=str(_l("On-time rate of answered appeals")))
    for col, value in ((2, analysis.summary.on_time_rate), (3, analysis.previous.on_time_rate)):
        cell = ws.cell(row=r, column=col, value=None if value is None else value / 100)
        cell.number_format = xlsx.PERCENT
    notes = [
        _l("Received: registered within the week (Monday to Sunday, Kyiv time)."),
        _l(
            "Answered on time: the answer sent, or the appeal forwarded by competence, within the week on or "
            "before the due date; late: after it. Closing the case later does not matter."
        ),
        _l(
            "Open at the week's end: registered and neither answered nor forwarded by Sunday 24:00; overdue: "
            "the due date has passed."
        ),
        _l("Executor: the responsible (first) executor of the resolution."),
    ]
    for i, note in enumerate(notes, start=r + 2):
        ws.cell(row=i, column=1, value=str(note)).font = Font(italic=True, color="555555")
    ws.cell(row=r + 7, column=1, value=f"{_l('Made at')}: {format_datetime(datetime.now(UTC))}")

    rec = wb.create_sheet(xlsx.sheet_title(_l("Receipt of appeals")))
    rec.column_dimensions["A"].width, rec.column_dimensions["B"].width = 60, 12
    label = functools.partial(field_label, Appeal)
    row = table(rec, 1, _l("By channel"), analysis.by_channel, label("channel"))
    channel_rows = (3, 2 + len(analysis.by_channel))
    row = table(rec, row, _l("By type"), analysis.by_type, label("appeal_type"))
    row = table(rec, row, _l("By topic"), analysis.by_topic, label("topic"))
    table(rec, row, _l("By responsible executor"), analysis.by_executor, _l("Executor"))
    if analysis.by_channel:
        chart = BarChart()
        chart.type = "bar"
        chart.title = str(_l("Received by channel"))
        chart.legend = None
        chart.add_data(
            Reference(rec, min_col=2, min_row=channel_rows[0] - 1, max_row=channel_rows[1]), titles_from_data=True
        )
        chart.set_categories(Reference(rec, min_col=1, min_row=channel_rows[0], max_row=channel_rows[1]))
        chart.width, chart.height = 18, 8
        rec.add_chart(chart, "D2")

    ex = wb.create_sheet(xlsx.sheet_title(_l("Executors")))
    header(
        ex,
        1,
        [
            _l("Executor"),
            _l("Appeals received"),
            _l("Answered on time"),
            _l("Answered late"),
            _l("On-time rate"),
            _l("Overdue at the week's end"),
        ],
        [44, 12, 14, 12, 12, 16],
    )
    for i, r_ in enumerate(analysis.executors, start=2):
        ex.append(
            [
                neutralise_formula(r_.name),
                r_.received,
                r_.answered_on_time,
                r_.answered_late,
                None if r_.on_time_rate is None else r_.on_time_rate / 100,
                r_.open_overdue,
            ]
        )
        ex.cell(row=i, column=5).number_format = xlsx.PERCENT
    if analysis.executors:
        last = 1 + len(analysis.executors)
        chart = BarChart()
        chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
        chart.title = str(_l("Answered on time and late by executor"))
        chart.add_data(Reference(ex, min_col=3, max_col=4, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ex, min_col=1, min_row=2, max_row=last))
        chart.width, chart.height = 20, max(8, 0.6 * len(analysis.executors))
        ex.add_chart(chart, "H2")

    od = wb.create_sheet(xlsx.sheet_title(_l("Overdue appeals")))
    header(
        od,
        1,
        [
            label("reg_number"),
            label("registered_at"),
            label("due_date"),
            _l("Days overdue"),
            _l("Responsible executor"),
            label("status"),
            label("is_privileged"),
            label("summary"),
        ],
        [16, 12, 12, 10, 30, 18, 10, 70],
    )
    for item in analysis.overdue:
        od.append(
            [
                neutralise_formula(item["reg_number"]),
                format_date(item["registered_at"]),
                format_date(item["due_date"]),
                item["days_overdue"],
                neutralise_formula(item["executor"]),
                str(item["status"]),
                str(_l("yes")) if item["is_privileged"] else "",
                neutralise_formula(item["summary"]),
            ]
        )
    if analysis.overdue_truncated:
        od.append([str(_l("Only the first %(n)s are listed.", n=len(analysis.overdue)))])
    od.freeze_panes = "A2"
    xlsx.save(wb, path)
