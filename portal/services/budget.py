"""Budget rules: the estimate (кошторис), its monthly plan, amendments and expenditures.

The director disposes of funds only within the approved estimate (statute, item 4), so:
- every line's 12-month plan adds up exactly to its annual sum;
- an estimate is drafted, then approved by the director; an approved estimate's lines
  change only through an approved amendment (довідка про зміни), which stays as history;
- an expenditure is refused when the line's spending for the year up to the end of any
  month would exceed the plan accumulated to that month;
- an expenditure is recorded when it happened: never dated after today (Kyiv), so a line
  cannot be spent in advance against a later month's plan;
- the staff list's annual pay fund fits line 2111 of the approved general-fund estimate, and
  the 22 % accrual on it (the single social contribution) fits line 2120.

Validation functions raise :class:`DomainError`; the caller rolls back. They read the
database with autoflush off, so the object being validated is compared with what is
stored, not with itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import InstanceState

from portal.auth.permissions import can
from portal.extensions import db
from portal.i18n import format_date, format_money, kyiv_today
from portal.models.base import utcnow
from portal.models.budget import (
    MONTH_COLUMNS,
    MONTH_NAMES,
    MONTHS,
    AmendmentLine,
    BudgetAmendment,
    BudgetEstimate,
    BudgetLine,
    Expenditure,
)
from portal.models.enums import DocumentState, Fund
from portal.models.org import StaffPosition
from portal.models.reference import Kekv
from portal.services.changes import column_change, reference_change
from portal.services.errors import DomainError

ZERO = Decimal("0")
KOPECK = Decimal("0.01")
SALARY_KEKV = "2111"
ACCRUAL_KEKV = "2120"  # accruals on pay: the single social contribution
ACCRUAL_RATE = Decimal("0.22")
LINE_AMOUNT_FIELDS = ("annual_amount",) + MONTH_COLUMNS


# --- helpers -------------------------------------------------------------------------
def month_name(month: int) -> str:
    return str(MONTH_NAMES[month - 1])


def _dec(value) -> Decimal:
    return ZERO if value is None else Decimal(value)


def check_money(value, model, key: str, *, allow_negative: bool = False) -> Decimal:
    """A sum in hryvnias with at most two decimal places (kopecks); ``model.key`` names it in a message."""
    from portal.labels import field_label

    if value is None:
        raise DomainError(_l("%(field)s: enter a sum.", field=field_label(model, key)))
    value = Decimal(value)
    if value != value.quantize(KOPECK):
        raise DomainError(_l("%(field)s: at most two decimal places (kopecks).", field=field_label(model, key)))
    if value < 0 and not allow_negative:
        raise DomainError(_l("%(field)s cannot be negative.", field=field_label(model, key)))
    return value


def _kekv_code(line: BudgetLine) -> str:
    if line.kekv is not None:
        return line.kekv.code
    if line.kekv_id is not None:
        kekv = db.session.get(Kekv, line.kekv_id)
        return kekv.code if kekv else "?"
    return "?"


def _current_year() -> int:
    from portal.i18n import kyiv_today

    return kyiv_today().year


def require_approver(user, area: str = "budget_estimate") -> None:
    """Only a role with the ``approve`` action in the area (the director) approves."""
    if user is None or not can(user, area, "approve"):
        raise DomainError(_l("Only the director approves budget estimates and amendments."))


# --- lines and their plan ------------------------------------------------------------
def plan_total(line: BudgetLine) -> Decimal:
    return sum((_dec(getattr(line, c)) for c in MONTH_COLUMNS), ZERO)


def check_plan_adds_up(line: BudgetLine) -> None:
    """The 12 months add up exactly to the annual sum; the message names the difference."""
    annual = _dec(line.annual_amount)
    total = plan_total(line)
    if total != annual:
        raise DomainError(
            _l(
                "KEKV %(kekv)s: the monthly plan adds up to %(plan)s, but the annual sum is %(annual)s "
                "(difference %(diff)s). Correct the months or the annual sum.",
                kekv=_kekv_code(line),
                plan=format_money(total),
                annual=format_money(annual),
                diff=format_money(total - annual),
            )
        )


def _check_line_amounts(line: BudgetLine) -> None:
    for key in LINE_AMOUNT_FIELDS:
        value = getattr(line, key)
        setattr(line, key, check_money(ZERO if value is None else value, BudgetLine, key))


def _line_changed(line: BudgetLine) -> bool:
    state: InstanceState[BudgetLine] = sa_inspect(line)
    if state.transient or state.pending:
        return True
    fields = LINE_AMOUNT_FIELDS + ("kekv_id", "estimate_id")
    return any(column_change(line, key)[2] for key in fields) or any(
        reference_change(line, rel, fk)[2] for rel, fk in (("kekv", "kekv_id"), ("estimate", "estimate_id"))
    )


def validate_line(line: BudgetLine) -> None:
    """Create or edit a line: amounts, plan sum, one line per КЕКВ, nothing changes once approved."""
    with db.session.no_autoflush:
        old_estimate, estimate, _ = reference_change(line, "estimate", "estimate_id")
        _, kekv, _ = reference_change(line, "kekv", "kekv_id")
        if estimate is None:
            raise DomainError(_l("Choose the budget estimate."))
        if kekv is None:
            raise DomainError(_l("Choose the KEKV code."))
        _check_line_amounts(line)
        is_new: bool = sa_inspect(line).transient or sa_inspect(line).pending
        if _line_changed(line):
            for est in {old_estimate, estimate} - {None}:
                if est.is_approved and not (is_new and est is estimate and _is_zero_line(line)):
                    raise DomainError(
                        _l(
                            "The estimate %(estimate)s is approved: its lines change only through an approved "
                            "amendment. A new line may be added to it only with zero sums.",
                            estimate=str(est),
                        )
                    )
        check_plan_adds_up(line)
        duplicate = (
            db.session.execute(
                sa.select(BudgetLine.id).where(
                    BudgetLine.estimate_id == estimate.id,
                    BudgetLine.kekv_id == kekv.id,
                    BudgetLine.id != (line.id or 0),
                )
            ).first()
            if estimate.id is not None
            else None
        )
        if duplicate:
            raise DomainError(
                _l(
                    "The estimate %(estimate)s already has a line for KEKV %(kekv)s.",
                    estimate=str(estimate),
                    kekv=kekv.code,
                )
            )


def _is_zero_line(line: BudgetLine) -> bool:
    return all(_dec(getattr(line, key)) == ZERO for key in LINE_AMOUNT_FIELDS)


def check_line_deletable(line: BudgetLine) -> None:
    with db.session.no_autoflush:
        if line.estimate is not None and line.estimate.is_approved:
            raise DomainError(
                _l(
                    "The estimate %(estimate)s is approved: its lines cannot be deleted; change the sums "
                    "through an amendment.",
                    estimate=str(line.estimate),
                )
            )
        if line.id is not None:
            used = db.session.execute(sa.select(sa.func.count()).where(Expenditure.line_id == line.id)).scalar()
            if used:
                raise DomainError(_l("Expenditures are recorded against this line; it cannot be deleted."))
            in_amendment = db.session.execute(
                sa.select(sa.func.count()).where(AmendmentLine.line_id == line.id)
            ).scalar()
            if in_amendment:
                raise DomainError(_l("Amendments refer to this line; it cannot be deleted."))


# --- estimates -----------------------------------------------------------------------
def validate_estimate(estimate: BudgetEstimate) -> None:
    """Create or edit an estimate's header; approval goes only through :func:`approve_estimate`."""
    with db.session.no_autoflush:
        if estimate.year is None or not 2000 <= int(estimate.year) <= 2100:
            raise DomainError(_l("Enter the budget year (2000–2100)."))
        if estimate.fund is None:
            raise DomainError(_l("Choose the fund."))
        old_state, new_state, state_changed = column_change(estimate, "state")
        if state_changed and old_state is not None:
            raise DomainError(_l("The state of an estimate changes only by the director's approval."))
        if new_state == DocumentState.APPROVED and old_state is None:
            raise DomainError(_l("A new estimate starts as a draft; the director approves it."))
        if old_state == DocumentState.APPROVED:
            for key in ("year", "fund"):
                if column_change(estimate, key)[2]:
                    raise DomainError(_l("The year and fund of an approved estimate cannot change."))
        duplicate = db.session.execute(
            sa.select(BudgetEstimate.id).where(
                BudgetEstimate.year == estimate.year,
                BudgetEstimate.fund == Fund(estimate.fund),
                BudgetEstimate.id != (estimate.id or 0),
            )
        ).first()
        if duplicate:
            raise DomainError(
                _l(
                    "An estimate for %(year)s (%(fund)s) already exists.",
                    year=estimate.year,
                    fund=str(Fund(estimate.fund)),
                )
            )


def check_estimate_deletable(estimate: BudgetEstimate) -> None:
    if estimate.is_approved:
        raise DomainError(_l("An approved estimate cannot be deleted."))


def approve_estimate(estimate: BudgetEstimate, user) -> None:
    """The director approves a draft: every plan adds up and the staff fund fits line 2111."""
    require_approver(user)
    with db.session.no_autoflush:
        if estimate.is_approved:
            raise DomainError(_l("The estimate %(estimate)s is already approved.", estimate=str(estimate)))
        if not estimate.lines:
            raise DomainError(_l("The estimate has no lines; add them before approval."))
        for line in estimate.lines:
            check_plan_adds_up(line)
        if estimate.fund == Fund.GENERAL:
            salary = next((ln for ln in estimate.lines if _kekv_code(ln) == SALARY_KEKV), None)
            accrual = next((ln for ln in estimate.lines if _kekv_code(ln) == ACCRUAL_KEKV), None)
            fund = staff_annual_fund()
            _check_staff_fund_against(estimate, _dec(salary.annual_amount) if salary else ZERO, fund)
            _check_accrual_against(estimate, _dec(accrual.annual_amount) if accrual else ZERO, fund)
    estimate.state = DocumentState.APPROVED
    estimate.approved_at = utcnow()
    estimate.approved_by_id = user.id


# --- staff fund vs lines 2111 and 2120 ------------------------------------------------------
def line_allocation(estimate: BudgetEstimate, code: str) -> Decimal:
    """The annual sum of an estimate's line for КЕКВ ``code`` (zero without one)."""
    value = db.session.execute(
        sa.select(BudgetLine.annual_amount)
        .join(Kekv, Kekv.id == BudgetLine.kekv_id)
        .where(BudgetLine.estimate_id == estimate.id, Kekv.code == code)
    ).scalar()
    return _dec(value)


def salary_allocation(estimate: BudgetEstimate) -> Decimal:
    """The annual sum of line 2111 of an estimate (zero without one)."""
    return line_allocation(estimate, SALARY_KEKV)


def accrual_allocation(estimate: BudgetEstimate) -> Decimal:
    """The annual sum of line 2120 of an estimate (zero without one)."""
    return line_allocation(estimate, ACCRUAL_KEKV)


def accrual_on(fund: Decimal) -> Decimal:
    """The 22 % accrual on a pay fund, to the kopeck."""
    return (fund * ACCRUAL_RATE).quantize(KOPECK, ROUND_HALF_UP)


def binding_estimates() -> list[BudgetEstimate]:
    """Approved general-fund estimates the current staff list must fit: this year's and later."""
    return list(
        db.session.execute(
            sa.select(BudgetEstimate)
            .where(
                BudgetEstimate.state == DocumentState.APPROVED,
                BudgetEstimate.fund == Fund.GENERAL,
                BudgetEstimate.year >= _current_year(),
            )
            .order_by(BudgetEstimate.year)
        ).scalars()
    )


def staff_annual_fund(exclude_position_id: int | None = None) -> Decimal:
    """The staff list's annual pay fund, computed (never stored), exact to the kopeck."""
    query = sa.select(StaffPosition.posts, StaffPosition.salary, StaffPosition.allowances, StaffPosition.supplements)
    if exclude_position_id is not None:
        query = query.where(StaffPosition.id != exclude_position_id)
    total = ZERO
    with db.session.no_autoflush:
        for posts, salary, allowances, supplements in db.session.execute(query):
            total += Decimal(posts or 0) * (Decimal(salary or 0) + Decimal(allowances or 0) + Decimal(supplements or 0))
    return (total * 12).quantize(Decimal("0.01"))


def _check_staff_fund_against(estimate: BudgetEstimate, allocation: Decimal, fund: Decimal | None = None) -> None:
    if estimate.fund != Fund.GENERAL or estimate.year < _current_year():
        return
    if fund is None:
        fund = staff_annual_fund()
    if fund > allocation:
        raise DomainError(
            _l(
                "The staff list's annual pay fund (%(fund)s) exceeds line 2111 of the general-fund estimate "
                "for %(year)s (%(line)s) by %(diff)s.",
                fund=format_money(fund),
                year=estimate.year,
                line=format_money(allocation),
                diff=format_money(fund - allocation),
            )
        )


def _check_accrual_against(estimate: BudgetEstimate, allocation: Decimal, fund: Decimal | None = None) -> None:
    """The 22 % accrual on the staff list's pay fund fits line 2120, as the fund itself fits 2111."""
    if estimate.fund != Fund.GENERAL or estimate.year < _current_year():
        return
    if fund is None:
        fund = staff_annual_fund()
    accrual = accrual_on(fund)
    if accrual > allocation:
        raise DomainError(
            _l(
                "The accrual of %(rate)s on the staff list's annual pay fund (%(accrual)s on %(fund)s) exceeds "
                "line 2120 of the general-fund estimate for %(year)s (%(line)s) by %(diff)s.",
                rate="22 %",
                accrual=format_money(accrual),
                fund=format_money(fund),
                year=estimate.year,
                line=format_money(allocation),
                diff=format_money(accrual - allocation),
            )
        )


def check_staff_fund(fund: Decimal) -> None:
    """A staff list with this annual pay fund fits line 2111, and its accrual line 2120, of every binding estimate."""
    for estimate in binding_estimates():
        _check_staff_fund_against(estimate, salary_allocation(estimate), fund)
        _check_accrual_against(estimate, accrual_allocation(estimate), fund)


# --- amendments ----------------------------------------------------------------------
def _resulting_plans(amendment: BudgetAmendment) -> dict[BudgetLine, list[Decimal]]:
    """Each touched line's months after applying the amendment's deltas."""
    plans: dict[BudgetLine, list[Decimal]] = {}
    for change in amendment.changes:
        line = change.line
        if line not in plans:
            plans[line] = line.month_plan()
        plans[line][int(change.month) - 1] += _dec(change.delta)
    return plans


def _check_changes(amendment: BudgetAmendment) -> None:
    estimate = amendment.estimate
    for change in amendment.changes:
        if change.line is None and change.line_id is not None:
            change.line = db.session.get(BudgetLine, change.line_id)
        if change.line is None:
            raise DomainError(_l("Choose the budget line of every change."))
        if change.line.estimate is not estimate:
            raise DomainError(_l("The line %(line)s belongs to another estimate.", line=str(change.line)))
        if change.month is None or int(change.month) not in MONTHS:
            raise DomainError(_l("The month of a change is from 1 to 12."))
        delta = check_money(change.delta, AmendmentLine, "delta", allow_negative=True)
        if delta == ZERO:
            raise DomainError(_l("A change of zero changes nothing; remove it."))


def check_amendment_result(amendment: BudgetAmendment) -> None:
    """After the amendment no month is negative or below what is already spent to date."""
    for line, months in _resulting_plans(amendment).items():
        spent = spent_by_month(line.id) if line.id is not None else [ZERO] * 12
        plan_cum = spent_cum = ZERO
        for m in MONTHS:
            if months[m - 1] < ZERO:
                raise DomainError(
                    _l(
                        "KEKV %(kekv)s, %(month)s: the plan would become negative (%(value)s).",
                        kekv=_kekv_code(line),
                        month=month_name(m),
                        value=format_money(months[m - 1]),
                    )
                )
            plan_cum += months[m - 1]
            spent_cum += spent[m - 1]
            if spent_cum > plan_cum:
                raise DomainError(
                    _l(
                        "KEKV %(kekv)s, %(month)s: the plan to date would be %(plan)s, below the %(spent)s "
                        "already spent.",
                        kekv=_kekv_code(line),
                        month=month_name(m),
                        plan=format_money(plan_cum),
                        spent=format_money(spent_cum),
                    )
                )


def _new_allocation(amendment: BudgetAmendment, code: str) -> Decimal | None:
    """The annual sum of line ``code`` after the amendment (None when it does not touch that line)."""
    for line, months in _resulting_plans(amendment).items():
        if _kekv_code(line) == code:
            return sum(months, ZERO)
    return None


def validate_amendment(amendment: BudgetAmendment) -> None:
    """Create or edit a draft amendment of an approved estimate."""
    with db.session.no_autoflush:
        old_state, new_state, state_changed = column_change(amendment, "state")
        if old_state == DocumentState.APPROVED:
            raise DomainError(_l("An approved amendment is history and cannot change."))
        if new_state == DocumentState.APPROVED:
            raise DomainError(_l("An amendment is approved only by the director's approval."))
        _, estimate, _ = reference_change(amendment, "estimate", "estimate_id")
        if estimate is None:
            raise DomainError(_l("Choose the budget estimate."))
        if not estimate.is_approved:
            raise DomainError(
                _l(
                    "The estimate %(estimate)s is a draft: change its lines directly; amendments are for "
                    "approved estimates.",
                    estimate=str(estimate),
                )
            )
        if not amendment.number or amendment.dated is None:
            raise DomainError(_l("Enter the amendment's number and date."))
        _check_changes(amendment)
        check_amendment_result(amendment)


def check_amendment_deletable(amendment: BudgetAmendment) -> None:
    if amendment.is_approved:
        raise DomainError(_l("An approved amendment is history and cannot be deleted."))


def approve_amendment(amendment: BudgetAmendment, user) -> None:
    """The director approves a draft amendment: its deltas are applied to the lines' months and sums."""
    require_approver(user, "budget_amendment")
    with db.session.no_autoflush:
        if amendment.is_approved:
            raise DomainError(_l("The amendment %(amendment)s is already approved.", amendment=str(amendment)))
        if not amendment.estimate.is_approved:
            raise DomainError(_l("Only amendments of an approved estimate are approved."))
        if not amendment.changes:
            raise DomainError(_l("The amendment has no changes."))
        _check_changes(amendment)
        check_amendment_result(amendment)
        new_salary = _new_allocation(amendment, SALARY_KEKV)
        if new_salary is not None:
            _check_staff_fund_against(amendment.estimate, new_salary)
        new_accrual = _new_allocation(amendment, ACCRUAL_KEKV)
        if new_accrual is not None:
            _check_accrual_against(amendment.estimate, new_accrual)
        for line, months in _resulting_plans(amendment).items():
            for column, value in zip(MONTH_COLUMNS, months):
                setattr(line, column, value)
            line.annual_amount = sum(months, ZERO)
    amendment.state = DocumentState.APPROVED
    amendment.approved_at = utcnow()
    amendment.approved_by_id = user.id


# --- expenditures --------------------------------------------------------------------
def spent_by_month(line_id: int, exclude_id: int | None = None) -> list[Decimal]:
    """What is recorded against a line in each month of its year (12 sums)."""
    month = sa.extract("month", Expenditure.spent_on)
    query = sa.select(month, sa.func.sum(Expenditure.amount)).where(Expenditure.line_id == line_id)
    if exclude_id is not None:
        query = query.where(Expenditure.id != exclude_id)
    totals = [ZERO] * 12
    for m, amount in db.session.execute(query.group_by(month)):
        totals[int(m) - 1] = _dec(amount).quantize(KOPECK)
    return totals


def spent_totals(line_ids: Iterable[int]) -> dict[int, Decimal]:
    """Total spent per line, for lists."""
    ids = list(line_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Expenditure.line_id, sa.func.sum(Expenditure.amount))
        .where(Expenditure.line_id.in_(ids))
        .group_by(Expenditure.line_id)
    )
    return {line_id: _dec(total).quantize(KOPECK) for line_id, total in rows}


def available(line: BudgetLine, month: int, exclude_id: int | None = None):
    """What can still be spent in ``month`` without breaking the plan to date in it or any later month.

    Returns (available, binding month, plan to date, spent to date) for the tightest month.
    """
    plan = line.month_plan()
    spent = spent_by_month(line.id, exclude_id) if line.id is not None else [ZERO] * 12
    best = None
    plan_cum = spent_cum = ZERO
    for m in MONTHS:
        plan_cum += plan[m - 1]
        spent_cum += spent[m - 1]
        if m >= month:
            room = plan_cum - spent_cum
            if best is None or room < best[0]:
                best = (room, m, plan_cum, spent_cum)
    return best


def validate_expenditure(expenditure: Expenditure, today: date | None = None) -> None:
    """Record or correct an expenditure only within the approved plan to date, and never dated after today."""
    with db.session.no_autoflush:
        _, line, line_changed = reference_change(expenditure, "line", "line_id")
        if line is None:
            raise DomainError(_l("Choose the budget line."))
        amount = check_money(expenditure.amount, Expenditure, "amount")
        if amount <= ZERO:
            raise DomainError(_l("The amount of an expenditure is positive."))
        if expenditure.spent_on is None:
            raise DomainError(_l("Enter the date of the expenditure."))
        changed = line_changed or any(column_change(expenditure, k)[2] for k in ("amount", "spent_on"))
        if not changed:
            return
        today = today or kyiv_today()
        if expenditure.spent_on > today:
            # otherwise a whole year's line could be spent now against December's cumulative plan
            raise DomainError(
                _l(
                    "Refused: the expenditure is dated %(date)s, after today (%(today)s). An expenditure is "
                    "recorded once it has been made, never in advance.",
                    date=format_date(expenditure.spent_on),
                    today=format_date(today),
                )
            )
        estimate = line.estimate
        if not estimate.is_approved:
            raise DomainError(
                _l(
                    "The estimate %(estimate)s is not approved: expenditures are recorded only against an "
                    "approved estimate.",
                    estimate=str(estimate),
                )
            )
        if expenditure.spent_on.year != estimate.year:
            raise DomainError(
                _l("The expenditure's date must fall in the estimate's year %(year)s.", year=estimate.year)
            )
        room, month, plan_cum, spent_cum = available(line, expenditure.spent_on.month, expenditure.id)
        if amount > room:
            raise DomainError(
                _l(
                    "Refused: the expenditure exceeds the approved estimate. KEKV %(kekv)s: available "
                    "%(available)s (plan to the end of %(month)s %(plan)s, already spent %(spent)s); "
                    "requested %(amount)s.",
                    kekv=_kekv_code(line),
                    available=format_money(max(room, ZERO)),
                    month=month_name(month),
                    plan=format_money(plan_cum),
                    spent=format_money(spent_cum),
                    amount=format_money(amount),
                )
            )


def execution(estimate: BudgetEstimate) -> list[dict]:
    """Plan and spending by line and month: the estimate's details page and reports."""
    rows = []
    for line in sorted(estimate.lines, key=_kekv_code):
        spent = spent_by_month(line.id) if line.id is not None else [ZERO] * 12
        plan = line.month_plan()
        rows.append(
            {
                "line": line,
                "kekv": line.kekv,
                "annual": _dec(line.annual_amount),
                "plan": plan,
                "spent": spent,
                "spent_total": sum(spent, ZERO),
                "remaining": _dec(line.annual_amount) - sum(spent, ZERO),
            }
        )
    return rows
