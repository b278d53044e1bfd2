"""Measuring a step: wall seconds and peak memory of a process of its own.

The peak is the kernel's own figure (ru_maxrss of the waited-for child, or VmHWM of a
running one), read without sampling, so a short spike is never missed."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mib: float
    stdout: str

    def figures(self) -> dict:
        return {"seconds": round(self.seconds, 3), "peak_mib": round(self.peak_mib)}


class StepFailed(RuntimeError):
    pass


def measured(cmd: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `cmd` to its end, its stderr into `log`; its wall time and peak resident memory."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as err, tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)
        # os.wait4 reaps the child with its own resource usage (Popen.wait would discard it).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read()
    if process.returncode != 0:
        tail = log.read_text()[-2000:].strip()
        raise StepFailed(f"{' '.join(cmd)} exited {process.returncode}; {log}:\n{tail}")
    return Measured(seconds, usage.ru_maxrss / 1024, stdout)


def peak_mib_of(pid: int) -> float:
    """The highest resident memory a running process has had (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise StepFailed(f"no VmHWM for process {pid}")


def last_json_line(text: str) -> dict:
    """The JSON document a bare step prints as its last line."""
    return json.loads(text.strip().splitlines()[-1])
