"""Every number on the home page equals the rows of the list it opens, for every role."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.enums import AppealStatus, ExecutorRole, OrderType, Role
from portal.services import staff
from tests.factories import (
    make_appeal,
    make_assignment,
    make_direction,
    make_employee,
    make_executor,
    make_order,
    make_position,
    make_user,
)

CARD_RE = re.compile(
    r'<a class="card[^"]*"[^>]*href="([^"]+)"[^>]*>\s*<div class="card-body">\s*<div class="h2[^"]*">(\d+)</div>'
)
QUEUE_RE = re.compile(r'data-queue="([^"]+)" href="([^"]+)">.*?<span class="badge[^"]*">(\d+)</span>', re.S)
STATUS_RE = re.compile(r'<tr><td><a href="([^"]+)">[^<]*</a></td><td class="text-right">(\d+)</td></tr>')


def _world():
    """Appeals in every open state, some overdue, near due, privileged and reworked, in two bodies."""
    direction = make_direction()
    mine, other = make_executor(), make_executor()
    today = kyiv_today()
    now = datetime.now(UTC)
    states = [s for s in AppealStatus if s not in (AppealStatus.CLOSED,)]
    for i, status in enumerate(states * 2):
        due = today + timedelta(days=(-3, 1, 2, 20)[i % 4])
        appeal = make_appeal(
            status=status,
            direction=direction,
            due_date=due,
            registered_at=now - timedelta(days=10),
            is_privileged=i % 3 == 0,
            rework_count=1 if i % 4 == 1 else 0,
        )
        if status not in (AppealStatus.REGISTERED, AppealStatus.ON_RESOLUTION):
            body = mine if i % 2 else other
            make_assignment(appeal, body)
            appeal.main_executor = body
            make_assignment(appeal, other if body is mine else mine, executor_role=ExecutorRole.CO_EXECUTOR, position=2)
    # the staff list: one position full, one half-filled, one empty (the director's vacancy card)
    full, half, empty = (make_position(posts=Decimal(n)) for n in ("1", "1", "2"))
    staff.appoint(make_employee(), full, make_order(order_type=OrderType.APPOINTMENT))
    staff.appoint(make_employee(), half, make_order(order_type=OrderType.APPOINTMENT), rate=Decimal("0.5"))
    assert empty.id
    return direction, mine


def _rows(client, url: str) -> int:
    url = html_lib.unescape(url)
    page = client.get(url + ("&" if "?" in url else "?") + "page_size=100").get_data(as_text=True)
    page = re.sub(r"<nav.*?</nav>", "", page, flags=re.S)  # the top bar's bell links to appeals too
    return len(set(re.findall(r"details/\?id=(\d+)", page)))


@pytest.mark.parametrize("role", [Role.DIRECTOR, Role.CLERK, Role.SIGNER, Role.EXECUTOR, Role.AUDITOR])
def test_every_home_count_equals_the_rows_of_the_list_it_opens(client, auth, role):
    direction, mine = _world()
    extra = {"direction": direction} if role == Role.SIGNER else {}
    if role == Role.EXECUTOR:
        extra = {"executor": mine}
    user = make_user(role=role, **extra)
    db.session.commit()
    assert auth.login(user.username).status_code == 302
    home = client.get("/admin/").get_data(as_text=True)
    links = [(u, int(n)) for u, n in CARD_RE.findall(home)]
    links += [(u, int(n)) for _key, u, n in QUEUE_RE.findall(home)]
    links += [(u, int(n)) for u, n in STATUS_RE.findall(home)]
    assert len(links) >= 5, home[:2000]
    assert any(n for _u, n in links), "the world should give this role something to count"
    mismatched = [(html_lib.unescape(u), n, _rows(client, u)) for u, n in links if _rows(client, u) != n]
    assert mismatched == []


def test_the_rework_queue_opens_only_the_reworked_appeals(client, auth):
    body = make_executor()
    user = make_user(role=Role.EXECUTOR, executor=body)
    for reworks in (0, 0, 0, 2):
        appeal = make_appeal(status=AppealStatus.IN_WORK, rework_count=reworks, main_executor=body)
        make_assignment(appeal, body)
    db.session.commit()
    auth.login(user.username)
    home = client.get("/admin/").get_data(as_text=True)
    queues = {key: (u, int(n)) for key, u, n in QUEUE_RE.findall(home)}
    url, count = queues["reworks"]
    assert count == 1 and _rows(client, url) == 1
    assert queues["in_work"][1] == 4


def test_the_directors_home_shows_this_months_budget_and_the_staff(client, auth):
    from portal.models.enums import DocumentState
    from tests.factories import make_estimate, make_expenditure, make_line

    today = kyiv_today()
    line = make_line(estimate=make_estimate(year=today.year), monthly=Decimal("1000"))
    line.estimate.state = DocumentState.APPROVED
    make_expenditure(line, amount=Decimal("250"), spent_on=today)
    make_expenditure(line, amount=Decimal("90"), spent_on=today.replace(day=1) - timedelta(days=1))  # last month
    _world()
    db.session.commit()
    auth.as_role(Role.DIRECTOR)
    home = client.get("/admin/").get_data(as_text=True)

    def cell(key: str) -> str:
        return re.search(rf'id="{key}">([^<]+)<', home).group(1).replace("\xa0", " ").replace("\u202f", " ")

    assert (cell("home-budget-plan"), cell("home-budget-spent"), cell("home-budget-remaining")) == (
        "1 000.00",
        "250.00",
        "750.00",
    )
    assert (cell("home-staff-posts"), cell("home-staff-filled"), cell("home-staff-vacant")) == ("4.00", "1.50", "2.50")
    vacancies = re.search(
        r'id="home-vacancies" href="([^"]+)"><div class="card-body[^"]*">\s*<div class="h2[^"]*">(\d+)<', home
    )
    assert int(vacancies.group(2)) == 2 == _rows(client, vacancies.group(1))


@pytest.mark.parametrize("role", [Role.CLERK, Role.ACCOUNTANT, Role.AUDITOR])
def test_only_the_directors_home_has_the_budget_and_staff_cards(client, auth, role):
    auth.as_role(role)
    home = client.get("/admin/").get_data(as_text=True)
    assert 'id="home-budget"' not in home and 'id="home-staff"' not in home
