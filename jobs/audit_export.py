"""Export of a large filtered audit log: a report run of kind AUDIT_EXPORT, made by a job.

The run's lifecycle (states, progress, retries, failure messages, the file's place and its
download) is the reports' one (``portal.services.reports``); the file is built by
``portal.services.history.build_export`` from the filters recorded on the run.
"""
from __future__ import annotations

import logging
import uuid

from flask_babel import lazy_gettext as _l

from jobs import portal_job
from portal.extensions import db
from portal.i18n import format_datetime
from portal.labels import enum_label
from portal.models.base import utcnow
from portal.models.enums import JobState, ReportKind
from portal.models.reports import ReportRun
from portal.services import history, reports
from portal.services.errors import DomainError

log = logging.getLogger(__name__)


@portal_job(timeout=2 * 3600, result_ttl=7 * 24 * 3600, retries=1, on_failure="jobs.reports.report_failed")
def export_audit_log(run_id: int) -> str | None:
    """Write the XLSX of audit-export run ``run_id``; its row records progress and the final state."""
    return reports.execute_run(run_id)


def request_export(filters: list, search: str, user) -> ReportRun:
    """Record an audit-export run for ``filters``/``search`` and put its job on the queue."""
    from jobs import enqueue

    title = f"{enum_label(ReportKind.AUDIT_EXPORT)} {format_datetime(utcnow())}"
    run = ReportRun(job_id=uuid.uuid4().hex, kind=ReportKind.AUDIT_EXPORT,
                    params={"filters": [[str(k), str(v)] for k, v in filters], "search": search or ""},
                    title=title[:200], state=JobState.QUEUED, progress=0, message="",
                    requested_by_id=getattr(user, "id", None))
    db.session.add(run)
    db.session.commit()  # the worker must find the row
    try:
        enqueue(export_audit_log, run.id, job_id=run.job_id, meta={"run_id": run.id, "progress": 0})
    except Exception as exc:
        log.warning("cannot enqueue audit export run %s: %s", run.id, exc)
        message = _l("The job queue (Redis) is not available; the export was not started. "
                     "Try again when the worker is running.")
        reports.mark_failed(run, message)
        raise DomainError(message) from None
    return run
