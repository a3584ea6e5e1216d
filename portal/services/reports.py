"""Report runs: request one, make its file in a job, record progress and the final state.

A run is a ``ReportRun`` row keyed by its RQ job id. The row is the record the screens read:
it always ends FINISHED (with a file) or FAILED (with a message people can act on), whether
the job raised, timed out, was retried, or its worker died. Files are written to a temporary
name and renamed, so a re-run never leaves half a file behind.
"""

from __future__ import annotations

import functools
import logging
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.auth.permissions import REPORT_KINDS, can, can_report
from portal.extensions import db
from portal.i18n import KYIV, format_date, kyiv_today
from portal.labels import enum_label, field_label
from portal.models.enums import DocumentState, JobState, ReportKind, Role
from portal.models.reports import ReportRun
from portal.services import history
from portal.services.errors import DomainError
from portal.services.weekly import Week

log = logging.getLogger(__name__)

# Kinds this portal can make now; quarterly statistics and the audit export come later.
AVAILABLE_KINDS = (ReportKind.WEEKLY, ReportKind.BUDGET_EXECUTION, ReportKind.STAFF_LIST)
ACTIVE_STATES = (JobState.QUEUED, JobState.STARTED)
WEEKLY_REPORT_HOUR = 7  # Monday, Kyiv time; ``WEEKLY_REPORT_HOUR`` in the config overrides
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- who sees what ------------------------------------------------------------------------


def visible_kinds(user) -> list[ReportKind]:
    """Report kinds whose runs ``user`` may see and download."""
    role = Role(user.role) if getattr(user, "is_authenticated", False) else None
    if role is None or not can(user, "report", "list"):
        return []
    return [k for k in ReportKind if k in REPORT_KINDS.get(role, frozenset())]


def runnable_kinds(user) -> list[ReportKind]:
    """Report kinds ``user`` may start now."""
    if not can(user, "report", "create"):
        return []
    return [k for k in AVAILABLE_KINDS if can_report(user, k)]


def may_download(user, run: ReportRun) -> bool:
    return can(user, "report", "download") and can_report(user, run.kind)


# --- parameters and titles ------------------------------------------------------------------


def normalise_params(kind: ReportKind, params: dict) -> tuple[dict, str]:
    """Check a run's parameters; return them in canonical form with the run's title."""
    kind = ReportKind(kind)
    params = dict(params or {})
    label = str(enum_label(kind))
    if kind == ReportKind.WEEKLY:
        week = Week.parse(params.get("week") or str(Week.last_complete()))
        out = {"week": str(week)}
        if params.get("scheduled"):
            out["scheduled"] = True
        return out, f"{label} {week} ({format_date(week.first_day)}–{format_date(week.last_day)})"
    if kind == ReportKind.BUDGET_EXECUTION:
        raw = params.get("year") or kyiv_today().year
        try:
            year = int(raw)
        except (TypeError, ValueError):
            raise DomainError(_l("Give the year as four digits."), field="year") from None
        if not 2000 <= year <= 2100:
            raise DomainError(_l("Give the year as four digits."), field="year")
        return {"year": year}, f"{label} {year}"
    if kind == ReportKind.STAFF_LIST:
        today = kyiv_today()
        return {"as_of": today.isoformat()}, f"{label} {format_date(today)}"
    raise DomainError(_l("This report is not available yet."), field="kind")


def output_path(run: ReportRun) -> str:
    """Where the run's file is (or will be) written."""
    parts = [run.kind.value]
    if run.params.get("week"):
        parts.append(run.params["week"])
    if run.params.get("year"):
        parts.append(str(run.params["year"]))
    parts.append(f"run{run.id}")
    return os.path.join(current_app.config["REPORTS_DIR"], "-".join(parts) + ".xlsx")


def download_name(run: ReportRun) -> str:
    return os.path.basename(output_path(run)).rsplit("-run", 1)[0] + ".xlsx"


# --- requesting --------------------------------------------------------------------------------


def request_report(kind, params: dict | None = None, user=None) -> ReportRun:
    """Record a run and put its job on the queue. ``user=None`` is the CLI or the schedule."""
    kind = ReportKind(kind)
    if user is not None and not (can(user, "report", "create") and can_report(user, kind)):
        raise DomainError(_l("You may not run this report."))
    params, title = normalise_params(kind, params or {})
    from jobs.reports import build_report

    return enqueue_run(kind, params, title, user, build_report)


def enqueue_run(kind: ReportKind, params: dict, title: str, user, job) -> ReportRun:
    """Record a queued run and put ``job(run_id)`` on the queue under the run's job id.

    When the queue cannot be reached the run is marked FAILED and a DomainError says so.
    """
    run = ReportRun(
        job_id=uuid.uuid4().hex,
        kind=kind,
        params=params,
        title=title[:200],
        state=JobState.QUEUED,
        progress=0,
        message="",
        requested_by_id=getattr(user, "id", None),
    )
    db.session.add(run)
    db.session.commit()  # the worker must find the row
    try:
        from jobs import enqueue

        enqueue(job, run.id, job_id=run.job_id, meta={"run_id": run.id, "progress": 0})
    except Exception as exc:
        log.warning("cannot enqueue %s run %s: %s", kind.value, run.id, exc)
        message = _l(
            "The job queue (Redis) is not available; the report was not started. Try again when the worker is running."
        )
        mark_failed(run, message)
        raise DomainError(message) from None
    return run


# --- the run's life, as the job lives it ------------------------------------------------------


def _update_if_active(run_id: int, **values) -> bool:
    """Change a run only while it is queued or started (a finished run is never overwritten)."""
    result = db.session.execute(
        sa.update(ReportRun)
        .where(ReportRun.id == run_id, ReportRun.state.in_(ACTIVE_STATES))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount > 0


def mark_failed(run: ReportRun, message) -> bool:
    """Record the final failure of a run still in progress."""
    from jobs import set_job_meta

    done = _update_if_active(run.id, state=JobState.FAILED, message=str(message)[:2000], finished_at=utcnow())
    db.session.refresh(run)
    set_job_meta(state=JobState.FAILED.value)  # when called from within the run's job
    return done


def set_progress(run: ReportRun, percent: int) -> None:
    """Show how far the run is, on its row and in its job's meta."""
    from jobs import set_job_meta

    run.progress = max(0, min(100, int(percent)))
    db.session.commit()
    set_job_meta(progress=run.progress, run_id=run.id)


def execute_run(run_id: int) -> str | None:
    """Make the file of run ``run_id`` (called by the job). Returns the file's path.

    A broken rule (bad parameters, nothing to report) ends the run FAILED with its message and
    no retry; any other exception propagates so that RQ retries and the failure callback
    records it.
    """
    run = db.session.get(ReportRun, run_id)
    if run is None:
        log.warning("report run %s no longer exists", run_id)
        return None
    run.state, run.progress, run.message, run.finished_at = JobState.STARTED, 0, "", None
    db.session.commit()
    from jobs import set_job_meta

    set_job_meta(state=JobState.STARTED.value, progress=0, run_id=run.id)
    builder = BUILDERS.get(run.kind)
    try:
        if builder is None:
            raise DomainError(_l("This report is not available yet."))
        path = output_path(run)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            builder(run, tmp, lambda pct: set_progress(run, pct))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    except DomainError as exc:
        db.session.rollback()
        mark_failed(run, exc)
        return None
    run.file_path, run.state, run.progress = path, JobState.FINISHED, 100
    run.message, run.finished_at = "", utcnow()
    db.session.commit()
    set_job_meta(state=JobState.FINISHED.value, progress=100, run_id=run.id)
    return path


def describe_failure(exc) -> str:
    """A message people can act on, for an exception a job ended with."""
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    from jobs.worker import WorkerDied

    if isinstance(exc, WorkerDied):
        return str(_l("the worker process stopped unexpectedly (%(why)s)", why=str(exc)))
    if isinstance(exc, AbandonedJobError):
        return str(_l("the worker stopped while making it (restarted or out of memory)"))
    if isinstance(exc, JobTimeoutException):
        return str(_l("it took longer than allowed"))
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def record_failure(job_id: str, exc, will_retry: bool) -> None:
    """The failure callback's work: note a retry, or end the run FAILED with the reason."""
    db.session.rollback()
    run = db.session.execute(sa.select(ReportRun).filter_by(job_id=job_id)).scalar_one_or_none()
    if run is None:
        return
    reason = describe_failure(exc)
    if will_retry:
        _update_if_active(
            run.id,
            state=JobState.QUEUED,
            message=str(_l("An attempt failed: %(reason)s. Trying again.", reason=reason)),
        )
    else:
        mark_failed(run, _l("The report could not be made: %(reason)s.", reason=reason))


def reconcile_runs(limit: int = 200) -> int:
    """Fail runs whose job is gone or failed in Redis while the row still shows it active.

    Run at worker start and when the report list opens; RQ's own maintenance handles the jobs
    of workers that died mid-job (they are retried or failed through the failure callback).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from portal.redis_conn import redis_or_none

    connection = redis_or_none()
    if connection is None:  # Redis does not answer: the runs stay as they are until it does
        return 0
    runs = (
        db.session.execute(
            sa.select(ReportRun).where(ReportRun.state.in_(ACTIVE_STATES)).order_by(ReportRun.id).limit(limit)
        )
        .scalars()
        .all()
    )
    if not runs:
        return 0
    failed = 0
    for run in runs:
        try:
            job = Job.fetch(run.job_id, connection=connection)
            status = job.get_status(refresh=False)
        except NoSuchJobError:
            message = _l("The job was lost (the queue was restarted or the job expired). Run the report again.")
        else:
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                result = job.latest_result()
                detail = (result.exc_string or "").strip().splitlines()[-1:] if result else []
                message = _l(
                    "The job failed in the queue: %(reason)s. Run the report again.",
                    reason=(detail[0] if detail else status.value)[:300],
                )
            elif status == JobStatus.FINISHED:
                message = _l("The job ended without recording its result. Run the report again.")
            else:
                continue
        if mark_failed(run, message):
            failed += 1
    return failed


def worker_count() -> int:
    """Workers listening on the app's queue (0 when Redis is down)."""
    from rq import Worker

    from jobs import get_queue
    from portal.redis_conn import believed_down

    if believed_down():
        return 0
    try:
        return Worker.count(queue=get_queue())
    except Exception:
        return 0


# --- the weekly schedule -----------------------------------------------------------------------


def weekly_hour() -> int:
    return int(current_app.config.get("WEEKLY_REPORT_HOUR", WEEKLY_REPORT_HOUR))


def monday_run_time(now: datetime | None = None, *, upcoming: bool = True) -> datetime:
    """This week's Monday report time in UTC, or the next one if it has passed (``upcoming``)."""
    local = (now or utcnow()).astimezone(KYIV)
    monday = local.date() - timedelta(days=local.weekday())
    at = datetime(monday.year, monday.month, monday.day, weekly_hour(), tzinfo=KYIV)
    if upcoming and at <= local:
        at = datetime.combine(monday + timedelta(days=7), at.timetz())
    return at.astimezone(UTC)


def scheduled_run_exists(week: Week) -> bool:
    """A scheduled weekly run for ``week`` is queued, running or done (a failed one may be re-made)."""
    since = utcnow() - timedelta(days=60)
    runs = db.session.execute(
        sa.select(ReportRun).where(
            ReportRun.kind == ReportKind.WEEKLY,
            ReportRun.requested_by_id.is_(None),
            ReportRun.created_at >= since,
            ReportRun.state != JobState.FAILED,
        )
    ).scalars()
    return any(r.params.get("week") == str(week) and r.params.get("scheduled") for r in runs)


def run_scheduled_weekly(today=None) -> ReportRun | None:
    """Monday's report on the week just ended, once per week."""
    week = Week.last_complete(today)
    if scheduled_run_exists(week):
        return None
    return request_report(ReportKind.WEEKLY, {"week": str(week), "scheduled": True})


def ensure_weekly_schedule(now: datetime | None = None) -> datetime | None:
    """Make sure the next Monday's report is scheduled; catch up if this Monday's was missed.

    Jobs are keyed by the Monday they run on, so any number of workers starting at once
    schedule it once. Returns the time of the next scheduled run.
    """
    from rq.job import Job

    from jobs import enqueue, get_queue
    from jobs.reports import weekly_schedule_tick

    enabled = current_app.config.get("WEEKLY_REPORT_SCHEDULE", True)
    if isinstance(enabled, str):  # from PORTAL_WEEKLY_REPORT_SCHEDULE
        enabled = enabled.strip().lower() not in ("0", "false", "no", "off", "")
    if not enabled:
        return None
    now = now or utcnow()
    connection = get_queue().connection
    this_monday = monday_run_time(now, upcoming=False)
    if this_monday <= now and not scheduled_run_exists(Week.last_complete(now.astimezone(KYIV).date())):
        job_id = f"weekly-schedule-{this_monday.astimezone(KYIV).date().isoformat()}"
        if not Job.exists(job_id, connection=connection):
            enqueue(weekly_schedule_tick, job_id=job_id)
    upcoming = monday_run_time(now)
    job_id = f"weekly-schedule-{upcoming.astimezone(KYIV).date().isoformat()}"
    if not Job.exists(job_id, connection=connection):
        enqueue(weekly_schedule_tick, job_id=job_id, at=upcoming)
    return upcoming


# --- the builders: (run, path, progress) → file at path ---------------------------------------


def build_weekly(run: ReportRun, path: str, progress) -> None:
    from portal.services import weekly

    analysis = weekly.analyse(Week.parse(run.params["week"]), progress)
    weekly.write_xlsx(analysis, path)
    progress(95)


def _workbook():
    from portal.services.export import safe_workbook

    return safe_workbook()


def _header(ws, row: int, values, widths=None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DCE6F1")
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=str(value))
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in enumerate(widths or [], start=1):
        from openpyxl.utils import get_column_letter

        ws.column_dimensions[get_column_letter(col)].width = width


def _title(ws, text: str, subtitle: str = "") -> None:
    from openpyxl.styles import Font

    ws["A1"] = text
    ws["A1"].font = Font(bold=True, size=14)
    if subtitle:
        ws["A2"] = subtitle


def build_budget_execution(run: ReportRun, path: str, progress) -> None:
    """Plan vs actual by КЕКВ and month, for the approved estimates of a year."""
    from openpyxl.chart import BarChart, Reference

    from portal.models.budget import MONTH_COLUMNS, BudgetEstimate, BudgetLine, Expenditure
    from portal.models.reference import Kekv
    from portal.services.export import neutralise_formula

    year = int(run.params["year"])
    approved = BudgetEstimate.state == DocumentState.APPROVED
    months = [getattr(BudgetLine, c) for c in MONTH_COLUMNS]
    plan_rows = db.session.execute(
        sa.select(Kekv.code, Kekv.name, *[sa.func.sum(m) for m in months])
        .select_from(BudgetLine)
        .join(BudgetEstimate)
        .join(Kekv)
        .where(BudgetEstimate.year == year, approved)
        .group_by(Kekv.code, Kekv.name)
        .order_by(Kekv.code)
    ).all()
    if not plan_rows:
        raise DomainError(_l("There is no approved budget estimate for %(year)s.", year=year))
    progress(30)
    month = sa.extract("month", Expenditure.spent_on)
    actual = defaultdict(lambda: [Decimal("0")] * 12)
    for code, m, amount in db.session.execute(
        sa.select(Kekv.code, month, sa.func.sum(Expenditure.amount))
        .select_from(Expenditure)
        .join(BudgetLine)
        .join(BudgetEstimate)
        .join(Kekv)
        .where(
            BudgetEstimate.year == year,
            approved,
            Expenditure.spent_on >= datetime(year, 1, 1).date(),
            Expenditure.spent_on < datetime(year + 1, 1, 1).date(),
        )
        .group_by(Kekv.code, month)
    ):
        actual[code][int(m) - 1] += Decimal(amount or 0)
    progress(60)

    today = kyiv_today()
    months_to_date = 12 if year < today.year else (today.month if year == today.year else 0)
    wb = _workbook()
    ws = wb.active
    ws.title = str(_l("Plan vs actual"))[:31]
    _title(
        ws,
        f"{_l('Budget execution')} {year}",
        str(_l("Approved estimates; plan to date covers %(n)s months.", n=months_to_date)),
    )
    _header(
        ws,
        4,
        [
            _l("KEKV"),
            _l("Expenditure item"),
            _l("Annual plan"),
            _l("Plan to date"),
            _l("Actual spending"),
            _l("Remaining to date"),
            _l("Executed, % of plan to date"),
        ],
        [10, 45, 16, 16, 16, 16, 14],
    )
    money = "#,##0.00"
    row = 5
    for code, name, *plan in plan_rows:
        plan = [Decimal(p or 0) for p in plan]
        spent = actual.get(code, [Decimal("0")] * 12)
        to_date = sum(plan[:months_to_date], Decimal("0"))
        total_spent = sum(spent, Decimal("0"))
        ws.append(
            [
                code,
                neutralise_formula(name),
                float(sum(plan, Decimal("0"))),
                float(to_date),
                float(total_spent),
                float(to_date - total_spent),
                float(total_spent / to_date) if to_date else None,
            ]
        )
        for col in range(3, 7):
            ws.cell(row=row, column=col).number_format = money
        ws.cell(row=row, column=7).number_format = "0.0%"
        row += 1

    by_month = wb.create_sheet(str(_l("By month"))[:31])
    month_names = [f"{m:02d}" for m in range(1, 13)]
    _header(by_month, 1, [_l("KEKV"), _l("Indicator")] + month_names + [_l("Whole year")], [10, 12] + [12] * 13)
    totals_plan, totals_actual = [Decimal("0")] * 12, [Decimal("0")] * 12
    for code, _name, *plan in plan_rows:
        plan = [Decimal(p or 0) for p in plan]
        spent = actual.get(code, [Decimal("0")] * 12)
        by_month.append([code, str(_l("Plan"))] + [float(p) for p in plan] + [float(sum(plan))])
        by_month.append([code, str(_l("Actual spending"))] + [float(s) for s in spent] + [float(sum(spent))])
        totals_plan = [a + b for a, b in zip(totals_plan, plan)]
        totals_actual = [a + b for a, b in zip(totals_actual, spent)]
    progress(80)

    chart_ws = wb.create_sheet(str(_l("Totals by month"))[:31])
    _header(chart_ws, 1, [_l("Month"), _l("Plan"), _l("Actual spending")], [10, 16, 16])
    for m in range(12):
        chart_ws.append([month_names[m], float(totals_plan[m]), float(totals_actual[m])])
    chart = BarChart()
    chart.title = str(_l("Plan and actual by month"))
    chart.add_data(Reference(chart_ws, min_col=2, max_col=3, min_row=1, max_row=13), titles_from_data=True)
    chart.set_categories(Reference(chart_ws, min_col=1, min_row=2, max_row=13))
    chart.width, chart.height = 22, 10
    chart_ws.add_chart(chart, "E2")
    from portal.services.export import save_workbook

    save_workbook(wb, path)


def build_staff_list(run: ReportRun, path: str, progress) -> None:
    """The staff list (штатний розпис) by unit: posts, pay, monthly and annual fund, vacancies."""
    from portal.models.org import Employee, StaffPosition, StructuralUnit
    from portal.services.export import neutralise_formula

    positions = db.session.execute(
        sa.select(StaffPosition, StructuralUnit)
        .join(StructuralUnit, StaffPosition.unit_id == StructuralUnit.id)
        .order_by(StructuralUnit.code, StructuralUnit.name, StaffPosition.id)
    ).all()
    if not positions:
        raise DomainError(_l("The staff list is empty: add structural units and positions first."))
    occupied = dict(
        db.session.execute(
            sa.select(Employee.position_id, sa.func.sum(Employee.rate))
            .where(Employee.dismissed_on.is_(None), Employee.position_id.is_not(None))
            .group_by(Employee.position_id)
        ).all()
    )
    progress(40)
    wb = _workbook()
    ws = wb.active
    ws.title = str(_l("Staff list"))[:31]
    _title(ws, str(_l("Staff list")), str(_l("As of %(date)s", date=format_date(kyiv_today()))))
    label = functools.partial(field_label, StaffPosition)
    headers = [
        label("unit"),
        label("title"),
        label("posts"),
        label("salary"),
        label("allowances"),
        label("supplements"),
        _l("Monthly pay fund"),
        _l("Annual pay fund"),
        _l("Posts occupied"),
        _l("Posts vacant"),
    ]
    _header(ws, 4, headers, [34, 34, 8, 12, 12, 12, 16, 16, 10, 10])
    money = "#,##0.00"
    from openpyxl.styles import Font

    def totals_row(label, posts, monthly, annual, occ, bold=True):
        ws.append(
            [label, "", float(posts), None, None, None, float(monthly), float(annual), float(occ), float(posts - occ)]
        )
        for col in range(1, 11):
            ws.cell(row=ws.max_row, column=col).font = Font(bold=bold)
        for col in (7, 8):
            ws.cell(row=ws.max_row, column=col).number_format = money

    grand = [Decimal("0")] * 4
    current_unit, unit_totals = None, [Decimal("0")] * 4
    for position, unit in positions:
        if current_unit is not None and unit.id != current_unit.id:
            totals_row(f"{_l('Total')}: {current_unit.name}", *unit_totals)
            unit_totals = [Decimal("0")] * 4
        current_unit = unit
        occ = Decimal(occupied.get(position.id) or 0)
        values = [Decimal(position.posts or 0), position.monthly_fund, position.annual_fund, occ]
        ws.append(
            [
                neutralise_formula(unit.name),
                neutralise_formula(position.title),
                float(values[0]),
                float(position.salary or 0),
                float(position.allowances or 0),
                float(position.supplements or 0),
                float(values[1]),
                float(values[2]),
                float(occ),
                float(values[0] - occ),
            ]
        )
        for col in (4, 5, 6, 7, 8):
            ws.cell(row=ws.max_row, column=col).number_format = money
        unit_totals = [a + b for a, b in zip(unit_totals, values)]
        grand = [a + b for a, b in zip(grand, values)]
    totals_row(f"{_l('Total')}: {current_unit.name}", *unit_totals)
    totals_row(str(_l("Total for the center")), *grand)
    progress(90)
    from portal.services.export import save_workbook

    save_workbook(wb, path)


BUILDERS = {
    ReportKind.WEEKLY: build_weekly,
    ReportKind.BUDGET_EXECUTION: build_budget_execution,
    ReportKind.STAFF_LIST: build_staff_list,
    ReportKind.AUDIT_EXPORT: history.build_export,
}
