"""Shared fixtures: one real index (real Chroma store on disk, real embedding model) per session."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import make_small_corpus, run_advisor

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
    from advisor.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(index, settings)


@pytest.fixture(scope="module")
def app_url(settings, index):
    """A real `advisor serve` over the session's index, one per test module that asks for it."""
    from servers import running_app

    with running_app(settings.index_dir) as url:
        yield url


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
        return run_advisor(*args, env={"ADVISOR_INDEX_DIR": str(settings.index_dir)}, stdin=stdin, timeout=120)

    return run


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index of three short documents (built once); tests work on copies from ``small``."""
    from advisor.index import sync_index

    base = tmp_path_factory.mktemp("small")
    small = replace(Settings(), corpus_dir=make_small_corpus(base / "corpus"), index_dir=base / "index")
    sync_index(small)
    return small


@pytest.fixture()
def small(small_index: Settings, tmp_path: Path) -> Settings:
    """A private copy of the small corpus and its built index, to change, corrupt or kill builds in."""
    shutil.copytree(small_index.corpus_dir, tmp_path / "corpus")
    shutil.copytree(small_index.index_dir, tmp_path / "index")
    return replace(small_index, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
