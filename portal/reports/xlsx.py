"""The XLSX layout every report shares: a titled sheet, a shaded header row, number formats."""

from __future__ import annotations

import math

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
    fit_row_height(ws, row, bold=True)


def lines_needed(text, width: float, bold: bool = False) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide (a greedy estimate)."""
    # the width counts the digit "0"; Ukrainian lower-case text runs a little narrower, bold wider
    factor = 1.0 if bold else 0.85
    width = max(width - 1, 1.0)  # the cell's padding
    lines, used = 0, width  # "used" starts full: the first word opens the first line
    for word in str(text).split():
        need = len(word) * factor
        if used + 1 + need <= width:
            used += 1 + need
        else:
            lines += math.ceil(need / width)
            used = need - (math.ceil(need / width) - 1) * width
    return max(1, lines)


def fit_row_height(ws, row: int, bold: bool = False) -> None:
    """Give a row with wrapping cells the height of its longest cell: LibreOffice does not grow
    rows written without a height, so wrapped text would print over the next row."""
    from openpyxl.utils import get_column_letter

    most = 1
    for cell in ws[row]:
        if cell.value in (None, "") or not (cell.alignment and cell.alignment.wrap_text):
            continue
        dim = ws.column_dimensions.get(get_column_letter(cell.column))
        width = (dim.width if dim is not None and dim.width else None) or DEFAULT_COLUMN_WIDTH
        most = max(most, lines_needed(cell.value, width, bold))
    if most > 1:
        ws.row_dimensions[row].height = 15 * most


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


def note(ws, row: int, text, columns: int) -> None:
    """An italic note in ``row`` wrapped across the first ``columns`` columns (merged), so it
    prints inside the page instead of running past the print area."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    cell = ws.cell(row=row, column=1, value=str(text))
    cell.font = Font(italic=True, color="555555")
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(f"A{row}:{get_column_letter(columns)}{row}")
    width = _columns_width(ws, columns)
    # merged cells do not grow with their text: give the row the lines it needs
    ws.row_dimensions[row].height = 15 * lines_needed(text, width)


# --- printing -------------------------------------------------------------------------------

# What fits across an A4 page at 100 % with LibreOffice's and Excel's default margins, in
# character widths of the default font (1 character ≈ 0.19 cm): wider sheets print landscape.
PORTRAIT_WIDTH_CHARS = 95
DEFAULT_COLUMN_WIDTH = 8.43
CHARS_PER_CM = 1 / 0.19


def _header_text(text) -> str:
    """Text for a page header or footer ("&" starts a code there, so a literal one is doubled)."""
    return str(text).replace("&", "&&")


def _columns_width(ws, last_column: int) -> float:
    from openpyxl.utils import get_column_letter

    total = 0.0
    for col in range(1, last_column + 1):
        dim = ws.column_dimensions.get(get_column_letter(col))
        total += (dim.width if dim is not None and dim.width else None) or DEFAULT_COLUMN_WIDTH
    return total


def _chart_extent(ws) -> tuple[int, int]:
    """The last column and row a sheet's charts reach (0, 0 without charts), from each chart's anchor and size."""
    from openpyxl.utils.cell import column_index_from_string as col_index
    from openpyxl.utils.cell import coordinate_from_string, get_column_letter

    last_col = last_row = 0
    for chart in getattr(ws, "_charts", []):
        anchor = chart.anchor if isinstance(chart.anchor, str) else None
        if anchor is None:
            continue
        letter, row = coordinate_from_string(anchor)
        col = col_index(letter)
        width_chars = chart.width * CHARS_PER_CM
        while width_chars > 0:
            dim = ws.column_dimensions.get(get_column_letter(col))
            width_chars -= (dim.width if dim is not None and dim.width else None) or DEFAULT_COLUMN_WIDTH
            if width_chars > 0:
                col += 1
        # rows are 15 points (0.529 cm) high by default; a row more than the chart reaches would
        # print as a blank page of its own when it falls past a page's end
        last_row = max(last_row, row + math.ceil(chart.height / 0.529) - 1)
        last_col = max(last_col, col)
    return last_col, last_row


def page_setup(ws, title, header_row: int | None = None, *, columns: int | None = None, rows: int | None = None):
    """Print the sheet as the leadership reads it: A4, one page wide (as many pages down as
    needed), landscape when the printed columns are wider than a portrait page, the header row
    repeated on every page, the title in the page header, "page N of M" in the footer and a
    print area over the data (and the charts beside it).

    For a write-only sheet call this before the first row is appended (the sheet's properties
    are written first) and give ``columns``; ``rows`` may be given when known, else the sheet's
    own count at the time of the call (a write-only sheet gets its print area from
    :func:`set_print_area` after the rows are written).
    """
    from flask_babel import gettext as _
    from openpyxl.worksheet.properties import PageSetupProperties
    from openpyxl.worksheet.worksheet import Worksheet

    write_only = bool(getattr(ws.parent, "write_only", False))
    chart_col, chart_row = _chart_extent(ws)
    last_col = max(columns or (0 if write_only else ws.max_column) or 1, chart_col)
    landscape = _columns_width(ws, last_col) > PORTRAIT_WIDTH_CHARS
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if landscape else Worksheet.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddHeader.center.text = _header_text(title)
    ws.oddHeader.center.size = 9
    ws.oddFooter.right.text = _("Page %(page)s of %(pages)s", page="&P", pages="&N")
    ws.oddFooter.right.size = 9
    ws.oddFooter.left.text = _header_text(ws.title)
    ws.oddFooter.left.size = 9
    if not write_only:
        set_print_area(ws, last_col, max(rows or ws.max_row, chart_row))
    return ws


def set_print_area(ws, last_column: int, last_row: int) -> None:
    """The print area from A1 to (``last_column``, ``last_row``)."""
    from openpyxl.utils import get_column_letter

    ws.print_area = f"A1:{get_column_letter(max(1, last_column))}{max(1, last_row)}"
