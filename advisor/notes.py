"""Notes: answers, or single talking points, a user pins to build a memo from.

A note keeps its own citations, numbered from 1 in its text, so it stays cited wherever it goes;
``formats.notes_markdown`` renumbers a set of notes into one sources list. ``to_json`` and
``from_json`` let a front end keep notes (in a browser's storage, say) and rebuild them as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from advisor.answer import Answer, Citation, Sentence, render_paragraph
from advisor.corpus import DocumentInfo
from advisor.formats import provenance
from advisor.passages import Passage


@dataclass
class Note:
    """A pinned answer or talking point: its question, its text with ``[n]`` markers, and the ``n``."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    made_by: str | None = None  # how its answer was made (``formats.provenance``), for the memo's foot

    def to_json(self) -> dict[str, object]:
        citations = [_citation_json(c) for c in self.citations]
        return {"question": self.question, "text": self.text, "citations": citations, "made_by": self.made_by}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Note:
        """A note as ``to_json`` wrote it; a KeyError or TypeError for anything else."""
        citations = data["citations"]
        if not isinstance(citations, list):
            raise TypeError("a note's citations are a list")
        made_by = data.get("made_by")
        return cls(
            str(data["question"]),
            str(data["text"]),
            [_citation_from(c) for c in citations],
            made_by if isinstance(made_by, str) else None,
        )


def note_from_answer(answer: Answer, paragraph: int | None = None) -> Note:
    """The whole answer, or its paragraph number ``paragraph`` (0-based; in talking points, one point)
    with only the citations that paragraph uses, renumbered from 1 in the order it cites them."""
    if paragraph is None:
        return Note(answer.question, answer.text, list(answer.citations), provenance(answer))
    if answer.refused or not 0 <= paragraph < len(answer.paragraphs):
        raise IndexError(f"the answer has no paragraph {paragraph} to pin")
    sentences = answer.paragraphs[paragraph]
    used = list(dict.fromkeys(n for s in sentences for n in s.citations))
    numbers = {old: new for new, old in enumerate(used, start=1)}
    by_id = {c.id: c for c in answer.citations}
    renumbered: list[Sentence] = [replace(s, citations=[numbers[n] for n in s.citations]) for s in sentences]
    citations = [replace(by_id[old], id=new) for old, new in numbers.items()]
    return Note(answer.question, render_paragraph(renumbered), citations, provenance(answer))


def _citation_json(citation: Citation) -> dict[str, object]:
    p = citation.passage
    passage = {"doc_id": p.doc_id, "source": p.source, "text": p.text, "order": p.order}
    passage |= {"condition": p.condition, "part": p.part, "heading": p.heading}
    document = {"id": citation.document.id, **citation.document.to_state()} if citation.document else None
    return {"id": citation.id, "passage": passage, "document": document}


def _citation_from(data: object) -> Citation:
    if not isinstance(data, dict) or not isinstance(data.get("passage"), dict):
        raise TypeError("a note's citation is an object with its passage")
    p = data["passage"]
    passage = Passage(
        doc_id=str(p["doc_id"]),
        source=str(p["source"]),
        text=str(p["text"]),
        condition=p.get("condition"),
        part=p.get("part"),
        heading=p.get("heading"),
        order=int(p.get("order", 0)),
    )
    doc = data.get("document")
    document = DocumentInfo.from_state(str(doc["id"]), doc) if isinstance(doc, dict) and "id" in doc else None
    return Citation(int(data["id"]), passage, document)
