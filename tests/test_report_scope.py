"""Reports stay inside the reader's scope (issue 9): every report's rows are rows of the reader's appeal list.

For every role that may read a report of appeals, the weekly analysis and the quarterly
statistics — on screen and as the workbook the job writes — and the register's full export are
compared with the appeals that the same reader's list holds. Reports without appeals (budget, staff, audit export) are read
only by roles without a row scope. A run is opened only by readers of the same scope.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from portal.auth.permissions import REPORT_KINDS
from portal.extensions import db
from portal.i18n import KYIV
from portal.models import Appeal
from portal.models.enums import AppealStatus, ReportKind, Role
from portal.reports import quarterly, runs, weekly
from portal.reports.weekly import Week
from portal.services import scope
from tests.factories import make_appeal, make_assignment, make_direction, make_executor, make_topic, make_user

WEEK = "2026-W47"  # 16–22 November 2026
QUARTER = "2026-Q4"
APPEAL_KINDS = {ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.REGISTER_EXPORT}
OVERDUE = {"ПН-0/26", "ПН-1/26", "ПД-0/26", "ПД-1/26", "ПД-2/26", "ПД-ОСОБИСТО/26"}  # due 18.11, open at the week's end
READERS = [role for role in Role if REPORT_KINDS.get(role, frozenset()) & APPEAL_KINDS]


def kyiv(day: int, hh: int = 12) -> datetime:
    return datetime.combine(date(2026, 11, day), time(hh), KYIV)


@pytest.fixture
def two_directions(app):
    """Appeals of two directions in week W47, some overdue; one of the second routed to the first signer."""
    north, south = make_direction(name="Північ"), make_direction(name="Південь")
    topics = {north.id: make_topic(name="Водопостачання", direction=north),
              south.id: make_topic(name="Дороги", direction=south)}  # fmt: skip
    body = make_executor(name="Водоканал", short_name="Водоканал")
    signer = make_user(Role.SIGNER, direction_id=north.id)
    other_signer = make_user(Role.SIGNER, direction_id=south.id)
    db.session.flush()

    def appeal(number, direction, overdue, **kw):
        due = date(2026, 11, 18) if overdue else date(2026, 12, 20)
        row = make_appeal(reg_number=number, direction_id=direction.id, topic=topics[direction.id],
                          registered_at=kyiv(17), received_at=kyiv(16), due_date=due,
                          status=AppealStatus.IN_WORK, signer_id=kw.pop("signer_id", None), **kw)  # fmt: skip
        make_assignment(row, body)
        return row

    for n in range(3):
        appeal(f"ПН-{n}/26", north, overdue=n < 2)
    for n in range(4):
        appeal(f"ПД-{n}/26", south, overdue=n < 3, signer_id=other_signer.id)
    appeal("ПД-ОСОБИСТО/26", south, overdue=True, signer_id=signer.id)  # the first signer's own
    db.session.commit()
    return {"signer": signer, "other_signer": other_signer}


def _reader(role, world):
    if role == Role.SIGNER:
        return world["signer"]
    return make_user(role)


def _list_numbers(user) -> set[str]:
    """The registration numbers the reader's appeal list holds (the list's own scope rule)."""
    query = scope.scope_appeals(sa.select(Appeal.reg_number), user)
    return set(db.session.execute(query).scalars())


def _request(kind, params, reader):
    """A run for the reader: asked by the reader, or (a role that only reads) made by the schedule."""
    return runs.request_report(kind, params, reader if runs.may_request(reader, kind) else None)


def _overdue_numbers(analysis) -> set[str]:
    return {row["reg_number"] for row in analysis.overdue}


@pytest.mark.parametrize("role", READERS, ids=lambda r: r.value)
def test_every_report_of_appeals_holds_only_the_readers_rows(app, client, auth, two_directions, role):
    reader = _reader(role, two_directions)
    db.session.commit()
    visible = _list_numbers(reader)
    everything = set(db.session.execute(sa.select(Appeal.reg_number)).scalars())
    narrowed = visible != everything
    assert narrowed == (role == Role.SIGNER)  # the fixture makes the signer's scope a real subset

    kinds = REPORT_KINDS[role] & APPEAL_KINDS
    auth.login(reader.username)
    if ReportKind.WEEKLY in kinds:
        # the figures, read as the reader
        with scope.reading_as(reader):
            analysis = weekly.analyse(Week.parse(WEEK))
        assert _overdue_numbers(analysis) == OVERDUE & visible
        assert analysis.summary.received == len(visible)
        # the page shows the reader's rows only, and says when they are fewer than all
        page = client.get(f"/admin/report/weekly/?week={WEEK}").get_data(as_text=True)
        assert all(n in page for n in _overdue_numbers(analysis))
        assert not any(n in page for n in everything - visible)
        assert ("в межах доступу читача" in page) == narrowed
        # the workbook the job writes for this reader
        run = _request(ReportKind.WEEKLY, {"week": WEEK}, reader)
        path = runs.execute_run(run.id)
        response = client.get(f"/admin/report/download/{run.id}")
        response.close()
        assert response.status_code == 200
        book = load_workbook(path)
        sheet = book.worksheets[-1]  # the overdue list
        numbers = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]}
        assert numbers == _overdue_numbers(analysis)
        assert ("в межах доступу читача" in str(book.worksheets[0]["A2"].value)) == narrowed
    if ReportKind.REGISTER_EXPORT in kinds:
        # the whole register, as the export job writes it for this reader
        run = _request(ReportKind.REGISTER_EXPORT, {}, reader)
        path = runs.execute_run(run.id)
        with open(path, encoding="utf-8-sig", newline="") as written:
            rows = list(csv.reader(written, delimiter=";"))
        assert sorted(row[0] for row in rows[1:]) == sorted(visible)
        response = client.get(f"/admin/report/download/{run.id}")
        response.close()
        assert response.status_code == 200
    if ReportKind.QUARTERLY in kinds:
        with scope.reading_as(reader):
            stats = quarterly.analyse(quarterly.Period.parse(QUARTER))
        assert stats.total == len(visible)
        assert all(section.total == stats.total for section in stats.sections if section.total)
        page = client.get(f"/admin/report/quarterly/?quarter={QUARTER}").get_data(as_text=True)
        assert ("в межах доступу читача" in page) == narrowed
        run = _request(ReportKind.QUARTERLY, {"quarter": QUARTER}, reader)
        assert runs.execute_run(run.id) is not None


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_reports_without_appeals_are_read_only_by_roles_without_a_row_scope(app, role):
    reader = make_user(role)
    others = REPORT_KINDS.get(role, frozenset()) - APPEAL_KINDS
    if others:
        assert scope.scope_terms(reader) is None, f"{role.value} reads {sorted(k.value for k in others)}"


def test_a_run_is_opened_only_by_a_reader_of_the_same_scope(app, client, auth, two_directions, tmp_path):
    signer, other = two_directions["signer"], two_directions["other_signer"]
    director = make_user(Role.DIRECTOR)
    db.session.commit()
    made = {}
    for who in (signer, other, director):
        run = runs.request_report(ReportKind.WEEKLY, {"week": WEEK}, who)
        runs.execute_run(run.id)
        made[who.username] = run.id
    for who in (signer, other, director):
        auth.login(who.username)
        listing = client.get("/admin/report/").get_data(as_text=True)
        for owner, run_id in made.items():
            response = client.get(f"/admin/report/download/{run_id}")
            response.close()
            assert (response.status_code == 200) == (owner == who.username), (who.username, owner)
            assert (f"/admin/report/download/{run_id}" in listing) == (owner == who.username)
        auth.logout()
