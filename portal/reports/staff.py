"""The staff list (штатний розпис) printout: by unit, posts, pay, monthly and annual fund, vacancies."""

from __future__ import annotations

import functools
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import format_date, kyiv_today
from portal.labels import enum_label, field_label
from portal.models.enums import ReportKind
from portal.models.reports import ReportRun
from portal.reports import xlsx
from portal.services.errors import DomainError

KIND = ReportKind.STAFF_LIST
JOB = "jobs.reports.build_report"


def normalise_params(params: dict) -> tuple[dict, str]:
    """The staff list as of today, and the run's title."""
    today = kyiv_today()
    return {"as_of": today.isoformat()}, f"{enum_label(KIND)} {format_date(today)}"


def build(run: ReportRun, path: str, progress) -> None:
    """The staff list (штатний розпис) by unit: posts, pay, monthly and annual fund, vacancies."""
    from portal.models.org import Employee, StaffPosition, StructuralUnit
    from portal.services.export import neutralise_formula

    positions = db.session.execute(
        sa.select(StaffPosition, StructuralUnit)
        .join(StructuralUnit, StaffPosition.unit_id == StructuralUnit.id)
        .order_by(StructuralUnit.code, StructuralUnit.name, StaffPosition.id)
    ).all()
    if not positions:
        raise DomainError(_l("The staff list is empty: add structural units and positions first."))
    occupied = dict(
        db.session.execute(
            sa.select(Employee.position_id, sa.func.sum(Employee.rate))
            .where(Employee.dismissed_on.is_(None), Employee.position_id.is_not(None))
            .group_by(Employee.position_id)
        ).all()
    )
    progress(40)
    wb = xlsx.workbook()
    ws = wb.active
    ws.title = xlsx.sheet_title(_l("Staff list"))
    xlsx.title(ws, str(_l("Staff list")), str(_l("As of %(date)s", date=format_date(kyiv_today()))))
    label = functools.partial(field_label, StaffPosition)
    headers = [
        label("unit"),
        label("title"),
        label("posts"),
        label("salary"),
        label("allowances"),
        label("supplements"),
        _l("Monthly pay fund"),
        _l("Annual pay fund"),
        _l("Posts occupied"),
        _l("Posts vacant"),
    ]
    xlsx.header(ws, 4, headers, [34, 34, 8, 12, 12, 12, 16, 16, 10, 10])
    from openpyxl.styles import Font

    def totals_row(label, posts, monthly, annual, occ, bold=True):
        ws.append(
            [label, "", float(posts), None, None, None, float(monthly), float(annual), float(occ), float(posts - occ)]
        )
        for col in range(1, 11):
            ws.cell(row=ws.max_row, column=col).font = Font(bold=bold)
        for col in (7, 8):
            ws.cell(row=ws.max_row, column=col).number_format = xlsx.MONEY

    grand = [Decimal("0")] * 4
    current_unit, unit_totals = None, [Decimal("0")] * 4
    for position, unit in positions:
        if current_unit is not None and unit.id != current_unit.id:
            totals_row(f"{_l('Total')}: {current_unit.name}", *unit_totals)
            unit_totals = [Decimal("0")] * 4
        current_unit = unit
        occ = Decimal(occupied.get(position.id) or 0)
        values = [Decimal(position.posts or 0), position.monthly_fund, position.annual_fund, occ]
        ws.append(
            [
                neutralise_formula(unit.name),
                neutralise_formula(position.title),
                float(values[0]),
                float(position.salary or 0),
                float(position.allowances or 0),
                float(position.supplements or 0),
                float(values[1]),
                float(values[2]),
                float(occ),
                float(values[0] - occ),
            ]
        )
        for col in (4, 5, 6, 7, 8):
            ws.cell(row=ws.max_row, column=col).number_format = xlsx.MONEY
        unit_totals = [a + b for a, b in zip(unit_totals, values)]
        grand = [a + b for a, b in zip(grand, values)]
    assert current_unit is not None  # an empty staff list was refused above
    totals_row(f"{_l('Total')}: {current_unit.name}", *unit_totals)
    totals_row(str(_l("Total for the center")), *grand)
    xlsx.page_setup(ws, f"{_l('Staff list')} {format_date(kyiv_today())}", 4)
    progress(90)
    xlsx.save(wb, path)
