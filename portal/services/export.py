"""Safe spreadsheet exports: formulas neutralised, CSV streamed line by line.

The rule applies to the *final text* of every cell of every CSV and XLSX the portal writes
(:func:`safe_cell`): a related record, an enum or anything else turned into text is checked
after it became text, and control characters an XLSX file cannot hold are replaced, so an
export never fails because of what somebody typed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
BOM = "\ufeff"  # spreadsheet programs read the file as UTF-8 only with it


# what XLSX (XML 1.0) cannot hold: C0 controls except tab, newline and carriage return
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"
_VALUES = (bool, int, float, Decimal, _dt.date, _dt.datetime, _dt.time)


def neutralise_formula(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Plain signed numbers ("-120.50") are left alone: they are values, not formulas.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_text(text: str) -> str:
    """Control characters replaced, then a formula neutralised: the text a cell may hold."""
    text = _ILLEGAL.sub(REPLACEMENT, text)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.match(text):
        return "'" + text
    return text


def safe_cell(value):
    """A cell's value as written: numbers, dates and booleans stay; everything else becomes
    text (a related record by its ``str``) and goes through :func:`safe_text`."""
    if value is None or isinstance(value, _VALUES):
        return value
    return safe_text(value if isinstance(value, str) else str(value))


_SAFE_CLASSES: dict = {}


def _safe_worksheet_class():
    if "ws" not in _SAFE_CLASSES:
        from openpyxl.worksheet.worksheet import Worksheet

        class SafeWorksheet(Worksheet):
            """A worksheet whose every written value goes through :func:`safe_cell` first."""

            def cell(self, row, column, value=None):
                return super().cell(row, column, safe_cell(value))

            def append(self, iterable):
                if isinstance(iterable, dict):
                    return super().append({k: safe_cell(v) for k, v in iterable.items()})
                return super().append([safe_cell(v) for v in iterable])

            def __setitem__(self, key, value):
                super().__setitem__(key, safe_cell(value))

        _SAFE_CLASSES["ws"] = SafeWorksheet
    return _SAFE_CLASSES["ws"]


def safe_workbook():
    """An openpyxl workbook whose sheets make every cell safe as it is written (openpyxl
    refuses a control character at once, so a check at save time would come too late)."""
    from openpyxl import Workbook

    safe = _safe_worksheet_class()

    class SafeWorkbook(Workbook):
        def create_sheet(self, title=None, index=None):
            ws = super().create_sheet(title, index)
            ws.__class__ = safe  # a subclass adding no state: only the write methods differ
            return ws

    wb = SafeWorkbook()
    for ws in wb.worksheets:
        ws.__class__ = safe
    return wb


def sanitise_workbook(wb) -> None:
    """Apply :func:`safe_cell` to every text cell of every sheet (not for write-only books)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = safe_text(cell.value)
        if ws.title:
            ws.title = _ILLEGAL.sub(" ", ws.title)


def save_workbook(wb, path: str) -> None:
    """Save an openpyxl workbook after making every cell safe: the one way the portal writes XLSX."""
    if not getattr(wb, "write_only", False):
        sanitise_workbook(wb)
    wb.save(path)


class _Line:
    """A file-like object whose ``write`` returns the text instead of storing it."""

    def write(self, value: str) -> str:
        return value


# Ukrainian Excel reads a CSV with its list separator, ";" (the decimal separator is the comma),
# and as UTF-8 only after a BOM: a file written so opens in columns with a double click.
CSV_DELIMITER = ";"


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Encode rows as CSV text for Ukrainian Excel (``;``, BOM first), one line at a time (memory stays bounded)."""
    writer = csv.writer(_Line(), delimiter=CSV_DELIMITER)
    yield BOM
    for row in rows:
        yield writer.writerow(["" if v is None else str(safe_cell(v)) for v in row])


# --- file names of exports ------------------------------------------------------------------------

# The national transliteration (CMU resolution 55 of 27.01.2010): the second value is used at
# the start of a word.
_TRANSLIT: dict[str, str | tuple[str, str]] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": ("ie", "ye"),
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": ("i", "yi"), "й": ("i", "y"), "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": ("iu", "yu"),
    "я": ("ia", "ya"), "'": "", "’": "", "ʼ": "",
}  # fmt: skip


def transliterate(text: str) -> str:
    """Ukrainian text in Latin letters by the national rules ("Звернення" → "Zvernennia")."""
    out = []
    start = True
    previous = ""
    for char in str(text):
        lower = char.lower()
        found = _TRANSLIT.get(lower)
        if found is None:
            out.append(char)
            start = not char.isalnum()
            previous = lower
            continue
        value = (found[1] if start else found[0]) if isinstance(found, tuple) else found
        if lower == "г" and previous == "з":
            value = "gh"  # "зг" → "zgh", not "zh" (Згорани → Zghorany)
        out.append(value.capitalize() if char.isupper() and value else value)
        start = False
        previous = lower
    return "".join(out)


def export_filename(screen: str, extension: str, moment: _dt.datetime | None = None) -> tuple[str, str]:
    """(ASCII name, Ukrainian name) of an export: the screen's name and the Kyiv date and time.

    ``"Звернення", "csv"`` → ``("zvernennia-2026-12-01-0930.csv", "Звернення-2026-12-01-0930.csv")``.
    """
    from portal.i18n import to_kyiv

    stamp = to_kyiv(moment or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%d-%H%M")
    words = re.sub(r"[^\w]+", "-", str(screen), flags=re.UNICODE).strip("-_") or "export"
    ascii_name = re.sub(r"[^a-z0-9]+", "-", transliterate(words).lower()).strip("-") or "export"
    return f"{ascii_name}-{stamp}.{extension}", f"{words}-{stamp}.{extension}"


def attachment_header(screen: str, extension: str, moment: _dt.datetime | None = None) -> str:
    """A Content-Disposition for an export: an ASCII name for every client and the Ukrainian one (RFC 6266)."""
    from urllib.parse import quote

    ascii_name, ukrainian = export_filename(screen, extension, moment)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(ukrainian)}"
