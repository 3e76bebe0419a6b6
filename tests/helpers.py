"""What several test modules share: the real `advisor` command in a subprocess, a small corpus, and a crosswalk
matcher that scores each bill once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from advisor.config import PROJECT_ROOT
from advisor.crosswalk import EvidenceMatcher

# Three short documents of the real corpus: an index of them builds in seconds, for tests that
# rebuild, corrupt or kill indexes many times.
SMALL_DOCS = ("publication-page", "transforming-for-tomorrow", "designing-for-all-students")
SMALL_QUESTIONS = (
    "How can states support student-centered education systems?",
    "Who published the state policy framework?",
)


def run_advisor(
    *args: str, env: dict[str, str] | None = None, stdin: str | bytes | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """`advisor ARGS...` as a user runs it, with extra environment variables."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [sys.executable, "-m", "advisor.cli", *args],
        input=data,
        capture_output=True,
        env=os.environ | (env or {}),
        timeout=timeout,
    )


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert b"Traceback" not in result.stderr and b"Traceback" not in result.stdout, result.stderr.decode()


def make_small_corpus(target: Path) -> Path:
    """SMALL_DOCS copied into ``target`` with their manifest entries (and the manifest's comments)."""
    from advisor.corpus import MANIFEST_NAME, load_documents
    from advisor.documents import _without_entry

    target.mkdir(parents=True)
    manifest = (PROJECT_ROOT / "corpus" / MANIFEST_NAME).read_text(encoding="utf-8")
    for doc in load_documents(PROJECT_ROOT / "corpus"):
        if doc.id in SMALL_DOCS:
            shutil.copy(doc.path, target / doc.path.name)
        else:
            manifest = _without_entry(manifest, doc.id)
    (target / MANIFEST_NAME).write_text(manifest, encoding="utf-8")
    return target


class RememberingMatcher(EvidenceMatcher):
    """Scores each bill once for the whole module: the evaluation and calibrate score the same provisions."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self._scored: dict = {}

    def score_all(self, provisions, features=None):
        key = (
            tuple((p.heading, p.text) for p in provisions),
            tuple(features or self.calibration.features),
            frozenset(self.precedents.batches),  # a dev bill is scored without its own batch's precedents
        )
        if key not in self._scored:
            self._scored[key] = super().score_all(provisions, features)
        return self._scored[key]


def assert_floor(scores, floor: tuple[float, ...]) -> None:
    """The crosswalk's figures (top-1, outside accuracy, policy precision, recall, F1) at or above a floor."""
    figures = (scores.top1, scores.outside_accuracy, scores.precision, scores.recall, scores.f1)
    assert all(got >= bound for got, bound in zip(figures, floor)), scores
