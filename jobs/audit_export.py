"""Export of a large filtered audit log: a report run of kind AUDIT_EXPORT, made by a job.

The run's lifecycle (states, progress, retries, failure messages, the file's place and its
download) is the reports' one (``portal.reports.runs``); the file is built by
``portal.reports.audit_export.build`` from the filters recorded on the run.
"""

from __future__ import annotations

from jobs import portal_job
from portal.reports import runs


@portal_job
def export_audit_log(run_id: int) -> str | None:
    """Write the XLSX of audit-export run ``run_id``; its row records progress and the final state."""
    return runs.execute_run(run_id)
