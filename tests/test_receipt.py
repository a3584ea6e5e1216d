"""Receipt data on the appeal: the moment of receipt starts the term; shown, searched and exported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import Appeal
from portal.models.base import utcnow
from portal.models.enums import AppealType, Channel, Role
from portal.services import registration
from portal.services.errors import DomainError
from tests.conftest import post_form
from tests.factories import make_appeal, make_applicant


def _register(**kw):
    appeal = Appeal(channel=Channel.GOVERNMENT, appeal_type=AppealType.STATEMENT, summary="Опалення",
                    applicant=make_applicant(), **kw.pop("fields", {}))  # fmt: skip
    return registration.register_appeal(appeal, **kw).appeal


def test_the_due_date_counts_from_receipt_not_from_registration(app):
    received = datetime(2026, 11, 27, 21, 59, tzinfo=UTC)  # 23:59 in Kyiv on the 27th
    appeal = _register(received_at=received, registered_at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    assert appeal.received_at == received and appeal.due_date == date(2026, 12, 27)
    assert appeal.registered_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_without_a_receipt_moment_the_appeal_was_received_when_registered(app):
    appeal = _register()
    assert appeal.received_at == appeal.registered_at


def test_the_column_default_copies_the_registration_moment(app):
    appeal = make_appeal(registered_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).received_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_a_receipt_in_the_future_is_refused(app):
    with app.test_request_context(), pytest.raises(DomainError, match="не може бути в майбутньому"):
        _register(received_at=utcnow() + timedelta(hours=2))


def test_a_receipt_before_the_ukc_date_is_refused(app):
    with app.test_request_context(), pytest.raises(DomainError, match=r"раніше за дату УКЦ \(1545\) \(28.11.2026\)"):
        _register(received_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC), fields={"ukc_date": date(2026, 11, 28)})


def _form(**over):
    data = {
        "channel": "government",
        "ukc_number": "2611-000777",
        "ukc_date": "2026-11-27",
        "regional_number": "777/01-26",
        "regional_date": "2026-11-27",
        "sender_email": "okc@example.gov.ua",
        "received_at": "2026-11-27T16:41",
        "appeal_type": "statement",
        "subject": "individual",
        "sign": "primary",
        "summary": "Немає гарячої води",
        "content": "Текст",
        "signed_by_applicant": "y",
        "needs_study": "y",
        "new_applicant_name": "Мельник Андрій Васильович",
        "new_applicant_address": "м. Дніпро, вул. Січеславська, 5",
        "new_applicant_phone": "067 765 43 21",
        "new_applicant_sex": "male",
    }
    data.update(over)
    return data


def test_the_registration_form_takes_the_receipt_data(client, auth):
    auth.as_role(Role.CLERK)
    form_page = client.get("/admin/appeal/new/").get_data(as_text=True)
    assert 'name="received_at"' in form_page
    response = post_form(client, "/admin/appeal/new/", _form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    appeal = db.session.execute(sa.select(Appeal)).scalar_one()
    assert appeal.received_at == datetime(2026, 11, 27, 14, 41, tzinfo=UTC)  # typed in Kyiv time
    assert (appeal.ukc_date, appeal.regional_date) == (date(2026, 11, 27), date(2026, 11, 27))
    assert appeal.sender_email == "okc@example.gov.ua"
    assert appeal.due_date == date(2026, 12, 27)
    card = client.get(f"/admin/appeal/details/?id={appeal.id}").get_data(as_text=True)
    assert "27.11.2026 16:41" in card and "2611-000777 від 27.11.2026" in card


def test_the_list_shows_receipt_search_finds_the_numbers_and_the_export_carries_them(client, auth):
    auth.as_role(Role.CLERK)
    make_appeal(ukc_number="2611-000888", regional_number="888/01-26", ukc_date=date(2026, 11, 20),
                received_at=datetime(2026, 11, 20, 8, 30, tzinfo=UTC), sender_email="okc@example.gov.ua")  # fmt: skip
    make_appeal(ukc_number="2611-000999")
    db.session.commit()
    page = client.get("/admin/appeal/?search=2611-000888").get_data(as_text=True)
    assert "20.11.2026 10:30" in page and "2611-000999" not in page
    assert "2611-000888" in client.get("/admin/appeal/?search=888/01-26").get_data(as_text=True)
    export = client.get("/admin/appeal/export/csv/?search=2611-000888").get_data(as_text=True)
    header, row = export.splitlines()[:2]
    assert "Дата надходження" in header and "Дата УКЦ (1545)" in header and "E-mail відправника" in header
    assert "20.11.2026 10:30" in row and "20.11.2026" in row and "okc@example.gov.ua" in row
