"""The full export of the appeals register: a report run of kind REGISTER_EXPORT, made by a job.

The run's lifecycle (states, progress, retries, failure messages, the file's place and its
download) is the reports' one (``portal.reports.runs``); the file is written by
``portal.reports.register_export.build`` from the list's search, filters and sorting recorded
on the run, within the requester's scope.
"""

from __future__ import annotations

from jobs import portal_job
from portal.reports import runs


@portal_job
def export_register(run_id: int) -> str | None:
    """Write the CSV of register-export run ``run_id``; its row records progress and the final state."""
    return runs.execute_run(run_id)
