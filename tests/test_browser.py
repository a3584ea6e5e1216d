"""End to end in a real browser: log in through the form, open the appeals list and the weekly analysis."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from portal.extensions import db
from portal.models.enums import AppealStatus, Role
from tests.browser_support import browser_page, chromium_missing_reason, live_server, login, screenshot
from tests.factories import PASSWORD, make_appeal, make_assignment, make_executor, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committed,  # the live server's threads read through connections of their own
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
]


@pytest.fixture
def site(app):
    """A director and a few appeals, served live."""
    director = make_user(role=Role.DIRECTOR, username="director", full_name="Поліщук Надія Олегівна")
    executor = make_executor(name="КП «Водоканал»", short_name="Водоканал")
    now = datetime.now(UTC)
    for _i, (summary, days_ago) in enumerate(
        [("Відсутнє гаряче водопостачання", 3), ("Ремонт дороги", 40), ("Вуличне освітлення", 10)]
    ):
        appeal = make_appeal(summary=summary, registered_at=now - timedelta(days=days_ago), status=AppealStatus.IN_WORK)
        make_assignment(appeal, executor)
    db.session.commit()
    with live_server(app) as url:
        yield url, director


def test_director_logs_in_and_sees_the_appeals_list_in_ukrainian(site, chromium):
    url, director = site
    with browser_page(chromium) as page:
        login(page, url, director.username, PASSWORD)
        assert "/admin" in page.url
        page.goto(f"{url}/admin/appeal/")
        body = page.inner_text("body")
        path = screenshot(page, "appeals-list.png")
    assert "Звернення" in body and "Відсутнє гаряче водопостачання" in body
    assert "Вийти" in body or "Поліщук" in body
    assert os.path.getsize(path) > 10_000


def test_weekly_analysis_page_renders_in_the_browser(site, chromium):
    url, director = site
    with browser_page(chromium) as page:
        login(page, url, director.username, PASSWORD)
        page.goto(f"{url}/admin/report/weekly/")
        body = page.inner_text("body")
        screenshot(page, "weekly-analysis.png")
    assert "Щотижневий аналіз надходження та виконання звернень" in body
    assert "Прострочено на кінець тижня" in body


def test_report_list_follows_a_run_until_its_file_can_be_downloaded(site, app, chromium):
    from jobs.worker import run_burst
    from portal.i18n import default_locale
    from portal.queue import get_queue
    from portal.reports import runs

    url, director = site
    with default_locale():
        run = runs.request_report("weekly", {"week": "2026-W47"}, director)
    with browser_page(chromium) as page:
        login(page, url, director.username, PASSWORD)
        page.goto(f"{url}/admin/report/")
        assert page.get_attribute(f".report-progress[data-run-id='{run.id}']", "data-state") == "queued"
        run_burst(get_queue(), app=app)  # the worker makes the file while the page polls
        page.wait_for_selector(f"a[href$='/admin/report/download/{run.id}']", timeout=20_000)
        screenshot(page, "report-list.png")
