"""One full export of the appeals register, as its background job makes it, in this process.

    PORTAL_DATABASE_URL=… .venv/bin/python scripts/bench_export.py --out FILE [--read-only]

Records a register-export run (every appeal: no search, no filter, the director's scope) and
runs the job's function (``jobs.register_export.export_register``) in this process, as a
worker would. ``--read-only`` never writes to the database (a database shared with others,
opened read-only): the run is not saved and the job's builder writes the file alone — the
same reading and writing, without the run row's start and finish updates.

Prints one JSON line: rows, wall seconds, CPU seconds and the peak resident memory of this
process (``VmHWM``: the interpreter, the app and the export together).

Not ``ru_maxrss``: Linux carries it across ``exec`` from the process that started this one
(Python's ``subprocess`` forks with ``vfork``, the child runs in its parent's memory until its
``exec``), so under ``scripts/bench.py`` it reported the benchmark's own peak whenever that was
higher: 294 and 328 MB for an export whose own peak was 221 MB. ``VmHWM`` is the high-water
mark of this program's memory alone, counted from its ``exec``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def read_only_url(url: str) -> str:
    """A SQLite URL opened read-only (and, the file not being written meanwhile, without locks or -shm file)."""
    if not url.startswith("sqlite:///") or url.startswith("sqlite:///file:"):
        return url
    return f"sqlite:///file:{url[len('sqlite:///') :]}?mode=ro&immutable=1&uri=true"


def memory_status() -> dict[str, float]:
    """MB: the peak (``VmHWM``, see above) and now, of our own (``RssAnon``) and of files mapped (``RssFile``)."""
    status = {}
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(("VmHWM:", "VmRSS:", "RssAnon:", "RssFile:")):
                name, value = line.split(":")
                status[name] = round(int(value.split()[0]) / 1024, 1)
    return status


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="the CSV file to write (--read-only; otherwise the run's file in REPORTS_DIR)")
    parser.add_argument("--read-only", action="store_true")
    args = parser.parse_args(argv)
    if args.read_only and not args.out:
        parser.error("--read-only needs --out")
    started_cpu = time.process_time()
    if args.read_only:
        os.environ["PORTAL_DATABASE_URL"] = read_only_url(os.environ["PORTAL_DATABASE_URL"])

    from jobs.register_export import export_register
    from portal import create_app
    from portal.extensions import db
    from portal.i18n import default_locale
    from portal.models.enums import JobState, ReportKind
    from portal.models.reports import ReportRun
    from portal.reports import register_export, runs
    from portal.services import scope

    app = create_app()
    with app.app_context(), default_locale():
        params, title = runs.normalise_params(ReportKind.REGISTER_EXPORT, {})
        started, started_export_cpu = time.perf_counter(), time.process_time()
        if args.read_only:
            run = ReportRun(kind=ReportKind.REGISTER_EXPORT, params=params, title=title, scope_key="")
            with scope.reading_within(None):
                register_export.build(run, args.out, lambda percent: None)
            path = args.out
        else:
            run = ReportRun(
                job_id=f"bench-{os.getpid()}", kind=ReportKind.REGISTER_EXPORT, params=params, title=title, scope_key=""
            )
            db.session.add(run)
            db.session.commit()
            path = export_register(run.id)
            db.session.refresh(run)
            if run.state != JobState.FINISHED:
                raise SystemExit(f"the run ended {run.state.value}: {run.message}")
        seconds, export_cpu = time.perf_counter() - started, time.process_time() - started_export_cpu
    with open(path, "rb") as written:
        rows = sum(1 for _ in written) - 1  # less the header (no cell of a generated appeal holds a line break)
    status = memory_status()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(export_cpu, 2),  # the export's
                "process_cpu_seconds": round(time.process_time() - started_cpu, 2),  # start-up included
                "peak_mb": status["VmHWM"],
                "now_mb": status,
                "bytes": os.path.getsize(path),
                "path": path,
            }
        )
    )


if __name__ == "__main__":
    main()
