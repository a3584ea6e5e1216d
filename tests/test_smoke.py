"""The director opens every screen of DESIGN §8 without error, in Ukrainian."""

import pytest

from portal.models.enums import Role

ENDPOINTS = [
    "appeal",
    "executor",
    "structural_unit",
    "employee",
    "staff_position",
    "order",
    "budget_estimate",
    "budget_line",
    "expenditure",
    "report",
    "audit_log",
    "user",
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_director_opens_every_list(client, auth, endpoint):
    auth.as_role(Role.DIRECTOR)
    response = client.get(f"/admin/{endpoint}/")
    assert response.status_code == 200


def test_pages_require_login(client):
    response = client.get("/admin/appeal/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_healthz_reports_db_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"db": "ok", "redis": "ok"}
