"""Warm latency per question, measured in a process of its own after the index is open.

    python -m benchmarks.warm advisor QUESTIONS_FILE REPEATS          (index from ADVISOR_* variables)
    python -m benchmarks.warm reference QUESTIONS_FILE REPEATS PERSIST_DIR

Prints one JSON object: milliseconds per question for ``retrieve`` (retrieval alone) and
``answer`` (retrieval and the offline answer; for the reference, its query engine without a
model), and ``open_s``, the time to open the index. Every call is timed as a question seen for the
first time: the encoder's memo of recent questions is cleared before each one.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.config import Settings, quiet_offline_environment

WARM_UP = 3  # calls before timing: lazy loads (the ONNX session, caches) happen here


def time_calls(call: Callable[[str], Any], questions: list[str], repeats: int) -> list[float]:
    from advisor.embeddings import shared_encoder

    encoder = shared_encoder()
    for question in questions[:WARM_UP]:
        call(question)
    samples = []
    for _ in range(repeats):
        for question in questions:
            encoder.forget()
            started = time.perf_counter()
            call(question)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def advisor_calls() -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    from advisor.session import Session

    session = Session(Settings.from_env(), "extractive")
    return session.answerer.retriever.retrieve, session.answerer.answer


def reference_calls(persist_dir: Path) -> tuple[Callable[[str], Any], Callable[[str], Any]]:
    from benchmarks import reference

    index = reference.load(persist_dir)
    return index.as_retriever(similarity_top_k=reference.TOP_K).retrieve, reference.query_engine(index).query


def main(argv: list[str]) -> int:
    system, questions_file, repeats = argv[0], Path(argv[1]), int(argv[2])
    quiet_offline_environment()
    questions = [q for q in questions_file.read_text(encoding="utf-8").splitlines() if q.strip()]
    started = time.perf_counter()
    retrieve, answer = advisor_calls() if system == "advisor" else reference_calls(Path(argv[3]))
    opened = time.perf_counter() - started
    result = {
        "open_s": opened,
        "retrieve": time_calls(retrieve, questions, repeats),
        "answer": time_calls(answer, questions, repeats),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
