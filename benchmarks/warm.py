"""Warm latency per question, the advisor's and the reference's, measured in one process of its own.

    python -m benchmarks.warm QUESTIONS_FILE REPEATS REFERENCE_DIR    (the advisor's index from ADVISOR_*)

Both are opened first; then, question by question, the advisor's and the reference's calls
alternate (who goes first alternates too), so the machine's load falls on both alike. Prints one
JSON object: for ``advisor`` and ``reference``, milliseconds per question for ``retrieve``
(retrieval alone) and ``answer`` (retrieval and the offline answer; for the reference, its query
engine without a model), and ``open_s``, the time to open the index. Every call is timed as a
question seen for the first time: the encoder's memo of recent questions is cleared before each.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.config import Settings, quiet_offline_environment

WARM_UP = 3  # questions asked before timing: lazy loads (the ONNX session, caches) happen here
Calls = dict[str, Callable[[str], Any]]  # "retrieve" and "answer"


def advisor_calls() -> Calls:
    from advisor.session import Session

    session = Session(Settings.from_env(), "extractive")
    return {"retrieve": session.answerer.retriever.retrieve, "answer": session.answerer.answer}


def reference_calls(persist_dir: Path) -> Calls:
    from benchmarks import reference

    index = reference.load(persist_dir)
    return {
        "retrieve": index.as_retriever(similarity_top_k=reference.TOP_K).retrieve,
        "answer": reference.query_engine(index).query,
    }


def measure(systems: dict[str, Calls], questions: list[str], repeats: int) -> dict[str, dict[str, list[float]]]:
    from advisor.embeddings import shared_encoder

    encoder = shared_encoder()
    samples: dict[str, dict[str, list[float]]] = {name: {"retrieve": [], "answer": []} for name in systems}
    order = list(systems)
    asked = questions[:WARM_UP] + questions * repeats  # warm-up questions first, not timed
    for i, question in enumerate(asked):
        for kind in ("retrieve", "answer"):
            for name in order if i % 2 else reversed(order):
                encoder.forget()
                started = time.perf_counter()
                systems[name][kind](question)
                if i >= WARM_UP:
                    samples[name][kind].append((time.perf_counter() - started) * 1000)
    return samples


def main(argv: list[str]) -> int:
    questions_file, repeats, reference_dir = Path(argv[0]), int(argv[1]), Path(argv[2])
    quiet_offline_environment()
    questions = [q for q in questions_file.read_text(encoding="utf-8").splitlines() if q.strip()]
    systems, opened = {}, {}
    for name, open_calls in (("advisor", advisor_calls), ("reference", lambda: reference_calls(reference_dir))):
        started = time.perf_counter()
        systems[name] = open_calls()
        opened[name] = time.perf_counter() - started
    result = measure(systems, questions, repeats)
    print(json.dumps({name: result[name] | {"open_s": opened[name]} for name in systems}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
