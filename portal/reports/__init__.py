"""Reports: report runs and their queueing (``runs``), the Monday schedule (``schedule``), one
module per report (``weekly``, ``budget``, ``staff``, ``audit_export``, …) and the XLSX layout
helpers they share (``xlsx``).

A report module has ``KIND``, ``JOB`` (the dotted name of the job that makes it),
``normalise_params(params) -> (params, title)`` and ``build(run, path, progress)``; it is listed
once in ``runs.REPORTS``. Report modules depend on ``portal.services`` and the models, never on
``runs`` or on ``jobs``.
"""
