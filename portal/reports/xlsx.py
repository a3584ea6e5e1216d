"""The XLSX layout every report shares: a titled sheet, a shaded header row, number formats."""

from __future__ import annotations

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
PERCENT = "0.0%"
HEADER_FILL = "DCE6F1"
SHEET_TITLE_MAX = 31  # characters Excel allows in a sheet's name


def workbook(*, write_only: bool = False):
    """A new workbook (``write_only`` streams rows to disk: bounded memory for long sheets).

    A normal workbook makes every cell safe as it is written (``safe_cell``: formulas
    neutralised, control characters replaced); a write-only one relies on its rows being
    made safe before ``append`` (the audit export's ``export_row`` does).
    """
    if write_only:
        from openpyxl import Workbook

        return Workbook(write_only=True)
    from portal.services.export import safe_workbook

    return safe_workbook()


def save(wb, path: str) -> None:
    """Save a workbook after a last pass over every cell (see :func:`workbook`)."""
    from portal.services.export import save_workbook

    save_workbook(wb, path)


def sheet_title(text) -> str:
    """A sheet name Excel accepts."""
    return str(text)[:SHEET_TITLE_MAX]


def header(ws, row: int, values, widths=None) -> None:
    """A bold, shaded, wrapping header row at ``row``; ``widths`` sets the columns' widths."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=str(value))
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def title(ws, text, subtitle: str = "") -> None:
    """The sheet's title in A1 (bold, large) and an optional subtitle in A2."""
    from openpyxl.styles import Font

    ws["A1"] = str(text)
    ws["A1"].font = Font(bold=True, size=14)
    note = scope_note()
    if subtitle or note:
        ws["A2"] = " ".join(part for part in (subtitle, note) if part)


def scope_note() -> str:
    """Said under a report's title when it was read for a narrower scope than every appeal."""
    from portal.services import scope

    return scope.describe(scope.current_terms())
