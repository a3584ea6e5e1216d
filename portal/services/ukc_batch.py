"""Batch exchange with the УКЦ system: its CSV/XLSX export in, as drafts; our results out, same shape.

A file is read whole and every row checked before anything is made: a row with an error or
a УКЦ number known already is reported (line, number, reason) and skipped; the good rows
become drafts in the intake inbox — all of them in one transaction, or, with ``dry_run``,
none (the preview).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import KYIV, format_date, kyiv_today, to_kyiv
from portal.models.appeals import Appeal, FeedbackProof
from portal.models.base import utcnow
from portal.models.reference import PrivilegeCategory, SocialStatus
from portal.services import intake, registration
from portal.services.errors import DomainError

# the УКЦ export's column headers, as written, and the draft fields they fill
HEADERS = (
    ("№ звернення", "ukc_number"),
    ("Дата створення", "ukc_created"),
    ("Заявник", "applicant_name"),
    ("Адреса", "address"),
    ("Телефон", "phone"),
    ("E-mail", "email"),
    ("Соціальний стан", "social_status_text"),
    ("Категорія", "privilege_text"),
    ("Питання/тема", "topic_text"),
    ("Зміст", "content"),
    ("Вирішити до", "control_date"),
)
REQUIRED = ("ukc_number", "ukc_created", "applicant_name")
EXPORT_HEADERS = (
    "№ звернення",
    "Результат розгляду",
    "Дата відповіді",
    "Вихідний номер",
    "Результат зворотного зв'язку",
)
MAX_ROWS = 5000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class RowResult:
    line: int
    ukc_number: str
    status: str  # new | duplicate | error
    message: str = ""
    appeal_id: int | None = None
    draft_id: int | None = None


@dataclass
class BatchReport:
    rows: list[RowResult] = field(default_factory=list)
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def refused(self) -> list[RowResult]:
        return [r for r in self.rows if r.status != "new"]


# --- reading ------------------------------------------------------------------------------------


def _header_key(text) -> str:
    key = intake.label_key(str(text or ""))
    return key.replace(" / ", "/").replace("е-mail", "e-mail")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(_l("The file's text encoding is not recognised (use UTF-8 or windows-1251)."))


def read_table(filename: str, data: bytes) -> list[list]:
    """The rows of a CSV (``,`` ``;`` or tab) or XLSX file, header first."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise DomainError(_l("The XLSX file cannot be read (%(error)s).", error=str(exc)[:200])) from exc
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
        return rows
    if name.endswith(".csv") or name.endswith(".txt"):
        text = _decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(io.StringIO(text), dialect))
    raise DomainError(_l("A batch file must be .csv or .xlsx."))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _cell_moment(value) -> tuple[date | None, time | None]:
    if isinstance(value, datetime):
        return value.date(), value.time() if (value.hour or value.minute) else None
    if isinstance(value, date):
        return value, None
    return intake.parse_date(_cell_text(value))


def _row_data(values: dict) -> tuple[dict, str]:
    """The draft fields of one row, and the reason it is refused ("" if it is good)."""
    problems = []
    text = {k: _cell_text(v) for k, v in values.items() if k not in ("ukc_created", "control_date")}
    created, created_time = _cell_moment(values.get("ukc_created"))
    control, _ = (
        _cell_moment(values.get("control_date")) if values.get("control_date") not in (None, "") else (None, None)
    )
    for key in REQUIRED:
        if key == "ukc_created":
            if created is None:
                problems.append(str(_l("“Дата створення” is empty or not a date")))
        elif not text.get(key):
            problems.append(str(_l("“%(column)s” is empty", column=_column_title(key))))
    if created is not None and created > kyiv_today():
        problems.append(str(_l("“Дата створення” is in the future")))
    if not (text.get("content") or text.get("topic_text")):
        problems.append(str(_l("neither “Зміст” nor “Питання/тема” is filled in")))
    if len(text.get("ukc_number", "")) > 32:
        problems.append(str(_l("“№ звернення” is longer than 32 characters")))
    if problems:
        return {}, "; ".join(problems)
    assert created is not None  # an empty "ukc_created" is one of the problems above
    social = intake.match_reference(SocialStatus, text.get("social_status_text", ""))
    privilege = intake.match_reference(PrivilegeCategory, text.get("privilege_text", ""))
    topic = intake.match_topic(text.get("topic_text", ""))
    phones = [p.strip() for p in text.get("phone", "").replace(";", ",").split(",") if p.strip()]
    content = text.get("content", "")
    data: dict[str, Any] = {
        "ukc_number": text["ukc_number"],
        "ukc_date": created.isoformat(),
        "ukc_time": created_time.strftime("%H:%M") if created_time else "",
        "regional_number": "",
        "regional_date": "",
        "applicant_name": text["applicant_name"][:200],
        "address": text.get("address", "")[:300],
        "phone": registration.normalise_phone(phones[0]) if phones else "",
        "phone2": registration.normalise_phone(phones[1]) if len(phones) > 1 else "",
        "email": intake.none_if_empty(text.get("email"))[:200],
        "social_status_id": social.id if social else None,
        "social_status_text": text.get("social_status_text", "")[:200],
        "privilege_category_id": privilege.id if privilege else None,
        "privilege_text": text.get("privilege_text", "")[:300],
        "topic_id": topic.id if topic else None,
        "topic_text": text.get("topic_text", "")[:300],
        "appeal_type": intake.match_appeal_type(""),
        "summary": (text.get("topic_text") or content.split("\n", 1)[0])[:300],
        "content": content,
        "control_date": control.isoformat() if control else "",
        # the batch arrives now; the clerk corrects the moment of receipt if it came earlier
        "received_at": utcnow().isoformat(),
        "sender_email": "",
        "files": [],
    }
    return data, ""


def _column_title(key: str) -> str:
    return next((title for title, k in HEADERS if k == key), key)


def import_batch(filename: str, data: bytes, *, user=None, dry_run: bool = False) -> BatchReport:
    """Check every row, then make drafts of the good ones (none with ``dry_run``); the caller commits."""
    rows = read_table(filename, data)
    while rows and not any(_cell_text(c) for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise DomainError(_l("The file is empty."))
    known = {_header_key(title): key for title, key in HEADERS}
    header = [_header_key(h) for h in rows[0]]
    columns = {i: known[h] for i, h in enumerate(header) if h in known}
    missing = [title for title, key in HEADERS if key in REQUIRED and key not in columns.values()]
    if missing:
        raise DomainError(_l("The file lacks the columns: %(names)s.", names=", ".join(missing)))
    if len(rows) - 1 > MAX_ROWS:
        raise DomainError(_l("A batch file may hold at most %(n)s rows.", n=MAX_ROWS))
    report = BatchReport(dry_run=dry_run)
    seen: set[str] = set()
    good: list[tuple[RowResult, dict]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(_cell_text(c) for c in row):
            continue
        values = {key: (row[i] if i < len(row) else None) for i, key in columns.items()}
        ukc = _cell_text(values.get("ukc_number"))
        fields, problem = _row_data(values)
        result = RowResult(line, ukc, "error", problem)
        if not problem:
            earlier = intake.registered_appeal(ukc_number=ukc)
            waiting = intake.open_draft_for(ukc)
            if ukc in seen:
                result.message = str(_l("the number is repeated in the file"))
            elif earlier is not None:
                result.status, result.appeal_id = "duplicate", earlier.id
                result.message = str(_l("registered already as %(number)s", number=earlier.reg_number))
            elif waiting is not None:
                result.status, result.draft_id = "duplicate", waiting.id
                result.message = str(_l("a draft with this number is in the inbox already (#%(id)s)", id=waiting.id))
            else:
                result.status = "new"
                good.append((result, fields))
        seen.add(ukc)
        report.rows.append(result)
    if not dry_run:
        for result, fields in good:
            made = intake.draft_from_row(fields, user=user)
            db.session.flush()
            result.draft_id = made.message.id
    return report


def report_lines(report: BatchReport) -> list[str]:
    lines = []
    for r in report.rows:
        if r.status == "new":
            what = _l("would become a draft") if report.dry_run else _l("draft #%(id)s", id=r.draft_id)
            lines.append(f"{r.line}: {r.ukc_number}: {what}")
        else:
            lines.append(f"{r.line}: {r.ukc_number or '—'}: {r.message}")
    return lines


# --- the results, back in the УКЦ's shape -----------------------------------------------------------------


def results(start: date, end: date) -> list[tuple]:
    """Appeals with a УКЦ number answered (sent) between ``start`` and ``end`` (Kyiv days), in EXPORT_HEADERS."""
    lower = datetime.combine(start, time.min, KYIV)
    upper = datetime.combine(end, time.max, KYIV)
    query = (
        sa.select(Appeal)
        .where(Appeal.ukc_number != "", Appeal.sent_at >= lower, Appeal.sent_at <= upper)
        .order_by(Appeal.sent_at, Appeal.id)
    )
    out = []
    for appeal in db.session.execute(query).scalars():
        feedback = db.session.execute(
            sa.select(FeedbackProof.result)
            .where(FeedbackProof.appeal_id == appeal.id)
            .order_by(FeedbackProof.contacted_at.desc(), FeedbackProof.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        assert appeal.sent_at is not None  # the query selects sent appeals only
        out.append(
            (
                appeal.ukc_number,
                appeal.result_code.name if appeal.result_code else "",
                format_date(to_kyiv(appeal.sent_at).date()),
                appeal.outgoing_number,
                feedback or "",
            )
        )
    return out


def export_file(start: date, end: date, fmt: str = "xlsx") -> tuple[bytes, str, str]:
    """(content, file name, mimetype) of the results for the УКЦ system."""
    rows = results(start, end)
    name = f"ukc-results-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(EXPORT_HEADERS)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig"), name + ".csv", "text/csv"
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Результати"
    sheet.append(list(EXPORT_HEADERS))
    for row in rows:
        sheet.append(list(row))
    for column, width in zip("ABCDE", (18, 40, 14, 16, 50), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), name + ".xlsx", XLSX_MIMETYPE
