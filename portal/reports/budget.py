"""Budget execution: plan vs actual by КЕКВ and month, for the approved estimates of a year."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.labels import enum_label
from portal.models.enums import DocumentState, ReportKind
from portal.models.reports import ReportRun
from portal.reports import xlsx
from portal.services.errors import DomainError

KIND = ReportKind.BUDGET_EXECUTION
JOB = "jobs.reports.build_report"


def normalise_params(params: dict) -> tuple[dict, str]:
    """The budget year (this year by default) and the run's title."""
    raw = params.get("year") or kyiv_today().year
    try:
        year = int(raw)
    except (TypeError, ValueError):
        raise DomainError(_l("Give the year as four digits."), field="year") from None
    if not 2000 <= year <= 2100:
        raise DomainError(_l("Give the year as four digits."), field="year")
    return {"year": year}, f"{enum_label(KIND)} {year}"


def build(run: ReportRun, path: str, progress) -> None:
    """Plan vs actual by КЕКВ and month, for the approved estimates of a year."""
    from openpyxl.chart import BarChart, Reference

    from portal.models.budget import MONTH_COLUMNS, BudgetEstimate, BudgetLine, Expenditure
    from portal.models.reference import Kekv
    from portal.services.export import neutralise_formula

    year = int(run.params["year"])
    approved = BudgetEstimate.state == DocumentState.APPROVED
    months = [getattr(BudgetLine, c) for c in MONTH_COLUMNS]
    plan_rows = db.session.execute(
        sa.select(Kekv.code, Kekv.name, *[sa.func.sum(m) for m in months])
        .select_from(BudgetLine)
        .join(BudgetEstimate)
        .join(Kekv)
        .where(BudgetEstimate.year == year, approved)
        .group_by(Kekv.code, Kekv.name)
        .order_by(Kekv.code)
    ).all()
    if not plan_rows:
        raise DomainError(_l("There is no approved budget estimate for %(year)s.", year=year))
    progress(30)
    month = sa.extract("month", Expenditure.spent_on)
    actual: defaultdict[str, list[Decimal]] = defaultdict(lambda: [Decimal("0")] * 12)
    for code, m, amount in db.session.execute(
        sa.select(Kekv.code, month, sa.func.sum(Expenditure.amount))
        .select_from(Expenditure)
        .join(BudgetLine)
        .join(BudgetEstimate)
        .join(Kekv)
        .where(
            BudgetEstimate.year == year,
            approved,
            Expenditure.spent_on >= datetime(year, 1, 1).date(),
            Expenditure.spent_on < datetime(year + 1, 1, 1).date(),
        )
        .group_by(Kekv.code, month)
    ):
        actual[code][int(m) - 1] += Decimal(amount or 0)
    progress(60)

    today = kyiv_today()
    months_to_date = 12 if year < today.year else (today.month if year == today.year else 0)
    wb = xlsx.workbook()
    ws = wb.active
    ws.title = xlsx.sheet_title(_l("Plan vs actual"))
    xlsx.title(
        ws,
        f"{_l('Budget execution')} {year}",
        str(_l("Approved estimates; plan to date covers %(n)s months.", n=months_to_date)),
    )
    xlsx.header(
        ws,
        4,
        [
            _l("KEKV"),
            _l("Expenditure item"),
            _l("Annual plan"),
            _l("Plan to date"),
            _l("Actual spending"),
            _l("Remaining to date"),
            _l("Executed, % of plan to date"),
        ],
        [10, 45, 16, 16, 16, 16, 14],
    )
    row = 5
    for code, name, *plan in plan_rows:
        plan = [Decimal(p or 0) for p in plan]
        spent = actual.get(code, [Decimal("0")] * 12)
        to_date = sum(plan[:months_to_date], Decimal("0"))
        total_spent = sum(spent, Decimal("0"))
        ws.append(
            [
                code,
                neutralise_formula(name),
                float(sum(plan, Decimal("0"))),
                float(to_date),
                float(total_spent),
                float(to_date - total_spent),
                float(total_spent / to_date) if to_date else None,
            ]
        )
        for col in range(3, 7):
            ws.cell(row=row, column=col).number_format = xlsx.MONEY
        ws.cell(row=row, column=7).number_format = xlsx.PERCENT
        row += 1

    report_title = f"{_l('Budget execution')} {year}"
    xlsx.page_setup(ws, report_title, 4)

    by_month = wb.create_sheet(xlsx.sheet_title(_l("By month")))
    month_names = [f"{m:02d}" for m in range(1, 13)]
    xlsx.header(by_month, 1, [_l("KEKV"), _l("Indicator")] + month_names + [_l("Whole year")], [8, 20] + [12] * 13)
    totals_plan, totals_actual = [Decimal("0")] * 12, [Decimal("0")] * 12
    for code, _name, *plan in plan_rows:
        plan = [Decimal(p or 0) for p in plan]
        spent = actual.get(code, [Decimal("0")] * 12)
        by_month.append([code, str(_l("Plan"))] + [float(p) for p in plan] + [float(sum(plan))])
        by_month.append([code, str(_l("Actual spending"))] + [float(s) for s in spent] + [float(sum(spent))])
        totals_plan = [a + b for a, b in zip(totals_plan, plan)]
        totals_actual = [a + b for a, b in zip(totals_actual, spent)]
    for cells in by_month.iter_rows(min_row=2, min_col=3, max_col=15):
        for cell in cells:
            cell.number_format = xlsx.MONEY
    by_month.freeze_panes = "C2"
    xlsx.page_setup(by_month, report_title, 1)
    progress(80)

    chart_ws = wb.create_sheet(xlsx.sheet_title(_l("Totals by month")))
    xlsx.header(chart_ws, 1, [_l("Month"), _l("Plan"), _l("Actual spending")], [10, 16, 16])
    for m in range(12):
        chart_ws.append([month_names[m], float(totals_plan[m]), float(totals_actual[m])])
    chart = BarChart()
    chart.title = str(_l("Plan and actual by month"))
    chart.add_data(Reference(chart_ws, min_col=2, max_col=3, min_row=1, max_row=13), titles_from_data=True)
    chart.set_categories(Reference(chart_ws, min_col=1, min_row=2, max_row=13))
    chart.width, chart.height = 22, 10
    chart_ws.add_chart(chart, "E2")
    xlsx.page_setup(chart_ws, report_title, 1)
    xlsx.save(wb, path)
