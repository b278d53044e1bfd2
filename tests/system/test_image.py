"""The container image, built as `make image` builds it (scripts/build-image.sh: docker,
podman or buildah), run as the chart runs it: uid 10001, the image's default command (the
API under gunicorn) and `python -m worker run`, against the test PostgreSQL. The container
shares the host's network, so it reaches the server on 127.0.0.1.

Building takes about two minutes the first time (buildah with a debootstrap base), seconds
afterwards (the base and the dependency layers are cached)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import fresh_database
from tests.helpers import issue_token, one, seed_demo
from tests.processes import call, wait_for
from tests.prometheus import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "scripts" / "build-image.sh"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
TAG = f"epa:{VERSION}"
USER = "10001:10001"
MAX_IMAGE_BYTES = 600 * 1000 * 1000  # 600 MB, as the builders count (decimal)
BUILD_TIMEOUT_SECONDS = 900
RUN_TIMEOUT_SECONDS = 300

# Inside the image: the installed packages' test folders, and any compiler or pip on PATH.
INSPECTION = """
import json, pathlib, shutil, sysconfig
site = pathlib.Path(sysconfig.get_path("purelib"))
print(json.dumps({
    "test_folders": sorted(
        str(p.relative_to(site)) for p in site.rglob("*")
        if p.is_dir() and p.name in ("tests", "test")
    ),
    "tools": sorted(t for t in ("gcc", "cc", "c++", "g++", "clang", "pip", "pip3")
                    if shutil.which(t)),
}))
"""
# Every compiled dependency loads (their shared libraries are stripped in the build), and
# the modules imported only on some paths: the reports' charts, retraining's client.
IMPORTS = (
    "import numpy, pandas, scipy.stats, sklearn.ensemble, matplotlib.pyplot, PIL.Image, "
    "psycopg2, orjson, pydantic_core, sqlalchemy, kubernetes.client, kubernetes.config, "
    "api, worker.run, retraining.kubernetes, client.cli; "
    "matplotlib.pyplot.plot([1, 2]); matplotlib.pyplot.savefig('/tmp/chart.svg'); "
    "print(numpy.linalg.inv(numpy.eye(3)).sum(), scipy.stats.t.ppf(0.975, 10))"
)


def builder_name() -> str | None:
    done = subprocess.run([BUILD_SCRIPT, "builder"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def storage_args(tool: str) -> list[str]:
    """buildah's storage driver as the build script uses it (STORAGE_DRIVER, if set)."""
    driver = os.environ.get("STORAGE_DRIVER")
    return ["--storage-driver", driver] if tool == "buildah" and driver else []


class Image:
    """The built image, run the same way whichever builder made it."""

    def __init__(self, tool: str, tag: str):
        self.tool = tool
        self.tag = tag

    def _cli(self, *args: str) -> list[str]:
        return [self.tool, *storage_args(self.tool), *args]

    def size_bytes(self) -> int:
        if self.tool == "buildah":
            listed = subprocess.run(
                self._cli("images", "--format", "{{.Size}}", self.tag),
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split("\n")[0]
            number, unit = re.fullmatch(r"([\d.]+)\s*([kMG]?B)", listed.strip()).groups()
            return int(float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit])
        inspected = subprocess.run(
            self._cli("image", "inspect", "--format", "{{.Size}}", self.tag),
            check=True,
            capture_output=True,
            text=True,
        )
        return int(inspected.stdout.strip())

    @contextmanager
    def container(self, *command: str, env: dict[str, str], **popen) -> Iterator[list[str]]:
        """The argv that runs `command` (the image's default when empty) as uid 10001 on the
        host's network; the container is removed afterwards."""
        environment = [f"{k}={v}" for k, v in env.items()]
        if self.tool == "buildah":
            if not command:
                inspected = subprocess.run(
                    self._cli("inspect", "--type", "image", self.tag),
                    check=True,
                    capture_output=True,
                    text=True,
                )
                command = tuple(json.loads(inspected.stdout)["OCIv1"]["config"]["Cmd"])
            name = subprocess.run(
                self._cli("from", "--pull-never", "--quiet", self.tag),
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            argv = self._cli("run", "--isolation", "chroot", "--network", "host", "--user", USER)
            for variable in environment:
                argv += ["--env", variable]
            argv += [name, "--", *command]
            remove = self._cli("rm", name)
        else:
            name = f"epa-test-{uuid.uuid4().hex[:12]}"
            argv = self._cli("run", "--rm", "--name", name, "--network", "host", "--user", USER)
            argv += ["--read-only", "--tmpfs", "/tmp"]
            for variable in environment:
                argv += ["--env", variable]
            argv += [self.tag, *command]
            remove = self._cli("rm", "--force", name)
        try:
            yield argv
        finally:
            subprocess.run(remove, capture_output=True, check=False)

    def run(self, *command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        with self.container(*command, env=env or {}) as argv:
            return subprocess.run(
                argv, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
            )


@pytest.fixture(scope="module")
def image() -> Image:
    tool = builder_name()
    if tool is None and os.geteuid() == 0:
        # As root the suite installs its tools (buildah and debootstrap among them).
        subprocess.run([ROOT / "scripts" / "ensure-tools.sh"], check=False)
        tool = builder_name()
    if tool is None:
        reason = (
            "no image builder: install docker, podman or buildah "
            "(apt-get install buildah debootstrap) to build and test the image"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    built = subprocess.run(
        ["make", "--no-print-directory", "image"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    return Image(tool, TAG)


@pytest.fixture(scope="module")
def demo_url(pg_server: str, template_url: str) -> Iterator[str]:
    """A demo organisation with one published run."""
    from worker.run import execute_run

    with fresh_database(pg_server) as url:
        seed_demo(url, employees=200)
        execute_run(url)
        yield url


def test_the_image_is_small_with_no_test_folders_compiler_or_pip(image):
    size = image.size_bytes()
    assert size < MAX_IMAGE_BYTES, f"{size / 1e6:.0f} MB"
    done = image.run("python", "-c", INSPECTION)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"test_folders": [], "tools": []}


def test_what_the_image_runs_imports_and_its_commands_answer(image):
    done = image.run("python", "-c", IMPORTS)
    assert done.returncode == 0, done.stderr
    for command in ("epa", "epa-worker"):
        done = image.run(command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout, done.stdout + done.stderr


def test_the_image_serves_the_api_as_uid_10001(image, demo_url, tmp_path):
    port = free_port()
    token = issue_token(demo_url)
    env = {"DATABASE_URL": demo_url, "EPA_BIND": f"127.0.0.1:{port}", "EPA_WORKERS": "2"}
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "container.log"
    with image.container(env=env) as argv, log_path.open("wb") as log:
        # A session of its own, so the container's processes are stopped as one group.
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:

            def ready() -> bool:
                assert process.poll() is None, log_path.read_text(errors="replace")
                try:
                    return call(url + "/readyz", timeout=5).status == 200
                except OSError:
                    return False

            wait_for(ready, timeout=120, interval=0.5, what="the API in the image")
            reply = call(
                url + "/api/v1/employees?limit=1", headers={"Authorization": f"Bearer {token}"}
            )
            assert reply.status == 200, reply.body
            assert len(reply.json()["data"]) == 1
            assert call(url + "/api/v1/employees?limit=1").status == 401
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_the_worker_runs_in_the_image(image, demo_url):
    (before,) = one(demo_url, "SELECT count(*) FROM model_runs")
    done = image.run("python", "-m", "worker", "run", env={"DATABASE_URL": demo_url})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    runs = one(demo_url, "SELECT count(*), max(run_id) FROM model_runs")
    assert runs[0] == before + 1
    status, current = one(
        demo_url, "SELECT status, is_current FROM model_runs WHERE run_id = %s", (runs[1],)
    )
    assert (status, current) == ("succeeded", True)
