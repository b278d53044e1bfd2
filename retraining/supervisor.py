"""`python -m retraining.supervisor <id>`: runs the worker for one local retrain.

In a session of its own, started by retraining.local: it runs `python -m worker run
--wait`, records the worker's pid and exit status in store.retrains and passes the
worker's log on. It, not a thread of the API, waits for the worker, so the outcome is
recorded even when the API process that started it has gone."""

from __future__ import annotations

import collections
import signal
import subprocess
import sys

import psycopg2

import settings
from store import retrains


def supervise(database_url: str, request_id: str) -> int:
    """Run the worker for one request and record how it went."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker", "run", "--wait"],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: worker.terminate())
    conn = psycopg2.connect(database_url, application_name="epa-retrain")
    try:
        retrains.mark_running(conn, request_id, worker.pid)
        # The worker's log goes on to ours; its last line names the cause when it fails.
        last = collections.deque(maxlen=1)
        for line in worker.stderr:
            sys.stderr.write(line)
            if line.strip():
                last.append(line.strip())
        code = worker.wait()
        error = None if code == 0 else (last[0] if last else f"the worker exited with {code}")
        retrains.finish(conn, request_id, code, error)
    finally:
        conn.close()
    return code


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.exit("usage: python -m retraining.supervisor REQUEST_ID")
    database_url = settings.get().database_url
    if not database_url:
        sys.exit("DATABASE_URL is not set")
    return supervise(database_url, argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
