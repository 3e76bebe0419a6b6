"""Does the corpus cover a question at all? The refusal decision, kept small and separately tested.

Relevance is the highest cosine similarity between the question and any sentence of the
retrieved passages. Sentence level is sharper than passage level: an in-scope question is
usually answered by one sentence, while an off-topic one matches whole passages only loosely.
Measured on the dev split of evals/ (README, "Refusal"), it separates answerable from
unanswerable questions better than passage similarity, BM25 score or their sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Verdict:
    covered: bool
    relevance: float
    reason: str | None


def judge(sentence_similarities: list[np.ndarray], threshold: float) -> Verdict:
    """Covered when some retrieved sentence is at least ``threshold`` similar to the question."""
    relevance = max((float(s.max()) for s in sentence_similarities if len(s)), default=0.0)
    if relevance < threshold:
        return Verdict(
            False, relevance, f"no retrieved sentence is relevant enough ({relevance:.2f} < {threshold:.2f})"
        )
    return Verdict(True, relevance, None)
