"""The home page: what waits for each user, counted within their scope."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.i18n import kyiv_today
from portal.models.enums import AppealStatus, ExecutorRole, Role
from portal.services import dashboard
from tests.factories import make_appeal, make_assignment, make_direction, make_executor, make_user


def _queues(user) -> dict[str, int]:
    return {q.key: q.count for q in dashboard.for_user(user)["appeals"]["queues"]}


def test_clerk_sees_appeals_to_route_dispatch_and_close(app):
    clerk = make_user(Role.CLERK)
    for status in (
        AppealStatus.REGISTERED,
        AppealStatus.REGISTERED,
        AppealStatus.SIGNED,
        AppealStatus.SENT,
        AppealStatus.FORWARDED,
        AppealStatus.CLOSED,
    ):
        make_appeal(status=status)
    assert _queues(clerk) == {"to_route": 2, "to_dispatch": 1, "to_close": 1, "forwarded_to_close": 1}


def test_signer_sees_only_their_directions_resolutions_and_signatures(app):
    direction = make_direction()
    signer = make_user(Role.SIGNER, direction=direction)
    make_appeal(status=AppealStatus.ON_RESOLUTION, direction_id=direction.id)
    make_appeal(status=AppealStatus.ON_SIGNING, direction_id=direction.id)
    make_appeal(status=AppealStatus.ON_RESOLUTION, direction_id=make_direction().id)
    assert _queues(signer) == {"to_resolve": 1, "to_sign": 1}


def test_executor_sees_its_bodys_assignments_only(app):
    executor = make_user(Role.EXECUTOR)
    body = executor.executor
    new = make_appeal(status=AppealStatus.ASSIGNED, main_executor=body)
    make_assignment(new, body)
    reworked = make_appeal(status=AppealStatus.IN_WORK, main_executor=body, rework_count=1)
    make_assignment(reworked, body)
    informed = make_appeal(status=AppealStatus.IN_WORK)
    make_assignment(informed, make_executor())
    make_assignment(informed, body, executor_role=ExecutorRole.FOR_INFORMATION, position=2)
    foreign = make_appeal(status=AppealStatus.ASSIGNED)
    make_assignment(foreign, make_executor())
    assert _queues(executor) == {"to_accept": 1, "in_work": 1, "reworks": 1, "co_execution": 1}
    board = dashboard.for_user(executor)["appeals"]
    assert sum(n for _, n in board["by_status"]) == 3


def test_overdue_near_due_and_privileged_counts(app):
    clerk = make_user(Role.CLERK)
    today = kyiv_today()
    make_appeal(status=AppealStatus.IN_WORK, due_date=today - timedelta(days=1))
    make_appeal(status=AppealStatus.IN_WORK, due_date=today + timedelta(days=3), is_privileged=True)
    make_appeal(status=AppealStatus.CLOSED, due_date=today - timedelta(days=1), is_privileged=True)
    make_appeal(status=AppealStatus.IN_WORK, due_date=today + timedelta(days=10))
    board = dashboard.for_user(clerk)["appeals"]
    assert (board["overdue"], board["near_due"], board["privileged_open"]) == (1, 1, 1)
    assert [a.due_date for a in board["urgent"]] == [today + timedelta(days=3)]


def test_roles_without_appeals_get_no_appeal_board(app):
    assert dashboard.for_user(make_user(Role.ACCOUNTANT))["appeals"] is None
    assert dashboard.for_user(make_user(Role.ADMIN))["appeals"] is None


@pytest.mark.parametrize("role", list(Role))
def test_home_page_renders_for_every_role(client, auth, role):
    auth.as_role(role)
    make_appeal(status=AppealStatus.REGISTERED, due_date=kyiv_today())
    db.session.commit()
    response = client.get("/admin/")
    assert response.status_code == 200


def test_home_links_open_the_filtered_list(client, auth):
    auth.as_role(Role.CLERK)
    appeal = make_appeal(status=AppealStatus.SIGNED)
    db.session.commit()
    html = client.get("/admin/").get_data(as_text=True)
    assert "flt0_status=signed" in html
    listing = client.get("/admin/appeal/?flt0_status=signed").get_data(as_text=True)
    assert f"details/?id={appeal.id}" in listing


def test_accountant_home_links_to_budget_sections(client, auth):
    auth.as_role(Role.ACCOUNTANT)
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="home-sections"' in html
    assert "/admin/budget_line/" in html
    assert "/admin/appeal/" not in html.split('id="home-sections"')[1]
