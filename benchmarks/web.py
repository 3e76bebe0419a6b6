"""The web app's figures: cold start to a usable page, throughput with concurrent clients, and the
server's peak memory.

Each run starts ``advisor serve`` on a free 127.0.0.1 port and times launch → the page answering
HTTP 200. The last run also serves ``CLIENTS`` concurrent clients for a fixed time through the
app's ``ask`` API (the load test's client loop, ``benchmarks/loadtest.py``). Peak RSS comes from
``wait4`` once the server has stopped. The reference has no web app, so these have no ratio.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from advisor.config import PROJECT_ROOT
from benchmarks.procs import BenchmarkError, advisor_command
from benchmarks.report import Figure, Target
from benchmarks.stats import Summary

CLIENTS = 8
SECTION = "web app"
START_TIMEOUT_S = 180.0
USABLE_PAGE_TARGET = Target("median", 2.0)  # seconds from launch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _serve_once(env: dict[str, str], load: tuple[list[str], float] | None) -> tuple[float, float, object]:
    """(seconds to a usable page, peak RSS in MiB, the load test's result or None)."""
    url = f"http://127.0.0.1:{_free_port()}/"
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        command = [*advisor_command(), "serve", "--port", url.rsplit(":", 1)[1].strip("/")]
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=PROJECT_ROOT)
        try:
            while not _page_answers(url):
                if proc.poll() is not None or time.perf_counter() - started > START_TIMEOUT_S:
                    log.seek(0)
                    raise BenchmarkError("advisor serve did not start: " + log.read().decode(errors="replace")[-800:])
                time.sleep(0.05)
            ready = time.perf_counter() - started
            result = None
            if load is not None:
                from benchmarks.loadtest import web_load

                questions, seconds = load
                result = web_load(url, CLIENTS, seconds, questions)
        finally:
            if proc.poll() is None:
                proc.terminate()
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
    return ready, usage.ru_maxrss / 1024, result


def measure(env: dict[str, str], questions: list[str], runs: int, load_seconds: float) -> list[Figure]:
    starts, peaks, result = [], [], None
    for i in range(runs):
        ready, peak, outcome = _serve_once(env, (questions, load_seconds) if i == runs - 1 else None)
        starts.append(ready)
        peaks.append(peak)
        result = outcome or result
    assert result is not None
    note = (
        f"{result.requests} questions in {result.seconds:.0f} s through the app's ask API (gradio_client, every "
        f"4th as talking points), {result.errors} errors"
    )
    return [
        Figure(SECTION, "cold `advisor serve` → usable page", "s", Summary.of(starts), targets=[USABLE_PAGE_TARGET]),
        Figure(
            SECTION,
            f"throughput, {CLIENTS} concurrent clients",
            "q/s",
            Summary.single(result.requests / result.seconds),
            higher_is_better=True,
            note=note,
        ),
        Figure(SECTION, "server peak RSS (the run under load included)", "MiB", Summary.of(peaks)),
    ]
