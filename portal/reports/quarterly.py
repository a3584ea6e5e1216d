"""Quarterly statistics of appeals by the Classifier of citizens' appeals (CMU 858/2008).

For a quarter or a year (Europe/Kyiv), the appeals received in it (by the day of receipt;
cancelled registrations are not appeals) are counted by every section of the classifier's
part I, in its own order and numbering — 1 form of receipt, 2 receipt sign, 3 kind,
4 authors' sex, 5 subject, 6 type, 7 authors' categories, 8 social status — then by the
topics of part II (their sections), by the results of consideration and by timeliness.
Each section has a row for every appeal (an "not stated" row where the classifier has
none), so each section adds up to the total, as councils publish them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import KYIV, format_date, kyiv_today
from portal.labels import enum_label
from portal.models.appeals import Appeal, Applicant
from portal.models.enums import (
    OPEN_STATUSES,
    AppealStatus,
    AppealSubject,
    AppealType,
    Channel,
    ReceiptSign,
    ReportKind,
    Sex,
)
from portal.models.reference import PrivilegeCategory, ResultCode, SocialStatus, Topic
from portal.reports import xlsx
from portal.services import deadlines
from portal.services.errors import DomainError

KIND = ReportKind.QUARTERLY
JOB = "jobs.reports.build_report"

_PERIOD_RE = re.compile(r"^\s*(\d{4})(?:\s*-?\s*[QqКк]([1-4]))?\s*$")

# Classifier 858, part I, section 1: forms of receipt in its numbering; the portal's own
# channels (telephone, web form, API) follow unnumbered, shown as what they are.
FORMS_OF_RECEIPT = (
    ("1.1", Channel.POST),
    ("1.2", Channel.PERSONAL),
    ("1.3", Channel.AUTHORISED),
    ("1.4", Channel.GOVERNMENT),
    ("1.5", Channel.MEDIA),
    ("1.6", Channel.OTHER_BODY),
    ("", Channel.PHONE),
    ("", Channel.WEB),
    ("", Channel.API),
)
SIGNS = (
    ("2.1", ReceiptSign.PRIMARY),
    ("2.2", ReceiptSign.REPEATED),
    ("2.3", ReceiptSign.DUPLICATE),
    ("2.4", ReceiptSign.MULTIPLE),
    ("2.5", ReceiptSign.MASS),
)
KINDS = (("3.1", AppealType.PROPOSAL), ("3.2", AppealType.STATEMENT), ("3.3", AppealType.COMPLAINT))
SEXES = (("4.1", Sex.MALE), ("4.2", Sex.FEMALE))
SUBJECTS = (("5.1", AppealSubject.INDIVIDUAL), ("5.2", AppealSubject.COLLECTIVE), ("5.3", AppealSubject.ANONYMOUS))
# section 6, type: oral appeals are those made by telephone or at a personal reception
ORAL_CHANNELS = frozenset({Channel.PHONE, Channel.PERSONAL})
TYPES = (("6.1", "telegram", _l("telegram")), ("6.2", "letter", _l("letter")), ("6.3", "oral", _l("oral")))


@dataclass(frozen=True)
class Period:
    """A quarter (``2026-Q1``) or a whole year (``2026``), as Kyiv dates."""

    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str | None) -> Period:
        match = _PERIOD_RE.match(text or "")
        if not match or not 2000 <= int(match.group(1)) <= 2100:
            raise DomainError(_l("Give the quarter as YYYY-Qn (e.g. 2026-Q1) or the year as YYYY."), field="quarter")
        return cls(int(match.group(1)), int(match.group(2)) if match.group(2) else None)

    @classmethod
    def last_complete(cls, today: date | None = None) -> Period:
        today = today or kyiv_today()
        q = (today.month - 1) // 3 + 1
        return cls(today.year - 1, 4) if q == 1 else cls(today.year, q - 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.quarter is None else 3 * self.quarter - 2, 1)

    @property
    def next_first_day(self) -> date:
        if self.quarter in (None, 4):
            return date(self.year + 1, 1, 1)
        return date(self.year, 3 * self.quarter + 1, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next_first_day.toordinal() - 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, KYIV)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.next_first_day, time.min, KYIV)


@dataclass
class Row:
    code: str
    name: str
    count: int = 0


@dataclass
class Section:
    number: str
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass
class Statistics:
    period: Period
    total: int
    sections: list[Section]
    answered: int  # answer sent or forwarded by competence
    on_time: int
    late: int
    overdue_unanswered: int  # awaiting an answer past the due date at the period's end (or today)

    @property
    def on_time_rate(self) -> float | None:
        return round(100.0 * self.on_time / self.answered, 1) if self.answered else None


def _receipt_column():
    # the moment of receipt where the appeal records it (the term runs from it), else registration
    return getattr(Appeal, "received_at", Appeal.registered_at)


def _rows(period: Period):
    received = _receipt_column()
    query = (
        sa.select(
            Appeal.channel,
            Appeal.sign,
            Appeal.appeal_type,
            Appeal.subject,
            Appeal.status,
            Appeal.due_date,
            Appeal.sent_at,
            Appeal.forwarded_at,
            Appeal.result_code_id,
            Appeal.topic_id,
            Applicant.sex,
            Applicant.privilege_category_id,
            Applicant.social_status_id,
        )
        .select_from(Appeal)
        .outerjoin(Applicant, Applicant.id == Appeal.applicant_id)
        .where(received >= period.start, received < period.end, Appeal.status != AppealStatus.CANCELLED)
    )
    return db.session.execute(query).all()


def _enum_section(number, title, pairs, values, unknown=None) -> Section:
    section = Section(number, str(title))
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    known = set()
    for code, member in pairs:
        section.rows.append(Row(code, str(enum_label(member)), counts.get(member, 0)))
        known.add(member)
    rest = sum(n for v, n in counts.items() if v not in known)
    if unknown is not None or rest:
        section.rows.append(Row("", str(unknown or _l("not stated")), rest))
    return section


def _reference_section(number, title, model, values) -> Section:
    section = Section(number, str(title))
    counts: dict = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    items = db.session.execute(sa.select(model).order_by(model.code)).scalars()
    for i, item in enumerate(items, start=1):
        section.rows.append(Row(f"{number}.{i}", item.name, counts.pop(item.id, 0)))
    section.rows.append(Row("", str(_l("not stated")), sum(counts.values())))
    return section


def _topics_section(values) -> Section:
    topics = {t.id: t for t in db.session.execute(sa.select(Topic)).scalars()}
    counts: dict = {}
    for topic_id in values:
        topic = topics.get(topic_id)
        key = (topic.parent_id or topic.id) if topic else None
        counts[key] = counts.get(key, 0) + 1
    section = Section("II", str(_l("Topics (classifier part II, by section)")))
    for topic in sorted((t for t in topics.values() if t.parent_id is None), key=lambda t: t.code):
        section.rows.append(Row(topic.code, topic.name, counts.pop(topic.id, 0)))
    section.rows.append(Row("", str(_l("not stated")), sum(counts.values())))
    return section


def result_key(status, result_code_id) -> str:
    """Which row of the results an appeal counts in (every appeal counts in exactly one)."""
    status = AppealStatus(status)
    if status == AppealStatus.CLOSED and result_code_id is not None:
        return f"code:{result_code_id}"
    if status == AppealStatus.FORWARDED:
        return "forwarded"
    return status.value if status not in OPEN_STATUSES else "in_consideration"


def _results_section(rows) -> Section:
    codes = list(db.session.execute(sa.select(ResultCode).order_by(ResultCode.id)).scalars())
    counts: dict = {}
    for r in rows:
        key = result_key(r.status, r.result_code_id)
        counts[key] = counts.get(key, 0) + 1
    section = Section("III", str(_l("Results of consideration")))
    forwarded = next((c for c in codes if c.code == "forwarded"), None)
    for code in codes:
        n = counts.pop(f"code:{code.id}", 0)
        if forwarded is not None and code.id == forwarded.id:
            n += counts.pop("forwarded", 0)  # forwarded by competence, closed or not yet
        section.rows.append(Row("", code.name, n))
    extra = (
        ("sent", _l("Answer sent, not closed yet")),
        ("returned_to_applicant", _l("Returned to the applicant (Art. 5)")),
        ("not_considered", _l("Not considered (Art. 8)")),
        ("in_consideration", _l("Under consideration")),
    )
    for key, label in extra:
        section.rows.append(Row("", str(label), counts.pop(key, 0)))
    if counts:  # a closed appeal without a result code
        section.rows.append(Row("", str(_l("not stated")), sum(counts.values())))
    return section


def analyse(period: Period, today: date | None = None) -> Statistics:
    """Count the period's appeals by every section of the classifier."""
    today = today or kyiv_today()
    rows = _rows(period)
    sections = [
        _enum_section("1", _l("Form of receipt"), FORMS_OF_RECEIPT, [Channel(r.channel) for r in rows]),
        _enum_section("2", _l("Receipt sign"), SIGNS, [ReceiptSign(r.sign) for r in rows]),
        _enum_section("3", _l("Kind of appeal"), KINDS, [AppealType(r.appeal_type) for r in rows]),
        _enum_section(
            "4",
            _l("Sex of the authors"),
            SEXES,
            [Sex(r.sex) if r.sex else None for r in rows],
            unknown=_l("not stated (collective, anonymous, unknown)"),
        ),
        _enum_section("5", _l("Subject of the appeal"), SUBJECTS, [AppealSubject(r.subject) for r in rows]),
    ]
    types = Section("6", str(_l("Type of appeal")))
    oral = sum(1 for r in rows if Channel(r.channel) in ORAL_CHANNELS)
    for code, key, label in TYPES:
        types.rows.append(Row(code, str(label), {"telegram": 0, "letter": len(rows) - oral, "oral": oral}[key]))
    sections.append(types)
    sections.append(
        _reference_section(
            "7", _l("Categories of the authors"), PrivilegeCategory, [r.privilege_category_id for r in rows]
        )
    )
    sections.append(
        _reference_section("8", _l("Social status of the authors"), SocialStatus, [r.social_status_id for r in rows])
    )
    sections.append(_topics_section([r.topic_id for r in rows]))
    sections.append(_results_section(rows))

    cutoff = min(today, period.last_day)
    answered = on_time = overdue = 0
    for r in rows:
        moments = [m for m in (r.sent_at, r.forwarded_at) if m is not None]
        if moments:
            answered += 1
            on_time += deadlines.registration_date(min(moments)) <= r.due_date
        elif AppealStatus(r.status) in OPEN_STATUSES and r.due_date < cutoff:
            overdue += 1
    return Statistics(period, len(rows), sections, answered, on_time, answered - on_time, overdue)


def title(period: Period) -> str:
    return f"{_l('Quarterly statistics')} {period} ({format_date(period.first_day)}–{format_date(period.last_day)})"


def write_xlsx(stats: Statistics, path: str) -> None:
    """The statistics as a workbook: one sheet, the sections one under another."""
    from openpyxl.styles import Font

    wb = xlsx.workbook()
    ws = wb.active
    ws.title = xlsx.sheet_title(stats.period)
    ws.append([title(stats.period)])
    ws["A1"].font = Font(bold=True, size=13)
    xlsx.header(ws, 2, [_l("Code"), _l("Indicator"), _l("Appeals")], [8, 70, 12])
    ws.append([str(_l("Appeals received")), "", stats.total])
    for section in stats.sections:
        ws.append([])
        ws.append([section.number, section.title, section.total])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
        for row in section.rows:
            ws.append([row.code, row.name, row.count])
    ws.append([])
    ws.append(["IV", str(_l("Timeliness")), ""])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    ws.append(["", str(_l("Answered (sent or forwarded)")), stats.answered])
    ws.append(["", str(_l("on time")), stats.on_time])
    ws.append(["", str(_l("late")), stats.late])
    ws.append(["", str(_l("Overdue, no answer")), stats.overdue_unanswered])
    ws.append(["", str(_l("On-time rate, per cent")), stats.on_time_rate if stats.on_time_rate is not None else "—"])
    xlsx.page_setup(ws, title(stats.period), 2)
    xlsx.save(wb, path)


def normalise_params(params: dict) -> tuple[dict, str]:
    """The period in canonical form (default: the last quarter ended), and the run's title."""
    period = Period.parse(params.get("quarter") or str(Period.last_complete()))
    return {"quarter": str(period)}, title(period)


def build(run, path: str, progress) -> None:
    """The report job's builder: ``run.params["quarter"]`` → the XLSX at ``path``."""
    stats = analyse(Period.parse(run.params["quarter"]))
    progress(70)
    write_xlsx(stats, path)
