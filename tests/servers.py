"""Real servers for tests and benchmarks: the web app as a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(
    index_dir: Path, *args: str, env: dict[str, str] | None = None, base_env: dict[str, str] | None = None
) -> Iterator[str]:
    """A real `advisor serve` subprocess on a free 127.0.0.1 port; yields its URL once it is ready.
    ``env`` adds to this process's environment, or to ``base_env`` when given."""
    port = free_port()
    environ = dict(os.environ if base_env is None else base_env) | {"ADVISOR_INDEX_DIR": str(index_dir)} | (env or {})
    log_path = index_dir.parent / f"serve-{port}.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "advisor.cli", "serve", "--port", str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environ,
        )
    try:
        deadline = time.monotonic() + 180
        while "is ready" not in log_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("advisor serve did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
