"""Every cell of every CSV and XLSX the portal writes is safe: no formula and no control
character an XLSX cannot hold, whatever related records are called (lists, reports, audit)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.auth.permissions import can
from portal.extensions import db
from portal.models.enums import AppealStatus, DocumentState, ReportKind, Role
from portal.models.reports import ReportRun
from portal.reports import audit_export, runs, weekly
from portal.reports.weekly import Week
from portal.services import history
from portal.services.export import FORMULA_PREFIXES, safe_cell
from tests import factories as f
from tests.conftest import PG_URL

# PostgreSQL cannot store NUL in text at all (the portal refuses it at the door): \x01 up there
CONTROLS = "".join(chr(c) for c in range(0 if not PG_URL else 1, 32))
PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
W47 = Week(2026, 47)


def hostile(n: int) -> str:
    return f'{PREFIXES[n % len(PREFIXES)]}cmd|"/c calc"!A{n}{CONTROLS}=1+2 {n}'


def bad_cells(values) -> list:
    """The cells a spreadsheet would run as a formula or that an XLSX cannot hold."""
    bad = []
    for value in values:
        if not isinstance(value, str):
            continue
        if (value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value)) or _ILLEGAL.search(value):
            bad.append(value)
    return bad


@pytest.fixture
def poisoned(app):
    """Every related record of an appeal, the org chart and the budget named with hostile text."""
    names = iter(range(1000))
    direction = f.make_direction(name=hostile(next(names)), signer_title=hostile(next(names)))
    executor = f.make_executor(name=hostile(next(names)), short_name=hostile(next(names)))
    topic = f.make_topic(name=hostile(next(names)))
    applicant = f.make_applicant(full_name=hostile(next(names)), address=hostile(next(names)))
    clerk = f.make_user(Role.CLERK, full_name=hostile(next(names)))
    registered = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    appeal = f.make_appeal(
        applicant=applicant,
        topic=topic,
        direction=direction,
        summary=hostile(next(names)),
        content=hostile(next(names)),
        registered_at=registered,
        due_date=date(2026, 11, 18),
        status=AppealStatus.IN_WORK,
        created_by_id=clerk.id,
    )
    f.make_assignment(appeal, executor)
    unit = f.make_unit(name=hostile(next(names)))
    position = f.make_position(unit=unit, title=hostile(next(names)))
    f.make_employee(full_name=hostile(next(names)), position=position, rate=Decimal("1"))
    f.make_order(title=hostile(next(names)), number=hostile(next(names))[:30])
    estimate = f.make_estimate(year=2026, state=DocumentState.APPROVED)
    line = f.make_line(estimate, code="2210")
    line.kekv.name = hostile(next(names))
    f.make_expenditure(line, description=hostile(next(names)), spent_on=date(2026, 1, 15))
    db.session.commit()
    return appeal


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";") for cell in row]


def _xlsx_cells(path: str) -> list:
    return [c.value for ws in load_workbook(path).worksheets for row in ws.iter_rows() for c in row]


def test_the_fixture_really_is_hostile(poisoned):
    assert poisoned.applicant.full_name.startswith(PREFIXES) and "\x1f" in poisoned.applicant.full_name


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.AUDITOR, Role.CLERK])
def test_every_list_export_has_only_safe_cells(app, client, auth, poisoned, role):
    auth.as_role(role)
    views = [v for v in app.extensions["admin"][0].registry.values() if getattr(v, "area", None)]
    exported = 0
    for view in views:
        if not can(role, view.area, "export"):
            continue
        for export_type in getattr(view, "export_types", ()):  # screens that are not model lists export elsewhere
            response = client.get(f"/admin/{view.endpoint}/export/{export_type}/")
            if response.status_code == 302:  # a large audit export becomes a job
                continue
            assert response.status_code == 200, (view.endpoint, response.status_code)
            text = response.get_data(as_text=True)
            cells = _csv_cells(text)
            assert bad_cells(cells) == [], view.endpoint
            exported += 1
    assert exported >= 2


def test_the_audit_exports_hold_only_safe_cells(app, poisoned, tmp_path):
    # the audit log now holds the hostile names (labels, changes) as they were typed
    text = "".join(history.iter_csv(history.filtered_query([], "")))
    assert bad_cells(_csv_cells(text)) == []
    run = ReportRun(job_id="ae", kind=ReportKind.AUDIT_EXPORT, params={"filters": [], "search": ""}, title="a")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "audit.xlsx")
    audit_export.build(run, path, lambda pct: None)
    cells = _xlsx_cells(path)
    assert len(cells) > 20 and bad_cells(cells) == []


def test_every_report_workbook_holds_only_safe_cells(app, poisoned, tmp_path):
    from portal.i18n import default_locale

    with default_locale():
        path = str(tmp_path / "w.xlsx")
        weekly.write_xlsx(weekly.analyse(W47), path)
        cells = _xlsx_cells(path)
        assert any(isinstance(c, str) and "cmd|" in c for c in cells)  # the overdue list names them
        assert bad_cells(cells) == []
        for kind, params in ((ReportKind.BUDGET_EXECUTION, {"year": 2026}), (ReportKind.STAFF_LIST, {})):
            run = ReportRun(job_id=f"r-{kind.value}", kind=kind, params=params, title="r")
            db.session.add(run)
            db.session.commit()
            path = str(tmp_path / f"{kind.value}.xlsx")
            runs.BUILDERS[kind](run, path, lambda pct: None)
            cells = _xlsx_cells(path)
            assert any(isinstance(c, str) and "cmd|" in c for c in cells), kind
            assert bad_cells(cells) == [], kind


@pytest.mark.parametrize(
    "value,expected",
    [
        ("a\x00b\x1fc", "a\ufffdb\ufffdc"),
        ("\x01=1", "\ufffd=1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("line\nbreak\ttab", "line\nbreak\ttab"),
        (42, 42),
        (Decimal("-1.5"), Decimal("-1.5")),
        (None, None),
    ],
)
def test_safe_cell_replaces_controls_and_neutralises_formulas(value, expected):
    assert safe_cell(value) == expected


def test_a_related_record_is_checked_as_the_text_it_becomes():
    class Related:
        def __str__(self):
            return "=HYPERLINK(1)"

    assert safe_cell(Related()) == "'=HYPERLINK(1)"
