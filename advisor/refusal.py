"""Whether to answer at all, and what a refusal says: the one gate every backend goes through.

``Gatekeeper.gate`` is the entry point. In order:

1. the request itself (``coverage.refuse_request``: injections, out-of-role requests) is refused
   before anything is retrieved or sent anywhere;
2. the passages are retrieved and their sentences scored against the question;
3. ``coverage.assess`` decides answered, partial or not covered (``ADVISOR_REFUSAL_THRESHOLD``)
   and names what is missing; not covered is a refusal (``refused``);
4. a partial question is answered from the passages for the part the sources do cover.

Two refusals can still come after the gate, and both are decided here too: the offline answerer
finds no sentence it may quote (``nothing_quotable``; ``quote_floor`` says which sentences may be
quoted), and the model says the sources don't cover the question (``model_declines``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from advisor.answer import GAP, MODES, REFUSAL, Answer, Sentence, join_items
from advisor.config import Settings
from advisor.coverage import (
    NOT_COVERED,
    PARTIAL,
    Coverage,
    Evidence,
    assess,
    keyword_terms,
    names_every_term,
    refuse_request,
)
from advisor.embeddings import shared_encoder
from advisor.index import Index
from advisor.intent import Shape, shape_of
from advisor.passages import Passage
from advisor.retrieve import Filters, Hit, HybridRetriever
from advisor.vocabulary import vocabulary_of

Scored = list[tuple[Hit, list[str], np.ndarray]]  # each hit, its sentences, their similarity to the question

NOTHING_QUOTABLE = "no quotable sentence in the passages"
MODEL_DECLINED = "the model found nothing in the passages that answers it"
_MODEL_REFUSAL = re.compile(r"sources (do not|don't|don’t) cover", re.IGNORECASE)


@dataclass
class Gate:
    """What an answerer gets for a question the sources cover, at least in part."""

    hits: list[Hit]
    scored: Scored
    coverage: Coverage
    shape: Shape = field(default_factory=Shape)
    given: bool = False  # the passages were given (a previous answer's sources), not retrieved


class Gatekeeper:
    """Retrieves and scores a question's passages, and decides whether it may be answered."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.retriever = HybridRetriever(index, settings)

    def gate(self, question: str, mode: str, k: int | None, filters: Filters, backend: str) -> Answer | Gate:
        """A refused answer (from ``backend``), or the passages to answer from and the coverage decision."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        refused_request = refuse_request(question)
        if refused_request is not None:  # nothing is retrieved, nothing is sent anywhere
            return refused(question, mode, backend, refused_request, [])
        hits = self.retriever.retrieve(question, k, filters)
        scored = self.score(question, hits)
        coverage = assess(
            question,
            Evidence([s for _, s, _ in scored], [sims for _, _, sims in scored], self._nearby(hits)),
            vocabulary_of(self.index),
            shared_encoder().encode,
            self._nearest_sentence,
            self.settings.refusal_threshold,
        )
        if not coverage.covered:
            return refused(question, mode, backend, coverage, hits)
        if coverage.outcome == PARTIAL and coverage.residual:
            # The related passages are those for the part the sources do cover.
            hits = self.retriever.retrieve(coverage.residual, k, filters)
            scored = self.score(coverage.residual, hits)
        return Gate(hits, scored, coverage, shape_of(question))

    def for_passages(self, question: str, passages: list[Passage], coverage: Coverage, shape: Shape) -> Gate:
        """A gate over given passages (a previous answer's sources), for commands that rework an answer."""
        hits = [Hit(p, 1.0 - i * 0.01, 0.0, 0.0, 0.0, i + 1) for i, p in enumerate(passages)]
        return Gate(hits, self.score(question, hits), coverage, shape, given=True)

    def score(self, question: str, hits: list[Hit]) -> Scored:
        """Each hit with its sentences and their cosine similarity to the question; for a search-box query
        ("seat time"), a sentence that names every one of its words counts as at least as close as the
        refusal threshold (``coverage.keyword_terms`` says why)."""
        vectors = self.index.sentence_vectors([h.passage.id for h in hits])
        q = shared_encoder().encode_query(question)
        terms = keyword_terms(question)
        out = []
        for hit in hits:
            sentences, matrix = vectors.get(hit.passage.id, ([], None))
            if matrix is None:  # not in the index (a caller's own passage): embed it now
                sentences = hit.passage.sentences
                matrix = shared_encoder().encode(sentences) if sentences else None
            similarity = matrix @ q if matrix is not None else np.zeros(0)
            if terms:
                named = np.array([names_every_term(terms, s) for s in sentences], dtype=bool)
                # in float64: the threshold in float32 rounds down below itself
                floor = np.maximum(similarity.astype(np.float64), self.settings.refusal_threshold)
                similarity = np.where(named, floor, similarity)
            out.append((hit, sentences, similarity))
        return out

    @cached_property
    def _by_position(self) -> dict[tuple[str, int], Passage]:
        """Passages by (document, order), built once per index rather than on every question."""
        return {(p.doc_id, p.order): p for p in self.index.passages.values()}

    def before(self, hits: list[Hit]) -> list[Passage]:
        """The passages just before the top retrieved ones in their documents, where a list's names
        often sit ("…in a number of states, including Arizona, Nevada…")."""
        order = self._by_position
        found = (order.get((h.passage.doc_id, h.passage.order - 1)) for h in hits[:3])
        return list(dict.fromkeys(p for p in found if p is not None))

    def _nearby(self, hits: list[Hit]) -> list[str]:
        return [s for p in self.before(hits) for s in p.sentences]

    def _nearest_sentence(self, vector: np.ndarray) -> float:
        found = self.index.sentence_search.nearest(vector, 1)
        return found[0][1] if found else 0.0


def quote_floor(settings: Settings, coverage: Coverage, margin: float) -> float:
    """How close to the question a sentence must be to be quoted: within ``margin`` of the best
    evidence, and never below the refusal threshold. The same setting on purpose: a quote must be
    as close as the evidence that let the question through, so a question the gate answers always
    has its best sentence above the floor."""
    return max(settings.refusal_threshold, coverage.relevance - margin)


def refused(question: str, mode: str, backend: str, coverage: Coverage, hits: list[Hit]) -> Answer:
    """The refused answer for a coverage decision of not covered (or a refused request)."""
    return Answer(
        question,
        mode,
        True,
        backend,
        hits=hits,
        reason=coverage.reason,
        refusal_text=refusal_text(coverage),
        coverage=coverage,
    )


def nothing_quotable(question: str, mode: str, backend: str, gate: Gate) -> Answer:
    """The gate let the question through, but no sentence of its passages can be quoted."""
    coverage = gate.coverage
    return Answer(
        question,
        mode,
        True,
        backend,
        hits=gate.hits,
        reason=NOTHING_QUOTABLE,
        coverage=Coverage(NOT_COVERED, coverage.relevance, coverage.missing, coverage.kind, NOTHING_QUOTABLE),
    )


def model_declines(sentence: str) -> bool:
    """A model's sentence that says the sources don't cover the question (whatever its length)."""
    return _MODEL_REFUSAL.search(sentence) is not None


def declined_by_model(question: str, mode: str, backend: str, gate: Gate) -> Answer:
    """The model said the sources don't cover it and cited nothing: refused, never turned into citations."""
    answer = refused(question, mode, backend, gate.coverage, gate.hits)
    answer.reason = MODEL_DECLINED
    answer.refusal_text = None
    return answer


def refusal_text(coverage: Coverage) -> str:
    """What a refused answer says: the role reply, or what the sources don't cover."""
    if coverage.reply:
        return coverage.reply
    if coverage.missing:
        return (
            f"The sources don't cover {join_items(coverage.missing, 'or')}, so there is nothing to cite. "
            + REFUSAL.split("nothing to cite. ", 1)[1]
        )
    return REFUSAL


def gap_sentence(coverage: Coverage) -> Sentence:
    """The first sentence of a partial answer: what the sources don't cover, then a pointer to the rest."""
    others = [m for m in coverage.missing if m != coverage.premise]
    parts = []
    if coverage.premise:
        parts.append(f"The sources don't say this: nothing in them supports “{coverage.premise}”.")
    if others:
        parts.append(f"The sources don't cover {join_items(others, 'or')}.")
    parts.append("What they do say that is related:")
    return Sentence(" ".join(parts), [], GAP)
