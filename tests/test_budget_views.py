"""Budget screens: the estimate rules hold through the admin forms, approvals, deletes and bulk actions."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AmendmentLine, BudgetAmendment, BudgetEstimate, BudgetLine, Expenditure, StaffPosition
from portal.models.budget import MONTH_COLUMNS
from portal.models.enums import DocumentState, Role
from portal.services import budget
from tests.conftest import post_form
from tests.factories import kekv, make_estimate, make_line, make_position, make_user

D = Decimal
YEAR = date.today().year


@pytest.fixture(autouse=True)
def _year_is_over(monkeypatch):
    """The screens below spend on dates of this year; as if on its last day, none of them is in the future
    (the refusal of a future date has its own tests in test_spending_discipline.py)."""
    monkeypatch.setattr(budget, "kyiv_today", lambda: date(YEAR, 12, 31))


def text(response) -> str:
    return response.get_data(as_text=True)


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else None


def approved(*lines, year=YEAR) -> BudgetEstimate:
    """An approved general-fund estimate with lines given as (code, monthly) pairs."""
    estimate = make_estimate(year=year)
    for code, monthly in lines:
        make_line(estimate, code=code, monthly=D(monthly))
    budget.approve_estimate(estimate, make_user(role=Role.DIRECTOR))
    db.session.commit()
    return estimate


def lines_by_code(estimate) -> dict[str, BudgetLine]:
    return {line.kekv.code: line for line in estimate.lines}


def draft_amendment(estimate, *changes) -> BudgetAmendment:
    """A saved draft amendment with changes given as (line, month, delta)."""
    amendment = BudgetAmendment(
        estimate=estimate,
        number="1",
        dated=date(YEAR, 2, 1),
        reason="Перерозподіл",
        changes=[AmendmentLine(line=line, month=month, delta=D(delta)) for line, month, delta in changes],
    )
    db.session.add(amendment)
    db.session.commit()
    return amendment


def line_form(estimate, code="2210", annual="12000", monthly="1000", **months) -> dict:
    data = {"estimate": str(estimate.id), "kekv": str(kekv(code).id), "annual_amount": annual}
    data.update(dict.fromkeys(MONTH_COLUMNS, monthly))
    data.update(months)
    return data


# --- lines and their plan ------------------------------------------------------------------
def test_the_line_form_refuses_a_plan_that_misses_the_annual_sum_and_keeps_the_input(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    estimate = make_estimate()
    db.session.commit()
    response = post_form(client, "/admin/budget_line/new/", line_form(estimate, annual="12000.01"))
    assert response.status_code == 200
    html = text(response)
    assert "різниця -0.01" in html
    assert field_value(html, "annual_amount") == "12000.01"
    assert db.session.execute(db.select(BudgetLine)).first() is None


def test_the_line_form_saves_a_plan_that_adds_up(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    estimate = make_estimate()
    db.session.commit()
    response = post_form(client, "/admin/budget_line/new/", line_form(estimate, annual="12000.30", m12="1000.30"))
    assert response.status_code == 302, text(response)
    assert db.session.execute(db.select(BudgetLine)).scalar_one().m12 == D("1000.30")


def test_a_line_of_an_approved_estimate_is_not_edited_through_the_form(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    line = approved(("2210", 1000)).lines[0]
    response = post_form(
        client, f"/admin/budget_line/edit/?id={line.id}", line_form(line.estimate, m01="1500", m02="500")
    )
    assert response.status_code == 200
    assert "лише затвердженою довідкою про зміни" in text(response)
    db.session.expire_all()
    assert db.session.get(BudgetLine, line.id).m01 == D("1000")


def test_a_line_of_an_approved_estimate_is_not_deleted_one_by_one_or_in_bulk(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    line = approved(("2210", 1000)).lines[0]
    single = post_form(client, "/admin/budget_line/delete/", {"id": str(line.id)}, follow_redirects=True)
    bulk = post_form(
        client, "/admin/budget_line/action/", {"action": "delete", "rowid": [str(line.id)]}, follow_redirects=True
    )
    assert "його рядки не можна видаляти" in text(single) and "його рядки не можна видаляти" in text(bulk)
    assert db.session.get(BudgetLine, line.id) is not None


# --- approval: only the director --------------------------------------------------------------
@pytest.mark.parametrize(
    "role, status, state",
    [
        (Role.DIRECTOR, 302, DocumentState.APPROVED),
        (Role.ACCOUNTANT, 403, DocumentState.DRAFT),
        (Role.AUDITOR, 403, DocumentState.DRAFT),
    ],
)
def test_only_the_director_approves_an_estimate_through_the_screen(client, auth, role, status, state):
    auth.as_role(role)
    estimate = make_estimate()
    make_line(estimate)
    db.session.commit()
    response = post_form(client, f"/admin/budget_estimate/approve/?id={estimate.id}", {})
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(BudgetEstimate, estimate.id).state == state


@pytest.mark.parametrize("role, shown", [(Role.DIRECTOR, True), (Role.ACCOUNTANT, False)])
def test_the_approve_button_is_offered_to_the_director_only(client, auth, role, shown):
    auth.as_role(role)
    estimate = make_estimate()
    make_line(estimate)
    db.session.commit()
    html = text(client.get(f"/admin/budget_estimate/details/?id={estimate.id}"))
    assert ("approve-form" in html) is shown


def test_approval_is_refused_with_a_message_when_the_staff_fund_exceeds_line_2111(client, auth):
    auth.as_role(Role.DIRECTOR)
    make_position(posts=D("1"), salary=D("10000"))
    estimate = make_estimate()
    make_line(estimate, code="2111", monthly=D("9000"))
    db.session.commit()
    response = post_form(client, f"/admin/budget_estimate/approve/?id={estimate.id}", {}, follow_redirects=True)
    assert "перевищує рядок 2111" in text(response) and "12\u00a0000.00" in text(response)
    db.session.expire_all()
    assert db.session.get(BudgetEstimate, estimate.id).state == DocumentState.DRAFT


def test_the_bulk_approve_action_goes_through_the_same_rules(client, auth):
    auth.as_role(Role.DIRECTOR)
    good, empty = make_estimate(), make_estimate(year=YEAR + 1)
    make_line(good)
    db.session.commit()
    response = post_form(
        client,
        "/admin/budget_estimate/action/",
        {"action": "approve", "rowid": [str(good.id), str(empty.id)]},
        follow_redirects=True,
    )
    assert "немає рядків" in text(response)
    db.session.expire_all()
    assert db.session.get(BudgetEstimate, good.id).state == DocumentState.APPROVED
    assert db.session.get(BudgetEstimate, empty.id).state == DocumentState.DRAFT


def test_the_estimate_details_show_plan_and_spending_with_two_decimals(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    estimate = make_estimate()
    make_line(estimate, code="2240", monthly=D("8000.5"))
    db.session.commit()
    html = text(client.get(f"/admin/budget_estimate/details/?id={estimate.id}"))
    assert "8\u00a0000.50" in html and "96\u00a0006.00" in html


# --- amendments: accountant drafts, director approves -------------------------------------------
def test_the_accountant_drafts_an_amendment_through_the_form_but_cannot_approve_it(client, auth):
    estimate = approved(("2210", 1000), ("2240", 500))
    supplies, services = lines_by_code(estimate)["2210"], lines_by_code(estimate)["2240"]
    auth.as_role(Role.ACCOUNTANT)
    response = post_form(
        client,
        "/admin/budget_amendment/new/",
        {
            "estimate": str(estimate.id),
            "number": "7",
            "dated": f"{YEAR}-04-01",
            "reason": "Перерозподіл",
            "changes-0-line": str(supplies.id),
            "changes-0-month": "6",
            "changes-0-delta": "-300",
            "changes-1-line": str(services.id),
            "changes-1-month": "6",
            "changes-1-delta": "300",
        },
    )
    assert response.status_code == 302, text(response)
    amendment = db.session.execute(db.select(BudgetAmendment)).scalar_one()
    assert amendment.state == DocumentState.DRAFT and len(amendment.changes) == 2
    assert post_form(client, f"/admin/budget_amendment/approve/?id={amendment.id}", {}).status_code == 403
    db.session.expire_all()
    assert db.session.get(BudgetLine, supplies.id).m06 == D("1000")


def test_the_director_approving_an_amendment_applies_it_and_keeps_it(client, auth):
    estimate = approved(("2210", 1000), ("2240", 500))
    supplies, services = lines_by_code(estimate)["2210"], lines_by_code(estimate)["2240"]
    amendment = draft_amendment(estimate, (supplies, 6, "-300"), (services, 6, "300"))
    auth.as_role(Role.DIRECTOR)
    response = post_form(client, f"/admin/budget_amendment/approve/?id={amendment.id}", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(BudgetLine, supplies.id).m06 == D("700")
    assert db.session.get(BudgetLine, services.id).annual_amount == D("6300")
    assert db.session.get(BudgetAmendment, amendment.id).state == DocumentState.APPROVED
    html = text(client.get(f"/admin/budget_estimate/details/?id={estimate.id}"))
    assert f"/admin/budget_amendment/details/?id={amendment.id}" in html


def test_an_approved_amendment_is_not_edited_through_the_form(client, auth):
    estimate = approved(("2210", 1000))
    amendment = draft_amendment(estimate, (estimate.lines[0], 1, "10"))
    budget.approve_amendment(amendment, make_user(role=Role.DIRECTOR))
    db.session.commit()
    auth.as_role(Role.ACCOUNTANT)
    response = post_form(
        client,
        f"/admin/budget_amendment/edit/?id={amendment.id}",
        {"estimate": str(estimate.id), "number": "1", "dated": f"{YEAR}-02-01", "reason": "Інша підстава"},
    )
    assert response.status_code == 200
    assert "змінити її не можна" in text(response)


def test_the_amendment_form_refuses_a_month_below_what_is_spent(client, auth):
    estimate = approved(("2210", 1000))
    line = estimate.lines[0]
    db.session.add(Expenditure(line=line, spent_on=date(YEAR, 1, 20), amount=D("900"), description="Папір"))
    db.session.commit()
    auth.as_role(Role.ACCOUNTANT)
    response = post_form(
        client,
        "/admin/budget_amendment/new/",
        {
            "estimate": str(estimate.id),
            "number": "2",
            "dated": f"{YEAR}-02-01",
            "reason": "Зменшення",
            "changes-0-line": str(line.id),
            "changes-0-month": "1",
            "changes-0-delta": "-100.01",
        },
    )
    assert response.status_code == 200
    assert "менше за вже використані 900.00" in text(response)


# --- expenditures within the plan to date ----------------------------------------------------------
def expenditure_form(line, amount, spent_on) -> dict:
    return {"line": str(line.id), "spent_on": spent_on.isoformat(), "amount": amount, "description": "Картриджі"}


def test_an_expenditure_exactly_at_the_plan_to_date_is_recorded(client, auth):
    user = auth.as_role(Role.ACCOUNTANT)
    line = approved(("2210", 1000)).lines[0]
    response = post_form(client, "/admin/expenditure/new/", expenditure_form(line, "2000.00", date(YEAR, 2, 28)))
    assert response.status_code == 302, text(response)
    assert db.session.execute(db.select(Expenditure)).scalar_one().created_by_id == user.id


def test_an_expenditure_one_kopeck_over_is_refused_with_the_available_amount(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    line = approved(("2210", 1000)).lines[0]
    response = post_form(client, "/admin/expenditure/new/", expenditure_form(line, "2000.01", date(YEAR, 2, 28)))
    assert response.status_code == 200
    html = text(response)
    assert "Відмовлено: видаток перевищує затверджений кошторис" in html and "доступно 2\u00a0000.00" in html
    assert field_value(html, "amount") == "2000.01"
    assert db.session.execute(db.select(Expenditure)).first() is None


def test_the_expenditure_line_picker_offers_only_approved_estimates(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    line = approved(("2210", 1000)).lines[0]
    make_line(make_estimate(year=YEAR + 1), code="2210")
    db.session.commit()
    found = client.get("/admin/expenditure/ajax/lookup/?name=line&query=2210").get_json()
    assert [item[0] for item in found] == [line.id]


# --- the staff list against line 2111 ----------------------------------------------------------
def test_the_staff_position_form_refuses_a_fund_beyond_line_2111(client, auth):
    auth.as_role(Role.DIRECTOR)
    approved(("2111", 10000))
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
    assert "перевищує рядок 2111" in text(response)
    assert field_value(text(response), "posts") == "1.5"
    db.session.expire_all()
    assert db.session.get(StaffPosition, position.id).posts == D("1")
