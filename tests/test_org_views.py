"""Organisation screens: the staff rules hold through the admin forms, inline edits and deletes."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Employee, Executor, Order, StaffPosition, StructuralUnit
from portal.models.enums import ExecutorKind, OrderType, Role
from portal.services import staff
from tests.conftest import post_form
from tests.factories import make_order, make_position, make_topic, make_unit

D = Decimal


@pytest.fixture
def director(auth):
    return auth.as_role(Role.DIRECTOR)


def text(response) -> str:
    return response.get_data(as_text=True)


def field_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html) or re.search(
        rf'<input[^>]*value="([^"]*)"[^>]*name="{name}"', html
    )
    return match.group(1) if match else None


def appointed(position, **kw):
    employee = staff.appoint(
        Employee(full_name=kw.pop("full_name", "Коваль Олена")),
        position,
        make_order(order_type=OrderType.APPOINTMENT),
        **kw,
    )
    db.session.commit()
    return employee


# --- employees: appointment and dismissal only by an order -----------------------------------
def test_the_form_refuses_an_appointment_without_an_order_and_keeps_the_input(client, director):
    position = make_position()
    db.session.commit()
    response = post_form(
        client,
        "/admin/employee/new/",
        {
            "full_name": "Мельник Тарас Іванович",
            "position": str(position.id),
            "rate": "1",
        },
    )
    assert response.status_code == 200
    assert "лише за новим наказом директора" in text(response)
    assert field_value(text(response), "full_name") == "Мельник Тарас Іванович"
    assert db.session.execute(db.select(Employee)).first() is None


def test_the_form_appoints_by_an_appointment_order(client, director):
    position = make_position()
    order = make_order(order_type=OrderType.APPOINTMENT, issued_on=date(2026, 3, 2))
    db.session.commit()
    response = post_form(
        client,
        "/admin/employee/new/",
        {
            "full_name": "Мельник Тарас",
            "position": str(position.id),
            "rate": "1",
            "appointment_order": str(order.id),
        },
    )
    assert response.status_code == 302, text(response)
    employee = db.session.execute(db.select(Employee)).scalar_one()
    assert employee.position_id == position.id and employee.hired_on == date(2026, 3, 2)
    assert db.session.get(Order, order.id).employee_id == employee.id


def test_the_form_refuses_to_overfill_a_position_and_names_the_free_posts(client, director):
    position = make_position(posts=D("1.5"))
    appointed(position)
    order = make_order(order_type=OrderType.APPOINTMENT)
    db.session.commit()
    response = post_form(
        client,
        "/admin/employee/new/",
        {
            "full_name": "Мельник Тарас",
            "position": str(position.id),
            "rate": "0.75",
            "appointment_order": str(order.id),
        },
    )
    assert response.status_code == 200
    assert "вільно 0.50" in text(response)
    assert field_value(text(response), "rate") == "0.75"


def test_the_edit_form_refuses_a_dismissal_date_without_an_order(client, director):
    employee = appointed(make_position())
    response = post_form(
        client,
        f"/admin/employee/edit/?id={employee.id}",
        {
            "full_name": employee.full_name,
            "position": str(employee.position_id),
            "rate": "1",
            "appointment_order": str(employee.appointment_order_id),
            "hired_on": employee.hired_on.isoformat(),
            "dismissed_on": "2030-05-04",
        },
    )
    assert response.status_code == 200
    assert "Звільнення — лише за наказом директора" in text(response)
    db.session.expire_all()
    assert db.session.get(Employee, employee.id).dismissed_on is None


def test_the_edit_form_dismisses_by_a_dismissal_order_on_its_date(client, director):
    employee = appointed(make_position())
    order = make_order(order_type=OrderType.DISMISSAL, issued_on=date(2030, 5, 4))
    db.session.commit()
    response = post_form(
        client,
        f"/admin/employee/edit/?id={employee.id}",
        {
            "full_name": employee.full_name,
            "position": str(employee.position_id),
            "rate": "1",
            "appointment_order": str(employee.appointment_order_id),
            "hired_on": employee.hired_on.isoformat(),
            "dismissal_order": str(order.id),
        },
    )
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    assert db.session.get(Employee, employee.id).dismissed_on == date(2030, 5, 4)


def test_employees_have_no_inline_edit_to_move_them_around(client, director):
    employee = appointed(make_position())
    other = make_position()
    db.session.commit()
    response = post_form(
        client, "/admin/employee/ajax/update/", {"list_form_pk": str(employee.id), "position": str(other.id)}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Employee, employee.id).position_id != other.id


def test_an_appointed_employee_is_not_deleted_through_the_list(client, director):
    employee = appointed(make_position())
    response = post_form(client, "/admin/employee/delete/", {"id": str(employee.id)}, follow_redirects=True)
    assert "зберігається як історія" in text(response)
    assert db.session.get(Employee, employee.id) is not None


def test_the_position_picker_shows_free_posts(client, director):
    position = make_position(title="Бухгалтер", posts=D("2"))
    appointed(position, rate=D("0.5"))
    response = client.get("/admin/employee/ajax/lookup/?name=position&query=Бухгалтер")
    assert response.get_json() == [[position.id, f"{position} — вільно 1.50 з 2.00"]]


# --- staff list -------------------------------------------------------------------------------
def test_the_staff_list_shows_funds_vacancies_and_unit_totals(client, director):
    unit = make_unit(name="Відділ звернень")
    position = make_position(
        unit=unit,
        title="Головний спеціаліст",
        posts=D("2.5"),
        salary=D("10000"),
        allowances=D("1000"),
        supplements=D("500.50"),
    )
    appointed(position)
    html = text(client.get("/admin/staff_position/"))
    assert "28\u00a0751.25" in html  # 2.5 × 11 500.50 a month
    assert "345\u00a0015.00" in html  # × 12
    assert re.search(r"Відділ звернень</td>\s*<td[^>]*>2.50</td>\s*<td[^>]*>1.00</td>\s*<td[^>]*>1.50</td>", html)


def test_the_vacancy_filter_lists_only_positions_with_free_posts(client, director):
    vacant = make_position(title="Вакантна посада", posts=D("2"))
    full = make_position(title="Заповнена посада", posts=D("1"))
    appointed(vacant)
    appointed(full)
    view = next(
        v for v in client.application.extensions["admin"][0].registry.values() if v.endpoint == "staff_position"
    )
    with client.application.test_request_context():
        url = view.vacancy_url()
    html = text(client.get(url))
    assert "Вакантна посада" in html and "Заповнена посада" not in html


def test_inline_edit_cannot_cut_posts_below_the_occupied_ones(client, director):
    position = make_position(posts=D("2"))
    appointed(position)
    appointed(position, full_name="Шевчук Іван", rate=D("0.5"))
    response = post_form(client, "/admin/staff_position/ajax/update/", {"list_form_pk": str(position.id), "posts": "1"})
    assert response.status_code == 400
    assert "1.50" in text(response)
    db.session.expire_all()
    assert db.session.get(StaffPosition, position.id).posts == D("2")


def test_a_position_people_held_is_not_bulk_deleted(client, director):
    held, empty = make_position(), make_position()
    appointed(held)
    response = post_form(
        client,
        "/admin/staff_position/action/",
        {"action": "delete", "rowid": [str(held.id), str(empty.id)]},
        follow_redirects=True,
    )
    assert "встановіть кількість штатних одиниць 0" in text(response)
    assert db.session.get(StaffPosition, held.id) is not None
    assert db.session.get(StaffPosition, empty.id) is None


# --- structural units and orders ------------------------------------------------------------
def test_the_unit_form_refuses_a_cycle_in_the_tree(client, director):
    root = make_unit(code="01", name="Центр")
    child = make_unit(code="01.1", name="Відділ", parent=root)
    db.session.commit()
    response = post_form(
        client,
        f"/admin/structural_unit/edit/?id={root.id}",
        {"code": "01", "name": "Центр (нова назва)", "parent": str(child.id)},
    )
    assert response.status_code == 200
    assert "власному підпорядкованому підрозділу" in text(response)
    assert field_value(text(response), "name") == "Центр (нова назва)"
    db.session.expire_all()
    assert db.session.get(StructuralUnit, root.id).parent_id is None


def test_the_unit_form_takes_a_regulation_only_with_a_regulation_order(client, director):
    unit = make_unit(code="02", name="Сектор")
    order = make_order(order_type=OrderType.REGULATION)
    db.session.commit()
    data = {"code": "02", "name": "Сектор", "regulation": "Положення про сектор"}
    refused = post_form(client, f"/admin/structural_unit/edit/?id={unit.id}", data)
    assert "Положення про підрозділ набирає чинності лише наказом" in text(refused)
    accepted = post_form(
        client, f"/admin/structural_unit/edit/?id={unit.id}", {**data, "regulation_order": str(order.id)}
    )
    assert accepted.status_code == 302
    db.session.expire_all()
    assert db.session.get(StructuralUnit, unit.id).regulation_order_id == order.id


def test_the_unit_details_show_its_staff_list_with_totals(client, director):
    unit = make_unit()
    make_position(unit=unit, title="Спеціаліст", posts=D("1.5"), salary=D("8000"))
    db.session.commit()
    html = text(client.get(f"/admin/structural_unit/details/?id={unit.id}"))
    assert "Спеціаліст" in html and "144\u00a0000.00" in html


def test_a_used_order_is_not_deleted(client, director):
    employee = appointed(make_position())
    order_id = employee.appointment_order_id
    response = post_form(client, "/admin/order/delete/", {"id": str(order_id)}, follow_redirects=True)
    assert "його не можна видалити" in text(response)
    assert db.session.get(Order, order_id) is not None


def test_the_order_form_stores_the_type_from_its_ukrainian_list(client, director):
    assert '<option value="dismissal">Звільнення</option>' in text(client.get("/admin/order/new/"))
    response = post_form(
        client,
        "/admin/order/new/",
        {"number": "15-к", "issued_on": "2026-04-01", "order_type": "dismissal", "title": "Про звільнення"},
    )
    assert response.status_code == 302, text(response)
    assert db.session.execute(db.select(Order)).scalar_one().order_type == OrderType.DISMISSAL


# --- executors --------------------------------------------------------------------------------
def test_the_executor_form_saves_contacts_and_topics(client, director):
    topic = make_topic(name="Благоустрій")
    db.session.commit()
    response = post_form(
        client,
        "/admin/executor/new/",
        {
            "name": "Департамент благоустрою",
            "kind": "external",
            "is_active": "y",
            "topics": str(topic.id),
            "contacts-0-full_name": "Ткаченко Ганна",
            "contacts-0-phone": "+380501112233",
        },
    )
    assert response.status_code == 302, text(response)
    executor = db.session.execute(db.select(Executor)).scalar_one()
    assert [c.full_name for c in executor.contacts] == ["Ткаченко Ганна"]
    assert executor.topics == [topic]


def test_the_executor_form_refuses_an_internal_executor_without_a_unit(client, director):
    response = post_form(client, "/admin/executor/new/", {"name": "Відділ контролю", "kind": "internal"})
    assert response.status_code == 200
    assert "оберіть підрозділ" in text(response)
    assert field_value(text(response), "name") == "Відділ контролю"


def test_the_employee_list_links_to_the_vacancies(client, director):
    make_position(posts=D("1"))
    db.session.commit()
    html = text(client.get("/admin/employee/"))
    assert re.search(r'class="badge[^"]*vacancy-count">1<', html)


def test_an_internal_executor_names_its_unit(client, director):
    unit = make_unit()
    db.session.commit()
    response = post_form(
        client,
        "/admin/executor/new/",
        {"name": "Відділ контролю", "kind": ExecutorKind.INTERNAL.value, "unit": str(unit.id)},
    )
    assert response.status_code == 302, text(response)
    assert db.session.execute(db.select(Executor)).scalar_one().unit_id == unit.id
