"""What the benchmarks share to serve the API: a free port, a request, waiting for
/readyz, gunicorn started and stopped as deployed, and the commit measured."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, token: str | None = None, timeout: float = 5) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def http_post(url: str, body: bytes, content_type: str, token: str, timeout: float) -> bytes:
    """POST `body`; the response body, or RuntimeError naming the status and its message."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", content_type)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"POST {url} answered {exc.code}: {exc.read()[:500]!r}") from None


def wait_ready(base_url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode} before it was ready")
        try:
            if http_get(f"{base_url}/readyz", timeout=2) == 200:
                return
        except OSError:
            pass  # not listening yet
        time.sleep(0.5)
    raise RuntimeError(f"{base_url}/readyz not ready within {timeout:g} s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()  # gunicorn: SIGTERM is a graceful stop
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def gunicorn(
    env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 4
) -> Iterator[tuple[str, subprocess.Popen]]:
    """The API under gunicorn with api/gunicorn_conf.py on a free loopback port:
    (base URL, the master process), stopped on the way out."""
    port = free_port()
    server_env = {
        **env,
        "EPA_BIND": f"127.0.0.1:{port}",
        "EPA_WORKERS": str(workers),
        "EPA_THREADS": str(threads),
    }
    server_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn_conf makes a private one
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:api.gunicorn_conf", "api:create_app()"],
            cwd=ROOT,
            env=server_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(base_url, server)
            yield base_url, server
        finally:
            stop(server)


def git_commit() -> dict[str, Any]:
    def git(*a: str) -> str:
        return subprocess.run(
            ["git", *a], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
