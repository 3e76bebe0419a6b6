"""Evaluation metrics, each a small function with a precise definition.

Per-question functions take plain values and return a number in [0, 1]; a run's figure is the
mean over the questions it applies to (``mean``). Retrieval metrics compare a ranked list of
passage ids with the set of gold ids; answer metrics take per-sentence verdicts of a support judge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass


def hit_at_k(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """1 if any of the first k ranked ids is gold, else 0."""
    return float(any(item in gold for item in ranked[:k]))


def reciprocal_rank(ranked: Sequence[str], gold: set[str]) -> float:
    """1 / (1-based rank of the first gold id in the ranking); 0 if none is ranked."""
    return next((1.0 / rank for rank, item in enumerate(ranked, start=1) if item in gold), 0.0)


def ndcg_at_k(ranked: Sequence[str], gold: set[str], k: int = 5, total_gold: int | None = None) -> float:
    """Normalised discounted cumulative gain with binary relevance:
    DCG = Σ_{i ≤ k, ranked[i] gold} 1 / log2(i + 1) (i from 1), divided by the DCG of an ideal
    ranking that puts min(G, k) gold items first, where G is ``total_gold`` (the number of gold
    items that exist, when ``gold`` holds only those retrieved) or else |gold|. 0 when G is 0."""
    total = len(gold) if total_gold is None else total_gold
    if total == 0:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, item in enumerate(ranked[:k], start=1) if item in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(total, k) + 1))
    return min(1.0, dcg / ideal)


@dataclass(frozen=True)
class JudgedSentence:
    """One answer sentence as the judge saw it.

    ``cited_support`` is the verdict on the sentence against all its cited passages together;
    ``per_citation`` the verdict against each cited passage alone (in citation order);
    ``context_support`` the verdict against all retrieved passages (cited or not)."""

    cited_support: bool
    per_citation: tuple[bool, ...]
    context_support: bool


def citation_recall(sentences: Sequence[JudgedSentence]) -> float:
    """After ALCE (Gao et al. 2023): the share of answer sentences that cite at least one passage
    and whose cited passages, taken together, support them. A sentence citing nothing counts as
    unsupported. None of an empty answer is defined; it scores 0."""
    if not sentences:
        return 0.0
    return sum(1 for s in sentences if s.per_citation and s.cited_support) / len(sentences)


def citation_precision(sentences: Sequence[JudgedSentence]) -> float:
    """After ALCE: the share of (sentence, cited passage) pairs in which that passage alone
    supports the sentence. 0 when the answer cites nothing."""
    pairs = [ok for s in sentences for ok in s.per_citation]
    return sum(pairs) / len(pairs) if pairs else 0.0


def groundedness(sentences: Sequence[JudgedSentence]) -> float:
    """After RAGAS faithfulness: the share of answer sentences supported by the retrieved
    context as a whole, whatever they cite. 0 for an empty answer."""
    if not sentences:
        return 0.0
    return sum(1 for s in sentences if s.context_support) / len(sentences)


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")))


def answer_coverage(answer: str, key_phrases: Sequence[str]) -> float:
    """The share of the question's gold key phrases that occur in the answer, compared as
    lower-cased word sequences (punctuation and spacing ignored). 0 when there are none."""
    if not key_phrases:
        return 0.0
    text = f" {_normalise(answer)} "
    return sum(1 for p in key_phrases if f" {_normalise(p)} " in text) / len(key_phrases)


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean; 0 for no values (a metric that applies to no question)."""
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def missing_named(returned: Sequence[str], labelled: Sequence[str]) -> bool:
    """True when the answer names what is missing: at least half of the labelled missing items share
    a content word with some returned item (lower-cased, compared on their first five letters so that
    "license" meets "licensure", framing words such as "the" or "specifics" left out). True when
    nothing was labelled."""

    def keys(text: str) -> set[str]:
        return {w[:5] for w in _normalise(text).split() if w not in _FRAMING and len(w) > 2}

    found = [keys(r) for r in returned]
    named = sum(1 for label in labelled if any(keys(label) & f for f in found))
    return named * 2 >= len(labelled)


_FRAMING = frozenset("the and any for its their specifics specific number amount figure size state states".split())


def answer_defects(answer) -> dict[str, int]:
    """Two defects an answer must never have (``answer`` is an advisor.answer.Answer):

    - ``dangling_referents``: a quoted sentence that leans on the sentence before it in its passage
      ("These programs…", "At the same time, they…"), shown without that sentence right before it;
    - ``uncited_gloss``: a sentence carrying a citation marker whose words are not the cited
      passage's: a label or gap sentence with a marker, a quote not found verbatim in its passage,
      or a list item (items are separated by "; ") that is neither a line of its passage nor its heading.
    Model-written sentences are left to the support judge."""
    from advisor.referents import leans_back

    passages = {c.id: c.passage for c in answer.citations}
    dangling = gloss = 0
    for paragraph in answer.paragraphs:
        for i, s in enumerate(paragraph):
            if s.kind == "generated":
                continue
            if s.kind in ("label", "gap"):
                gloss += bool(s.citations)
                continue
            cited = [passages[n] for n in s.citations if n in passages]
            if len(cited) != len(s.citations) or not cited:
                gloss += 1
                continue
            passage = cited[0]
            if s.kind == "list":
                lines = {_normalise(x) for x in passage.text.splitlines()} | {_normalise(passage.heading or "")}
                gloss += any(_normalise(item) not in lines for item in s.text.split("; "))
                continue
            if s.text not in passage.text:
                gloss += 1
                continue
            if leans_back(s.text):
                before = _sentence_before(passage.sentences, s.text)
                shown = paragraph[i - 1].text if i > 0 else ""
                dangling += before is None or _normalise(before) != _normalise(shown)
    return {"dangling_referents": dangling, "uncited_gloss": gloss}


def _sentence_before(sentences: Sequence[str], text: str) -> str | None:
    for i, sentence in enumerate(sentences):
        if text in sentence:
            return sentences[i - 1] if i > 0 else None
    return None
