"""Export of a large filtered audit log as XLSX: a report run of kind AUDIT_EXPORT.

The filters and the search of the audit log's list are recorded on the run; the rows are read
in keyset batches and streamed into a write-only workbook, so memory stays bounded.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl.utils import get_column_letter

from portal.i18n import format_datetime
from portal.labels import enum_label
from portal.models.base import utcnow
from portal.models.enums import ReportKind
from portal.reports import xlsx
from portal.services import history

KIND = ReportKind.AUDIT_EXPORT
JOB = "jobs.audit_export.export_audit_log"
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
# entry, time, user, role, address, action, object type, id, record, changes, details
EXPORT_WIDTHS = (8, 16, 16, 12, 14, 14, 16, 8, 30, 60, 30)


def normalise_params(params: dict) -> tuple[dict, str]:
    """The list's filters (``[[key, value], …]``) and search, and the run's title (made now)."""
    filters = [[str(k), str(v)] for k, v in params.get("filters") or []]
    return {"filters": filters, "search": params.get("search") or ""}, f"{enum_label(KIND)} {format_datetime(utcnow())}"


def build(run, path: str, progress) -> None:
    """The run's file: ``run.params`` = {"filters", "search"} → XLSX."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "uk")):  # a job has no request
        _write_xlsx(run, path, progress)


def _write_xlsx(run, path: str, progress) -> None:
    query = history.filtered_query(run.params.get("filters"), run.params.get("search", ""))
    total = max(1, history.count_at_most(query, XLSX_MAX_ROWS))
    wb = xlsx.workbook(write_only=True)
    ws = wb.create_sheet(xlsx.sheet_title(_l("Audit log")))
    header = history.export_header()
    for col, width in enumerate(EXPORT_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    xlsx.page_setup(ws, run.title, 1, columns=len(header))  # before the first row: see page_setup
    ws.append(header)
    written = 0
    for entries in history.batches(query, 2000):
        for entry in entries:
            if written >= XLSX_MAX_ROWS:
                break
            ws.append(history.export_row(entry))
            written += 1
        progress(min(95, 5 + written * 90 // total))
        if written >= XLSX_MAX_ROWS:
            break
    xlsx.set_print_area(ws, len(header), written + 1)
    xlsx.save(wb, path)
