"""Concurrent clerks lose nothing: numbering is atomic on SQLite and PostgreSQL, writers wait
for each other, and a transaction that lost a race is run again instead of failing."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from portal import database
from portal.extensions import db
from portal.models import Appeal
from portal.models.enums import Role
from portal.services import registration
from tests import factories as f
from tests.conftest import CSRF_RE, AuthActions
from tests.test_appeal_views import _new_appeal_form

# parallel transactions on separate connections: they must see each other's commits
pytestmark = pytest.mark.committed

CLERKS, EACH = 6, 4


def _clerk_client(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def test_concurrent_clerks_register_every_appeal_with_distinct_numbers(app):
    names = []
    for _ in range(CLERKS):
        names.append(f.make_user(Role.CLERK).username)
    db.session.commit()
    clients = [_clerk_client(app, n) for n in names]
    start, failures = threading.Barrier(CLERKS), []

    def clerk(client, n):
        with app.app_context():
            token = CSRF_RE.search(client.get("/admin/appeal/new/").get_data(as_text=True)).group(1)
            start.wait()
            for k in range(EACH):
                data = _new_appeal_form(summary=f"Одночасно {n}-{k}", ukc_number=f"1545-{n}-{k}")
                response = client.post("/admin/appeal/new/", data=data | {"csrf_token": token})
                if response.status_code != 302 or "/new/" in response.headers.get("Location", ""):
                    failures.append((n, k, response.status_code, response.get_data(as_text=True)[:300]))
            db.session.remove()

    threads = [threading.Thread(target=clerk, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    db.session.expire_all()
    rows = db.session.execute(sa.select(Appeal.reg_seq, Appeal.reg_number)).all()
    assert len(rows) == CLERKS * EACH
    assert sorted(seq for seq, _ in rows) == list(range(1, CLERKS * EACH + 1))


def test_the_counter_takes_distinct_numbers_from_parallel_transactions(app):
    numbers, start = [], threading.Barrier(4)

    def take():
        with app.app_context():
            start.wait()
            numbers.append(database.retrying(lambda: _take_and_commit(), session=db.session))
            db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == [1, 2, 3, 4]


def _take_and_commit() -> int:
    number = registration.next_sequence(2031)
    db.session.commit()
    return number


def test_a_transaction_that_lost_a_race_is_run_again(app):
    calls = []

    def work():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE x", {}, Exception("database is locked"))
        return "done"

    assert database.retrying(work, session=db.session) == "done" and len(calls) == 3


def test_a_lasting_conflict_is_not_retried_forever(app):
    def work():
        raise OperationalError("UPDATE x", {}, Exception("database is locked"))

    with pytest.raises(OperationalError):
        database.retrying(work, session=db.session, attempts=2)


def test_other_database_errors_are_not_retried(app):
    calls = []

    def work():
        calls.append(1)
        raise OperationalError("SELECT x", {}, Exception("no such table: x"))

    with pytest.raises(OperationalError):
        database.retrying(work, session=db.session)
    assert len(calls) == 1


# --- no database text reaches a page ------------------------------------------------------------

SQL_TEXT = "UNIQUE constraint failed: appeal.reg_number [SQL: INSERT INTO appeal (reg_number) VALUES (?)]"
LEAKS = ("UNIQUE", "INSERT", "appeal.reg_number", "[SQL", "sqlite3", "psycopg", "IntegrityError")


def _admin_view(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if getattr(v, "endpoint", None) == endpoint)


@pytest.mark.parametrize(
    "error",
    [
        sa.exc.IntegrityError("INSERT INTO appeal (reg_number) VALUES (?)", {"x": 1}, Exception(SQL_TEXT)),
        sa.exc.DataError("INSERT INTO appeal (reg_number) VALUES (?)", {"x": 1}, Exception(SQL_TEXT)),
        OperationalError("INSERT INTO appeal (reg_number) VALUES (?)", {"x": 1}, Exception("disk I/O error")),
    ],
    ids=["integrity", "data", "operational"],
)
def test_a_database_error_in_a_form_is_a_ukrainian_message_without_sql(app, client, auth, monkeypatch, error, caplog):
    auth.as_role(Role.DIRECTOR)
    view = _admin_view(app, "executor")

    def explode(form, model, is_created):
        raise error

    monkeypatch.setattr(view, "on_model_change", explode)
    token = CSRF_RE.search(client.get("/admin/executor/new/").get_data(as_text=True)).group(1)
    response = client.post(
        "/admin/executor/new/",
        data={"name": "Будь-який", "kind": "external", "csrf_token": token},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "нічого не збережено" in page
    assert not [leak for leak in LEAKS if leak in page]
    assert any("database error" in r.getMessage() for r in caplog.records)


def test_a_database_error_outside_the_forms_is_a_page_without_sql(app, client, auth, monkeypatch):
    auth.as_role(Role.DIRECTOR)
    view = _admin_view(app, "executor")

    def explode(*args, **kwargs):
        raise sa.exc.IntegrityError("DELETE FROM executor WHERE id = ?", {"id": 1}, Exception(SQL_TEXT))

    monkeypatch.setattr(view, "get_list", explode)
    response = client.get("/admin/executor/")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert not [leak for leak in LEAKS if leak in page]
