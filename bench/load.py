"""Bounded load test of EPA's read API on loopback: `make bench-load` (see docs/performance.md).

It starts a PostgreSQL of its own (not the one of `make run`), migrates, loads the demo
organisation, runs the worker once, creates an API token when the worker can, serves the
API with gunicorn, offers each scenario at a steady rate with locust, and stops everything
again, also on failure or Ctrl-C. It writes a JSON report to bench/results/ and the same to
docs/performance.json, and exits 1 when the single-employee target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg2

from bench.serving import free_port, git_commit, http_get, stop, wait_ready

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCUSTFILE = ROOT / "bench" / "locustfile.py"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    rate: float  # offered requests/s


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--employees", type=int, default=20_000, help="demo organisation size")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--duration", type=float, default=60, help="measured seconds per scenario")
    p.add_argument("--warmup", type=float, default=5, help="seconds sent but not measured")
    p.add_argument("--single-rate", type=float, default=200, help="single-employee reads/s")
    p.add_argument("--list-rate", type=float, default=20, help="filtered list reads/s")
    p.add_argument("--per-user-rate", type=float, default=5, help="requests/s per locust user")
    p.add_argument("--scenarios", default="single,list", help="comma-separated: single, list")
    p.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    p.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    p.add_argument("--pg-port", type=int, default=5440)
    p.add_argument("--pg-data", type=Path, default=ROOT / ".data" / "bench-postgres")
    p.add_argument("--work-dir", type=Path, default=ROOT / ".data" / "bench-run")
    p.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    p.add_argument("--latest", type=Path, default=ROOT / "docs" / "performance.json")
    p.add_argument("--p99-target-ms", type=float, default=50)
    args = p.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(args.scenarios) - {"single", "list"}
    if unknown:
        p.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


def step(message: str) -> None:
    print(f"[bench-load {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(cmd: list[str], env: dict[str, str], *, capture: bool = False) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, check=False, text=True, capture_output=capture)
    if result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:] if capture else ""
        raise RuntimeError(f"{' '.join(cmd)} exited {result.returncode}\n{detail}".strip())
    return result.stdout if capture else ""


def wait_workers_loaded(server: subprocess.Popen, workers: int, timeout: float = 90) -> None:
    """Wait until every gunicorn worker has loaded the app, i.e. has gone idle.

    /readyz answers as soon as one worker is up. Load generator connections are kept alive,
    so connections opened while another worker is still importing the app would all stay
    on the first one, and the test would measure one worker instead of `workers`."""
    master = psutil.Process(server.pid)
    deadline = time.monotonic() + timeout
    quiet_checks = 0
    last: dict[int, float] = {}
    while time.monotonic() < deadline:
        children = master.children()
        now = {c.pid: sum(c.cpu_times()[:2]) for c in children}
        busy = len(now) < workers or any(now[p] - last.get(p, 0.0) > 0.05 for p in now)
        quiet_checks = 0 if busy else quiet_checks + 1
        if quiet_checks >= 2:
            return
        last = now
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn's {workers} workers did not settle within {timeout:g} s")


def prepare_store(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """Migrate, and load and score the demo organisation unless this data dir already has it."""
    python = str(BIN / "python")
    run([python, "-m", "worker", "migrate"], env, capture=True)
    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT employees_scored FROM model_runs WHERE is_current")
        row = cur.fetchone()
    conn.close()
    if row and row[0] == args.employees:
        step(f"reusing the scored demo organisation of {args.employees} in {args.pg_data}")
    else:
        step(f"loading a demo organisation of {args.employees} employees and scoring it")
        size = ["--employees", str(args.employees), "--seed", str(args.seed)]
        run([python, "-m", "worker", "seed-demo", *size], env, capture=True)
        run([python, "-m", "worker", "run"], env, capture=True)
    with psycopg2.connect(env["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT s.employee_id, s.department FROM scores s
               JOIN model_runs r ON r.run_id = s.run_id WHERE r.is_current"""
        )
        rows = cur.fetchall()
        cur.execute("SHOW server_version")
        server_version = cur.fetchone()[0]
    conn.close()
    if not rows:
        raise RuntimeError("the current run has no scores")
    return {
        "employee_ids": sorted(r[0] for r in rows),
        "departments": sorted({r[1] for r in rows}),
        "postgresql": server_version,
    }


def create_token(env: dict[str, str]) -> str | None:
    """A fresh `hr` token, or None while this version of the worker has no tokens command."""
    python = str(BIN / "python")
    probe = subprocess.run(
        [python, "-m", "worker", "tokens", "--help"], cwd=ROOT, env=env, capture_output=True
    )
    if probe.returncode != 0:
        return None
    out = run(
        [python, "-m", "worker", "tokens", "create", "--role", "hr", "--name", "load-test"],
        env,
        capture=True,
    )
    return out.strip().splitlines()[-1].strip()


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """CPU time of these processes and all their descendants (those still alive)."""
    seen: dict[int, psutil.Process] = {}
    for p in processes:
        try:
            for q in [p, *p.children(recursive=True)]:
                seen[q.pid] = q
        except psutil.NoSuchProcess:
            continue
    total = 0.0
    for q in seen.values():
        try:
            t = q.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def machine_busy_seconds() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


def percentile(ordered: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summarise(samples_file: Path, warmup: float, duration: float) -> dict[str, Any]:
    """Statistics over the measured window [first request + warmup, + duration)."""
    samples = [json.loads(line) for line in samples_file.read_text().splitlines() if line]
    if not samples:
        raise RuntimeError(f"locust recorded no requests ({samples_file})")
    start = min(s["t"] for s in samples) + warmup
    window = [s for s in samples if start <= s["t"] < start + duration]
    latencies = sorted(s["ms"] for s in window)
    # From the window's start to its last request: short of `duration` if locust stopped early.
    measured_for = (max(s["t"] for s in window) - start) if window else 0.0
    return {
        "requests": len(window),
        "duration_s": round(measured_for, 2),
        "achieved_per_s": round(len(window) / duration, 1),
        "errors": sum(not s["ok"] for s in window),
        "errors_including_warmup": sum(not s["ok"] for s in samples),
        "requests_including_warmup": len(samples),
        "latency_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "p99": round(percentile(latencies, 99), 2),
            "mean": round(sum(latencies) / len(latencies), 2),
            "max": round(latencies[-1], 2),
        }
        if latencies
        else None,
    }


def run_scenario(
    scenario: Scenario,
    args: argparse.Namespace,
    base_url: str,
    env: dict[str, str],
    ids_file: Path,
    servers: list[psutil.Process],
) -> dict[str, Any]:
    users = max(1, math.ceil(scenario.rate / args.per_user_rate))
    per_user = scenario.rate / users
    samples_file = args.work_dir / f"samples-{scenario.name}.jsonl"
    samples_file.unlink(missing_ok=True)
    run_time = math.ceil(args.warmup + args.duration + 1)
    # Spawning users at the target rate spreads their fixed intervals evenly over one
    # interval, so requests arrive steadily rather than in bursts of users in step.
    cmd = [
        str(BIN / "locust"),
        *("-f", str(LOCUSTFILE), "--headless", "--only-summary", "--host", base_url),
        *("-u", str(users), "-r", str(scenario.rate), "--run-time", f"{run_time}s"),
        *("--stop-timeout", "5", "--exit-code-on-error", "0", "--loglevel", "WARNING"),
        *("--scenario", scenario.name, "--per-user-rate", f"{per_user:.6g}"),
        *("--ids-file", str(ids_file), "--samples-file", str(samples_file)),
    ]
    step(f"{scenario.name}: {scenario.rate:g} req/s from {users} users for {run_time} s")
    log_path = args.work_dir / f"locust-{scenario.name}.log"
    gunicorn_workers = servers[0].children()
    per_worker0 = [cpu_seconds([w]) for w in gunicorn_workers]
    busy0, ours0, wall0 = machine_busy_seconds(), cpu_seconds(servers), time.monotonic()
    with log_path.open("w") as log:
        generator = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        gen = psutil.Process(generator.pid)
        gen_cpu = 0.0
        try:
            while generator.poll() is None:
                gen_cpu = cpu_seconds([gen]) or gen_cpu  # last reading before it exits
                time.sleep(0.5)
        finally:
            if generator.poll() is None:
                generator.kill()
                generator.wait()
    wall = time.monotonic() - wall0
    busy, ours = machine_busy_seconds() - busy0, cpu_seconds(servers) - ours0
    per_worker = [cpu_seconds([w]) - t for w, t in zip(gunicorn_workers, per_worker0, strict=True)]
    if generator.returncode != 0:
        raise RuntimeError(f"locust exited {generator.returncode}; see {log_path}")
    stats = summarise(samples_file, args.warmup, args.duration)
    return {
        "name": scenario.name,
        "request": scenario.path,
        "target_rate_per_s": scenario.rate,
        "users": users,
        "warmup_s": args.warmup,
        **stats,
        # Average cores busy while the scenario ran: who else shared the machine.
        "cpu_cores": {
            "machine": round(busy / wall, 2),
            "api_and_postgresql": round(ours / wall, 2),
            "load_generator": round(gen_cpu / wall, 2),
            "everything_else": round(max(0.0, busy - ours - gen_cpu) / wall, 2),
            # Keep-alive connections stay on one worker: this shows how they were spread.
            "per_gunicorn_worker": [round(t / wall, 2) for t in per_worker],
        },
    }


def verdict(scenarios: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    single = next((s for s in scenarios if s["name"] == "single"), None)
    target = {
        "scenario": "single",
        "rate_per_s": args.single_rate,
        "p99_ms_below": args.p99_target_ms,
        "errors": 0,
    }
    if single is None:
        return {"target": target, "passed": None, "reasons": ["single scenario not run"]}
    reasons = []
    if single["errors_including_warmup"]:
        reasons.append(f"{single['errors_including_warmup']} errors")
    p99 = single["latency_ms"]["p99"] if single["latency_ms"] else math.inf
    if p99 >= args.p99_target_ms:
        reasons.append(f"p99 {p99} ms ≥ {args.p99_target_ms:g} ms")
    # A run that could not offer the rate measured something else than the target.
    if single["achieved_per_s"] < 0.95 * args.single_rate:
        reasons.append(f"achieved {single['achieved_per_s']} req/s < 95 % of {args.single_rate:g}")
    return {"target": target, "passed": not reasons, "reasons": reasons}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the finally below still runs.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    args.work_dir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    pg = str(ROOT / "scripts" / "local-postgres.sh")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://epa@127.0.0.1:{args.pg_port}/epa",
        "EPA_LOG_LEVEL": "WARNING",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn_conf makes a private one
    server: subprocess.Popen | None = None
    token: str | None = None
    try:
        step(f"PostgreSQL on 127.0.0.1:{args.pg_port} in {args.pg_data}")
        run([pg, "start", str(args.pg_data), str(args.pg_port)], env, capture=True)
        run([pg, "createdb", str(args.pg_port), "epa"], env, capture=True)
        population = prepare_store(args, env)
        ids_file = args.work_dir / "population.json"
        ids_file.write_text(json.dumps(population))

        token = create_token(env)
        step("API token created" if token else "the worker has no tokens command: no token")
        bench_env = {**env, "EPA_BENCH_TOKEN": token or ""}

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server_env = {
            **env,
            "EPA_BIND": f"127.0.0.1:{port}",
            "EPA_WORKERS": str(args.workers),
            "EPA_THREADS": str(args.threads),
        }
        step(f"gunicorn on {base_url}: {args.workers} workers × {args.threads} threads")
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:api.gunicorn_conf", "api:create_app()"],
            cwd=ROOT,
            env=server_env,
            stdout=(args.work_dir / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_ready(base_url, server)
        wait_workers_loaded(server, args.workers)
        probe = f"{base_url}/api/v1/employees/{population['employee_ids'][0]}"
        status = http_get(probe, token)
        if status != 200:
            raise RuntimeError(f"GET {probe} answered {status}, not 200: nothing to measure")

        postmaster = int((args.pg_data / "postmaster.pid").read_text().split()[0])
        servers = [psutil.Process(server.pid), psutil.Process(postmaster)]
        catalogue = {
            "single": Scenario("single", "GET /api/v1/employees/{id}", args.single_rate),
            "list": Scenario(
                "list",
                "GET /api/v1/employees?department&tier&limit=50 (a third with after=)",
                args.list_rate,
            ),
        }
        results = [
            run_scenario(catalogue[name], args, base_url, bench_env, ids_file, servers)
            for name in args.scenarios
        ]
    except RuntimeError as exc:
        step(f"failed: {exc}\n  logs: {os.path.relpath(args.work_dir, ROOT)}/")
        return 2
    finally:
        if server is not None:
            stop(server)
        # A token is `epa_<id>_<secret>`: revoked once the test is over, it is no use to anyone.
        token_id = token.split("_")[1] if token and token.count("_") >= 2 else None
        if token_id:
            subprocess.run(
                [str(BIN / "python"), "-m", "worker", "tokens", "revoke", token_id],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=False,
            )
        step("stopping PostgreSQL")
        subprocess.run([pg, "stop", str(args.pg_data)], cwd=ROOT, check=False)

    report = {
        "benchmark": "load",
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_commit(),
        "machine": {
            "nproc": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": population["postgresql"],
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "setup": {
            "employees": len(population["employee_ids"]),
            "departments": len(population["departments"]),
            "authenticated": token is not None,
            "gunicorn": {
                "version": importlib.metadata.version("gunicorn"),
                "worker_class": "gthread",
                "workers": args.workers,
                "threads": args.threads,
            },
            "db_pool_size_per_worker": int(os.environ.get("EPA_DB_POOL_SIZE", "10")),
            "generator": {
                "tool": "locust",
                "version": importlib.metadata.version("locust"),
                "user_class": "FastHttpUser",
                "pacing": "constant_throughput",
            },
        },
        "scenarios": results,
        "result": verdict(results, args),
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"load-{started:%Y-%m-%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    args.latest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out, args.latest)

    for s in results:
        lat = s["latency_ms"] or {}
        step(
            f"{s['name']}: {s['achieved_per_s']}/{s['target_rate_per_s']:g} req/s, "
            f"p50 {lat.get('p50')} p95 {lat.get('p95')} p99 {lat.get('p99')} ms, "
            f"{s['errors']} errors of {s['requests']}"
        )
    outcome = report["result"]
    step(
        f"target (single, {args.single_rate:g} req/s, p99 < {args.p99_target_ms:g} ms, "
        f"0 errors): {'PASS' if outcome['passed'] else 'FAIL'}"
        + (f" ({'; '.join(outcome['reasons'])})" if outcome["reasons"] else "")
    )
    step(f"report: {os.path.relpath(out, ROOT)} (copied to {os.path.relpath(args.latest, ROOT)})")
    return 0 if outcome["passed"] in (True, None) else 1


if __name__ == "__main__":
    sys.exit(main())
