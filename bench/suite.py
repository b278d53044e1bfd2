"""`make bench`: EPA's batch and API work on a PostgreSQL of its own, each figure beside
its bare limit measured in the same run (see docs/performance.md).

    make bench                              100,000 employees x 12 months
    make bench BENCH_ARGS="--full"          1,000,000 employees
    make bench BENCH_ARGS="--only worker"   some of: seed, worker, ingest, analyze, reads,
                                            report, departments

Benchmarks, each in a process of its own so that its peak memory is its own:
- seed: `worker seed-demo` of the organisation (no bare limit; a peak-memory target);
- worker: `worker run`, against bench.bare's COPY out, the same scikit-learn fits and a
  COPY of the scores into a table without indexes;
- ingest: a task-records CSV that changes every employee's last month, POSTed to the API
  under gunicorn, against COPY into a temporary table and one upsert;
- analyze: POST /api/v1/analyze of every employee's last month over HTTP, against the same
  pipeline called in process;
- reads: the steady-rate load test of bench.load (`make bench-load`) on the same data;
- report: the HTML report of the largest department over HTTP, its bytes and seconds (and
  the employees CSV beside it, which lists everyone);
- departments: GET /departments over HTTP, the median of repeated requests.

It writes bench/results/bench-<UTC time>.json and the results table of
docs/performance.md, and exits 1 when a target is missed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2

from bench.measure import Measured, StepFailed, last_json_line, measured, peak_mib_of
from bench.report import update_performance_doc
from bench.serving import BIN, ROOT, git_commit, gunicorn, http_post
from store.bulk import read_frame

PYTHON = str(BIN / "python")
BENCHMARKS = ("seed", "worker", "ingest", "analyze", "reads", "report", "departments")
FULL_SIZE = 1_000_000
LOCAL_POSTGRES = str(ROOT / "scripts" / "local-postgres.sh")


@dataclass(frozen=True)
class Target:
    """What a benchmark must meet: at most `ratio` times its bare limit, at most
    `seconds`, `peak_mib` and `megabytes` (of a response), each only when given."""

    ratio: float | None = None
    seconds: float | None = None
    peak_mib: float | None = None
    megabytes: float | None = None

    def misses(self, epa: dict, ratio: float | None) -> list[str]:
        found = []
        if self.ratio is not None and ratio is not None and ratio > self.ratio:
            found.append(f"{ratio:.2f}x the bare limit > {self.ratio:g}x")
        if self.seconds is not None and epa["seconds"] > self.seconds:
            found.append(f"{epa['seconds']:g} s > {self.seconds:g} s")
        if self.peak_mib is not None and epa["peak_mib"] > self.peak_mib:
            found.append(f"peak {epa['peak_mib']:g} MiB > {self.peak_mib:g} MiB")
        if self.megabytes is not None and epa["bytes"] > self.megabytes * 1e6:
            found.append(f"{epa['bytes'] / 1e6:.2f} MB > {self.megabytes:g} MB")
        return found

    def describe(self) -> str:
        parts = [f"≤ {self.ratio:g}× bare"] if self.ratio is not None else []
        parts += [f"≤ {self.seconds:g} s"] if self.seconds is not None else []
        parts += [f"peak ≤ {self.peak_mib / 1024:g} GiB"] if self.peak_mib is not None else []
        parts += [f"≤ {self.megabytes:g} MB"] if self.megabytes is not None else []
        return ", ".join(parts) or "—"


GIB = 1024.0


def targets(employees: int) -> dict[str, Target]:
    """The targets of the performance issue, on 2 cores: the 1M ones from 1M up."""
    full = employees >= FULL_SIZE
    return {
        "seed": Target(peak_mib=3 * GIB) if full else Target(),
        "worker": Target(ratio=2.5, seconds=120, peak_mib=3 * GIB) if full else Target(ratio=3),
        # "at least 0.8x the speed of the bare COPY + upsert": at most 1.25x its time.
        "ingest": Target(ratio=1.25),
        "analyze": Target(seconds=10, peak_mib=2 * GIB) if full else Target(seconds=1),
        "reads": Target(),
        # The read API's targets hold at every size: a report bounded at any size.
        "report": Target(seconds=2, megabytes=2),
        "departments": Target(seconds=0.05),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--employees", type=int, default=100_000, help="organisation size")
    p.add_argument("--full", action="store_true", help=f"{FULL_SIZE:,} employees")
    p.add_argument("--months", type=int, default=12, help="months of task records")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated benchmarks")
    p.add_argument("--pg-port", type=int, default=5441)
    p.add_argument("--pg-data", type=Path, default=ROOT / ".data" / "bench-suite-postgres")
    p.add_argument("--work-dir", type=Path, default=ROOT / ".data" / "bench-suite")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--doc", type=Path, default=ROOT / "docs" / "performance.md")
    p.add_argument("--reads-duration", type=float, default=30, help="measured s per scenario")
    args = p.parse_args(argv)
    if args.full:
        args.employees = FULL_SIZE
    args.only = [b.strip() for b in args.only.split(",") if b.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return args


def step(message: str) -> None:
    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", flush=True)


def row(
    name: str,
    work: str,
    epa: Measured,
    bare: Measured | None,
    target: Target,
    figures: dict | None = None,
    **extra: Any,
) -> dict:
    """A benchmark's result; `figures` adds to EPA's seconds and peak (a response's bytes)."""
    epa_figures = {**epa.figures(), **(figures or {})}
    bare_figures = bare.figures() if bare is not None else None
    ratio = round(epa.seconds / bare.seconds, 2) if bare is not None and bare.seconds else None
    misses = target.misses(epa_figures, ratio)
    return {
        "benchmark": name,
        "work": work,
        "epa": epa_figures,
        "bare": bare_figures,
        "ratio": ratio,
        "target": target.describe(),
        "met": not misses,
        "misses": misses,
        **extra,
    }


# --------------------------------------------------------------------------- the store


def drop_database(admin_url: str, name: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def current_run(database_url: str) -> dict:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT run_id, employees_scored, rows_read, timings FROM model_runs "
                "WHERE is_current"
            )
            run_id, scored, rows_read, timings = cur.fetchone()
    finally:
        conn.close()
    return {"run_id": run_id, "employees_scored": scored, "rows_read": rows_read,
            "steps_seconds": timings}  # fmt: skip


def last_month_records(database_url: str) -> pd.DataFrame:
    conn = psycopg2.connect(database_url)
    try:
        return read_frame(
            conn,
            """SELECT employee_id, period, tasks_total, tasks_completed, hours_logged
               FROM task_records WHERE period = (SELECT max(period) FROM task_records)
               ORDER BY employee_id""",
            dtype={"employee_id": str, "period": str},
        )
    finally:
        conn.close()


def changed_csv(records: pd.DataFrame, path: Path, extra_hours: float) -> Path:
    """Every record of the month, its hours changed: an ingest in which every row updates."""
    changed = records.assign(hours_logged=records["hours_logged"] + extra_hours)
    changed.to_csv(path, index=False)
    return path


def create_token(env: dict[str, str]) -> str:
    out = subprocess.run(
        [PYTHON, "-m", "worker", "tokens", "create", "--role", "hr", "--name", "bench"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return out.strip().splitlines()[-1].strip()


# --------------------------------------------------------------------------- benchmarks


def bench_seed(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    size = ["--employees", str(args.employees), "--seed", str(args.seed)]
    epa = measured(
        [PYTHON, "-m", "worker", "seed-demo", *size, "--months", str(args.months)],
        env,
        args.work_dir / "seed.log",
    )
    return row("seed", f"worker seed-demo, {args.employees:,} employees", epa, None, target)


def bench_worker(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    # Its INFO log names each step's seconds and the write's progress: the place to look.
    epa = measured(
        [PYTHON, "-m", "worker", "run"],
        {**env, "EPA_LOG_LEVEL": "INFO"},
        args.work_dir / "worker.log",
    )
    run = current_run(env["DATABASE_URL"])
    bare = measured(
        [PYTHON, "-m", "bench.bare", "worker", env["DATABASE_URL"]],
        env,
        args.work_dir / "bare-worker.log",
    )
    return row(
        "worker",
        f"worker run, {run['employees_scored']:,} employees, {run['rows_read']:,} task rows",
        epa,
        bare,
        target,
        epa_steps_seconds=_published_timings(args.work_dir / "worker.log") or run["steps_seconds"],
        bare_steps_seconds=last_json_line(bare.stdout),
    )


def _published_timings(log: Path) -> dict | None:
    """The step seconds of the worker's "run published" line: they include the write,
    which the run's stored timings cannot (they are written by it)."""
    for line in reversed(log.read_text().splitlines()):
        if '"run published"' in line:
            return json.loads(line).get("timings")
    return None


def _served_request(
    env: dict[str, str], args: argparse.Namespace, name: str, path: str, body: bytes, kind: str
) -> Measured:
    """One POST to a fresh gunicorn: its wall time over HTTP and its worker's peak memory."""
    token = create_token(env)
    with gunicorn(env, args.work_dir / f"gunicorn-{name}.log", workers=1) as (url, server):
        (worker,) = _children(server.pid)
        started = dt.datetime.now()
        http_post(url + path, body, kind, token, timeout=3600)
        seconds = (dt.datetime.now() - started).total_seconds()
        peak = peak_mib_of(worker)
    return Measured(seconds, peak, "")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()]


def bench_ingest(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    records = last_month_records(env["DATABASE_URL"])
    bare_file = changed_csv(records, args.work_dir / "ingest-bare.csv", 1.0)
    epa_file = changed_csv(records, args.work_dir / "ingest-epa.csv", 2.0)
    bare = measured(
        [PYTHON, "-m", "bench.bare", "ingest", env["DATABASE_URL"], str(bare_file)],
        env,
        args.work_dir / "bare-ingest.log",
    )
    epa = _served_request(
        env, args, "ingest", "/api/v1/ingest/task-records", epa_file.read_bytes(), "text/csv"
    )
    # Both are the load alone: the server was up before the request, the bare process had
    # imported and connected before its COPY.
    bare = Measured(last_json_line(bare.stdout)["copy_upsert"], bare.peak_mib, bare.stdout)
    return row("ingest", f"{len(records):,} changed task records over HTTP", epa, bare, target)


def bench_analyze(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    records = last_month_records(env["DATABASE_URL"]).drop(columns="period")
    body_file = args.work_dir / "analyze.json"
    body_file.write_text(json.dumps({"records": records.to_dict(orient="records")}))
    bare = measured(
        [PYTHON, "-m", "bench.bare", "analyze", str(body_file)],
        env,
        args.work_dir / "bare-analyze.log",
    )
    served_env = {**env, "EPA_ANALYZE_MAX_RECORDS": str(max(len(records), 1))}
    epa = _served_request(
        served_env, args, "analyze", "/api/v1/analyze", body_file.read_bytes(), "application/json"
    )
    # The bare figure is the call alone; its process's peak includes reading the body.
    bare = Measured(last_json_line(bare.stdout)["analyze"], bare.peak_mib, bare.stdout)
    return row("analyze", f"POST /analyze, {len(records):,} records over HTTP", epa, bare, target)


def bench_reads(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    """bench.load on this run's data: it reuses the scored organisation of this cluster
    (it recognises it by the number of people the current run scored)."""
    scored = current_run(env["DATABASE_URL"])["employees_scored"]
    done = subprocess.run(
        [
            PYTHON, "-m", "bench.load", "--employees", str(scored),
            "--pg-data", str(args.pg_data), "--pg-port", str(args.pg_port),
            "--duration", f"{args.reads_duration:g}",
            "--work-dir", str(args.work_dir / "reads"), "--results-dir", str(args.results_dir),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise StepFailed(f"bench.load exited {done.returncode}\n{done.stdout[-2000:]}")
    # bench.load stops the PostgreSQL it reused when it is done; the benchmarks after it
    # (report, departments) read the same organisation.
    subprocess.run([LOCAL_POSTGRES, "start", str(args.pg_data), str(args.pg_port)], check=True)
    report = json.loads((ROOT / "docs" / "performance.json").read_text())
    single = next(s for s in report["scenarios"] if s["name"] == "single")
    latency = single["latency_ms"] or {}
    return {
        "benchmark": "reads",
        "work": f"GET /employees/{{id}} at {single['target_rate_per_s']:g}/s",
        "epa": {"p99_ms": latency.get("p99"), "errors": single["errors_including_warmup"]},
        "bare": None,
        "ratio": None,
        "target": "p99 < 50 ms, 0 errors",
        "met": bool(report["result"]["passed"]),
        "misses": report["result"]["reasons"],
    }


def _get(url: str, token: str) -> tuple[float, bytes]:
    """One GET: its wall time and body (RuntimeError unless it answers 200)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {url} answered {response.status}")
    return time.perf_counter() - started, body


def largest_department(database_url: str) -> tuple[str, int]:
    """The department with the most people scored in the current run, and how many."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                """SELECT s.department, count(*) FROM scores s
                   JOIN model_runs r ON r.run_id = s.run_id AND r.is_current
                   GROUP BY s.department ORDER BY count(*) DESC, s.department LIMIT 1"""
            )
            department, people = cur.fetchone()
    finally:
        conn.close()
    return department, people


REPORT_REQUESTS = 3


def bench_report(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    """The largest department's HTML report, after one request that warms the worker up:
    the median of REPORT_REQUESTS requests and the page's bytes; the CSV of everyone once."""
    department, people = largest_department(env["DATABASE_URL"])
    token = create_token(env)
    path = f"/api/v1/departments/{urllib.parse.quote(department, safe='')}"
    with gunicorn(env, args.work_dir / "gunicorn-report.log", workers=1) as (url, server):
        (worker,) = _children(server.pid)
        _get(url + path + "/report.html", token)
        timed = [_get(url + path + "/report.html", token) for _ in range(REPORT_REQUESTS)]
        csv_seconds, csv_body = _get(url + path + "/report.csv?section=employees", token)
        peak = peak_mib_of(worker)
    seconds = statistics.median(t for t, _ in timed)
    return row(
        "report",
        f"department report (HTML), {people:,} people",
        Measured(seconds, peak, ""),
        None,
        target,
        {"bytes": len(timed[0][1])},
        csv={"seconds": round(csv_seconds, 3), "bytes": len(csv_body)},
    )


DEPARTMENTS_REQUESTS = 50


def bench_departments(env: dict[str, str], args: argparse.Namespace, target: Target) -> dict:
    """GET /departments as HR: the median and the slowest of DEPARTMENTS_REQUESTS requests
    after five that warm the worker up."""
    token = create_token(env)
    with gunicorn(env, args.work_dir / "gunicorn-departments.log", workers=1) as (url, server):
        (worker,) = _children(server.pid)
        for _ in range(5):
            _get(url + "/api/v1/departments", token)
        seconds = [_get(url + "/api/v1/departments", token)[0] for _ in range(DEPARTMENTS_REQUESTS)]
        peak = peak_mib_of(worker)
    return row(
        "departments",
        "GET /departments as HR, median over HTTP",
        Measured(statistics.median(seconds), peak, ""),
        None,
        target,
        {"max_seconds": round(max(seconds), 4)},
    )


RUNNERS = {
    "seed": bench_seed,
    "worker": bench_worker,
    "ingest": bench_ingest,
    "analyze": bench_analyze,
    "reads": bench_reads,
    "report": bench_report,
    "departments": bench_departments,
}


def run_benchmarks(env: dict[str, str], args: argparse.Namespace) -> list[dict]:
    """The chosen benchmarks in order on the database of env["DATABASE_URL"], which
    holds the organisation once "seed" has run (or had it already)."""
    args.work_dir.mkdir(parents=True, exist_ok=True)
    goals = targets(args.employees)
    rows = []
    for name in BENCHMARKS:
        if name in args.only:
            step(f"{name} …")
            rows.append(RUNNERS[name](env, args, goals[name]))
            step(f"{name}: {rows[-1]['epa']} (bare {rows[-1]['bare']})")
    return rows


def report(args: argparse.Namespace, rows: list[dict], started: dt.datetime, before: dict) -> dict:
    """`before` is what main saw at the start: the commit (bench.load rewrites a tracked
    file on the way) and the load average (another process busy on the machine shows)."""
    return {
        "benchmark": "suite",
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": before["git"],
        "machine": {
            "load_average_before": before["load_average"],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        },
        "setup": {"employees": args.employees, "months": args.months, "seed": args.seed},
        "results": rows,
        "passed": all(r["met"] for r in rows),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    before = {"git": git_commit(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    pg = LOCAL_POSTGRES
    admin_url = f"postgresql://postgres@127.0.0.1:{args.pg_port}/postgres"
    env = {
        **os.environ,
        # bench.load's database name: the reads benchmark reuses what the others scored.
        "DATABASE_URL": f"postgresql://epa@127.0.0.1:{args.pg_port}/epa",
        "EPA_LOG_LEVEL": "WARNING",
        "EPA_MAX_UPLOAD_MB": "2048",
    }
    try:
        step(f"PostgreSQL on 127.0.0.1:{args.pg_port}; {args.employees:,} employees")
        subprocess.run([pg, "start", str(args.pg_data), str(args.pg_port)], check=True)
        if "seed" in args.only:
            subprocess.run([pg, "createdb", str(args.pg_port), "epa"], check=True)
            drop_database(admin_url, "epa")  # a fresh organisation of the size asked for
        subprocess.run([pg, "createdb", str(args.pg_port), "epa"], check=True)
        subprocess.run([PYTHON, "-m", "worker", "migrate"], cwd=ROOT, env=env, check=True)
        rows = run_benchmarks(env, args)
    except (StepFailed, RuntimeError, subprocess.CalledProcessError) as exc:
        step(f"failed: {exc}")
        return 2
    finally:
        subprocess.run([pg, "stop", str(args.pg_data)], check=False)
    result = report(args, rows, started, before)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"bench-{started:%Y-%m-%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    update_performance_doc(args.doc, result)
    for r in rows:
        verdict = "met" if r["met"] else "MISSED: " + "; ".join(r["misses"])
        step(f"{r['benchmark']}: {r['epa']} vs bare {r['bare']} ({r['target']}: {verdict})")
    step(f"report: {os.path.relpath(out, ROOT)}; table in {os.path.relpath(args.doc, ROOT)}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
