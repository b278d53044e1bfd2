"""Retrains outside Kubernetes: the worker as a local process, tracked in the store.

The API starts `python -m retraining.supervisor <id>` in a session of its own; the
supervisor runs the worker and records the outcome in store.retrains, so any API process
or host sharing the database can report it, even when the API process that started it has
gone."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import psycopg2

from retraining.errors import RetrainConflict, RetrainUnavailable
from store import retrains

log = logging.getLogger("epa.retrain")


def _iso(value: dt.datetime | str | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


class LocalLauncher:
    """The worker as a local process, tracked in the store."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def _connect(self):
        return psycopg2.connect(self.database_url, application_name="epa-retrain")

    def start(self) -> dict:
        request_id = secrets.token_hex(8)
        conn = self._connect()
        try:
            self._clear_stale(conn)
            try:
                retrains.create(conn, request_id, socket.gethostname())
            except retrains.RetrainInProgress as exc:
                raise RetrainConflict(exc.request_id) from None
            try:
                process = subprocess.Popen(
                    [sys.executable, "-m", "retraining.supervisor", request_id],
                    env=_worker_environment(self.database_url),
                    stdin=subprocess.DEVNULL,
                    # Its own session: signals meant for the API's process group (a gunicorn
                    # worker being recycled) leave the retrain alone.
                    start_new_session=True,
                )
            except OSError as exc:
                retrains.finish(conn, request_id, None, f"could not start the worker: {exc}")
                raise RetrainUnavailable(f"could not start the worker: {exc}") from exc
            retrains.set_supervisor(conn, request_id, process.pid)
            # Reap it when it exits, so no zombie stays behind in this process.
            threading.Thread(target=process.wait, daemon=True).start()
            log.info("retrain started", extra={"request_id": request_id, "pid": process.pid})
            return present_row(retrains.get(conn, request_id))
        finally:
            conn.close()

    def status(self, request_id: str) -> dict | None:
        conn = self._connect()
        try:
            self._clear_stale(conn)
            row = retrains.get(conn, request_id)
        finally:
            conn.close()
        return present_row(row) if row else None

    @staticmethod
    def _clear_stale(conn) -> None:
        """Fail a request in flight whose supervisor is gone (its host restarted, or it was
        killed): otherwise it would hold the one-at-a-time slot forever."""
        row = retrains.in_flight(conn)
        if row is None or row["host"] != socket.gethostname() or row["supervisor_pid"] is None:
            return
        if not _alive(row["supervisor_pid"]):
            retrains.finish(conn, row["request_id"], None, "the retrain process is gone")


def _worker_environment(database_url: str) -> dict[str, str]:
    """The API's environment for the worker, less the API's metrics folder: samples the
    worker wrote there would be summed into the API's own /metrics."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    return {**env, "DATABASE_URL": database_url}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has exited; only its parent has not reaped it yet
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return True


def present_row(row: dict) -> dict:
    return {
        "id": row["request_id"],
        "status": row["status"],
        "mode": "local",
        "created_at": _iso(row["created_at"]),
        "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]),
        "exit_code": row["exit_code"],
        "error": row["error"],
    }
