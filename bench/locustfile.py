"""Locust users for EPA's read API, driven by bench/load.py (one scenario per locust run).

Each user sends at a constant throughput (`constant_throughput`), so `users × per-user rate`
is a steady offered rate, independent of how fast the server answers as long as each user
has time left in its interval. Every request's start time, latency and outcome is written
to a JSON-lines file, so the driver computes exact percentiles over a window of its choice
(locust's own statistics round latencies into buckets).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant_throughput, events, task
from locust.env import Environment

_samples: list[tuple[float, float, bool, str]] = []


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    parser.add_argument("--scenario", choices=["single", "list"], default="single")
    parser.add_argument("--per-user-rate", type=float, default=5.0, help="requests/s per user")
    parser.add_argument("--ids-file", default="", help="JSON: employee ids and departments")
    parser.add_argument("--samples-file", default="", help="where to write one line a request")
    parser.add_argument("--token", default="", env_var="EPA_BENCH_TOKEN", include_in_web_ui=False)


@events.request.add_listener
def _record(
    name: str, response_time: float, exception: BaseException | None, start_time: float, **_: Any
) -> None:
    _samples.append((start_time, response_time, exception is None, name))


@events.quitting.add_listener
def _write_samples(environment: Environment, **_: Any) -> None:
    path = environment.parsed_options.samples_file
    if not path:
        return
    with Path(path).open("w") as out:
        for start, latency_ms, ok, name in _samples:
            out.write(json.dumps({"t": start, "ms": latency_ms, "ok": ok, "name": name}) + "\n")


class ReadUser(FastHttpUser):
    """A reader of single employees or of filtered lists, per `--scenario`."""

    def wait_time(self) -> float:
        return self._pacing(self)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self._pacing = constant_throughput(options.per_user_rate)
        population = json.loads(Path(options.ids_file).read_text())
        self.ids: list[str] = population["employee_ids"]
        self.departments: list[str] = population["departments"]
        self.scenario: str = options.scenario
        self.headers = {"Authorization": f"Bearer {options.token}"} if options.token else {}

    @task
    def read(self) -> None:
        if self.scenario == "single":
            self.client.get(
                f"/api/v1/employees/{random.choice(self.ids)}",
                headers=self.headers,
                name="/api/v1/employees/{id}",
            )
            return
        params = {
            "department": random.choice(self.departments),
            "tier": random.choice(["High", "Medium", "Low"]),
            "limit": "50",
        }
        name = "/api/v1/employees?department&tier&limit=50"
        # A third of the lists are later pages: keyset pagination from a random id.
        if random.random() < 1 / 3:
            params["after"] = random.choice(self.ids)
            name += "&after"
        self.client.get("/api/v1/employees", params=params, headers=self.headers, name=name)
