"""Load test (not a unit test): N clerks register appeals and N readers browse, for a while,
against a running portal (``make run``); prints attempted vs stored, 5xx count and latencies.

    python scripts/load_registrations.py --url http://127.0.0.1:5161 --clerks 6 --readers 6 --seconds 60 \
        --create-users        # makes loadclerkN / loadreaderN with `flask create-user` first

Run it with the same PORTAL_* environment as the server (``--create-users`` uses the CLI, and
the stored count is read from the server's own list). Standard library only.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

PASSWORD = "Load-test-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ROW_ID = re.compile(r'name="rowid" value="(\d+)"')
COUNT = re.compile(r"load-(\d+)-(\d+)-(\d+)")


class Session:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as resp:
                status, text = resp.status, resp.read().decode("utf-8", "replace")
                location = resp.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, text, location = exc.code, exc.read().decode("utf-8", "replace"), exc.headers.get("Location", "")
        return status, text, location, time.perf_counter() - start

    def login(self, username: str) -> None:
        _, page, _, _ = self.request("GET", "/login")
        token = CSRF.search(page).group(1)
        status, _, _, _ = self.request(
            "POST", "/login", {"username": username, "password": PASSWORD, "csrf_token": token}
        )
        if status != 302:
            raise SystemExit(f"login of {username} failed: {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"register": [], "read": []}
        self.attempted = self.accepted = self.server_errors = self.refused = 0
        self.numbers: set[str] = set()

    def add(self, kind: str, status: int, took: float) -> None:
        with self.lock:
            self.latencies[kind].append(took)
            if status >= 500:
                self.server_errors += 1


def appeal_form(tag: str) -> dict:
    return {
        "channel": "government",
        "ukc_number": tag,
        "regional_number": "",
        "appeal_type": "statement",
        "subject": "individual",
        "sign": "primary",
        "summary": f"Навантажувальний тест {tag}",
        "content": "Текст звернення для навантажувального тесту.",
        "signed_by_applicant": "y",
        "needs_study": "y",
        "new_applicant_name": "Мельник Андрій Васильович",
        "new_applicant_address": "м. Дніпро, вул. Січеславська, 5",
        "new_applicant_phone": "067 765 43 21",
        "new_applicant_email": "",
        "new_applicant_sex": "male",
    }


def clerk(base: str, n: int, run: int, until: float, stats: Stats) -> None:
    s = Session(base)
    s.login(f"loadclerk{n}")
    k = 0
    while time.monotonic() < until:
        _, page, _, _ = s.request("GET", "/admin/appeal/new/")
        match = CSRF.search(page)
        if not match:
            continue
        tag = f"load-{run}-{n}-{k}"
        k += 1
        with stats.lock:
            stats.attempted += 1
        status, text, location, took = s.request(
            "POST", "/admin/appeal/new/", appeal_form(tag) | {"csrf_token": match.group(1)}
        )
        stats.add("register", status, took)
        with stats.lock:
            if status == 302 and "/new/" not in location:
                stats.accepted += 1
            else:
                stats.refused += 1


def reader(base: str, n: int, until: float, stats: Stats) -> None:
    s = Session(base)
    s.login(f"loadreader{n}")
    paths = [
        "/admin/appeal/",
        "/admin/appeal/?page=1",
        "/admin/appeal/?search=" + urllib.parse.quote("Мельник"),
        "/admin/",
    ]
    k = 0
    while time.monotonic() < until:
        status, text, _, took = s.request("GET", paths[k % len(paths)])
        stats.add("read", status, took)
        if k % 4 == 0:
            ids = ROW_ID.findall(text)
            if ids:
                status, _, _, took = s.request("GET", f"/admin/appeal/details/?id={ids[0]}")
                stats.add("read", status, took)
        k += 1


def create_users(clerks: int, readers: int) -> None:
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "create-user"]
    for role, prefix, count in (("clerk", "loadclerk", clerks), ("director", "loadreader", readers)):
        for n in range(count):
            subprocess.run(
                [*cmd, f"{prefix}{n}", "--role", role, "--password", PASSWORD], capture_output=True, check=False
            )


def stored_count(run: int) -> int:
    """Appeals of this run in the database (read with the server's own configuration)."""
    code = (
        "from portal import create_app; from portal.extensions import db; from portal.models import Appeal;"
        "app=create_app();"
        "ctx=app.app_context(); ctx.push();"
        f"print(db.session.query(Appeal).filter(Appeal.ukc_number.like('load-{run}-%')).count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=f"http://127.0.0.1:{os.environ.get('PORT', '5000')}")
    ap.add_argument("--clerks", type=int, default=6)
    ap.add_argument("--readers", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--create-users", action="store_true")
    args = ap.parse_args()
    if args.create_users:
        create_users(args.clerks, args.readers)
    run = int(time.time())
    stats = Stats()
    until = time.monotonic() + args.seconds
    threads = [threading.Thread(target=clerk, args=(args.url, n, run, until, stats)) for n in range(args.clerks)]
    threads += [threading.Thread(target=reader, args=(args.url, n, until, stats)) for n in range(args.readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = stored_count(run)
    reg, read = stats.latencies["register"], stats.latencies["read"]
    print(f"clerks={args.clerks} readers={args.readers} seconds={args.seconds:g} url={args.url}")
    print(
        f"registrations: attempted={stats.attempted} accepted={stats.accepted} refused={stats.refused} stored={stored}"
    )
    print(f"5xx responses: {stats.server_errors}")
    print(f"register latency ms: p50={pct(reg, 50):.0f} p95={pct(reg, 95):.0f} (n={len(reg)})")
    print(f"read latency ms:     p50={pct(read, 50):.0f} p95={pct(read, 95):.0f} (n={len(read)})")
    if stored != stats.attempted or stats.server_errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
