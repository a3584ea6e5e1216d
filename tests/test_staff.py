"""Organisation rules (portal.services.staff) as specifications: orders, posts, the unit tree, executors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Employee, Executor, StaffPosition
from portal.models.enums import ExecutorKind, OrderType
from portal.services import staff
from portal.services.errors import DomainError
from tests.factories import make_employee, make_order, make_position, make_unit

D = Decimal


@pytest.fixture(autouse=True)
def _request(app):
    """Messages are translated lazily, in the language of a request."""
    with app.test_request_context("/"):
        yield


def appointment(**kw):
    return make_order(order_type=OrderType.APPOINTMENT, **kw)


def dismissal(**kw):
    return make_order(order_type=OrderType.DISMISSAL, **kw)


def appointed(position, rate="1", **kw):
    employee = staff.appoint(Employee(full_name="Коваль Олена", **kw), position, appointment(), rate=D(rate))
    db.session.commit()
    return employee


# --- appointment only by an order, never beyond the posts ---------------------------------
def test_appointment_without_an_order_is_refused(app):
    employee = Employee(full_name="Коваль Олена", position=make_position(), rate=D("1"))
    db.session.add(employee)
    with pytest.raises(DomainError, match="наказ|order"):
        staff.validate_employee(employee)


def test_appointment_by_an_appointment_order_links_the_order_and_dates_the_hire(app):
    position, order = make_position(), appointment(issued_on=date(2026, 2, 2))
    employee = staff.appoint(Employee(full_name="Коваль Олена"), position, order)
    db.session.commit()
    assert employee.position is position and employee.appointment_order is order
    assert employee.hired_on == date(2026, 2, 2)
    assert order.employee is employee and order.position is position


@pytest.mark.parametrize(
    "order_type", [OrderType.DISMISSAL, OrderType.GENERAL, OrderType.REGULATION, OrderType.TRANSFER]
)
def test_a_first_appointment_needs_an_order_of_type_appointment(app, order_type):
    with pytest.raises(DomainError):
        staff.appoint(Employee(full_name="Коваль Олена"), make_position(), make_order(order_type=order_type))


def test_an_order_about_another_employee_cannot_be_reused(app):
    position = make_position(posts=D("2"))
    first = appointed(position)
    with pytest.raises(DomainError, match=first.full_name):
        staff.appoint(Employee(full_name="Шевчук Іван"), position, first.appointment_order)


def test_a_position_is_not_filled_beyond_its_posts(app):
    position = make_position(posts=D("1.5"))
    appointed(position, rate="1")
    with pytest.raises(DomainError, match="0.50"):
        staff.appoint(Employee(full_name="Шевчук Іван"), position, appointment(), rate=D("0.75"))


def test_a_fraction_of_a_post_fills_exactly_what_is_free(app):
    position = make_position(posts=D("1.5"))
    appointed(position, rate="1")
    staff.appoint(Employee(full_name="Шевчук Іван"), position, appointment(), rate=D("0.5"))
    db.session.commit()
    assert staff.free_posts(position) == D("0")


def test_a_rate_is_a_share_of_one_post(app):
    with pytest.raises(DomainError):
        staff.appoint(Employee(full_name="Шевчук Іван"), make_position(posts=D("3")), appointment(), rate=D("1.5"))


def test_a_transfer_needs_a_new_order(app):
    employee = appointed(make_position())
    employee.position = make_position()
    with pytest.raises(DomainError):
        staff.validate_employee(employee)


@pytest.mark.parametrize("order_type", [OrderType.TRANSFER, OrderType.APPOINTMENT])
def test_a_transfer_by_a_transfer_or_appointment_order_moves_the_employee(app, order_type):
    old_position, new_position = make_position(), make_position()
    employee = appointed(old_position)
    staff.appoint(employee, new_position, make_order(order_type=order_type))
    db.session.commit()
    assert staff.free_posts(old_position) == D("1") and staff.free_posts(new_position) == D("0")


def test_changing_the_rate_needs_a_new_order(app):
    employee = appointed(make_position())
    employee.rate = D("0.5")
    with pytest.raises(DomainError):
        staff.validate_employee(employee)


def test_an_employee_does_not_leave_a_position_without_a_dismissal(app):
    employee = appointed(make_position())
    employee.position = None
    with pytest.raises(DomainError):
        staff.validate_employee(employee)


# --- dismissal only by an order ---------------------------------------------------------
def test_dismissal_without_an_order_is_refused(app):
    employee = appointed(make_position())
    employee.dismissed_on = date(2026, 5, 1)
    with pytest.raises(DomainError, match="наказ|order"):
        staff.validate_employee(employee)


def test_dismissal_by_an_appointment_order_is_refused(app):
    employee = appointed(make_position())
    with pytest.raises(DomainError):
        staff.dismiss(employee, appointment())


def test_dismissal_by_order_sets_the_date_and_frees_the_post(app):
    position = make_position()
    employee = appointed(position)
    order = dismissal(issued_on=date(2030, 6, 30))
    staff.dismiss(employee, order)
    db.session.commit()
    assert employee.dismissed_on == date(2030, 6, 30) and employee.dismissal_order is order
    assert not employee.is_active and staff.free_posts(position) == D("1")


def test_a_dismissal_order_chosen_in_the_form_dates_the_dismissal(app):
    employee = appointed(make_position())
    employee.dismissal_order = dismissal(issued_on=date(2030, 1, 15))
    staff.validate_employee(employee)
    assert employee.dismissed_on == date(2030, 1, 15)


def test_a_dismissed_employee_returns_only_by_a_new_appointment_order(app):
    position = make_position()
    employee = appointed(position)
    staff.dismiss(employee, dismissal(issued_on=date(2030, 1, 15)))
    db.session.commit()
    employee.dismissed_on = None
    with pytest.raises(DomainError):
        staff.validate_employee(employee)
    db.session.rollback()
    staff.appoint(employee, position, appointment(issued_on=date(2031, 1, 10)))
    db.session.commit()
    assert employee.is_active and employee.dismissal_order is None and employee.hired_on == date(2031, 1, 10)


# --- positions and vacancies ------------------------------------------------------------------
def test_free_posts_are_posts_minus_the_rates_of_active_employees(app):
    position = make_position(posts=D("2.5"))
    appointed(position, rate="1")
    appointed(position, rate="0.5")
    assert staff.free_posts(position) == D("1.0")
    vacant = db.session.execute(db.select(StaffPosition.id).where(staff.vacancy_clause())).scalars().all()
    assert vacant == [position.id]


def test_a_fully_occupied_position_is_not_a_vacancy(app):
    position = make_position(posts=D("1"))
    appointed(position)
    assert db.session.execute(db.select(StaffPosition.id).where(staff.vacancy_clause())).scalars().all() == []


def test_posts_cannot_go_below_the_occupied_rates(app):
    position = make_position(posts=D("2"))
    appointed(position, rate="1")
    appointed(position, rate="0.5")
    position.posts = D("1.49")
    with pytest.raises(DomainError, match="1.50"):
        staff.validate_position(position)


def test_the_pay_fund_is_computed_from_posts_and_all_pay_components(app):
    make_position(posts=D("1.5"), salary=D("10000"), allowances=D("2000.50"), supplements=D("999.50"))
    make_position(posts=D("0.25"), salary=D("8000"))
    # 1.5 × 13 000 × 12 + 0.25 × 8 000 × 12
    assert staff.staff_annual_fund() == D("258000.00")


def test_unit_totals_add_up_posts_vacancies_and_funds(app):
    unit = make_unit()
    make_position(unit=unit, posts=D("2"), salary=D("10000"))
    appointed(make_position(unit=unit, posts=D("0.5"), salary=D("6000")), rate="0.5")
    totals = staff.unit_totals([unit.id])
    assert totals["total"]["posts"] == D("2.5") and totals["total"]["free"] == D("2")
    assert totals["total"]["monthly"] == D("23000") and totals["total"]["annual"] == D("276000")


def test_a_position_people_were_appointed_to_is_not_deleted(app):
    position = make_position()
    appointed(position)
    with pytest.raises(DomainError):
        staff.check_position_deletable(position)


def test_an_appointed_employee_is_not_deleted(app):
    with pytest.raises(DomainError):
        staff.check_employee_deletable(appointed(make_position()))


# --- the unit tree and regulations ---------------------------------------------------------
def test_a_unit_cannot_be_its_own_parent(app):
    unit = make_unit()
    unit.parent = unit
    with pytest.raises(DomainError):
        staff.validate_unit(unit)


def test_a_unit_cannot_be_placed_under_its_own_subunit(app):
    root = make_unit()
    child = make_unit(parent=root)
    grandchild = make_unit(parent=child)
    db.session.commit()
    root.parent = grandchild
    with pytest.raises(DomainError):
        staff.validate_unit(root)


def test_the_path_shows_the_place_in_the_tree(app):
    root = make_unit(name="Центр")
    child = make_unit(name="Відділ", parent=root)
    assert staff.unit_path(make_unit(name="Сектор", parent=child)) == "Центр / Відділ / Сектор"


def test_a_regulation_without_an_order_is_refused(app):
    unit = make_unit()
    db.session.commit()
    unit.regulation = "Положення про відділ"
    with pytest.raises(DomainError):
        staff.validate_unit(unit)


@pytest.mark.parametrize(
    "order_type, accepted", [(OrderType.REGULATION, True), (OrderType.GENERAL, False), (OrderType.APPOINTMENT, False)]
)
def test_a_regulation_is_approved_by_an_order_of_type_regulation(app, order_type, accepted):
    unit, order = make_unit(), make_order(order_type=order_type)
    if accepted:
        staff.approve_regulation(unit, order, "Положення про відділ")
        assert unit.regulation_order is order
    else:
        with pytest.raises(DomainError):
            staff.approve_regulation(unit, order, "Положення про відділ")


def test_a_changed_regulation_needs_a_new_order(app):
    unit = make_unit()
    staff.approve_regulation(unit, make_order(order_type=OrderType.REGULATION), "Положення, ред. 1")
    db.session.commit()
    unit.regulation = "Положення, ред. 2"
    with pytest.raises(DomainError):
        staff.validate_unit(unit)


def test_a_dismissed_employee_cannot_head_a_unit(app):
    employee = appointed(make_position())
    staff.dismiss(employee, dismissal())
    db.session.commit()
    unit = make_unit()
    unit.head = employee
    with pytest.raises(DomainError):
        staff.validate_unit(unit)


# --- orders and executors --------------------------------------------------------------------
def test_a_used_order_keeps_its_type_and_is_not_deleted(app):
    employee = appointed(make_position())
    order = employee.appointment_order
    with pytest.raises(DomainError):
        staff.check_order_deletable(order)
    order.order_type = OrderType.GENERAL
    with pytest.raises(DomainError):
        staff.validate_order(order)


def test_an_unused_order_may_be_corrected(app):
    order = make_order()
    db.session.commit()
    order.order_type = OrderType.APPOINTMENT
    staff.validate_order(order)
    staff.check_order_deletable(order)


@pytest.mark.parametrize(
    "kind, with_unit, valid",
    [
        (ExecutorKind.INTERNAL, True, True),
        (ExecutorKind.INTERNAL, False, False),
        (ExecutorKind.EXTERNAL, False, True),
        (ExecutorKind.EXTERNAL, True, False),
    ],
)
def test_an_internal_executor_is_a_unit_and_an_external_body_is_not(app, kind, with_unit, valid):
    executor = Executor(name="Департамент ЖКГ", kind=kind, unit=make_unit() if with_unit else None)
    if valid:
        staff.validate_executor(executor)
    else:
        with pytest.raises(DomainError):
            staff.validate_executor(executor)


def test_a_new_employee_without_a_position_needs_no_order(app):
    employee = make_employee()
    staff.validate_employee(employee)
