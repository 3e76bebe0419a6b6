"""Does the corpus cover a question at all? The refusal decision, kept small and separately tested.

Two signals, calibrated on the dev split of evals/ (thresholds in config.py):

- relevance: the best dense cosine similarity between the question and a retrieved passage;
- concepts: each content word of the question should appear in the corpus, or have a close
  neighbour in the corpus vocabulary (``kids`` → ``children``). A question whose topic word has
  neither (``vouchers``, ``lunch``) asks about something the documents never discuss, even when
  its other words ("school", "funding") retrieve plausible passages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.embeddings import shared_encoder
from advisor.index import Index
from advisor.retrieve import Hit
from advisor.text import GENERIC_WORDS, STOPWORDS, words

NEIGHBOUR_SIMILARITY = 0.6  # a word this close to a corpus word counts as covered
UNCOVERED_RELEVANCE_MARGIN = 0.15  # with an uncovered concept, relevance must clear threshold + this


@dataclass(frozen=True)
class Verdict:
    covered: bool
    relevance: float
    uncovered: tuple[str, ...]
    reason: str | None


class Coverage:
    def __init__(self, index: Index) -> None:
        self.index = index

    def uncovered_terms(self, question: str) -> tuple[str, ...]:
        vocab, vectors = self.index.vocabulary()
        known = set(vocab)
        unknown = [
            w for w in dict.fromkeys(words(question))
            if len(w) > 2 and not w.isdigit() and w not in STOPWORDS and w not in GENERIC_WORDS
            and w not in known and w.rstrip("s") not in known and w + "s" not in known
        ]
        if not unknown or not len(vocab):
            return ()
        similarity = shared_encoder().encode(unknown) @ vectors.T
        return tuple(w for w, best in zip(unknown, similarity.max(axis=1)) if best < NEIGHBOUR_SIMILARITY)

    def judge(self, question: str, hits: list[Hit], threshold: float) -> Verdict:
        relevance = max((h.dense for h in hits), default=0.0)
        uncovered = self.uncovered_terms(question)
        if relevance < threshold:
            return Verdict(False, relevance, uncovered, f"no passage is relevant enough ({relevance:.2f} < {threshold:.2f})")
        if uncovered and relevance < threshold + UNCOVERED_RELEVANCE_MARGIN:
            return Verdict(
                False, relevance, uncovered, f"the sources never mention {', '.join(repr(w) for w in uncovered)}"
            )
        return Verdict(True, relevance, uncovered, None)
