"""Answers, conversations and notes as the user takes them away: plain text, JSON or Markdown.

The CLI prints these and the web app copies and downloads them, so an export reads the same
whichever front end made it; the web app builds no Markdown or plain text of its own. Exports
speak to a memo's reader: the answer, where each quote comes from (document, publisher, edition,
date, condition › part › heading) and the passage itself, with no tool jargon (backends, ids,
scores). Several answers or notes share one sources list, each passage once, with the ``[n]``
markers in their text renumbered to it (``renumber``).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

from advisor.corpus import DocumentInfo
from advisor.passages import Passage

if TYPE_CHECKING:  # answer.py imports the retrieval stack; the CLI imports this module before any answer
    from advisor.answer import Answer, Citation
    from advisor.notes import Note
    from advisor.retrieve import Hit

FORMATS = ("text", "json", "markdown")
_MONTHS = ("January February March April May June July August September October November December").split()
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_MARKER = re.compile(r"\[(\d+)\]")
MAX_TOPIC_CHARS = 90  # a topic made of cited headings longer than this reads as a list, not a title


# -- citations ----------------------------------------------------------------------------


def where(passage: Passage) -> str:
    """'Condition › part › heading', the path a citation shows inside its document."""
    return " › ".join(x for x in (passage.condition, passage.part, passage.heading) if x)


def describe(n: int, passage: Passage) -> str:
    place = where(passage)
    return f"  [{n}] {passage.source}" + (f" — {place}" if place else "")


def document_of(citation: Citation) -> DocumentInfo:
    """The cited document's metadata; only its title when the index did not record more."""
    return citation.document or DocumentInfo(citation.passage.doc_id, citation.passage.source)


def readable_date(value: str | None) -> str | None:
    """'2025-05-12' → 'May 12, 2025', '2022-06' → 'June 2022'; any other form as the manifest gives it."""
    match = _ISO_DATE.match(value or "")
    if not match:
        return value
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return year if not month else value
    name = _MONTHS[int(month) - 1]
    return f"{name} {int(day)}, {year}" if day else f"{name} {year}"


def publication(document: DocumentInfo) -> str:
    """'KnowledgeWorks, 3rd edition, May 12, 2025': what the manifest states, in that order."""
    return ", ".join(x for x in (document.publisher, document.edition, readable_date(document.date)) if x)


def citation_text(citation: Citation) -> str:
    """A memo-ready citation: 'Title (Publisher, edition, Month D, YYYY) — Condition › part › heading.'

    Parts the manifest or the passage do not state are left out."""
    return "".join(_citation_parts(citation))


def _citation_parts(citation: Citation) -> tuple[str, str]:
    """The document's title, and the rest of its citation (so Markdown can set the title in bold)."""
    document = document_of(citation)
    details = publication(document)
    place = where(citation.passage)
    rest = (f" ({details})" if details else "") + (f" — {place}" if place else "")
    return document.title, rest if (rest or document.title).endswith((".", "?", "!")) else rest + "."


def citation_quote(citation: Citation, sentences: Sequence[str] = ()) -> str:
    """The quoted words in quotation marks, then the citation on its own line: what "copy citation"
    gives. ``sentences`` are the ones an answer quotes (``quoted_sentences``); else the whole passage."""
    quoted = " ".join(sentences) if sentences else _one_line(citation.passage.text)
    return f"“{quoted}”\n{citation_text(citation)}"


def quoted_sentences(answer: Answer, citation_id: int) -> list[str]:
    """The sentences of ``answer`` quoted from citation ``citation_id`` (a model's sentences are not quotes)."""
    from advisor.answer import LIST_ITEMS, QUOTE

    quotes = (s.text for s in answer.sentences() if s.kind in (QUOTE, LIST_ITEMS) and citation_id in s.citations)
    return list(dict.fromkeys(quotes))


# -- one answer ---------------------------------------------------------------------------


def byline(answer: Answer) -> str | None:
    """Who wrote the answer, for answers a model wrote; extractive answers are quotes and need none,
    and a refusal has no sentence to check."""
    if answer.refused or answer.backend == "extractive" or not answer.model:
        return None
    dropped = f", {answer.dropped} dropped" if answer.dropped else ""
    return f"Written by the model {answer.model}; every sentence was checked against its citation{dropped}."


def provenance(answer: Answer) -> str | None:
    """How the answer was made, for the foot of an export; None for a refusal, which quotes nothing."""
    if answer.refused:
        return None
    return byline(answer) or "Each sentence marked [n] is quoted word for word from source n."


def format_answer(answer: Answer, fmt: str = "text") -> str:
    """The CLI's output: ``text`` (for a terminal: passages wrapped), ``json`` or ``markdown``."""
    if fmt == "json":
        return json.dumps(answer.to_json(), ensure_ascii=False)
    if fmt == "markdown":
        return answer_markdown(answer)
    lines = [answer.text]
    if answer.note:
        lines += ["", f"Note: {answer.note}"]
    if byline(answer):
        lines += ["", f"({byline(answer)})"]
    return "\n".join(lines + _plain_sources(answer.citations, width=96)) + "\n"


def answer_plaintext(answer: Answer) -> str:
    """What a copy button puts on the clipboard: the answer with its [n] markers, then one line per
    source and its passage in quotation marks. Plain text throughout; a refusal is its text alone."""
    if answer.refused:
        return answer.text + "\n"
    lines = [answer.text] + (["", f"Note: {answer.note}"] if answer.note else [])
    return "\n".join(lines + _plain_sources(answer.citations)) + "\n"


def answer_markdown(answer: Answer, today: date | None = None) -> str:
    """A self-contained Markdown one-pager: a title, the cited answer, and every source quoted in full.

    Every piece of question, document or model text goes through ``md_text``, so the file stays
    inert in a renderer that allows HTML (the web page escapes the same text)."""
    lines = [f"# {md_text(answer_title(answer))}", "", *_md_body(answer.text), ""]
    if answer.note:
        lines += [f"*Note: {md_text(answer.note)}*", ""]
    lines += _md_sources(answer.citations)
    lines.append(_md_footer([provenance(answer)], today))
    return "\n".join(lines) + "\n"


def answer_title(answer: Answer) -> str:
    """An export's title: 'Answer: ' and the question, or 'Talking points: ' and their topic (a request
    for talking points echoed back is no title for a one-pager); a refusal's is its question."""
    if answer.refused:  # no points to title: the question, as asked
        return _one_line(answer.question)
    if answer.mode == "talking-points":
        return f"Talking points: {topic(answer)}"
    return f"Answer: {_one_line(answer.question)}"


# What a request for talking points says around its subject: "Give me three talking points for a
# one-pager on X", "Draft bullets about X", "Talking points: X".
_FRAMING = re.compile(
    r"^\W*(?:(?:please|kindly|can\s+you|could\s+you|would\s+you|i\s+need|we\s+need|help\s+me)\s+)*"
    r"(?:(?:give|write|draft|make|prepare|create|list|provide|put\s+together|build|outline|need)\s+)?"
    r"(?:(?:me|us)\s+)?(?:(?:a|an|some|the|few|several|key|short|brief|\d+|two|three|four|five|six)\s+)*"
    r"(?:talking\s+points?|bullet\s+points?|bullets|points|one[- ]pager|summary|briefing(?:\s+notes)?|memo)\b"
    r"(?:\s+for\s+(?:a|an|my|our|the)\s+(?:one[- ]pager|briefing|memo|meeting|hearing|committee)\b)?"
    r"\s*(?::|on|about|for|regarding|covering|explaining|to\s+explain|making\s+the\s+case\s+for)?\s*",
    re.IGNORECASE,
)


def topic(answer: Answer) -> str:
    """What the answer is about, in a few words and without a model: the subject a request for talking
    points names ("…talking points on X"), else the headings (or conditions) of the passages it
    cites when they are three at most and short enough for a title, else the question itself."""
    match = _FRAMING.match(answer.question)
    if match and match.end() > 0:
        subject = _one_line(answer.question[match.end() :]).rstrip(" ?.!")
        if len(subject) >= 2 and len(subject.split()) <= 12:
            return subject[0].upper() + subject[1:]
    cited = [(c.passage, document_of(c)) for c in answer.citations]
    for names in (
        [p.heading or p.condition or doc.short_title or doc.title for p, doc in cited],
        [p.condition for p, _ in cited if p.condition],
    ):
        distinct = list(dict.fromkeys(names))
        if 1 <= len(distinct) <= 3 and len(_and(distinct)) <= MAX_TOPIC_CHARS:
            return _and(distinct)
    return _one_line(answer.question).rstrip(" ?")


# -- several answers, or notes: one sources list ---------------------------------------------


def renumber(pieces: Sequence[tuple[str, Sequence[Citation]]]) -> tuple[list[str], list[Citation]]:
    """Texts with markers local to their own citations, made to share one sources list: each passage
    once, numbered in the order the pieces first cite it, and each text's markers rewritten to match."""
    numbers: dict[str, int] = {}
    merged: list[Citation] = []
    texts: list[str] = []
    for text, citations in pieces:
        local: dict[int, int] = {}
        for c in citations:
            if c.passage.id not in numbers:
                numbers[c.passage.id] = len(merged) + 1
                merged.append(replace(c, id=numbers[c.passage.id]))
            local[c.id] = numbers[c.passage.id]
        texts.append(_renumbered(text, local))
    return texts, merged


def _renumbered(text: str, numbers: Mapping[int, int]) -> str:
    """Markers of the given numbers rewritten (document text never holds one: ``text.clean_line``)."""
    return _MARKER.sub(lambda m: f"[{numbers.get(int(m.group(1)), int(m.group(1)))}]", text)


def conversation_markdown(
    turns: Sequence[tuple[str, Answer]], title: str | None = None, today: date | None = None
) -> str:
    """A whole conversation as one Markdown document: each question a heading, its answer (a refusal
    as it was said), then one sources list for all of them. ValueError when there are no turns."""
    if not turns:
        raise ValueError("There is no conversation to export yet: ask a question first.")
    texts, citations = renumber([(answer.text, answer.citations) for _, answer in turns])
    lines = [f"# {md_text(title or 'Questions and answers')}", ""]
    for n, ((question, answer), text) in enumerate(zip(turns, texts), start=1):
        lines += [f"## {n}. {md_text(_one_line(question))}", "", *_md_body(text), ""]
        if answer.note:
            lines += [f"*Note: {md_text(answer.note)}*", ""]
    lines += _md_sources(citations)
    lines.append(_md_footer([provenance(answer) for _, answer in turns], today))
    return "\n".join(lines) + "\n"


def conversation_plaintext(turns: Sequence[tuple[str, Answer]], title: str | None = None) -> str:
    """``conversation_markdown`` as plain text: numbered questions, answers, one sources list."""
    if not turns:
        raise ValueError("There is no conversation to export yet: ask a question first.")
    texts, citations = renumber([(answer.text, answer.citations) for _, answer in turns])
    lines = [title, ""] if title else []
    for n, ((question, answer), text) in enumerate(zip(turns, texts), start=1):
        lines += [f"{n}. {_one_line(question)}", "", text, ""]
        if answer.note:
            lines += [f"Note: {answer.note}", ""]
    return "\n".join(lines[:-1] + _plain_sources(citations)) + "\n"


def notes_markdown(notes: Sequence[Note], title: str | None = None, today: date | None = None) -> str:
    """Pinned notes as one Markdown memo: notes grouped under their question, each still cited, and
    one renumbered sources list. ValueError when there are no notes."""
    if not notes:
        raise ValueError("There are no notes to export yet: pin an answer or a talking point first.")
    texts, citations = renumber([(note.text, note.citations) for note in notes])
    lines = [f"# {md_text(title or 'Notes')}", ""]
    previous = None
    for note, text in zip(notes, texts):
        if note.question != previous:
            lines += [f"## {md_text(_one_line(note.question))}", ""]
            previous = note.question
        lines += [*_md_body(text), ""]
    lines += _md_sources(citations)
    lines.append(_md_footer([note.made_by for note in notes], today))
    return "\n".join(lines) + "\n"


def notes_plaintext(notes: Sequence[Note], title: str | None = None) -> str:
    """``notes_markdown`` as plain text."""
    if not notes:
        raise ValueError("There are no notes to export yet: pin an answer or a talking point first.")
    texts, citations = renumber([(note.text, note.citations) for note in notes])
    lines = [title, ""] if title else []
    previous = None
    for note, text in zip(notes, texts):
        if note.question != previous:
            lines += [_one_line(note.question), ""]
            previous = note.question
        lines += [text, ""]
    return "\n".join(lines[:-1] + _plain_sources(citations)) + "\n"


# -- pieces ---------------------------------------------------------------------------------


def _plain_sources(citations: Sequence[Citation], width: int | None = None) -> list[str]:
    """'Sources:' and each citation with its passage: indented and wrapped for a terminal when
    ``width`` is given, else one line each (a clipboard's text reflows wherever it is pasted)."""
    if not citations:
        return []
    lines = ["", "Sources:"]
    for c in citations:
        if width:
            lines.append(f"  [{c.id}] {citation_text(c)}")
            lines.append(textwrap.indent(textwrap.fill(_one_line(c.passage.text), width), "      "))
        else:
            lines += [f"[{c.id}] {citation_text(c)}", f"    “{_one_line(c.passage.text)}”"]
    return lines


def _md_sources(citations: Sequence[Citation]) -> list[str]:
    lines = ["## Sources", ""] if citations else []
    for c in citations:
        title, rest = _citation_parts(c)
        lines += [f"**[{c.id}] {md_text(title)}**{md_text(rest)}", ""]
        lines += [f"> {md_text(line)}" if line.strip() else ">" for line in c.passage.text.splitlines()]
        lines.append("")
    return lines


def _md_footer(made_by: Sequence[str | None], today: date | None) -> str:
    said = " ".join(dict.fromkeys(x for x in made_by if x))
    return f"*Policy Advisor, {(today or date.today()).isoformat()}.{' ' + md_text(said) if said else ''}*"


_NUMBERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_OPENS_BLOCK = re.compile(r"^(?=[#*+])")


def _not_markup(line: str) -> str:
    """A line of text that would open a heading, a numbered list or a bullet, escaped ('>' is already
    an entity)."""
    return _OPENS_BLOCK.sub(r"\\", _NUMBERED.sub(r"\1\\\2", line))


def _md_body(text: str) -> list[str]:
    """An answer's text as Markdown lines: talking points ("- " lines) a tight list, every other line
    its own paragraph (so a label after a point does not run into it), and a line that would start a
    heading or a numbered list escaped."""
    out: list[str] = []
    for line in text.split("\n"):
        bullet = line.startswith("- ")
        body = md_text(line[2:] if bullet else line)
        body = body if bullet else _not_markup(body)
        if out and out[-1] and (not bullet or not out[-1].startswith("- ")) and line:
            out.append("")
        out.append(f"- {body}" if bullet else body)
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_OUR_MARKER = re.compile(r"\\\[(\d+)\\\]")


def md_text(text: str) -> str:
    """Untrusted text made inert in Markdown: "<" and ">" as entities (no tag or autolink can form),
    backslashes and square brackets backslash-escaped (no link, image or link definition can form).
    The advisor's own citation markers stay "[n]": document text never holds one (``text.clean_line``
    defuses them)."""
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
    return _OUR_MARKER.sub(r"[\1]", text)


def format_hits(question: str, hits: list[Hit], fmt: str = "text") -> str:
    if fmt == "json":
        results = [
            {"rank": h.rank, "score": round(h.score, 6), "source": h.passage.source, "doc_id": h.passage.doc_id}
            | {"condition": h.passage.condition, "part": h.passage.part, "heading": h.passage.heading}
            | {"text": h.passage.text}
            for h in hits
        ]
        return json.dumps({"question": question, "results": results}, ensure_ascii=False)
    lines = [f"Passages for: {question}", ""]
    for h in hits:
        lines.append(describe(h.rank, h.passage) + f"  (score {h.score:.3f})")
        lines.append(textwrap.indent(textwrap.fill(h.passage.text.replace("\n", " "), 96), "      "))
    return "\n".join(lines) + "\n"
