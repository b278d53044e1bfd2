"""Real processes for end-to-end tests: the API under gunicorn, plain HTTP calls to it, and
bounded polling (never sleep-and-hope).

    with running_gunicorn(database_url, tmp_path, EPA_WORKERS="2") as api:
        reply = call(api.url + "/readyz")
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.prometheus import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 60.0
T = TypeVar("T")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def call(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Reply:
    """One HTTP request; an error status is a Reply too. Raises OSError when no answer
    came (refused, or `timeout` seconds passed), so a hang fails the test."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Reply(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, dict(exc.headers), exc.read())


def wait_for(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.1, what: str = ""
) -> T:
    """Poll `probe` until it returns something truthy, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:g} s waiting for {what or probe}")
        time.sleep(interval)


@dataclass(frozen=True)
class Gunicorn:
    url: str
    process: subprocess.Popen
    log_path: Path
    metrics_dir: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_gunicorn(database_url: str, folder: Path, **settings: str) -> Iterator[Gunicorn]:
    """The API as deployed (api.gunicorn_conf) on a free loopback port, ready to serve.

    `settings` are extra environment variables (EPA_WORKERS, EPA_DB_POOL_SIZE, ...). The
    combined output goes to `folder`/gunicorn.log."""
    port = free_port()
    metrics_dir = folder / "multiproc"
    metrics_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EPA_BIND": f"127.0.0.1:{port}",
        "EPA_WORKERS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        **settings,
    }
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config",
                "python:api.gunicorn_conf",
                "api:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", process, log_path, metrics_dir)

    def answers() -> bool:
        assert process.poll() is None, server.log()
        try:
            return call(server.url + "/healthz", timeout=5).status == 200
        except OSError:
            return False

    try:
        wait_for(answers, timeout=STARTUP_TIMEOUT_SECONDS, interval=0.2, what="gunicorn")
        yield server
    finally:
        stop_process(process, timeout=30)
