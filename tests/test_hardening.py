"""Smaller hardening rules: return addresses stay on the site, out-of-scope rows by URL are
denials on the record, NUL and oversized ids are refused without a 500."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models.audit import AuditLog
from portal.models.enums import AuditAction, Role
from portal.redirects import is_local_path
from tests import factories as f
from tests.conftest import CSRF_RE


@pytest.mark.parametrize(
    "target",
    ["/admin/appeal/?page=2", "/admin/", "/admin/appeal/details/?id=5&url=%2Fadmin%2F"],
)
def test_local_paths_are_followed(target):
    assert is_local_path(target)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\t/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%09/evil.example",
        "/%5Cevil.example",
        "/\r\nSet-Cookie: x=1",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_foreign_or_malformed_targets_are_refused(target):
    assert not is_local_path(target)


def test_login_goes_home_instead_of_to_a_smuggled_target(client):
    user = f.make_user(Role.CLERK)
    db.session.commit()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login?next=/%09/evil.example",
        data={"username": user.username, "password": "Passw0rd-2026", "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


def test_a_return_address_with_a_newline_is_a_400(client, auth):
    auth.as_role(Role.DIRECTOR)
    assert client.get("/admin/executor/new/?url=/admin/%0d%0aSet-Cookie:%20x=1").status_code == 400
    assert client.get("/admin/executor/new/?url=https://evil.example/").status_code == 400
    assert client.get("/admin/executor/new/?url=/admin/executor/").status_code == 200


def test_an_executor_opening_another_bodys_appeal_is_a_logged_denial(client, auth):
    user = auth.as_role(Role.EXECUTOR)
    other = f.make_appeal()
    f.make_assignment(other)  # another body's
    db.session.commit()
    response = client.get(f"/admin/appeal/details/?id={other.id}", follow_redirects=True)
    assert "Запис не існує" in response.get_data(as_text=True)
    denial = db.session.execute(db.select(AuditLog).filter_by(action=AuditAction.DENIED)).scalars().all()[-1]
    assert (denial.username, denial.model, denial.record_id) == (user.username, "appeal", str(other.id))


def test_a_missing_appeal_is_not_a_denial(client, auth):
    auth.as_role(Role.EXECUTOR)
    client.get("/admin/appeal/details/?id=999999")
    assert db.session.execute(db.select(AuditLog).filter_by(action=AuditAction.DENIED)).scalars().all() == []


def test_ids_beyond_64_bits_are_missing_rows_not_errors(client, auth):
    auth.as_role(Role.DIRECTOR)
    assert client.get("/admin/appeal/attachment/18446744073709551616").status_code == 404
    response = client.get("/admin/appeal/details/?id=18446744073709551616")
    assert response.status_code == 302


def test_nul_in_a_value_is_a_400(client, auth):
    auth.as_role(Role.DIRECTOR)
    assert client.get("/admin/appeal/?search=a%00b").status_code == 400


def test_an_invalid_choice_filter_is_dropped_with_a_message(client, auth):
    auth.as_role(Role.DIRECTOR)
    f.make_executor()
    db.session.commit()
    views = client.application.extensions["admin"][0]._views
    view = next(v for v in views if getattr(v, "endpoint", None) == "executor")
    params = {f"flt{n}_{n}": "18446744073709551616" for n in range(len(view._filters))}
    response = client.get("/admin/executor/export/csv/", query_string=params)
    assert response.status_code == 200
    response.get_data()  # streams to the end
    assert client.get("/admin/executor/", query_string=params).status_code == 200
