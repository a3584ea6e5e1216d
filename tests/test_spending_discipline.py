"""Spending discipline in time (issue 10, item 13): no expenditure dated after today, on any path;
the 22 % accrual on pay (КЕКВ 2120) checked against the staff list's pay fund as 2111 is."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models import Expenditure, StaffPosition
from portal.models.enums import Role
from portal.services import budget, staff
from portal.services.errors import DomainError
from tests.conftest import post_form
from tests.factories import make_estimate, make_line, make_position, make_user

D = Decimal
JUNE_15 = date(2026, 6, 15)


def approved(*lines, year: int):
    """An approved general-fund estimate with lines given as (code, monthly) pairs."""
    estimate = make_estimate(year=year)
    for code, monthly in lines:
        make_line(estimate, code=code, monthly=D(monthly))
    budget.approve_estimate(estimate, make_user(role=Role.DIRECTOR))
    db.session.flush()
    return estimate


def line_of(estimate, code):
    return next(line for line in estimate.lines if line.kekv.code == code)


# --- no expenditure dated after today ------------------------------------------------------------


@pytest.fixture
def _request(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    "spent_on, amount, refused",
    [
        (JUNE_15, "100", None),  # today
        (JUNE_15 - timedelta(days=1), "100", None),
        (JUNE_15 + timedelta(days=1), "100", "16.06.2026"),  # tomorrow
        (date(2026, 12, 31), "1", "31.12.2026"),
        # the whole year's line at once against December's cumulative plan: not in June
        (date(2026, 12, 31), "12000", "31.12.2026"),
    ],
)
def test_an_expenditure_dated_after_today_is_refused(_request, spent_on, amount, refused):
    line = line_of(approved(("2210", "1000"), year=2026), "2210")
    item = Expenditure(line=line, amount=D(amount), spent_on=spent_on, description="Папір")
    db.session.add(item)
    if refused is None:
        budget.validate_expenditure(item, today=JUNE_15)
        return
    with pytest.raises(DomainError) as exc:
        budget.validate_expenditure(item, today=JUNE_15)
    assert refused in str(exc.value) and "15.06.2026" in str(exc.value)


def test_today_is_the_kyiv_day_by_default(_request):
    today = kyiv_today()
    line = line_of(approved(("2210", "1000"), year=today.year), "2210")
    item = Expenditure(line=line, amount=D("1"), spent_on=today + timedelta(days=1), description="Папір")
    db.session.add(item)
    with pytest.raises(DomainError, match="Refused|Відмовлено"):
        budget.validate_expenditure(item)
    item.spent_on = today
    budget.validate_expenditure(item)


def _form(line, spent_on: date) -> dict:
    return {"line": str(line.id), "spent_on": spent_on.isoformat(), "amount": "100.00", "description": "Картриджі"}


@pytest.mark.parametrize("path", ["new", "edit", "inline"])
def test_no_screen_records_an_expenditure_dated_after_today(client, auth, path):
    today = kyiv_today()
    tomorrow = today + timedelta(days=1)
    line = line_of(approved(("2210", "1000"), year=today.year), "2210")
    existing = Expenditure(line=line, amount=D("100"), spent_on=today, description="Папір")
    db.session.add(existing)
    db.session.commit()
    auth.as_role(Role.ACCOUNTANT)
    if path == "new":
        response = post_form(client, "/admin/expenditure/new/", _form(line, tomorrow))
    elif path == "edit":
        response = post_form(client, f"/admin/expenditure/edit/?id={existing.id}", _form(line, tomorrow))
    else:
        response = post_form(
            client, "/admin/expenditure/ajax/update/", {"list_form_pk": str(existing.id), "spent_on": str(tomorrow)}
        )
    assert response.status_code != 302
    if path != "inline":  # the form comes back with the reason
        assert "пізніше за сьогодні" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [e.spent_on for e in db.session.execute(db.select(Expenditure)).scalars()] == [today]


# --- line 2120: 22 % on the staff list's pay fund -------------------------------------------------------


@pytest.mark.parametrize(
    "monthly_2120, refused",
    [
        ("2200", False),  # exactly 22 % of 120 000 a year
        ("2199.99", True),  # 26 399.88: short by 0.12
    ],
)
def test_an_estimate_is_approved_only_if_line_2120_holds_the_accrual_on_the_staff_fund(_request, monthly_2120, refused):
    make_position(posts=D("1"), salary=D("10000"))  # 120 000 a year
    estimate = make_estimate(year=kyiv_today().year)
    make_line(estimate, code="2111", monthly=D("10000"))
    make_line(estimate, code="2120", monthly=D(monthly_2120))
    if not refused:
        budget.approve_estimate(estimate, make_user(role=Role.DIRECTOR))
        assert estimate.is_approved
        return
    with pytest.raises(DomainError) as exc:
        budget.approve_estimate(estimate, make_user(role=Role.DIRECTOR))
    message = str(exc.value)
    assert "2120" in message and "0.12" in message and "26\u00a0400.00" in message
    assert not estimate.is_approved


def test_an_estimate_without_line_2120_is_not_approved_while_staff_is_paid(_request):
    make_position(posts=D("1"), salary=D("10000"))
    estimate = make_estimate(year=kyiv_today().year)
    make_line(estimate, code="2111", monthly=D("10000"))
    with pytest.raises(DomainError, match="2120"):
        budget.approve_estimate(estimate, make_user(role=Role.DIRECTOR))


@pytest.mark.parametrize(
    "salary, refused",
    [
        ("10000", False),  # accrual 26 400.00: line 2120 exactly
        ("10000.01", True),  # fund 120 000.12, accrual 26 400.03; line 2111 still has room
    ],
)
def test_the_staff_list_may_not_outgrow_line_2120(_request, salary, refused):
    approved(("2111", "20000"), ("2120", "2200"), year=kyiv_today().year)
    position = make_position(posts=D("1"), salary=D("9000"))
    db.session.flush()
    position.salary = D(salary)
    if not refused:
        staff.validate_position(position)
        return
    with pytest.raises(DomainError) as exc:
        staff.validate_position(position)
    assert "2120" in str(exc.value) and "0.03" in str(exc.value)


@pytest.mark.parametrize("delta, refused", [("-0.01", True), ("100", False)])
def test_an_amendment_may_not_cut_line_2120_below_the_accrual(_request, delta, refused):
    from portal.models import AmendmentLine, BudgetAmendment

    make_position(posts=D("1"), salary=D("10000"))
    estimate = approved(("2111", "10000"), ("2120", "2200"), year=kyiv_today().year)
    item = BudgetAmendment(
        estimate=estimate,
        number="1",
        dated=kyiv_today(),
        reason="Перерозподіл",
        changes=[AmendmentLine(line=line_of(estimate, "2120"), month=12, delta=D(delta))],
    )
    db.session.add(item)
    director = make_user(role=Role.DIRECTOR)
    if refused:
        with pytest.raises(DomainError, match="2120"):
            budget.approve_amendment(item, director)
    else:
        budget.approve_amendment(item, director)
        assert line_of(estimate, "2120").annual_amount == D("26500")


def test_the_staff_position_form_names_line_2120_in_ukrainian(client, auth):
    auth.as_role(Role.DIRECTOR)
    approved(("2111", "20000"), ("2120", "2200"), year=kyiv_today().year)
    position = make_position(posts=D("1"), salary=D("10000"))
    db.session.commit()
    response = post_form(
        client,
        f"/admin/staff_position/edit/?id={position.id}",
        {
            "unit": str(position.unit_id),
            "title": position.title,
            "posts": "1.5",
            "salary": "10000",
            "allowances": "0",
            "supplements": "0",
        },
    )
    assert response.status_code == 200
    assert "перевищує рядок КЕКВ 2120" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(StaffPosition, position.id).posts == D("1")
