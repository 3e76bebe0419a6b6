"""Shared fixtures: one real index (real Chroma store on disk, real embedding model) per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from advisor.config import PROJECT_ROOT, Settings, quiet_offline_environment

quiet_offline_environment()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return replace(Settings(), index_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="session")
def index(settings: Settings):
    from advisor.index import open_index

    return open_index(settings)


@pytest.fixture(scope="session")
def answerer(index, settings):
    from advisor.answer import ExtractiveAnswerer

    return ExtractiveAnswerer(index, settings)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of corpus/ a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", target)
    return target


@pytest.fixture(scope="session")
def run_cli(settings, index):
    """Run the real `advisor` command in a subprocess against the session's index."""

    def run(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
        env = os.environ | {"ADVISOR_INDEX_DIR": str(settings.index_dir)}
        data = stdin.encode() if isinstance(stdin, str) else stdin
        return subprocess.run(
            [sys.executable, "-m", "advisor.cli", *args], input=data, capture_output=True, env=env, timeout=120
        )

    return run
