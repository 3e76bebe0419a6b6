"""A non-editable install (``pip install .``) answers with a model, its prompts read as package data.

Before: the prompts were found relative to the source checkout, so an installed wheel failed with
"No prompt named 'system'" on its first model answer. The project is installed (no dependencies,
no build isolation, no network) into a temporary ``--target`` and run from outside the checkout,
against the session's index and the scripted OpenAI server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, Reply

from advisor.config import PROJECT_ROOT

MASTERY = "Can a state award credit based on mastery instead of seat time?"
REPLY = (
    "Credit for learning is based on student demonstration of proficiency of clearly defined learning "
    "expectations, not seat time [1]."
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed from a copy of what a source distribution holds (the checkout stays clean)."""
    base = tmp_path_factory.mktemp("installed")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    for package in ("advisor", "ui"):
        shutil.copytree(PROJECT_ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    target = base / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
        + ["--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def _run_installed(target: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """``advisor ARGS`` from the installed copy, outside the checkout; fails if the checkout's code is used."""
    code = (
        "import sys, advisor.prompts as p; from advisor.cli import main; "
        f"assert str(p.PROMPTS).startswith({str(target)!r}), p.PROMPTS; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=target.parent,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)} | env,
        timeout=300,
    )


def test_an_installed_package_answers_with_a_model(installed: Path, settings, index) -> None:
    assert sorted(p.name for p in (installed / "advisor" / "prompts").glob("*.txt")) == [
        "answer.txt",
        "condense.txt",
        "judge.txt",
        "system.txt",
        "talking_points.txt",
    ]
    with FakeOpenAI() as fake:
        fake.default = Reply(REPLY)
        env = {
            "ADVISOR_CORPUS_DIR": str(PROJECT_ROOT / "corpus"),
            "ADVISOR_INDEX_DIR": str(settings.index_dir),
            "OPENAI_BASE_URL": fake.base_url,
            "ADVISOR_MODEL": "scripted",
            "ADVISOR_LLM_TIMEOUT": "60",
        }
        result = _run_installed(installed, ["ask", MASTERY, "--json", "--strict"], env)
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["backend"] == "openai" and answer["model"] == "scripted" and not answer["refused"]
        system = fake.requests[-1]["body"]["messages"][0]
        assert system["role"] == "system" and "ONLY the numbered" in system["content"]


def test_an_installed_package_says_where_the_eval_data_lives(installed: Path) -> None:
    result = _run_installed(installed, ["eval"], {})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "source checkout" in result.stderr and result.stderr.count("\n") == 1
