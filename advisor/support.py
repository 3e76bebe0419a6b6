"""Is a generated sentence supported by the passage(s) it cites? A small, replaceable judge.

``OverlapJudge`` (the offline default) combines two measures:

- lexical: the share of the sentence's content words (stemmed, function words left out) that
  occur in the cited passages;
- semantic: the highest cosine similarity between the sentence and any one sentence of the cited
  passages (all-MiniLM-L6-v2, the model the advisor already ships);

``score = (lexical + semantic) / 2``, and the sentence is supported when the score reaches the
threshold (``ADVISOR_SUPPORT_THRESHOLD``) and every number it states in digits is a number the passages
state (whole numbers compared: 12 is not 120; ``unbacked_numbers``).
(A negation-mismatch rule was tried: it caught contradictions but flagged as many paraphrases,
no net gain on the labelled pairs.)
Its agreement with the hand-labelled pairs in evals/support_pairs.jsonl is measured by
``advisor eval`` and held by a test. Any object with the same ``judge`` method can replace it
(an LLM judge, an NLI model).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import numpy as np

from advisor.embeddings import shared_encoder
from advisor.lexicon import content_terms
from advisor.llm import ChatModel, Message, ModelError
from advisor.passages import Passage
from advisor.prompts import render
from advisor.text import split_sentences

# A number as written: digits with thousands commas (1,200) or without, and decimals (2.5). Commas not
# followed by exactly three digits separate numbers ("1,2,3"), and a sentence's final period is no decimal.
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?")
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}


def _value(written: str) -> Decimal:
    return Decimal(written.replace(",", "")).normalize()


def numbers(text: str) -> set[Decimal]:
    """The numbers a text states, as values: 1,200 and 1200 are one number; 12 and 120 are two; "12%"
    is 12. Number words (one to twenty, the tens) count too, so a passage's "twelve" backs a "12"."""
    found = {_value(n) for n in _NUMBER.findall(text)}
    return found | {Decimal(_NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}


def unbacked_numbers(sentence: str, source: str) -> list[str]:
    """The numbers ``sentence`` writes in digits that ``source`` does not state, as the sentence writes
    them. Whole numbers are compared, never substrings: "12 districts" is not backed by "120 districts".
    A sentence's number words are not checked: "one of the policies" is seldom a quantity."""
    stated = numbers(source)
    return [n for n in _NUMBER.findall(sentence) if _value(n) not in stated]


@dataclass(frozen=True)
class Support:
    supported: bool
    score: float
    lexical: float
    semantic: float
    reason: str | None = None
    evidence: str | None = None  # the cited passage's sentence closest to the claim, to show beside it

    def to_json(self) -> dict:
        return {"supported": self.supported, "score": round(self.score, 3), "reason": self.reason}


VectorSource = Callable[[list[str]], dict[str, tuple[list[str], np.ndarray]]]


class SupportJudge(Protocol):
    def judge(self, sentence: str, passages: list[Passage]) -> Support: ...


class OverlapJudge:
    """Lexical overlap plus embedding similarity; no model beyond the shipped embedder.

    ``sentence_vectors`` (optional) returns stored vectors of indexed passages' sentences, so a
    passage's sentences are embedded once at index time rather than at every check."""

    def __init__(self, threshold: float = 0.675, sentence_vectors: VectorSource | None = None) -> None:
        self.threshold = threshold
        self.sentence_vectors = sentence_vectors
        self._cache: dict[str, tuple[list[str], np.ndarray]] = {}

    def _sentences(self, passages: list[Passage]) -> tuple[list[str], np.ndarray]:
        missing = [p.id for p in passages if p.id not in self._cache]
        if missing and self.sentence_vectors is not None:
            self._cache.update(self.sentence_vectors(missing))
        texts: list[str] = []
        rows: list[np.ndarray] = []
        for p in passages:
            if p.id not in self._cache:  # not indexed (or no store given): embed it now, once
                sentences = split_sentences(p.text) or [p.text]
                self._cache[p.id] = (sentences, shared_encoder().encode(sentences))
            sentences, vectors = self._cache[p.id]
            texts += sentences
            rows.append(vectors)
        return texts, np.vstack(rows)

    def judge(self, sentence: str, passages: list[Passage]) -> Support:
        if not passages:
            return Support(False, 0.0, 0.0, 0.0, "cites no supplied passage")
        source = "\n".join(p.text for p in passages)
        terms = content_terms(sentence)
        lexical = len(terms & content_terms(source)) / len(terms) if terms else 0.0
        texts, vectors = self._sentences(passages)
        similarities = vectors @ shared_encoder().encode_query(sentence)
        best = int(np.argmax(similarities))
        semantic, evidence = float(similarities[best]), texts[best]
        score = (lexical + semantic) / 2
        missing = unbacked_numbers(sentence, source)
        if missing:
            reason = f"states {', '.join(missing)}, which the passage does not"
            return Support(False, score, lexical, semantic, reason, evidence)
        if score < self.threshold:
            reason = f"support score {score:.2f} < {self.threshold:.2f}"
            return Support(False, score, lexical, semantic, reason, evidence)
        return Support(True, score, lexical, semantic, evidence=evidence)


class LLMJudge:
    """Asks a chat model whether the passages state everything the sentence says (advisor/prompts/judge.txt)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    def judge(self, sentence: str, passages: list[Passage]) -> Support:
        if not passages:
            return Support(False, 0.0, 0.0, 0.0, "cites no supplied passage")
        prompt = render("judge", passage="\n\n".join(p.text for p in passages), sentence=sentence)
        try:
            reply = self.model.chat([Message("user", prompt)]).strip().lower()
        except ModelError as exc:
            return Support(False, 0.0, 0.0, 0.0, f"the judge model failed ({exc.reason})")
        supported = reply.startswith("yes")
        return Support(supported, float(supported), 0.0, 0.0, None if supported else f"the judge said {reply[:20]!r}")
