"""Run a command in a fresh process and measure it: time to its first line of output, total
time and peak resident memory (from ``wait4``'s rusage for that process alone)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from advisor.config import PROJECT_ROOT


class BenchmarkError(RuntimeError):
    """A measured command failed; the message carries the end of its stderr."""


@dataclass(frozen=True)
class ProcessRun:
    first_output_s: float  # launch to the first line on stdout
    total_s: float  # launch to exit
    peak_rss_mib: float
    lines: int  # lines printed on stdout
    first_line: str
    last_line: str = ""


def advisor_command() -> list[str]:
    """The ``advisor`` entry point a user runs, from the same environment as this benchmark."""
    script = Path(sys.executable).with_name("advisor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "advisor.cli"]


def python_module(module: str) -> list[str]:
    return [sys.executable, "-m", module]


def offline_env(**overrides: str) -> dict[str, str]:
    """The environment for measured commands: offline backend, no model configured."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(ADVISOR_BACKEND="extractive", **overrides)
    return env


def timed_run(command: list[str], env: dict[str, str], timeout: float = 3600.0) -> ProcessRun:
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=PROJECT_ROOT)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            first_at = time.perf_counter()
            rest = proc.stdout.read()
            lines = (1 if first else 0) + rest.count(b"\n")
            _, status, usage = os.wait4(proc.pid, 0)
            ended = time.perf_counter()
        except BaseException:  # interrupted: leave no process behind
            proc.kill()
            proc.wait()
            raise
        finally:
            killer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace").strip().splitlines()[-5:]
            raise BenchmarkError(f"{' '.join(command[:4])} … exited with {code}: " + " | ".join(tail))
    text = first.decode("utf-8", "replace").strip()
    last = ([text] + rest.decode("utf-8", "replace").strip().splitlines())[-1].strip()
    return ProcessRun(first_at - started, ended - started, usage.ru_maxrss / 1024, lines, text, last)
