"""Every report workbook prints one page wide in a real office suite (LibreOffice headless → PDF).

The criterion: each sheet repeats its header row on every page (``print_title_rows``), so every
page of a sheet shows that row. A sheet split by width prints some of its columns on one page and
the rest on another, and then a page shows the first column's title without the last one's (or
the other way round). So for every page we find the sheet it belongs to (the footer names it) and
assert that both the first and the last header titles are on it; and that the pages are numbered
"N з M" with the report's title in the page header. A page count bound against the rows catches
a sheet printed at a scale so small that it would run to one row per page or a page per column.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models.enums import AppealStatus, DocumentState, ReportKind
from portal.models.reports import ReportRun
from portal.reports import audit_export, quarterly, weekly
from portal.reports import budget as budget_report
from portal.reports import staff as staff_report
from portal.reports.weekly import Week
from tests.factories import (
    make_appeal,
    make_assignment,
    make_employee,
    make_estimate,
    make_executor,
    make_expenditure,
    make_line,
    make_position,
    make_topic,
    make_unit,
)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")
pytestmark = pytest.mark.skipif(
    not (SOFFICE and PDFTOTEXT),
    reason="LibreOffice (soffice, package libreoffice-calc-nogui) or pdftotext (poppler-utils) is not installed",
)
W47 = Week(2026, 47)


@pytest.fixture(autouse=True)
def _ukrainian(app):
    from portal.i18n import default_locale

    with default_locale():
        yield


def to_pdf(xlsx_path: str, tmp_path) -> str:
    """Convert with LibreOffice headless, in a profile of its own (parallel runs do not clash)."""
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            xlsx_path,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = os.path.splitext(os.path.join(str(tmp_path), os.path.basename(xlsx_path)))[0] + ".pdf"
    assert os.path.exists(pdf)
    if os.environ.get("PORTAL_KEEP_PDF"):  # to look at them: test-artifacts/print-*.pdf
        from tests.browser_support import ARTIFACTS

        os.makedirs(ARTIFACTS, exist_ok=True)
        shutil.copy(pdf, os.path.join(ARTIFACTS, "print-" + os.path.basename(pdf)))
    return pdf


def pdf_pages(pdf: str) -> list[str]:
    """The text of each page, whitespace collapsed (a wrapped header title reads as one line)."""
    text = subprocess.run([PDFTOTEXT, "-raw", pdf, "-"], check=True, capture_output=True, text=True).stdout
    return [" ".join(page.split()) for page in text.split("\f") if page.strip()]


def squash(text) -> str:
    return " ".join(str(text).split())


def assert_prints_one_page_wide(xlsx_path: str, tmp_path, max_pages: int) -> list[str]:
    """Every page of every sheet shows its header row whole; returns the pages' texts."""
    wb = load_workbook(xlsx_path)
    pages = pdf_pages(to_pdf(xlsx_path, tmp_path))
    assert 0 < len(pages) <= max_pages, len(pages)
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"{number} з {total}" in page, (number, page[:200])
    for ws in wb.worksheets:
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.print_area, ws.title
        assert ws.oddHeader.center.text, ws.title
        # the footer: the sheet's name, then "Сторінка N з M"
        own = [p for p in pages if re.search(re.escape(squash(ws.title)) + r" Сторінка \d+ з \d+", p)]
        assert own, f"no page of the sheet {ws.title!r}"
        if not ws.print_title_rows:
            continue
        row = int(ws.print_title_rows.split(":")[0].lstrip("$"))
        titles = [c.value for c in ws[row] if c.value not in (None, "")]
        first, last = squash(titles[0]), squash(titles[-1])
        for page in own:
            assert first in page and last in page, (ws.title, first, last, page[:300])
    return pages


@pytest.fixture
def week_data(app):
    """A week with enough rows to run past one page: 60 overdue appeals, 12 executors."""
    executors = [
        make_executor(name=f"Виконавець номер {i:02d} з довгою назвою", short_name=f"В{i:02d}") for i in range(12)
    ]
    topic = make_topic(name="Житлово-комунальне господарство")
    for i in range(60):
        appeal = make_appeal(
            reg_number=f"К-{i:04d}",
            registered_at=weekly.kyiv_midnight(date(2026, 11, 16 + i % 7)),
            due_date=date(2026, 11, 1 + i % 20),
            status=AppealStatus.IN_WORK,
            topic=topic,
            summary="Не працює ліфт у під'їзді багатоквартирного будинку, прошу вжити заходів " * 2,
        )
        make_assignment(appeal, executors[i % len(executors)])
    db.session.commit()


def test_the_weekly_analysis_prints_one_page_wide(week_data, tmp_path):
    path = str(tmp_path / "weekly.xlsx")
    weekly.write_xlsx(weekly.analyse(W47), path)
    ws = load_workbook(path)
    assert [s.page_setup.orientation for s in ws.worksheets] == ["portrait", "landscape", "landscape", "landscape"]
    pages = assert_prints_one_page_wide(path, tmp_path, max_pages=8)
    # the summary table is whole on the first page (it was cut in two across pages before)
    assert all(squash(label) in pages[0] for label, *_ in weekly.analyse(W47).changes())


def test_the_budget_execution_prints_one_page_wide(app, tmp_path):
    estimate = make_estimate(year=2026, state=DocumentState.APPROVED)
    for code in ("2111", "2120", "2210", "2240", "2250", "2271", "2272", "2273", "2274", "2275", "3110"):
        line = make_line(estimate, code=code, monthly=Decimal("12345.67"))
        make_expenditure(line, spent_on=date(2026, 2, 10), amount=Decimal("1000"))
    db.session.commit()
    run = ReportRun(job_id="p-budget", kind=ReportKind.BUDGET_EXECUTION, params={"year": 2026}, title="b")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "budget.xlsx")
    budget_report.build(run, path, lambda pct: None)
    assert_prints_one_page_wide(path, tmp_path, max_pages=5)


def test_the_staff_list_prints_one_page_wide(app, tmp_path):
    for u in range(6):
        unit = make_unit(name=f"Відділ роботи зі зверненнями громадян № {u}", code=f"{u:02d}")
        for p in range(6):
            position = make_position(unit=unit, title=f"Головний спеціаліст сектору {p}", posts=Decimal("2"))
            make_employee(position=position, rate=Decimal("1"))
    db.session.commit()
    run = ReportRun(job_id="p-staff", kind=ReportKind.STAFF_LIST, params={}, title="s")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "staff.xlsx")
    staff_report.build(run, path, lambda pct: None)
    assert_prints_one_page_wide(path, tmp_path, max_pages=4)


def test_the_quarterly_statistics_print_one_page_wide(app, tmp_path):
    for i in range(5):
        make_appeal(registered_at=weekly.kyiv_midnight(date(2026, 2, 1 + i)))
    db.session.commit()
    path = str(tmp_path / "quarterly.xlsx")
    quarterly.write_xlsx(quarterly.analyse(quarterly.Period.parse("2026-Q1")), path)
    assert_prints_one_page_wide(path, tmp_path, max_pages=6)


def test_the_audit_export_prints_one_page_wide(app, tmp_path):
    for i in range(30):
        make_topic(name=f"Тема для журналу {i}")
    db.session.commit()
    run = ReportRun(job_id="p-audit", kind=ReportKind.AUDIT_EXPORT, params={"filters": [], "search": ""}, title="a")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "audit.xlsx")
    audit_export.build(run, path, lambda pct: None)
    ws = load_workbook(path).active
    assert re.fullmatch(r"'?.+'?!\$A\$1:\$K\$\d+", str(ws.print_area)), ws.print_area
    assert_prints_one_page_wide(path, tmp_path, max_pages=10)
