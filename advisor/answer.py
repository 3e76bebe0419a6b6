"""What every answerer returns: an answer, its sentences and their citations.

The extractive answerer (``extractive.py``) and the model's (``generate.py``) both build these, and
the CLI, the web app, the formats and the evaluation read them, so a front end never needs to know
which backend answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from advisor.corpus import DocumentInfo
from advisor.coverage import ANSWERED, NOT_COVERED, Coverage
from advisor.passages import Passage
from advisor.retrieve import Filters, Hit

if TYPE_CHECKING:  # types only: importing the answer types must not load the model client or the judge
    from advisor.config import Settings
    from advisor.conversation import Command
    from advisor.index import Index
    from advisor.llm import ChatModel
    from advisor.retrieve import HybridRetriever
    from advisor.support import Support

MODE_LABELS = {"answer": "Answer", "talking-points": "Talking points"}
"""Every answer mode and its label on the web page; the CLI's --mode choices are its keys."""
MODES = tuple(MODE_LABELS)
REFUSAL = (
    "The sources don't cover this question, so there is nothing to cite. The advisor answers from "
    "the KnowledgeWorks State Policy Framework for Personalized Learning, the Research for Action "
    "study and the policymaker guides in its corpus; try asking about one of the framework's eight "
    "policy conditions, the study's roadmap or its recommendations."
)
UNSUPPORTED_TAG = "(unsupported: not found in the cited passage)"
QUOTE, LABEL, GAP, LIST_ITEMS, GENERATED = "quote", "label", "gap", "list", "generated"


@dataclass
class Citation:
    """A numbered passage, with its document's manifest metadata (publisher, date…) when the index has it."""

    id: int
    passage: Passage
    document: DocumentInfo | None = None

    def to_json(self) -> dict[str, Any]:
        p, doc = self.passage, self.document
        return {
            "id": self.id,
            "source": p.source,
            "doc_id": p.doc_id,
            "publisher": doc.publisher if doc else None,
            "date": doc.date if doc else None,
            "edition": doc.edition if doc else None,
            "condition": p.condition,
            "part": p.part,
            "heading": p.heading,
            "text": p.text,
        }


class CitationList:
    """Numbers passages 1, 2, ... in the order an answer first cites them; ``documents`` (an index's,
    by doc id) gives each citation its document's metadata."""

    def __init__(self, documents: Mapping[str, DocumentInfo] | None = None) -> None:
        self.numbers: dict[str, int] = {}
        self.items: list[Citation] = []
        self.documents = documents or {}

    def cite(self, passage: Passage) -> int:
        if passage.id not in self.numbers:
            self.numbers[passage.id] = len(self.numbers) + 1
            self.items.append(Citation(self.numbers[passage.id], passage, self.documents.get(passage.doc_id)))
        return self.numbers[passage.id]


@dataclass
class Sentence:
    """One sentence of an answer.

    ``kind``: ``quote`` (verbatim from its one cited passage), ``list`` (items each verbatim in the
    cited passage: lines of it or its heading), ``label`` (names a condition, part or heading; no
    citation), ``gap`` (says what the sources don't cover; no citation) or ``generated`` (a
    model's sentence, checked by the support judge). ``lead`` is an uncited label shown before a
    quote ("“Proficiency-based Credit” (transformative policy):")."""

    text: str
    citations: list[int]
    kind: str
    support: Support | None = None  # the support check's verdict, for generated sentences
    lead: str = ""

    @property
    def flagged(self) -> bool:
        return self.support is not None and not self.support.supported

    def render(self) -> str:
        body = self.with_markers("".join(f"[{n}]" for n in self.citations))
        body = f"{self.lead} {body}" if self.lead else body
        return f"{body} {UNSUPPORTED_TAG}" if self.flagged else body

    def with_markers(self, markers: str, escape: Callable[[str], str] = str) -> str:
        """The sentence with its citation markers in place: before its full stop; after a closing !, ?,
        quotation mark, bracket or semicolon, or a list's items; else (a bullet, a heading) they close it
        with a full stop. ``escape`` prepares the text (the web app's HTML) and not the markers."""
        text = self.text
        if not markers:
            return escape(text)
        if text.endswith("."):
            return f"{escape(text[:-1])} {markers}."
        if text.endswith(("!", "?", "”", '"', ")", ";")) or self.kind == LIST_ITEMS:
            return f"{escape(text)} {markers}"
        return f"{escape(text)} {markers}."

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "citations": self.citations, "kind": self.kind}
        if self.lead:
            data["lead"] = self.lead
        if self.support is not None:
            data["support"] = self.support.to_json()
        return data


def render_paragraph(sentences: list[Sentence]) -> str:
    """Sentences joined by spaces; the items of a list by semicolons, the last with a full stop."""
    out = ""
    for i, s in enumerate(sentences):
        text = s.render()
        if s.kind == LIST_ITEMS:
            last = i + 1 == len(sentences) or sentences[i + 1].kind != LIST_ITEMS
            text += "." if last and not text.endswith(".") else "" if last else ";"
        out = f"{out} {text}" if out else text
    return out


def join_items(items: list[str], word: str = "and") -> str:
    """'a', 'a and b', 'a, b and c': names listed in a sentence."""
    if len(items) <= 2:
        return f" {word} ".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


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
    coverage: Coverage | None = None

    @property
    def outcome(self) -> str:
        """answered | partial | not covered."""
        if self.refused:
            return NOT_COVERED
        return self.coverage.outcome if self.coverage else ANSWERED

    @property
    def missing(self) -> list[str]:
        return list(self.coverage.missing) if self.coverage else []

    @property
    def text(self) -> str:
        if self.refused:
            return self.refusal_text or REFUSAL
        if self.mode == "talking-points":
            return "\n".join(
                ("" if para[0].kind in (GAP, LABEL) else "- ") + render_paragraph(para) for para in self.paragraphs
            )
        return "\n\n".join(render_paragraph(para) for para in self.paragraphs)

    def sentences(self) -> list[Sentence]:
        return [s for para in self.paragraphs for s in para]

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "mode": self.mode,
            "answer": self.text,
            "coverage": self.outcome,
            "missing": self.missing,
            "refused": self.refused,
            "reason": self.reason,
            "backend": self.backend,
            "model": self.model,
            "note": self.note,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences()],
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


class Answerer(Protocol):
    """What every backend is to its callers (the CLI, the web app, conversations, the evaluation).

    Constructors stay cheap (no model loaded, no network); ``warm_up`` loads what the first
    question would otherwise wait for, for the front ends that want it done up front. Register a
    backend with ``advisor.backends.register_backend``."""

    name: str
    settings: Settings
    index: Index
    retriever: HybridRetriever

    @property
    def model(self) -> ChatModel | None:
        """The chat model that writes the answers; None for an offline backend."""
        ...

    def warm_up(self) -> None: ...

    def answer(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> Answer: ...

    def stream(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> AnswerStream: ...

    def rework(
        self, question: str, previous: Answer, command: Command, mode: str = "answer", unsupported: str = "drop"
    ) -> AnswerStream:
        """A command about the previous answer ("shorter", "as talking points"), from its own sources."""
        ...
