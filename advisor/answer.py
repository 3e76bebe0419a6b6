"""Retrieved passages → a cited answer, with no language model.

The extractive answerer quotes the sentences of the retrieved passages that best answer the
question (by embedding similarity, computed at index time for the passages' sentences), groups
them by policy condition, and introduces each group with a connective sentence that names only
conditions, parts and headings. Every sentence carries a citation marker, so the answer is
grounded by construction. When the corpus does not cover the question it says so and cites nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from advisor.config import Settings
from advisor.coverage import judge
from advisor.embeddings import shared_encoder
from advisor.index import Index
from advisor.passages import IMPLEMENTATION_ACTION, TRANSFORMATIVE_POLICY, Passage
from advisor.retrieve import Filters, Hit, HybridRetriever
from advisor.support import Support

MODES = ("answer", "talking-points")
REFUSAL = (
    "The sources don't cover this question, so there is nothing to cite. The advisor answers from "
    "the KnowledgeWorks State Policy Framework for Personalized Learning, the Research for Action "
    "study and the policymaker guides in its corpus; try asking about one of the framework's eight "
    "policy conditions, the study's roadmap or its recommendations."
)
META_REFUSAL = (
    "The advisor only answers questions about the policy documents in its corpus; it does not "
    "reveal, repeat or change its instructions. The sources don't cover this request."
)
# Requests about the assistant itself rather than the documents: never answered from passages.
_META_REQUEST = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|prompts?|rules|directions)\b|"
    r"\b(system|hidden|initial|secret)\s+(prompt|instructions?|message)\b|"
    r"\b(reveal|print|show|repeat|output|tell me)\b.{0,30}\b(your|the)\s+(instructions?|prompt|rules|configuration)\b|"
    r"\byou are now\b|\bjailbreak\b|\bDAN mode\b",
    re.IGNORECASE,
)
UNSUPPORTED_TAG = "(unsupported: not found in the cited passage)"
_LEAD_INS = re.compile(r"^(In addition|Additionally|Further(more)?|Also|Moreover|This, in turn|In turn),\s+", re.I)


@dataclass
class Citation:
    id: int
    passage: Passage

    def to_json(self) -> dict[str, Any]:
        p = self.passage
        return {
            "id": self.id,
            "source": p.source,
            "doc_id": p.doc_id,
            "condition": p.condition,
            "part": p.part,
            "heading": p.heading,
            "text": p.text,
        }


class CitationList:
    """Numbers passages 1, 2, ... in the order an answer first cites them."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.items: list[Citation] = []

    def cite(self, passage: Passage) -> int:
        if passage.id not in self.numbers:
            self.numbers[passage.id] = len(self.numbers) + 1
            self.items.append(Citation(self.numbers[passage.id], passage))
        return self.numbers[passage.id]


@dataclass
class Sentence:
    """One sentence of an answer: a quote from its cited passage, or a connective naming headings."""

    text: str
    citations: list[int]
    kind: str  # "quote" | "connective" | "generated"
    support: Support | None = None  # the support check's verdict, for generated sentences

    @property
    def flagged(self) -> bool:
        return self.support is not None and not self.support.supported

    def render(self) -> str:
        markers = "".join(f"[{n}]" for n in self.citations)
        body = self.text
        if markers:
            body = f"{body[:-1]} {markers}." if body.endswith(".") else f"{body} {markers}"
        return f"{body} {UNSUPPORTED_TAG}" if self.flagged else body

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "citations": self.citations, "kind": self.kind}
        if self.support is not None:
            data["support"] = self.support.to_json()
        return data


@dataclass
class Answer:
    question: str
    mode: str
    refused: bool
    backend: str
    paragraphs: list[list[Sentence]] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    reason: str | None = None
    refusal_text: str | None = None
    model: str | None = None
    note: str | None = None  # e.g. why the model's answer was replaced by the extractive one
    dropped: int = 0  # generated sentences removed because the passages did not support them
    dangling: int = 0  # citation markers that pointed at no supplied passage

    @property
    def text(self) -> str:
        if self.refused:
            return self.refusal_text or REFUSAL
        if self.mode == "talking-points":
            return "\n".join(f"- {s.render()}" for para in self.paragraphs for s in para)
        return "\n\n".join(" ".join(s.render() for s in para) for para in self.paragraphs)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "mode": self.mode,
            "answer": self.text,
            "refused": self.refused,
            "reason": self.reason,
            "backend": self.backend,
            "model": self.model,
            "note": self.note,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for para in self.paragraphs for s in para],
            "dropped_sentences": self.dropped,
            "dangling_citations": self.dangling,
            "retrieved": [
                {"rank": h.rank, "score": round(h.score, 6), "dense": round(h.dense, 4), "passage_id": h.passage.id}
                for h in self.hits
            ],
        }


@dataclass
class AnswerStream:
    """Iterate for the reply's text as it arrives; ``answer`` holds the verified result at the end."""

    deltas: Iterator[str]
    answer: Answer | None = field(default=None)

    def __iter__(self) -> Iterator[str]:
        return self.deltas

    def finish(self) -> Answer:
        for _ in self.deltas:
            pass
        assert self.answer is not None
        return self.answer


Scored = list[tuple[Hit, list[str], np.ndarray]]  # each hit, its sentences, their similarity to the question
Gate = tuple[list[Hit], Scored, float]  # what an answerer gets for a question the corpus covers


class ExtractiveAnswerer:
    """Quotes the best sentences of the retrieved passages; needs no model and no network."""

    name = "extractive"

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self.retriever = HybridRetriever(index, settings)

    def stream(
        self, question: str, mode: str = "answer", k: int | None = None, filters: Filters = Filters(), **_: Any
    ) -> AnswerStream:
        """The same interface as a model's stream: here the whole answer arrives at once."""
        answer = self.answer(question, mode, k, filters)
        return AnswerStream(iter([answer.text]), answer)

    def answer(
        self, question: str, mode: str = "answer", k: int | None = None, filters: Filters = Filters(), **_: Any
    ) -> Answer:
        """Extra options of other answerers (``unsupported=``) do not apply here and are ignored."""
        gate = self.gate(question, mode, k, filters)
        return gate if isinstance(gate, Answer) else self.answer_from(question, mode, gate)

    def answer_from(self, question: str, mode: str, gate: Gate) -> Answer:
        """The extractive answer for a question that already passed ``gate``."""
        hits, scored, relevance = gate
        chosen = self._choose(scored, mode, relevance)
        if not chosen:
            return Answer(question, mode, True, self.name, hits=hits, reason="no quotable sentence in the passages")
        return self._compose(question, mode, hits, chosen)

    def gate(self, question: str, mode: str, k: int | None, filters: Filters) -> Answer | Gate:
        """Retrieve, and refuse what the corpus does not cover; shared by every answerer."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if _META_REQUEST.search(question):
            reason = "request about the assistant's instructions"
            return Answer(question, mode, True, self.name, reason=reason, refusal_text=META_REFUSAL)
        hits = self.retriever.retrieve(question, k, filters)
        scored = self._score_sentences(question, hits)
        verdict = judge([scores for _, _, scores in scored], self.settings.refusal_threshold)
        if not verdict.covered:
            return Answer(question, mode, True, self.name, hits=hits, reason=verdict.reason)
        return hits, scored, verdict.relevance

    # -- choosing sentences ---------------------------------------------------------------

    def _score_sentences(self, question: str, hits: list[Hit]) -> Scored:
        """Each hit with its sentences and their cosine similarity to the question."""
        vectors = self.index.sentence_vectors([h.passage.id for h in hits])
        q = shared_encoder().encode_query(question)
        out = []
        for hit in hits:
            sentences, matrix = vectors.get(hit.passage.id, ([], None))
            out.append((hit, sentences, matrix @ q if matrix is not None else np.zeros(0)))
        return out

    def _choose(self, scored: Scored, mode: str, relevance: float) -> list[tuple[Hit, list[str]]]:
        """(hit, chosen sentences) in hit order: each relevant passage's sentences closest to the question."""
        floor = max(self.settings.refusal_threshold, relevance - 0.2)
        limit = 5 if mode == "talking-points" else 4
        picked: list[tuple[Hit, list[str]]] = []
        for hit, sentences, similarity in scored:
            usable = _quotable_positions(sentences)
            if not usable or similarity[usable].max() < floor:
                continue
            order = sorted(usable, key=lambda i: -similarity[i])
            take = [order[0]]
            if mode == "answer" and not picked and len(order) > 1 and similarity[order[1]] >= floor:
                take.append(order[1])  # the best passage may give two sentences
            picked.append((hit, [sentences[i] for i in sorted(take)]))
            if len(picked) == limit:
                break
        if not picked:
            # The most relevant sentence was a question or a lead-in ("...the following:"): quote the
            # best plain sentence of its passage instead.
            hit, sentences, similarity = max(scored, key=lambda x: x[2].max() if len(x[2]) else -1.0)
            usable = _quotable_positions(sentences)
            if usable:
                picked.append((hit, [sentences[max(usable, key=lambda i: similarity[i])]]))
        if mode == "talking-points" and 0 < len(picked) < 3:
            # Too few relevant passages for three points: take more sentences from the best one.
            hit, taken = picked[0]
            extra = [x for x in hit.passage.sentences if x not in taken and _quotable(x)]
            picked[0] = (hit, taken + extra[: 3 - len(picked)])
        return picked

    # -- composing ------------------------------------------------------------------------

    def _compose(self, question: str, mode: str, hits: list[Hit], chosen: list[tuple[Hit, list[str]]]) -> Answer:
        citations = CitationList()
        cite = citations.cite

        paragraphs: list[list[Sentence]] = []
        if mode == "talking-points":
            points = [Sentence(_trim(s), [cite(hit.passage)], "quote") for hit, sentences in chosen for s in sentences]
            paragraphs.append(points[:5])
        else:
            for group in _group(chosen):
                cited = [(hit.passage, cite(hit.passage)) for hit, _ in group]
                paragraph = [Sentence(_connective(cited), [n for _, n in cited], "connective")]
                for hit, sentences in group:
                    n = cite(hit.passage)
                    paragraph.extend(Sentence(_trim(s), [n], "quote") for s in sentences)
                paragraphs.append(paragraph)
        return Answer(question, mode, False, self.name, paragraphs, citations.items, hits)


def _quotable(sentence: str) -> bool:
    """A sentence that can stand alone in an answer: not a lead-in ('...the following:'), not a
    question, not a title line, name or date (short and unpunctuated)."""
    if sentence.endswith((":", "?")):
        return False
    n_words = len(sentence.split())
    return n_words >= 10 or (n_words >= 5 and sentence.endswith((".", "!", "”", '"', ")")))


def _quotable_positions(sentences: list[str]) -> list[int]:
    return [i for i, text in enumerate(sentences) if _quotable(text)]


def _trim(sentence: str) -> str:
    """Drop a lead-in that only made sense in the passage's flow ('In addition, ...')."""
    trimmed = _LEAD_INS.sub("", sentence)
    return trimmed[:1].upper() + trimmed[1:] if trimmed != sentence else sentence


def _group(chosen: list[tuple[Hit, list[str]]]) -> list[list[tuple[Hit, list[str]]]]:
    """Group by condition (or by document when a passage has none), in order of best rank."""
    groups: dict[tuple[str, str | None], list[tuple[Hit, list[str]]]] = {}
    for item in chosen:
        p = item[0].passage
        groups.setdefault((p.doc_id, p.condition), []).append(item)
    return list(groups.values())


def _connective(cited: list[tuple[Passage, int]]) -> str:
    """A sentence naming the group's condition or document, and each cited part and heading."""
    first = cited[0][0]
    by_part: dict[str, list[str]] = {}
    for p, _ in cited:
        by_part.setdefault(p.part or "section", []).append(f"“{p.heading}”" if p.heading else "")
    clauses = []
    for part, names in by_part.items():
        named = [n for n in names if n]
        several = len(named) > 1
        if part == TRANSFORMATIVE_POLICY:
            clauses.append(
                f"the transformative {'policies' if several else 'policy'} {_join(named)}, which "
                f"{'need' if several else 'needs'} formal state authority (statute or regulation)"
            )
        elif part == IMPLEMENTATION_ACTION:
            clauses.append(f"the implementation {'actions' if several else 'action'} {_join(named)}")
        elif named:
            clauses.append(f"the {part} {_join(named)}")
        else:
            clauses.append(f"its “{part.capitalize()}” section")
    where = f"Under the {first.condition} condition" if first.condition else f"In “{short_title(first.source)}”"
    return f"{where}: {'; '.join(clauses)}."


def short_title(title: str) -> str:
    """A long title's main part: 'From State Commitment to District Implementation: Approaches…' → before the colon."""
    return title.split(":")[0].strip() if len(title) > 60 and ":" in title else title


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
