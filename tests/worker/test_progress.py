"""What `seed-demo` and `worker run` show while they work, run as the real command against a
real PostgreSQL: off a terminal, a JSON log line as each step starts and one per chunk of
rows, up to the whole; on a (pseudo-)terminal, a bar per step; each step's seconds in the
run's log, as before."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading

from store.datasets import DATASETS
from store.run_partitions import RUN_TABLES
from tests.helpers import query, seed_demo
from tests.worker.test_worker_run import cli


def events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def progress_of(found: list[dict], step: str) -> list[dict]:
    return [e for e in found if e["message"] == "step progress" and e["step"] == step]


def test_off_a_terminal_seed_demo_logs_each_step_and_each_chunk_up_to_all_its_rows(
    database_url,
):
    seeded = cli(database_url, "seed-demo", "--employees", "60", "--seed", "5")
    assert seeded.returncode == 0, seeded.stderr
    found = events(seeded.stderr)

    started = [e for e in found if e["message"] == "step started"]
    assert [(e["command"], e["step"]) for e in started] == [
        ("seed-demo", "generate"),
        ("seed-demo", "load"),
    ]
    made = progress_of(found, "generate")
    assert sorted(e["part"] for e in made) == sorted(DATASETS)
    assert [e["done"] for e in made] == list(range(1, len(DATASETS) + 1))
    assert made[-1]["percent"] == 100.0

    loading = progress_of(found, "load")
    done = [e["done"] for e in loading]
    assert done == sorted(done) and len(set(done)) == len(done)
    loaded = [e for e in found if e["message"] == "demo data loaded"]
    total = sum(e["received"] for e in loaded)
    assert loading[-1]["done"] == loading[-1]["total"] == total
    assert {e["part"] for e in loading} == {e["dataset"] for e in loaded}


def test_off_a_terminal_a_run_logs_its_steps_and_the_rows_it_writes_per_table(database_url):
    seed_demo(database_url, employees=80)
    ran = cli(database_url, "run")
    assert ran.returncode == 0, ran.stderr
    found = events(ran.stderr)

    started = [e["step"] for e in found if e["message"] == "step started"]
    # The scores are written while the insights are derived.
    assert started == ["read", "fit", "scores", "insights", "fairness", "write"]
    scores = progress_of(found, "scores")
    assert {e["part"] for e in scores} == {"scores"}
    writing = progress_of(found, "write")
    assert "scores" not in {e["part"] for e in writing}
    assert writing[-1]["done"] == writing[-1]["total"]
    (published,) = [e for e in found if e["message"] == "run published"]
    assert set(published["timings"]) == {"read", "fit", "scores", "insights", "fairness", "write"}
    assert all(seconds >= 0 for seconds in published["timings"].values())
    # The stored timings name the write too, measured before the run's row was finished.
    (stored,) = query(
        database_url, "SELECT timings FROM model_runs WHERE run_id = %s", (published["run_id"],)
    )[0]
    assert set(stored) == set(published["timings"])
    assert {k: stored[k] for k in stored if k != "write"} == {
        k: v for k, v in published["timings"].items() if k != "write"
    }
    assert 0 < stored["write"] <= published["timings"]["write"]
    # Rows written, from the chunks: one score per person scored; every table is written.
    assert scores[-1]["done"] == scores[-1]["total"] == published["employees_scored"]
    assert set(published["write_seconds_by_table"]) == set(RUN_TABLES)


def _on_a_terminal(database_url: str, *args: str) -> tuple[int, str]:
    """The command with a pseudo-terminal as its stderr: what a person at a console sees."""
    leader, follower = pty.openpty()
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "worker", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed with the command
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    code = process.wait(timeout=300)
    reader.join(timeout=30)
    os.close(leader)
    return code, b"".join(seen).decode(errors="replace")


def test_on_a_terminal_seed_demo_draws_a_bar_per_step_with_its_count(database_url):
    code, screen = _on_a_terminal(database_url, "seed-demo", "--employees", "60")
    assert code == 0, screen
    assert "generate" in screen and "load" in screen
    assert f"{len(DATASETS)}/{len(DATASETS)}" in screen
    assert "━" in screen  # the bar
    assert "step started" not in screen and '{"time"' not in screen
