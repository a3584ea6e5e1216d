"""Export of a large filtered audit log: a report run of kind AUDIT_EXPORT, made by a job.

The run's lifecycle (states, progress, retries, failure messages, the file's place and its
download) is the reports' one (``portal.services.reports``); the file is built by
``portal.services.history.build_export`` from the filters recorded on the run.
"""

from __future__ import annotations

from jobs import portal_job
from portal.i18n import format_datetime
from portal.labels import enum_label
from portal.models.base import utcnow
from portal.models.enums import ReportKind
from portal.models.reports import ReportRun
from portal.services import reports


@portal_job(timeout=2 * 3600, result_ttl=7 * 24 * 3600, retries=1, on_failure="jobs.reports.report_failed")
def export_audit_log(run_id: int) -> str | None:
    """Write the XLSX of audit-export run ``run_id``; its row records progress and the final state."""
    return reports.execute_run(run_id)


def request_export(filters: list, search: str, user) -> ReportRun:
    """Record an audit-export run for ``filters``/``search`` and put its job on the queue."""
    title = f"{enum_label(ReportKind.AUDIT_EXPORT)} {format_datetime(utcnow())}"
    params = {"filters": [[str(k), str(v)] for k, v in filters], "search": search or ""}
    return reports.enqueue_run(ReportKind.AUDIT_EXPORT, params, title, user, export_audit_log)
