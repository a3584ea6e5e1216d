"""``python -m portal.runner`` (what ``make run`` starts): it serves, and Ctrl-C stops everything it started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=2) as response:
        return response.status, json.loads(response.read())


@pytest.fixture
def runner_env(tmp_path):
    own = ("PORTAL_DATABASE_URL", "PORTAL_REDIS_URL", "PORTAL_SECRET_KEY", "PORTAL_FILES_DIR", "PORTAL_REPORTS_DIR")
    env = {k: v for k, v in os.environ.items() if k not in own}
    env.update(PORTAL_INSTANCE_PATH=str(tmp_path / "instance"), PORT=str(free_port()), PYTHONUNBUFFERED="1")
    return env


def start(env, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "portal.runner", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_runner_serves_healthz_and_sigint_stops_every_process_it_started(runner_env):
    process = start(runner_env, "--no-demo")
    url = f"http://127.0.0.1:{runner_env['PORT']}/healthz"
    try:
        deadline, answer = time.monotonic() + 90, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = get_json(url)
                children = psutil.Process(process.pid).children(recursive=True)
                if answer == (200, {"db": "ok", "redis": "ok"}) and any(
                    "worker" in " ".join(c.cmdline()) for c in children
                ):
                    break
            except (OSError, psutil.Error):
                pass
            time.sleep(0.5)
        assert answer == (200, {"db": "ok", "redis": "ok"}), process.stdout.read() if process.poll() is not None else ""
        names = [" ".join(c.cmdline()) for c in children]
        assert any("redis-server" in n for n in names) and any("worker" in n for n in names), names
        assert os.path.exists(os.path.join(runner_env["PORTAL_INSTANCE_PATH"], "config.py"))

        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Stopped." in output
    assert "warm-up" not in output  # its pages rendered once the database was made (a failure is logged)
    time.sleep(0.5)
    assert [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []


@pytest.mark.slow
def test_runner_refuses_a_bad_configuration_with_a_clear_message(runner_env):
    runner_env["PORTAL_DATABASE_URL"] = "mysql://nowhere/portal"
    process = start(runner_env)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Configuration error" in output and "PORTAL_DATABASE_URL" in output
