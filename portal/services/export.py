"""Safe spreadsheet exports: formulas neutralised, CSV streamed line by line."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
BOM = "\ufeff"  # spreadsheet programs read the file as UTF-8 only with it


def neutralise_formula(value):
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe.

    Plain signed numbers ("-120.50") are left alone: they are values, not formulas.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value):
        return "'" + value
    return value


class _Line:
    """A file-like object whose ``write`` returns the text instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable]) -> Iterator[str]:
    """Encode rows as CSV text, one line at a time (memory stays bounded), BOM first."""
    writer = csv.writer(_Line())
    yield BOM
    for row in rows:
        yield writer.writerow(["" if v is None else str(v) for v in row])
