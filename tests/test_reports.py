"""Reports: the weekly analysis on a crafted week, the other workbooks, the report screens and downloads."""

from __future__ import annotations

import os
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.auth.permissions import can, can_report
from portal.extensions import db
from portal.i18n import KYIV
from portal.models.audit import AuditLog
from portal.models.enums import (
    AppealStatus,
    AppealType,
    AuditAction,
    Channel,
    DocumentState,
    JobState,
    ReportKind,
    Role,
)
from portal.models.reports import ReportRun
from portal.reports import budget as budget_report
from portal.reports import staff as staff_report
from portal.reports import weekly
from portal.reports.weekly import Week
from portal.services.errors import DomainError
from tests.conftest import post_form as _post_form
from tests.factories import (
    make_appeal,
    make_assignment,
    make_employee,
    make_estimate,
    make_executor,
    make_expenditure,
    make_line,
    make_position,
    make_topic,
    make_unit,
)

W47 = Week(2026, 47)
ALL = None  # the figures below are for every channel; the channel's own tests are in test_weekly_timeliness.py


@pytest.fixture(autouse=True)
def _ukrainian(request):
    """Services translate outside requests here, as they do in jobs and the CLI."""
    if "app" not in request.fixturenames:
        yield
        return
    from portal.i18n import default_locale

    request.getfixturevalue("app")
    with default_locale():
        yield  # Monday 16.11.2026 – Sunday 22.11.2026; Kyiv is UTC+2 then


def kyiv(day: int, hh: int = 12, mm: int = 0, month: int = 11) -> datetime:
    """An instant given in Kyiv time (November 2026 unless ``month`` says otherwise)."""
    return datetime.combine(date(2026, month, day), time(hh, mm), KYIV)


@pytest.fixture
def week_data(app):
    """Eleven appeals around week 2026-W47; the comments give what each one counts as."""
    a, b = (
        make_executor(name="Водоканал", short_name="Водоканал"),
        make_executor(name="Служба доріг", short_name="Дороги"),
    )
    t1, t2 = make_topic(name="Водопостачання"), make_topic(name="Дороги")

    def appeal(name, executor=None, **kw):
        row = make_appeal(reg_number=name, **kw)
        if executor is not None:
            make_assignment(row, executor)
        return row

    # received in W47, answered (sent) on time and closed
    appeal(
        "a1",
        a,
        registered_at=kyiv(16, 10),
        channel=Channel.GOVERNMENT,
        appeal_type=AppealType.STATEMENT,
        topic=t1,
        due_date=date(2026, 12, 16),
        status=AppealStatus.CLOSED,
        sent_at=kyiv(18),
        closed_at=kyiv(18),
    )
    # received on Sunday 23:30 (still W47), open within term
    appeal(
        "a2",
        b,
        registered_at=kyiv(22, 23, 30),
        channel=Channel.PHONE,
        appeal_type=AppealType.COMPLAINT,
        topic=t2,
        due_date=date(2026, 12, 22),
        status=AppealStatus.IN_WORK,
    )
    # registered Monday 00:30 of the next week: not in W47 at all
    appeal("a3", a, registered_at=kyiv(23, 0, 30), due_date=date(2026, 12, 23))
    # received in W46 (Sunday 23:59); sent in W47 late on its due day: on time
    appeal(
        "a4",
        a,
        registered_at=kyiv(15, 23, 59),
        due_date=date(2026, 11, 20),
        status=AppealStatus.CLOSED,
        sent_at=kyiv(20, 23, 30),
        closed_at=kyiv(20, 23, 30),
    )
    # due Thursday, sent Friday 00:30 Kyiv (still Thursday in UTC): late
    appeal(
        "a5",
        b,
        registered_at=kyiv(1, month=10),
        due_date=date(2026, 11, 19),
        status=AppealStatus.CLOSED,
        sent_at=kyiv(20, 0, 30),
        closed_at=kyiv(20, 0, 30),
    )
    # open and overdue at the week's end
    appeal("a6", a, registered_at=kyiv(1, month=10), due_date=date(2026, 11, 10), status=AppealStatus.IN_WORK)
    # due on Sunday and still open when the week ended: overdue
    appeal("a7", b, registered_at=kyiv(1, month=10), due_date=date(2026, 11, 22), status=AppealStatus.ASSIGNED)
    # sent after the week, no executor named: overdue at the week's end, "not assigned"
    appeal(
        "a8",
        None,
        registered_at=kyiv(1, month=10),
        due_date=date(2026, 11, 10),
        status=AppealStatus.CLOSED,
        sent_at=kyiv(25),
        closed_at=kyiv(25),
    )
    # not considered (Art. 8): never open
    appeal("a9", None, registered_at=kyiv(1, month=10), due_date=date(2026, 10, 31), status=AppealStatus.NOT_CONSIDERED)
    # open within term
    appeal("a10", a, registered_at=kyiv(1, month=10), due_date=date(2026, 11, 30), status=AppealStatus.IN_WORK)
    # answered on time in W46
    appeal(
        "a11",
        a,
        registered_at=kyiv(1),
        due_date=date(2026, 12, 1),
        status=AppealStatus.CLOSED,
        sent_at=kyiv(12),
        closed_at=kyiv(12),
    )
    db.session.commit()
    return {"a": a, "b": b}


# --- weeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, first_day",
    [
        ("2026-W47", date(2026, 11, 16)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        (" 2027-W5 ", date(2027, 2, 1)),
    ],
)
def test_week_parses_iso_weeks(text, first_day):
    assert Week.parse(text).first_day == first_day


@pytest.mark.parametrize("text", ["", "2026-47", "2026-W00", "2027-W53", "W47", "2026-W47x"])
def test_week_refuses_what_is_not_an_iso_week(app, text):
    with pytest.raises(DomainError):
        Week.parse(text)


def test_week_bounds_are_kyiv_midnights_in_utc():
    assert W47.start.isoformat() == "2026-11-15T22:00:00+00:00"
    assert W47.end.isoformat() == "2026-11-22T22:00:00+00:00"
    # the summer week of the clock change: Monday 30.03.2026 starts at 21:00 UTC on Sunday
    assert Week(2026, 14).start.isoformat() == "2026-03-29T21:00:00+00:00"


# --- the weekly figures --------------------------------------------------------------------------


def test_weekly_summary_counts_received_answered_and_open(week_data):
    s = weekly.summary(W47, ALL)
    assert (s.received, s.answered_on_time, s.answered_late, s.open_within_term, s.open_overdue) == (2, 2, 1, 2, 3)


def test_weekly_summary_of_the_previous_week(week_data):
    s = weekly.summary(W47.previous(), ALL)
    assert (s.received, s.answered_on_time, s.answered_late, s.open_within_term, s.open_overdue) == (1, 1, 0, 4, 2)


def test_weekly_change_against_the_previous_week(week_data):
    changes = {label: diff for label, _now, _before, diff, _rise in weekly.analyse(W47, channel=ALL).changes()}
    assert list(changes.values()) == [1, 1, 1, -2, 1]


def test_weekly_breakdown_by_channel_type_topic_and_executor(week_data):
    analysis = weekly.analyse(W47, channel=ALL)
    assert sorted(n for _, n in analysis.by_channel) == [1, 1]
    assert len(analysis.by_type) == 2
    assert sorted(name.split(" ", 1)[1] for name, _ in analysis.by_topic) == ["Водопостачання", "Дороги"]
    assert dict(analysis.by_executor) == {"Водоканал": 1, "Дороги": 1}


def test_weekly_on_time_rate_per_executor(week_data):
    rows = {r.name: r for r in weekly.analyse(W47, channel=ALL).executors}
    a, b = rows["Водоканал"], rows["Дороги"]
    assert (a.received, a.answered_on_time, a.answered_late, a.open_overdue, a.on_time_rate) == (1, 2, 0, 1, 100.0)
    assert (b.received, b.answered_on_time, b.answered_late, b.open_overdue, b.on_time_rate) == (1, 0, 1, 1, 0.0)
    unassigned = [r for r in rows.values() if r.executor_id is None]
    assert [(r.received, r.open_overdue) for r in unassigned] == [(0, 1)]


def test_weekly_overdue_list_is_most_overdue_first(week_data):
    rows = weekly.analyse(W47, channel=ALL).overdue
    assert [(r["reg_number"], r["days_overdue"]) for r in rows] == [("a6", 13), ("a8", 13), ("a7", 1)]
    assert rows[0]["executor"] == "Водоканал" and rows[1]["executor"] == ""


def test_weekly_of_an_empty_week_is_all_zero(app):
    s = weekly.summary(Week(2020, 10))
    assert (s.received, s.answered, s.open, s.on_time_rate) == (0, 0, 0, None)


def test_weekly_workbook_has_its_sheets_figures_and_charts(week_data, tmp_path):
    path = str(tmp_path / "w.xlsx")
    weekly.write_xlsx(weekly.analyse(W47, channel=ALL), path)
    wb = load_workbook(path)
    summary, receipt, executors, overdue = wb.worksheets
    assert [summary.cell(row=r, column=2).value for r in range(5, 10)] == [2, 2, 1, 2, 3]
    assert [summary.cell(row=r, column=3).value for r in range(5, 10)] == [1, 1, 0, 4, 2]
    assert [overdue.cell(row=r, column=1).value for r in range(2, 5)] == ["a6", "a8", "a7"]
    assert executors.max_row == 4  # header + two executors + "not assigned"
    # openpyxl does not read charts back: count the chart parts in the file instead
    from zipfile import ZipFile

    assert sum(n.startswith("xl/charts/chart") for n in ZipFile(path).namelist()) == 2


# --- budget execution and staff list --------------------------------------------------------------------


def test_budget_execution_compares_plan_and_actual_by_kekv(app, tmp_path):
    estimate = make_estimate(year=2026, state=DocumentState.APPROVED)
    line = make_line(estimate, code="2210", monthly=Decimal("1000"))
    make_expenditure(line, spent_on=date(2026, 1, 15), amount=Decimal("400"))
    make_expenditure(line, spent_on=date(2026, 3, 2), amount=Decimal("250.50"))
    db.session.commit()
    run = ReportRun(job_id="b1", kind=ReportKind.BUDGET_EXECUTION, params={"year": 2026}, title="b")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "b.xlsx")
    budget_report.build(run, path, lambda pct: None)
    wb = load_workbook(path)
    execution, by_month = wb.worksheets[0], wb.worksheets[1]
    assert [execution.cell(row=5, column=c).value for c in (1, 3, 5)] == ["2210", 12000.0, 650.5]
    actual_row = [by_month.cell(row=3, column=c).value for c in range(3, 15)]
    assert actual_row[:3] == [400.0, 0.0, 250.5] and by_month.cell(row=3, column=15).value == 650.5


def test_budget_execution_needs_an_approved_estimate(app, tmp_path):
    make_line(make_estimate(year=2026), code="2210")
    run = ReportRun(job_id="b2", kind=ReportKind.BUDGET_EXECUTION, params={"year": 2026}, title="b")
    db.session.add(run)
    db.session.commit()
    with pytest.raises(DomainError):
        budget_report.build(run, str(tmp_path / "b.xlsx"), lambda pct: None)


def test_staff_list_totals_posts_funds_and_vacancies(app, tmp_path):
    unit = make_unit(name="Відділ звернень", code="01")
    position = make_position(
        unit=unit, title="Спеціаліст", posts=Decimal("2"), salary=Decimal("10000"), allowances=Decimal("1000")
    )
    make_employee(position=position, rate=Decimal("1"))
    db.session.commit()
    run = ReportRun(job_id="s1", kind=ReportKind.STAFF_LIST, params={}, title="s")
    db.session.add(run)
    db.session.commit()
    path = str(tmp_path / "s.xlsx")
    staff_report.build(run, path, lambda pct: None)
    ws = load_workbook(path).active
    assert [ws.cell(row=5, column=c).value for c in (2, 3, 7, 8, 9, 10)] == [
        "Спеціаліст",
        2.0,
        22000.0,
        264000.0,
        1.0,
        1.0,
    ]
    assert ws.cell(row=ws.max_row, column=8).value == 264000.0


def post_form(client, path, data):
    """POST with a fresh CSRF token (the test's app context would otherwise keep a stale one in ``g``)."""
    from flask import g

    g.pop("csrf_token", None)
    return _post_form(client, path, data)


# --- the screens ---------------------------------------------------------------------------------------


def _finished_run(app, kind: ReportKind, tmp_path, scope_key: str = "") -> ReportRun:
    path = tmp_path / f"{kind.value}{scope_key}.xlsx"
    path.write_bytes(b"PK fake xlsx")
    run = ReportRun(
        job_id=f"job-{kind.value}",
        kind=kind,
        params={"week": "2026-W47"} if kind == ReportKind.WEEKLY else {},
        title=f"{kind.value} run",
        state=JobState.FINISHED,
        progress=100,
        file_path=str(path),
        scope_key=scope_key,
    )
    db.session.add(run)
    db.session.commit()
    return run


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_report_download_is_allowed_only_to_roles_that_see_its_data(client, auth, app, tmp_path, role):
    from portal.services import scope

    user = auth.as_role(role)
    # runs made for the reader's own scope of appeals (tests/test_report_scope.py: other scopes)
    runs = {kind: _finished_run(app, kind, tmp_path, scope.scope_key(user)) for kind in ReportKind}
    answers = {}
    for kind, run in runs.items():
        response = client.get(f"/admin/report/download/{run.id}")
        response.close()
        answers[kind] = response.status_code
    # no download right at all: 403 (logged); a kind whose data the role may not see: not found
    expected = {
        kind: (200 if can_report(role, kind) else 404) if can(role, "report", "download") else 403 for kind in runs
    }
    assert answers == expected


def test_report_download_is_logged(client, auth, app, tmp_path):
    run = _finished_run(app, ReportKind.WEEKLY, tmp_path)
    user = auth.as_role(Role.CLERK)
    response = client.get(f"/admin/report/download/{run.id}")
    response.close()
    assert response.status_code == 200
    entry = db.session.execute(db.select(AuditLog).filter_by(action=AuditAction.DOWNLOAD)).scalar_one()
    assert (entry.user_id, entry.record_id) == (user.id, str(run.id))


def test_report_list_shows_only_kinds_the_user_may_see(client, auth, app, tmp_path):
    _finished_run(app, ReportKind.WEEKLY, tmp_path)
    _finished_run(app, ReportKind.BUDGET_EXECUTION, tmp_path)
    auth.as_role(Role.ACCOUNTANT)
    html = client.get("/admin/report/").get_data(as_text=True)
    assert "budget_execution run" in html and "weekly run" not in html


def test_report_details_of_a_hidden_kind_is_not_found(client, auth, app, tmp_path):
    run = _finished_run(app, ReportKind.STAFF_LIST, tmp_path)
    auth.as_role(Role.CLERK)
    assert client.get(f"/admin/report/details/?id={run.id}").status_code in (302, 404)


def test_report_form_queues_a_weekly_run(client, auth, app):
    user = auth.as_role(Role.CLERK)
    response = post_form(client, "/admin/report/new/", {"kind": "weekly", "week": "2026-W47"})
    assert response.status_code == 302
    run = db.session.execute(db.select(ReportRun)).scalar_one()
    assert (run.kind, run.params, run.state, run.requested_by_id) == (
        ReportKind.WEEKLY,
        {"week": "2026-W47", "channel": "government"},  # the GCC's appeals by default
        JobState.QUEUED,
        user.id,
    )


def test_report_form_keeps_a_bad_week_and_says_why(client, auth, app):
    auth.as_role(Role.DIRECTOR)
    response = post_form(client, "/admin/report/new/", {"kind": "weekly", "week": "2026-W60"})
    assert response.status_code == 200
    assert "2026-W60" in response.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(ReportRun.id))).scalar_one() == 0


def test_report_form_refuses_a_kind_the_role_may_not_run(client, auth, app):
    auth.as_role(Role.ACCOUNTANT)
    response = post_form(client, "/admin/report/new/", {"kind": "weekly", "week": "2026-W47"})
    assert response.status_code == 200
    assert db.session.execute(db.select(db.func.count(ReportRun.id))).scalar_one() == 0


def test_report_status_gives_progress_as_json(client, auth, app, tmp_path):
    from portal.services import scope

    signer = auth.as_role(Role.SIGNER)
    run = _finished_run(app, ReportKind.WEEKLY, tmp_path, scope.scope_key(signer))
    assert client.get(f"/admin/report/status/?ids={run.id}").get_json() == {
        str(run.id): {"state": "finished", "progress": 100, "message": ""}
    }


def test_weekly_page_shows_the_figures_in_ukrainian(client, auth, week_data):
    auth.as_role(Role.DIRECTOR)
    html = client.get("/admin/report/weekly/?week=2026-W47&channel=all").get_data(as_text=True)
    assert "16.11.2026" in html and "22.11.2026" in html
    assert "Водоканал" in html and "a6" in html
    assert "Щотижневий аналіз надходження та виконання звернень" in html


def test_weekly_page_is_denied_to_roles_without_the_weekly_report(client, auth, app):
    auth.as_role(Role.ACCOUNTANT)
    assert client.get("/admin/report/weekly/").status_code == 403


# --- the CLI ----------------------------------------------------------------------------------------------


def test_cli_report_weekly_wait_prints_the_xlsx_path(runner, week_data):
    result = runner.invoke(args=["report", "weekly", "--week", "2026-W47", "--channel", "all", "--wait"])
    assert result.exit_code == 0, result.output
    path = result.output.strip().splitlines()[-1]
    assert path.endswith(".xlsx") and os.path.isfile(path)
    assert load_workbook(path).worksheets[0].cell(row=5, column=2).value == 2


def test_cli_report_weekly_refuses_a_bad_week(runner, app):
    result = runner.invoke(args=["report", "weekly", "--week", "47"])
    assert result.exit_code != 0


def test_report_details_offer_the_file_and_the_weekly_page(client, auth, app, tmp_path):
    run = _finished_run(app, ReportKind.WEEKLY, tmp_path)
    auth.as_role(Role.DIRECTOR)
    html = client.get(f"/admin/report/details/?id={run.id}").get_data(as_text=True)
    assert f"/admin/report/download/{run.id}" in html
    assert "/admin/report/weekly/?week=2026-W47" in html
    assert "js/reports.js" in html


def test_an_auditor_reading_the_report_list_writes_nothing(client, auth, app):
    from rq.job import Job

    from portal.queue import get_queue
    from portal.reports import runs

    lost = runs.request_report(ReportKind.WEEKLY, {"week": "2026-W47"})
    Job.fetch(lost.job_id, connection=get_queue().connection).delete()  # a run the worker would fail
    auth.as_role(Role.AUDITOR)
    db.session.expire_all()
    rows_before = [(r.id, r.state, r.message, r.updated_at) for r in db.session.scalars(db.select(ReportRun))]
    log_before = db.session.scalar(db.select(db.func.count(AuditLog.id)))
    assert client.get("/admin/report/").status_code == 200
    db.session.expire_all()
    rows_after = [(r.id, r.state, r.message, r.updated_at) for r in db.session.scalars(db.select(ReportRun))]
    assert rows_after == rows_before and rows_before[0][1] == JobState.QUEUED
    assert db.session.scalar(db.select(db.func.count(AuditLog.id))) == log_before


def test_report_list_says_when_no_worker_is_running(client, auth, app):
    auth.as_role(Role.CLERK)
    html = client.get("/admin/report/").get_data(as_text=True)
    assert "Обробник звітів не працює" in html
