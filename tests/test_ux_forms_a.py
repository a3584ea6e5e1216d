"""Forms that think for the user (issue 12, item 5): the outgoing number from the journal, the order that
appoints when signed, records that cannot change offer no edit form, closing warns of silent co-executors."""

from __future__ import annotations

import re
import threading
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from portal import database
from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models import Appeal, Employee, Order
from portal.models.appeals import Attachment, OutgoingCounter
from portal.models.base import utcnow
from portal.models.enums import AppealStatus, AttachmentKind, OrderType, Role
from portal.services import outgoing, registration, staff, workflow
from portal.services.errors import DomainError
from tests.conftest import post_form
from tests.factories import (
    make_appeal,
    make_assignment,
    make_employee,
    make_estimate,
    make_executor,
    make_line,
    make_order,
    make_position,
    make_user,
)

S = AppealStatus
D = Decimal


def _signed_with_scan(**kw) -> Appeal:
    appeal = make_appeal(status=S.SIGNED, **kw)
    db.session.add(
        Attachment(appeal=appeal, kind=AttachmentKind.SCAN, filename="scan.pdf", storage_key=f"t/{appeal.id}", size=3)
    )
    db.session.flush()
    db.session.refresh(appeal)
    return appeal


def _text(response) -> str:
    return response.get_data(as_text=True)


# --- the outgoing number: from the journal, not typed ----------------------------------------------------
def test_dispatch_takes_the_next_numbers_of_the_years_journal(app):
    with app.test_request_context():
        clerk = make_user(Role.CLERK)
        first, second = _signed_with_scan(), _signed_with_scan()
        year = kyiv_today().year % 100
        workflow.dispatch(clerk, first)
        workflow.dispatch(clerk, second)
    assert first.outgoing_number == f"ВИХ-000001/{year:02d}"
    assert second.outgoing_number == f"ВИХ-000002/{year:02d}"
    assert all(a.outgoing_number == first.outgoing_number for a in first.answers)


def test_a_number_already_on_an_appeal_is_skipped_and_a_typed_duplicate_refused(app):
    year = kyiv_today().year
    make_appeal(status=S.SENT, outgoing_number=outgoing.format_number(1, year))  # entered before the journal
    with app.test_request_context():
        clerk = make_user(Role.CLERK)
        appeal = _signed_with_scan()
        assert outgoing.proposed_number() == outgoing.format_number(2, year)
        other = _signed_with_scan()
        with pytest.raises(DomainError, match="уже використано|already used"):
            workflow.dispatch(clerk, other, outgoing_number=outgoing.format_number(1, year))
        workflow.dispatch(clerk, appeal)
    assert appeal.outgoing_number == outgoing.format_number(2, year)


def test_the_dispatch_form_shows_the_proposed_number_read_only_and_ignores_a_typed_one(client, auth):
    auth.as_role(Role.CLERK)
    appeal = _signed_with_scan()
    db.session.commit()
    html = _text(client.get(f"/admin/appeal/details/?id={appeal.id}"))
    form = re.search(r'id="action-dispatch">(.*?)</form>', html, re.S).group(1)
    proposed = outgoing.proposed_number()
    field = re.search(r'<input[^>]*name="outgoing_number"[^>]*>', form).group(0)
    assert "readonly" in field and f'value="{proposed}"' in field
    response = post_form(
        client, "/admin/appeal/transition/", {"id": appeal.id, "action": "dispatch", "outgoing_number": "ручний-1"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).outgoing_number == proposed


@pytest.mark.committed
def test_the_outgoing_counter_takes_distinct_numbers_from_parallel_transactions(app):
    numbers, start = [], threading.Barrier(4)

    def take():
        with app.app_context():
            start.wait()
            numbers.append(database.retrying(_take_and_commit, session=db.session))
            db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [1, 2, 3, 4]


def _take_and_commit() -> int:
    number = registration.take_number(OutgoingCounter, 2031)
    db.session.commit()
    return number


# --- the order names the employee and the post; signing it appoints -------------------------------------
@pytest.fixture
def director(auth):
    return auth.as_role(Role.DIRECTOR)


def test_signing_an_appointment_order_appoints_the_employee_it_names(client, director):
    position = make_position(posts=D("1"))
    employee = make_employee()
    db.session.commit()
    response = post_form(
        client,
        "/admin/order/new/",
        {
            "number": "21-к",
            "issued_on": "2026-03-02",
            "order_type": "appointment",
            "title": "Про призначення",
            "employee": str(employee.id),
            "position": str(position.id),
            "rate": "0.5",
        },
    )
    assert response.status_code == 302, _text(response)
    order = db.session.execute(sa.select(Order).where(Order.number == "21-к")).scalar_one()
    assert db.session.get(Employee, employee.id).position_id is None  # a draft order changes nobody
    details = _text(client.get(f"/admin/order/details/?id={order.id}"))
    assert 'id="order-sign"' in details and "data-confirm" in details
    signed = post_form(client, f"/admin/order/sign/?id={order.id}", {}, follow_redirects=True)
    assert "підписано, він набрав чинності" in _text(signed)
    db.session.expire_all()
    employee = db.session.get(Employee, employee.id)
    assert (employee.position_id, employee.rate, employee.appointment_order_id) == (position.id, D("0.50"), order.id)
    assert employee.hired_on == date(2026, 3, 2)
    assert db.session.get(Order, order.id).signed_at is not None


def test_signing_is_refused_with_a_clear_message_when_the_post_has_no_free_rate(client, director):
    position = make_position(posts=D("1"))
    staff.appoint(Employee(full_name="Коваль Олена"), position, make_order(order_type=OrderType.APPOINTMENT))
    newcomer = make_employee()
    order = make_order(order_type=OrderType.APPOINTMENT, employee=newcomer, position=position, rate=D("1"))
    db.session.commit()
    page = _text(post_form(client, f"/admin/order/sign/?id={order.id}", {}, follow_redirects=True))
    assert "немає вільної ставки" in page and "вільно 0.00 з 1.00" in page
    db.session.expire_all()
    assert db.session.get(Employee, newcomer.id).position_id is None
    assert db.session.get(Order, order.id).signed_at is None


def test_signing_a_dismissal_order_dismisses_on_its_date(app):
    position = make_position(posts=D("1"))
    employee = staff.appoint(
        Employee(full_name="Коваль Олена"),
        position,
        make_order(order_type=OrderType.APPOINTMENT, issued_on=date(2026, 1, 5)),
    )
    order = make_order(order_type=OrderType.DISMISSAL, employee=employee, issued_on=date(2026, 5, 4))
    with app.test_request_context():
        staff.sign_order(order, make_user(Role.DIRECTOR))
    db.session.flush()
    assert employee.dismissed_on == date(2026, 5, 4) and employee.dismissal_order is order
    assert staff.free_posts(position) == D("1")


def test_an_appointment_order_without_the_employee_or_post_is_not_signed(app):
    order = make_order(order_type=OrderType.APPOINTMENT)
    with app.test_request_context(), pytest.raises(DomainError, match="працівника і посаду|employee and the staff"):
        staff.sign_order(order, make_user(Role.DIRECTOR))


def test_a_signed_order_offers_no_edit_and_its_edit_url_refuses_in_ukrainian(client, director):
    order = make_order(order_type=OrderType.GENERAL)
    draft = make_order(order_type=OrderType.GENERAL)
    order.signed_at = utcnow()
    db.session.commit()
    listing = _text(client.get("/admin/order/"))
    assert f"/admin/order/edit/?id={draft.id}" in listing and f"/admin/order/edit/?id={order.id}" not in listing
    assert f"/admin/order/edit/?id={order.id}" not in _text(client.get(f"/admin/order/details/?id={order.id}"))
    response = client.get(f"/admin/order/edit/?id={order.id}")
    assert response.status_code == 302 and "/admin/order/details/" in response.headers["Location"]
    page = _text(client.get(response.headers["Location"]))
    assert "підписаний наказ остаточний, редагувати його не можна" in page
    post_form(client, f"/admin/order/edit/?id={order.id}", {"number": "змінено", "issued_on": "2026-01-01",
                                                            "order_type": "general", "title": "x"})  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Order, order.id).number != "змінено"


# --- other records that cannot change ---------------------------------------------------------------------
def test_an_approved_estimates_line_and_a_closed_appeal_show_no_edit_icon(client, auth):
    from portal.models.enums import DocumentState

    line = make_line(estimate=make_estimate(year=2030))
    line.estimate.state = DocumentState.APPROVED
    draft_line = make_line(estimate=make_estimate(year=2031))
    closed = make_appeal(status=S.CLOSED, sent_at=utcnow(), closed_at=utcnow(), summary="Закрите")
    open_one = make_appeal(status=S.REGISTERED, summary="Відкрите")
    db.session.commit()
    auth.as_role(Role.DIRECTOR)
    lines = _text(client.get("/admin/budget_line/"))
    assert f"budget_line/edit/?id={draft_line.id}" in lines and f"budget_line/edit/?id={line.id}" not in lines
    appeals = _text(client.get("/admin/appeal/?page_size=100"))
    assert f"appeal/edit/?id={open_one.id}" in appeals and f"appeal/edit/?id={closed.id}" not in appeals
    response = client.get(f"/admin/budget_line/edit/?id={line.id}", follow_redirects=True)
    assert "затверджено: його рядки змінюються лише затвердженою довідкою про зміни" in _text(response)
    assert 'name="m01"' not in _text(response)  # a refusal, not a form


# --- closing warns when a co-executor never reported ----------------------------------------------------
def test_closing_warns_of_co_executors_who_never_reported(client, auth, app):
    main, silent, reported = make_executor(), make_executor(short_name="Водоканал"), make_executor(short_name="ЖЕК-3")
    with app.test_request_context():
        appeal = make_appeal(status=S.ON_RESOLUTION)
        workflow.resolve(
            make_user(Role.DIRECTOR), appeal, text="Розглянути", executors=[main.id, silent.id, reported.id]
        )
    db.session.flush()
    for a in appeal.assignments:
        if a.executor is reported:
            a.answered_at = utcnow()
    appeal.status = S.SENT
    appeal.sent_at = utcnow()
    quiet = make_appeal(status=S.SENT, sent_at=utcnow())
    make_assignment(quiet, main)
    db.session.commit()
    auth.as_role(Role.CLERK)
    html = _text(client.get(f"/admin/appeal/details/?id={appeal.id}"))
    form = re.search(r'id="action-close">(.*?)</form>', html, re.S).group(1)
    assert "Ці співвиконавці так і не прозвітували: Водоканал." in form
    assert re.search(r'data-confirm="Ці співвиконавці так і не прозвітували: Водоканал\.', form)
    plain = re.search(
        r'id="action-close">(.*?)</form>', _text(client.get(f"/admin/appeal/details/?id={quiet.id}")), re.S
    )
    assert "прозвітували" not in plain.group(1)
