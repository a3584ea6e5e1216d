"""Budget rules (portal.services.budget) as specifications: the plan, approval, amendments, spending."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AmendmentLine, BudgetAmendment, BudgetLine, Expenditure
from portal.models.enums import DocumentState, Fund, Role
from portal.services import budget
from portal.services.errors import DomainError
from tests.factories import kekv, make_estimate, make_line, make_position, make_user

D = Decimal
YEAR = date.today().year


@pytest.fixture(autouse=True)
def _request(app):
    """Messages are translated lazily, in the language of a request."""
    with app.test_request_context("/"):
        yield


@pytest.fixture
def director(app):
    return make_user(role=Role.DIRECTOR)


def approved_estimate(director, *lines, fund=Fund.GENERAL, year=YEAR):
    """An approved estimate with lines given as (code, monthly) pairs."""
    estimate = make_estimate(fund=fund, year=year)
    for code, monthly in lines:
        make_line(estimate, code=code, monthly=D(monthly))
    budget.approve_estimate(estimate, director)
    db.session.flush()
    return estimate


def line_of(estimate, code) -> BudgetLine:
    return next(line for line in estimate.lines if line.kekv.code == code)


def amendment(estimate, *changes, number="1") -> BudgetAmendment:
    """A draft amendment with changes given as (line, month, delta)."""
    item = BudgetAmendment(
        estimate=estimate,
        number=number,
        dated=date(YEAR, 3, 1),
        reason="Перерозподіл",
        changes=[AmendmentLine(line=line, month=month, delta=D(delta)) for line, month, delta in changes],
    )
    db.session.add(item)
    return item


def spend(line, amount, spent_on) -> Expenditure:
    item = Expenditure(line=line, amount=D(amount), spent_on=spent_on, description="Папір")
    db.session.add(item)
    budget.validate_expenditure(item, today=date(YEAR, 12, 31))  # the year is past: no date is in the future
    db.session.flush()
    return item


# --- the 12-month plan ---------------------------------------------------------------------
def test_a_line_whose_months_add_up_to_the_annual_sum_is_valid(app):
    line = make_line(monthly=D("1000.50"))
    budget.validate_line(line)


def test_a_line_whose_months_miss_the_annual_sum_by_a_kopeck_is_refused_with_the_difference(app):
    line = make_line(monthly=D("1000"))
    line.annual_amount = D("12000.01")
    with pytest.raises(DomainError) as exc:
        budget.validate_line(line)
    message = str(exc.value)
    assert "12\u00a0000.00" in message and "12\u00a0000.01" in message and "-0.01" in message


def test_a_sum_with_fractions_of_a_kopeck_is_refused(app):
    line = make_line(monthly=D("1000"))
    line.m01, line.m02 = D("1000.005"), D("999.995")
    with pytest.raises(DomainError, match="двох|two"):
        budget.validate_line(line)


def test_a_negative_month_is_refused(app):
    line = make_line(monthly=D("1000"))
    line.m01, line.m02 = D("-100"), D("2100")
    with pytest.raises(DomainError):
        budget.validate_line(line)


def test_an_estimate_has_one_line_per_kekv(app):
    estimate = make_estimate()
    make_line(estimate, code="2210")
    duplicate = BudgetLine(estimate=estimate, kekv=kekv("2210"), annual_amount=D("0"))
    with pytest.raises(DomainError, match="2210"):
        budget.validate_line(duplicate)


# --- approval ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "role, approves",
    [
        (Role.DIRECTOR, True),
        (Role.ACCOUNTANT, False),
        (Role.AUDITOR, False),
        (Role.CLERK, False),
        (Role.SIGNER, False),
        (Role.ADMIN, False),
    ],
)
def test_only_the_director_approves_an_estimate(app, role, approves):
    estimate = make_estimate()
    make_line(estimate)
    user = make_user(role=role)
    if approves:
        budget.approve_estimate(estimate, user)
        assert estimate.state == DocumentState.APPROVED
        assert estimate.approved_by_id == user.id and estimate.approved_at is not None
    else:
        with pytest.raises(DomainError, match="директор|director"):
            budget.approve_estimate(estimate, user)
        assert estimate.state == DocumentState.DRAFT


def test_an_estimate_without_lines_is_not_approved(app, director):
    with pytest.raises(DomainError):
        budget.approve_estimate(make_estimate(), director)


def test_an_estimate_whose_plan_does_not_add_up_is_not_approved(app, director):
    estimate = make_estimate()
    make_line(estimate, annual_amount=D("1"))
    with pytest.raises(DomainError, match="2210"):
        budget.approve_estimate(estimate, director)


def test_an_estimate_is_approved_only_once(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    with pytest.raises(DomainError):
        budget.approve_estimate(estimate, director)


def test_the_state_cannot_be_set_through_an_edit(app):
    estimate = make_estimate()
    db.session.commit()
    estimate.state = DocumentState.APPROVED
    with pytest.raises(DomainError):
        budget.validate_estimate(estimate)


def test_a_second_estimate_for_the_same_year_and_fund_is_refused(app):
    make_estimate(year=YEAR, fund=Fund.SPECIAL)
    with pytest.raises(DomainError, match=str(YEAR)):
        budget.validate_estimate(budget.BudgetEstimate(year=YEAR, fund=Fund.SPECIAL))


def test_lines_of_an_approved_estimate_are_not_edited_directly(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    db.session.commit()
    line.m01, line.m02 = D("1500"), D("500")
    with pytest.raises(DomainError, match="довідк|amendment"):
        budget.validate_line(line)


def test_lines_of_an_approved_estimate_are_not_deleted(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    with pytest.raises(DomainError):
        budget.check_line_deletable(line)


def test_an_approved_estimate_is_not_deleted(app, director):
    with pytest.raises(DomainError):
        budget.check_estimate_deletable(approved_estimate(director, ("2210", 1000)))


def test_a_zero_line_may_be_added_to_an_approved_estimate_for_a_later_amendment(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    zero = BudgetLine(estimate=estimate, kekv=kekv("2240"))
    db.session.add(zero)
    budget.validate_line(zero)
    funded = BudgetLine(
        estimate=estimate,
        kekv=kekv("2250"),
        annual_amount=D("12"),
        **{column: D("1") for column in budget.MONTH_COLUMNS},
    )
    db.session.add(funded)
    with pytest.raises(DomainError):
        budget.validate_line(funded)


# --- amendments ---------------------------------------------------------------------------
def test_an_approved_amendment_applies_its_deltas_to_the_months_and_the_annual_sum(app, director):
    estimate = approved_estimate(director, ("2210", 1000), ("2240", 500))
    supplies, services = line_of(estimate, "2210"), line_of(estimate, "2240")
    item = amendment(estimate, (supplies, 3, "-200"), (services, 3, "200"), (services, 4, "50.25"))
    budget.validate_amendment(item)
    budget.approve_amendment(item, director)
    assert supplies.m03 == D("800") and supplies.annual_amount == D("11800")
    assert services.m03 == D("700") and services.m04 == D("550.25")
    assert services.annual_amount == D("6250.25")
    assert budget.plan_total(services) == services.annual_amount


def test_an_approved_amendment_stays_as_history_and_cannot_change(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    item = amendment(estimate, (line_of(estimate, "2210"), 1, "100"))
    budget.approve_amendment(item, director)
    db.session.commit()
    assert item.state == DocumentState.APPROVED and item.approved_by_id == director.id
    assert [(c.month, c.delta) for c in item.changes] == [(1, D("100"))]
    item.reason = "Інше"
    with pytest.raises(DomainError):
        budget.validate_amendment(item)
    with pytest.raises(DomainError):
        budget.check_amendment_deletable(item)
    with pytest.raises(DomainError):
        budget.approve_amendment(item, director)


def test_the_accountant_drafts_an_amendment_but_does_not_approve_it(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    item = amendment(estimate, (line_of(estimate, "2210"), 1, "100"))
    budget.validate_amendment(item)
    with pytest.raises(DomainError):
        budget.approve_amendment(item, make_user(role=Role.ACCOUNTANT))
    assert line_of(estimate, "2210").m01 == D("1000")


def test_a_draft_estimate_is_not_amended(app):
    estimate = make_estimate()
    item = amendment(estimate, (make_line(estimate), 1, "100"))
    with pytest.raises(DomainError):
        budget.validate_amendment(item)


def test_an_amendment_may_not_make_a_month_negative(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    item = amendment(estimate, (line_of(estimate, "2210"), 5, "-1000.01"))
    with pytest.raises(DomainError, match="-0.01"):
        budget.approve_amendment(item, director)


def test_an_amendment_may_not_take_the_plan_below_what_is_already_spent(app, director):
    estimate = approved_estimate(director, ("2210", 1000))
    line = line_of(estimate, "2210")
    spend(line, "1800", date(YEAR, 2, 10))
    db.session.commit()
    too_much = amendment(estimate, (line, 1, "-200.01"))
    with pytest.raises(DomainError, match="1\u00a0800.00"):
        budget.approve_amendment(too_much, director)
    db.session.rollback()
    line = db.session.get(BudgetLine, line.id)
    just_enough = amendment(line.estimate, (line, 1, "-200"), number="2")
    budget.approve_amendment(just_enough, director)
    assert line.m01 == D("800")


def test_a_change_must_be_on_a_line_of_the_same_estimate(app, director):
    first = approved_estimate(director, ("2210", 1000))
    other = approved_estimate(director, ("2210", 1000), fund=Fund.SPECIAL)
    item = amendment(first, (line_of(other, "2210"), 1, "100"))
    with pytest.raises(DomainError):
        budget.validate_amendment(item)


# --- expenditures within the plan to date ---------------------------------------------------
def test_spending_exactly_up_to_the_plan_to_date_is_accepted(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    spend(line, "2000", date(YEAR, 2, 1))
    spend(line, "500", date(YEAR, 3, 1))
    spend(line, "500.00", date(YEAR, 3, 31))
    assert sum(budget.spent_by_month(line.id)) == D("3000")


def test_one_kopeck_beyond_the_plan_to_date_is_refused_with_the_available_amount(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    spend(line, "2000", date(YEAR, 2, 1))
    spend(line, "500", date(YEAR, 3, 1))
    with pytest.raises(DomainError) as exc:
        spend(line, "500.01", date(YEAR, 3, 31))
    message = str(exc.value)
    assert "500.00" in message and "2210" in message and "500.01" in message


def test_spending_in_an_earlier_month_may_not_break_the_plan_of_a_later_one(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    spend(line, "3000", date(YEAR, 3, 5))
    with pytest.raises(DomainError):
        spend(line, "0.01", date(YEAR, 1, 5))


def test_correcting_an_expenditure_does_not_count_it_twice(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    item = spend(line, "1000", date(YEAR, 1, 5))
    db.session.commit()
    item.amount = D("1000")
    item.description = "Папір А4"
    budget.validate_expenditure(item)
    item.amount = D("999.99")
    budget.validate_expenditure(item)


def test_expenditures_are_refused_on_a_draft_estimate(app):
    line = make_line()
    with pytest.raises(DomainError):
        spend(line, "1", date(YEAR, 1, 5))


def test_an_expenditure_dated_outside_the_estimate_year_is_refused(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    with pytest.raises(DomainError, match=str(YEAR)):
        spend(line, "1", date(YEAR - 1, 12, 31))


def test_an_expenditure_is_positive(app, director):
    line = line_of(approved_estimate(director, ("2210", 1000)), "2210")
    with pytest.raises(DomainError):
        spend(line, "0", date(YEAR, 1, 5))


# --- the staff list's pay fund and line 2111 --------------------------------------------------
def test_the_staff_fund_may_reach_line_2111_exactly_but_not_a_kopeck_beyond(app, director):
    from portal.services import staff

    approved_estimate(director, ("2111", 24000), ("2120", 6000))  # 288 000 a year; 2120 has room for its 22 %
    position = make_position(posts=D("2"), salary=D("12000"))  # exactly 288 000
    staff.validate_position(position)
    db.session.commit()
    position.salary = D("12000.01")
    with pytest.raises(DomainError) as exc:
        staff.validate_position(position)
    assert "0.24" in str(exc.value) and "2111" in str(exc.value)


def test_without_an_approved_estimate_the_staff_list_is_not_limited(app):
    from portal.services import staff

    make_estimate()  # a draft binds nothing
    staff.validate_position(make_position(posts=D("10"), salary=D("50000")))


def test_an_estimate_whose_line_2111_is_below_the_staff_fund_is_not_approved(app, director):
    make_position(posts=D("1"), salary=D("10000"))  # 120 000 a year
    estimate = make_estimate()
    make_line(estimate, code="2111", monthly=D("9999.99"))
    with pytest.raises(DomainError, match="2111"):
        budget.approve_estimate(estimate, director)


def test_a_special_fund_estimate_is_not_bound_by_the_staff_fund(app, director):
    make_position(posts=D("1"), salary=D("10000"))
    approved_estimate(director, ("2210", 1000), fund=Fund.SPECIAL)


def test_an_amendment_may_not_cut_line_2111_below_the_staff_fund(app, director):
    make_position(posts=D("1"), salary=D("10000"))
    estimate = approved_estimate(director, ("2111", 10000), ("2120", 2200))
    item = amendment(estimate, (line_of(estimate, "2111"), 12, "-0.01"))
    with pytest.raises(DomainError, match="2111"):
        budget.approve_amendment(item, director)
