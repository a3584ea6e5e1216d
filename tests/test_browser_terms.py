"""In a real browser: the appeal card's control date, privileged flag and Art. 5 days; the quarterly page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models import PrivilegeCategory
from portal.models.enums import AppealStatus, Role
from tests.browser_support import browser_page, chromium_missing_reason, live_server, login, screenshot
from tests.factories import PASSWORD, make_appeal, make_applicant, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
]


def _next_sunday_after(days: int):
    day = kyiv_today() + timedelta(days=days)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def test_the_card_shows_the_control_date_the_privileged_flag_and_the_art5_days(app, chromium):
    director = make_user(role=Role.DIRECTOR, username="director", full_name="Поліщук Надія Олегівна")
    category = db.session.execute(db.select(PrivilegeCategory).filter_by(code="05")).scalar_one()
    applicant = make_applicant(full_name="Коваленко Іван Петрович", address="-", privilege_category=category)
    due = _next_sunday_after(10)
    appeal = make_appeal(
        applicant=applicant, is_privileged=True, due_date=due, status=AppealStatus.REGISTERED, summary="Ремонт даху"
    )
    db.session.commit()
    with live_server(app) as url, browser_page(chromium) as page:
        login(page, url, director.username, PASSWORD)
        page.goto(f"{url}/admin/appeal/details/?id={appeal.id}")
        control = page.inner_text("#appeal-control-date")
        privileged = page.inner_text("#appeal-privileged")
        art5 = page.inner_text("#appeal-art5-days")
        screenshot(page, "appeal-card-terms.png")
    friday = due - timedelta(days=2)
    assert friday.strftime("%d.%m.%Y") in control
    assert "Учасник бойових дій" in privileged
    assert "10" in art5


def test_the_quarterly_statistics_page_renders(app, chromium):
    director = make_user(role=Role.DIRECTOR, username="director")
    for _ in range(3):
        make_appeal()
    db.session.commit()
    today = kyiv_today()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    with live_server(app) as url, browser_page(chromium) as page:
        login(page, url, director.username, PASSWORD)
        page.goto(f"{url}/admin/report/quarterly/?quarter={quarter}")
        body = page.inner_text("body")
        total = page.inner_text("#quarterly-total")
        screenshot(page, "quarterly-statistics.png")
    assert total == "3"
    assert "Форма надходження" in body and "Стать авторів" in body and "Результати розгляду" in body
