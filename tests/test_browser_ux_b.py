"""Issue 12, part B in a real browser (1280 × 800 unless said): the appeals list and the budget grid fit an
office screen, the weekly page draws its charts, the History tab groups the personal-data views.

"Fits" means the page does not scroll sideways: ``document.scrollingElement.scrollWidth <= clientWidth``;
for the budget grid also its own scroll box (``.table-responsive``), which would otherwise hide the overflow.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models.enums import AppealStatus, DocumentState, Role
from tests.browser_support import PageWatch, chromium_missing_reason, live_server, login, screenshot
from tests.factories import (
    PASSWORD,
    make_appeal,
    make_applicant,
    make_assignment,
    make_estimate,
    make_executor,
    make_expenditure,
    make_line,
    make_topic,
    make_user,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.committed,  # the live server's threads read through connections of their own
    pytest.mark.skipif(chromium_missing_reason() is not None, reason=chromium_missing_reason() or ""),
]

PAGE_SCROLLS_SIDEWAYS = "() => document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
LONG_SUMMARY = (
    "Відсутнє гаряче водопостачання в багатоквартирному будинку вже третій тиждень, "
    "звернення до керуючої компанії результату не дали, прошу вжити заходів"
)


@contextlib.contextmanager
def office_page(chromium, width: int = 1280, bypass_csp: bool = False):
    """A page of the given width; ``bypass_csp`` lets axe-core be injected (the portal's CSP refuses inline scripts)."""
    context = chromium.new_context(locale="uk-UA", viewport={"width": width, "height": 800}, bypass_csp=bypass_csp)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
    finally:
        context.close()


@pytest.fixture
def site(app):
    """The director, a clerk and an auditor; a page of appeals with long names; an approved estimate."""
    users = {
        role: make_user(role=role, username=role.value, full_name=f"Користувач {role.value}")
        for role in (Role.DIRECTOR, Role.CLERK, Role.AUDITOR)
    }
    executors = [
        make_executor(name="Департамент житлово-комунального господарства та будівництва міської ради"),
        make_executor(name="Комунальне підприємство «Міськводоканал» Дніпровської міської ради"),
    ]
    topic = make_topic(name="Житлово-комунальне господарство: гаряче водопостачання та опалення")
    now = datetime.now(UTC)
    appeals = []
    for i in range(25):
        applicant = make_applicant(full_name=f"Костянтинопольська-Вишневецька Олександра Володимирівна {i}")
        appeal = make_appeal(
            applicant=applicant,
            summary=LONG_SUMMARY,
            topic=topic,
            registered_at=now - timedelta(days=i),
            status=AppealStatus.CLOSED if i % 4 == 1 else AppealStatus.IN_WORK,
            closed_at=now if i % 4 == 1 else None,
            ukc_number=f"2611-{i:06d}",
            is_privileged=i % 3 == 0,
        )
        make_assignment(appeal, executors[i % 2])
        appeal.main_executor = executors[i % 2]
        appeals.append(appeal)
    estimate = make_estimate(year=date.today().year, state=DocumentState.APPROVED)
    for code in ("2111", "2120", "2210", "2240", "2250", "2271", "2272", "2273", "2275", "3110"):
        line = make_line(estimate, code=code, monthly=Decimal("1234567.89"))
        make_expenditure(line, amount=Decimal("987654.32"))
    db.session.commit()
    with live_server(app) as url:
        yield url, users, appeals, estimate


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.CLERK])
def test_the_appeals_list_fits_1280_with_its_due_date_and_executor(site, chromium, role):
    url, users, _appeals, _estimate = site
    with office_page(chromium, bypass_csp=True) as page:
        watch = PageWatch(page, {users[role].username})
        login(page, url, users[role].username, PASSWORD)
        page.goto(f"{url}/admin/appeal/")
        overflow = page.evaluate(PAGE_SCROLLS_SIDEWAYS)
        # the due date and the executor of the first row are inside the window
        for column in ("due_date", "main_executor"):
            cell = page.locator(f"td.col-{column}").first
            box = cell.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1280, (column, box)
            assert cell.inner_text().strip(), column
        # the whole summary on hover
        assert page.locator("td.col-summary .portal-cut").first.get_attribute("title") == LONG_SUMMARY
        watch.check(f"appeals list 1280 {role.value}")
        screenshot(page, f"appeals-list-1280-{role.value}.png")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    assert watch.problems == []


def test_the_column_chooser_remembers_the_columns_in_the_browser(site, chromium):
    url, users, _appeals, _estimate = site
    with office_page(chromium) as page:
        login(page, url, users[Role.CLERK].username, PASSWORD)
        page.goto(f"{url}/admin/appeal/")
        page.click("#column-chooser-toggle")
        page.check("#column-channel")
        page.uncheck("#column-topic")
        with page.expect_navigation():
            page.click("#column-chooser button[type=submit]:not([name])")
        screenshot(page, "appeals-list-columns-chosen.png")
        page.goto(f"{url}/admin/appeal/")  # a fresh load: remembered on the server
        headers = page.eval_on_selector_all("th.column-header", "els => els.map(e => e.className)")
        overflow = page.evaluate(PAGE_SCROLLS_SIDEWAYS)
    assert any("col-channel" in h for h in headers) and not any("col-topic" in h for h in headers)
    assert overflow <= 0


def test_the_budget_grid_fits_1366(site, chromium):
    url, users, _appeals, estimate = site
    with office_page(chromium, width=1366, bypass_csp=True) as page:
        watch = PageWatch(page, {"director"})
        login(page, url, users[Role.DIRECTOR].username, PASSWORD)
        page.goto(f"{url}/admin/budget_estimate/details/?id={estimate.id}")
        overflow = page.evaluate(PAGE_SCROLLS_SIDEWAYS)
        inner = page.evaluate(
            "() => { const box = document.querySelector('.estimate-execution').parentElement;"
            " return box.scrollWidth - box.clientWidth; }"
        )
        watch.check("budget grid 1366")
        screenshot(page, "budget-grid-1366.png")
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    assert inner <= 0, f"the grid scrolls sideways inside its box by {inner} px"
    assert watch.problems == []


def test_the_weekly_page_draws_its_charts(site, chromium):
    url, users, _appeals, _estimate = site
    this_week = date.today().isocalendar()
    weekly_url = f"{url}/admin/report/weekly/?week={this_week[0]}-W{this_week[1]:02d}"
    with office_page(chromium) as page:  # with the portal's CSP: the vendored scripts load and draw
        watch = PageWatch(page, {"director"})
        login(page, url, users[Role.DIRECTOR].username, PASSWORD)
        page.goto(weekly_url)
        drawn = page.evaluate(
            "() => [...document.querySelectorAll('canvas[data-chart]')]"
            ".map(c => !!(window.Chart && window.Chart.getChart(c)))"
        )
        assert page.eval_on_selector("#week", "s => s.tagName") == "SELECT"  # picked, not typed
        watch.check("weekly page", axe=False)
        screenshot(page, "weekly-charts.png")
    with office_page(chromium, bypass_csp=True) as page:
        axe = PageWatch(page, {"director"})
        login(page, url, users[Role.DIRECTOR].username, PASSWORD)
        page.goto(weekly_url)
        axe.check("weekly page (axe)")
    # the week against the previous one and the channels always; the executors' chart when any was answered
    # or overdue that week
    assert len(drawn) >= 2 and all(drawn), drawn
    assert watch.problems == [] and axe.problems == []


def test_the_history_tab_shows_the_changes_and_one_line_of_views(site, chromium):
    url, users, appeals, _estimate = site
    appeal = appeals[0]
    appeal.summary = "Відсутнє гаряче водопостачання з 1 листопада"
    db.session.commit()
    with office_page(chromium) as page:
        login(page, url, users[Role.CLERK].username, PASSWORD)
        for _ in range(3):  # the clerk opens the card three times: three views of personal data
            page.goto(f"{url}/admin/appeal/details/?id={appeal.id}")
    with office_page(chromium, bypass_csp=True) as page:
        watch = PageWatch(page, {"auditor", "clerk", "system"})  # "system": the fixture wrote the rows
        login(page, url, users[Role.AUDITOR].username, PASSWORD)
        page.goto(f"{url}/admin/appeal/details/?id={appeal.id}")
        page.click("#history-tab")
        page.wait_for_selector("#history-views", state="visible")
        summary = page.inner_text("#history-views summary")
        rows_hidden = page.locator("#history-views tbody tr").first.is_visible()
        page.click("#history-views summary")
        rows_shown = page.locator("#history-views tbody tr").count()
        change = page.locator("#history-pane .portal-history").inner_text()
        watch.check("history tab")
        screenshot(page, "history-tab.png")
    assert "переглядали 4 рази" in summary, summary  # three by the clerk, one by the auditor
    assert not rows_hidden and rows_shown == 4
    assert "з 1 листопада" in change
    assert watch.problems == []
