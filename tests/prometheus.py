"""A real Prometheus (and Pushgateway) for tests, on free loopback ports.

    with running_prometheus([ScrapeJob("epa-api", ["127.0.0.1:8000"])]) as prom:
        prom.wait_for_targets()
        prom.query('sum(rate(epa_http_request_total[1m]))')

Prometheus scrapes every second and evaluates rules every second. Binaries are Debian's
`prometheus` and `prometheus-pushgateway` (scripts/ensure-tools.sh installs them); a missing
binary is an error, never a skip. The fixtures `start_prometheus` and `pushgateway` wrap
the context managers for pytest.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

PROMETHEUS = "prometheus"
PUSHGATEWAY = "prometheus-pushgateway"
STARTUP_TIMEOUT_SECONDS = 60.0


class PromQLError(RuntimeError):
    """Prometheus refused a query (parse or execution error), with its message."""


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    targets: Sequence[str]  # host:port
    metrics_path: str = "/metrics"
    # True for a Pushgateway: keep the job and instance labels the pusher set.
    honor_labels: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)

    def config(self) -> dict:
        static = {"targets": list(self.targets)}
        if self.labels:
            static["labels"] = dict(self.labels)
        return {
            "job_name": self.name,
            "metrics_path": self.metrics_path,
            "honor_labels": self.honor_labels,
            "static_configs": [static],
        }


class Exposition:
    """Samples of a Prometheus text exposition (a /metrics page), for assertions."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [s for f in text_string_to_metric_families(text) for s in f.samples]

    def matching(self, name: str, **labels: str) -> list:
        return [
            s
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]

    def value(self, name: str, **labels: str) -> float | None:
        """The sum of the samples named `name` that carry `labels`; None when there is none."""
        found = self.matching(name, **labels)
        return sum(s.value for s in found) if found else None

    def by_label(self, name: str, label: str, **labels: str) -> dict[str, float]:
        totals: dict[str, float] = {}
        for s in self.matching(name, **labels):
            key = s.labels.get(label, "")
            totals[key] = totals.get(key, 0.0) + s.value
        return totals

    def label_values(self, label: str) -> set[str]:
        """Every value `label` takes on any sample."""
        return {s.labels[label] for s in self.samples if label in s.labels}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed; run scripts/ensure-tools.sh")
    return path


def _get_json(url: str, timeout: float = 10.0) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        # Prometheus answers bad queries with 400/422 and a JSON error body.
        text = exc.read().decode(errors="replace")
        try:
            body = json.loads(text)
        except ValueError:
            raise PromQLError(f"HTTP {exc.code}: {text[:500]}") from exc
        raise PromQLError(f"{body.get('errorType')}: {body.get('error')}") from exc


def _poll(check: Callable[[], bool], timeout: float, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with code {process.returncode}")
        if check():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:g} s")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def _process(args: list[str], log_path: Path) -> Iterator[subprocess.Popen]:
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    except BaseException:
        # The process's own log usually says why a start or a query failed.
        print(log_path.read_text(errors="replace")[-4000:])
        raise
    finally:
        stop_process(process, timeout=10)


def stop_process(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class PrometheusHandle:
    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url = url
        self._process = process

    def _api(self, path: str, **params: str) -> dict | list:
        query = urllib.parse.urlencode(params)
        body = _get_json(f"{self.url}/api/v1/{path}?{query}")
        if body.get("status") != "success":
            raise PromQLError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        """An instant query's result: [{"metric": {labels}, "value": [t, "v"]}, ...]; a
        scalar or string result comes back in the same shape, with no labels (a range
        vector selector gives "values" instead of "value")."""
        data = self._api("query", query=expr)
        if data["resultType"] in ("vector", "matrix"):
            return data["result"]
        return [{"metric": {}, "value": data["result"]}]

    def query_range(self, expr: str, seconds: float, step: float = 1.0) -> list[dict]:
        """A range query over the last `seconds`: [{"metric": {...}, "values": [...]}, ...]."""
        end = time.time()
        data = self._api(
            "query_range", query=expr, start=str(end - seconds), end=str(end), step=str(step)
        )
        return data["result"]

    def value(self, expr: str) -> float | None:
        """The value of a query that returns at most one sample; None when it returns none."""
        result = self.query(expr)
        if len(result) > 1:
            raise AssertionError(f"{expr!r} returned {len(result)} series, expected one")
        return float(result[0]["value"][1]) if result else None

    def by_label(self, expr: str, label: str) -> dict[str, float]:
        """An instant vector as {value of `label`: sample value}."""
        return {r["metric"].get(label, ""): float(r["value"][1]) for r in self.query(expr)}

    def wait_until(
        self,
        expr: str,
        done: Callable[[list[dict]], bool] = bool,
        timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> list[dict]:
        """Poll an instant query until `done(result)` (default: any result); return the last
        result either way, so the caller's assertion shows what Prometheus had."""
        deadline = time.monotonic() + timeout
        while True:
            result = self.query(expr)
            if done(result) or time.monotonic() > deadline:
                return result
            time.sleep(0.5)

    def targets(self) -> list[dict]:
        return self._api("targets", state="active")["activeTargets"]

    def wait_for_targets(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        """Wait until every target has been scraped successfully at least once."""
        _poll(
            lambda: all(t["health"] == "up" for t in self.targets()),
            timeout,
            f"targets up ({self.url})",
            self._process,
        )

    def rule_groups(self) -> list[dict]:
        """Loaded rule groups with each rule's health, state and last error."""
        return self._api("rules")["groups"]


@contextmanager
def running_prometheus(
    jobs: Sequence[ScrapeJob],
    rule_files: Sequence[Path] = (),
    *,
    wait_for_targets: bool = True,
) -> Iterator[PrometheusHandle]:
    """Start Prometheus scraping `jobs` every second with `rule_files` loaded; by default,
    return once every target has been scraped."""
    with tempfile.TemporaryDirectory(prefix="epa-prometheus-") as folder:
        work = Path(folder)
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(Path(f).resolve()) for f in rule_files],
            "scrape_configs": [job.config() for job in jobs],
        }
        # JSON is YAML: no YAML library needed.
        (work / "prometheus.yml").write_text(json.dumps(config))
        port = free_port()
        args = [
            _binary(PROMETHEUS),
            f"--config.file={work / 'prometheus.yml'}",
            f"--storage.tsdb.path={work / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ]
        with _process(args, work / "prometheus.log") as process:
            url = f"http://127.0.0.1:{port}"
            _poll(lambda: _answers(f"{url}/-/ready"), STARTUP_TIMEOUT_SECONDS, url, process)
            handle = PrometheusHandle(url, process)
            if wait_for_targets and jobs:
                handle.wait_for_targets()
            yield handle


@dataclass(frozen=True)
class PushgatewayHandle:
    url: str

    @property
    def address(self) -> str:
        return self.url.removeprefix("http://")

    def metrics(self) -> Exposition:
        """Everything the Pushgateway holds, as Prometheus would scrape it."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as response:
            return Exposition(response.read().decode())


@contextmanager
def running_pushgateway() -> Iterator[PushgatewayHandle]:
    """Start a Pushgateway (in memory only) on a free loopback port."""
    with tempfile.TemporaryDirectory(prefix="epa-pushgateway-") as folder:
        port = free_port()
        args = [
            _binary(PUSHGATEWAY),
            f"--web.listen-address=127.0.0.1:{port}",
            # Debian's build persists to /var/lib by default: keep every test's data apart.
            "--persistence.file=",
        ]
        with _process(args, Path(folder) / "pushgateway.log") as process:
            url = f"http://127.0.0.1:{port}"
            _poll(lambda: _answers(f"{url}/-/ready"), STARTUP_TIMEOUT_SECONDS, url, process)
            yield PushgatewayHandle(url)


@pytest.fixture
def pushgateway() -> Iterator[PushgatewayHandle]:
    with running_pushgateway() as gateway:
        yield gateway
