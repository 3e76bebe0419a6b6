"""Is a generated sentence supported by the passage(s) it cites? A small, replaceable judge.

``OverlapJudge`` (the offline default) combines two measures:

- lexical: the share of the sentence's content words (stemmed, function words left out) that
  occur in the cited passages;
- semantic: the highest cosine similarity between the sentence and any one sentence of the cited
  passages (all-MiniLM-L6-v2, the model the advisor already ships);

``score = (lexical + semantic) / 2``, and the sentence is supported when the score reaches the
threshold (``ADVISOR_SUPPORT_THRESHOLD``) and every number it states appears in the passages.
(A negation-mismatch rule was tried: it caught contradictions but flagged as many paraphrases,
no net gain on the labelled pairs.)
Its agreement with the hand-labelled pairs in evals/support_pairs.jsonl is measured by
``advisor eval`` and held by a test. Any object with the same ``judge`` method can replace it
(an LLM judge, an NLI model).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from advisor.embeddings import shared_encoder
from advisor.passages import Passage
from advisor.text import content_terms, split_sentences

_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class Support:
    supported: bool
    score: float
    lexical: float
    semantic: float
    reason: str | None = None

    def to_json(self) -> dict:
        return {"supported": self.supported, "score": round(self.score, 3), "reason": self.reason}


class SupportJudge(Protocol):
    def judge(self, sentence: str, passages: list[Passage]) -> Support: ...


class OverlapJudge:
    """Lexical overlap plus embedding similarity; no model beyond the shipped embedder."""

    def __init__(self, threshold: float = 0.675) -> None:
        self.threshold = threshold

    def judge(self, sentence: str, passages: list[Passage]) -> Support:
        if not passages:
            return Support(False, 0.0, 0.0, 0.0, "cites no supplied passage")
        source = "\n".join(p.text for p in passages)
        terms = content_terms(sentence)
        lexical = len(terms & content_terms(source)) / len(terms) if terms else 0.0
        candidates = [s for p in passages for s in split_sentences(p.text)] or [source]
        vectors = shared_encoder().encode([sentence, *candidates])
        semantic = float(np.max(vectors[1:] @ vectors[0]))
        score = (lexical + semantic) / 2
        missing = [n for n in _NUMBER.findall(sentence) if n.rstrip(".,") not in source]
        if missing:
            return Support(False, score, lexical, semantic, f"states {', '.join(missing)}, which the passage does not")
        if score < self.threshold:
            return Support(False, score, lexical, semantic, f"support score {score:.2f} < {self.threshold:.2f}")
        return Support(True, score, lexical, semantic)
