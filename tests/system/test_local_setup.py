"""The local set-up behind `make run` and `make test`: a checkout anywhere, as root or not.

As root the PostgreSQL server runs as the `postgres` user, which cannot reach a checkout
under a 0700 folder (a home directory such as /root, or any `mktemp -d`)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "local-postgres.sh"


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.mark.postgres  # a cluster of its own
def test_a_cluster_for_a_checkout_under_a_0700_folder_starts_serves_and_stops():
    with tempfile.TemporaryDirectory() as private:
        Path(private).chmod(0o700)
        data = Path(private) / "epa" / ".data" / "postgres"
        port = free_port()
        run(SCRIPT, "start", data, str(port))
        try:
            run(SCRIPT, "createdb", str(port), "epa")
            conn = psycopg2.connect(f"postgresql://epa@127.0.0.1:{port}/epa")
            with conn, conn.cursor() as cur:
                cur.execute("SELECT current_user")
                assert cur.fetchone() == ("epa",)
            conn.close()
            # The same path always finds the same cluster: a second start is a no-op.
            assert "already running" in run(SCRIPT, "start", data, str(port))
        finally:
            run(SCRIPT, "stop", data)
            real = Path(run(SCRIPT, "datadir", data))
            if real != data:
                subprocess.run(["rm", "-rf", str(real)], check=False)
        if os.geteuid() == 0:
            # Out of the server user's reach, so it was placed where that user can go.
            assert real != data and real.parent.stat().st_mode & 0o777 == 0o711


def test_make_works_from_any_directory():
    with tempfile.TemporaryDirectory() as elsewhere:
        listed = run("make", "-f", ROOT / "Makefile", "help", cwd=Path(elsewhere))
    assert "run" in listed and "test-fast" in listed
