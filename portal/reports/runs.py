"""Report runs: request one, make its file in a job, record progress and the final state.

A run is a ``ReportRun`` row keyed by its RQ job id. The row is the record the screens read:
it always ends FINISHED (with a file) or FAILED (with a message people can act on), whether
the job raised, timed out, was retried, or its worker died. Files are written to a temporary
name and renamed, so a re-run never leaves half a file behind.

Each report kind is a module of this package listed once in ``REPORTS``; its job is put on the
queue by name (``portal.queue``), so nothing here imports ``jobs``.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import queue
from portal.auth.permissions import REPORT_KINDS, can, can_report
from portal.extensions import db
from portal.models.enums import JobState, ReportKind, Role
from portal.models.reports import ReportRun
from portal.reports import audit_export, budget, quarterly, register_export, staff, weekly, xlsx
from portal.services import scope
from portal.services.errors import DomainError

log = logging.getLogger(__name__)

# Kinds the report form starts; the exports are requested from the lists they export (history, register).
AVAILABLE_KINDS = (ReportKind.WEEKLY, ReportKind.QUARTERLY, ReportKind.BUDGET_EXECUTION, ReportKind.STAFF_LIST)
ACTIVE_STATES = (JobState.QUEUED, JobState.STARTED)
XLSX_MIMETYPE = xlsx.MIMETYPE

# kind → its module: KIND, JOB, normalise_params(params) -> (params, title), build(run, path, progress)
# and, for a file other than XLSX, EXTENSION and MIMETYPE (and download_name(run), optionally)
REPORTS = {module.KIND: module for module in (weekly, quarterly, budget, staff, audit_export, register_export)}
# kind → builder; a table of its own so that tests can put a failing builder in
BUILDERS = {kind: module.build for kind, module in REPORTS.items()}


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
    """A run is the requester's scope of the appeals: only a reader of the same scope opens it."""
    return can(user, "report", "download") and can_report(user, run.kind) and run.scope_key == scope.scope_key(user)


def visible_runs_clause(user):
    """The runs ``user`` may see: of a kind the role reads, made for the same scope of appeals."""
    return sa.and_(ReportRun.kind.in_(visible_kinds(user)), ReportRun.scope_key == scope.scope_key(user))


# --- parameters and titles ------------------------------------------------------------------


def normalise_params(kind: ReportKind, params: dict) -> tuple[dict, str]:
    """Check a run's parameters; return them in canonical form with the run's title."""
    module = REPORTS.get(ReportKind(kind))
    if module is None:
        raise DomainError(_l("This report is not available yet."), field="kind")
    params, title = module.normalise_params(dict(params or {}))
    return params, str(title)


def output_path(run: ReportRun) -> str:
    """Where the run's file is (or will be) written."""
    parts = [run.kind.value]
    if run.params.get("week"):
        parts.append(run.params["week"])
    if run.params.get("channel") not in (None, weekly.channel_param(weekly.UKC_CHANNEL)):
        parts.append(str(run.params["channel"]))  # the GCC's analysis keeps the plain name
    if run.params.get("quarter"):
        parts.append(run.params["quarter"])
    if run.params.get("year"):
        parts.append(str(run.params["year"]))
    parts.append(f"run{run.id}")
    return os.path.join(current_app.config["REPORTS_DIR"], "-".join(parts) + "." + file_extension(run))


def file_extension(run: ReportRun) -> str:
    """The run's file type: "xlsx", or the kind's own (the register export's "csv")."""
    return getattr(REPORTS.get(ReportKind(run.kind)), "EXTENSION", "xlsx")


def mimetype(run: ReportRun) -> str:
    return getattr(REPORTS.get(ReportKind(run.kind)), "MIMETYPE", XLSX_MIMETYPE)


def download_name(run: ReportRun) -> str:
    module = REPORTS.get(ReportKind(run.kind))
    if module is not None and hasattr(module, "download_name"):  # a kind naming its file itself (the register export)
        return module.download_name(run)
    return os.path.basename(output_path(run)).rsplit("-run", 1)[0] + "." + file_extension(run)


# --- requesting --------------------------------------------------------------------------------


def may_request(user, kind: ReportKind) -> bool:
    """May ``user`` start a run of ``kind``? An export goes with exporting the list it exports."""
    if kind == ReportKind.AUDIT_EXPORT:
        return can(user, "audit_log", "export")
    if kind == ReportKind.REGISTER_EXPORT:  # a run of its own: only a role that runs reports (not the auditor)
        return can(user, "appeal", "export") and can(user, "report", "create") and can_report(user, kind)
    return can(user, "report", "create") and can_report(user, kind)


def request_report(kind, params: dict | None = None, user=None) -> ReportRun:
    """Record a run and put its job on the queue. ``user=None`` is the CLI or the schedule."""
    kind = ReportKind(kind)
    if user is not None and not may_request(user, kind):
        raise DomainError(_l("You may not run this report."))
    params, title = normalise_params(kind, params or {})
    return enqueue_run(kind, params, title, user, REPORTS[kind].JOB)


def enqueue_run(kind: ReportKind, params: dict, title: str, user, job: str) -> ReportRun:
    """Record a queued run and put job ``job(run_id)`` (a dotted name) on the queue under the run's job id.

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
        scope_key=scope.scope_key(user),
    )
    db.session.add(run)
    db.session.commit()  # the worker must find the row
    try:
        queue.enqueue(job, run.id, job_id=run.job_id, meta={"run_id": run.id, "progress": 0})
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
    return cast(sa.CursorResult, result).rowcount > 0  # an UPDATE's result is a CursorResult


def mark_failed(run: ReportRun, message) -> bool:
    """Record the final failure of a run still in progress."""
    done = _update_if_active(run.id, state=JobState.FAILED, message=str(message)[:2000], finished_at=utcnow())
    db.session.refresh(run)
    queue.set_job_meta(state=JobState.FAILED.value)  # when called from within the run's job
    return done


def set_progress(run: ReportRun, percent: int) -> None:
    """Show how far the run is, on its row and in its job's meta."""
    run.progress = max(0, min(100, int(percent)))
    db.session.commit()
    queue.set_job_meta(progress=run.progress, run_id=run.id)


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
    queue.set_job_meta(state=JobState.STARTED.value, progress=0, run_id=run.id)
    builder = BUILDERS.get(run.kind)
    try:
        if builder is None:
            raise DomainError(_l("This report is not available yet."))
        path = output_path(run)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            # the worker reads what the requester may read (see portal.services.scope)
            with scope.reading_within(scope.terms_from_key(run.scope_key)):
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
    queue.set_job_meta(state=JobState.FINISHED.value, progress=100, run_id=run.id)
    return path


def describe_failure(exc) -> str:
    """A message people can act on, for an exception a job ended with."""
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    if isinstance(exc, queue.WorkerDied):
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

    Run by the worker when it starts and in its periodic maintenance (never by a page that is
    only read); RQ's own maintenance handles the jobs of workers that died mid-job (they are
    retried or failed through the failure callback).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    from portal.redis_conn import get_redis

    runs = (
        db.session.execute(
            sa.select(ReportRun).where(ReportRun.state.in_(ACTIVE_STATES)).order_by(ReportRun.id).limit(limit)
        )
        .scalars()
        .all()
    )
    if not runs:
        return 0
    connection = get_redis()
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
