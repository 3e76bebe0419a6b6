"""Corpus documents → structured passages: one per policy, section or recommendation.

A passage is the unit that is retrieved and cited, so it follows the documents' own structure
rather than fixed-size windows. Three layouts are understood:

- ``kw-framework``: the KnowledgeWorks framework (conditions → overview, why it matters,
  transformative policies, implementation actions; a heading then its paragraph per policy);
- ``rfa-study``: the RFA study (sections, a roadmap table of decision points, bold-led bullets);
- ``auto``: anything else (a user's state guide), split by its own headings, then by paragraphs
  within a size limit.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from advisor.corpus import Document, read_lines
from advisor.text import clean_line, name_key, split_sentences

MAX_PASSAGE_CHARS = 1200
MAX_HEADING_CHARS = 200
SCHEMA_VERSION = 3  # bump when the stored metadata changes shape

# Parts of a document a passage can be; shown in citations and usable as a filter.
OVERVIEW = "overview"
WHY_IT_MATTERS = "why it matters"
TRANSFORMATIVE_POLICY = "transformative policy"
IMPLEMENTATION_ACTION = "implementation action"
INTRODUCTION = "introduction"
DECISION_POINT = "roadmap decision point"
RECOMMENDATION = "recommendation"
ABOUT = "about"
SECTION = "section"


@dataclass(frozen=True)
class Passage:
    """A citable unit of text and where it sits in its document."""

    doc_id: str
    source: str
    text: str
    condition: str | None = None
    part: str | None = None
    heading: str | None = None
    order: int = 0

    @cached_property  # computed once per passage: answering a question asks for ids many times
    def id(self) -> str:
        """Hash of everything stored (text, metadata and the sentences embedded for it): the same
        passage always gets the same id, so re-indexing is idempotent, and any change makes it new."""
        stored = [SCHEMA_VERSION, self.metadata(), self.text, self.sentences]
        key = json.dumps(stored, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]

    @cached_property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for the vector store (Chroma takes no None values; llama-index owns "doc_id")."""
        meta: dict[str, str | int] = {"doc": self.doc_id, "source": self.source, "order": self.order}
        for key in ("condition", "part", "heading"):
            value = getattr(self, key)
            if value:
                meta[key] = value
        return meta


def parse_document(doc: Document) -> list[Passage]:
    """All passages of one document, in document order."""
    lines = read_lines(doc.path)
    parser = {"kw-framework": _parse_framework, "rfa-study": _parse_rfa}.get(doc.layout, _parse_auto)
    raw = list(parser(lines))
    passages = [
        Passage(
            doc_id=doc.id,
            source=doc.title,
            text=text,
            condition=condition,
            part=part,
            heading=_short(heading),
            order=i,
        )
        for i, (condition, part, heading, text) in enumerate(raw)
        if text.strip()
    ]
    return passages


def _short(heading: str | None) -> str | None:
    """A heading fit to show in every citation of its passages: a whole pasted paragraph (a document
    whose first line is 200 KB long) would otherwise be repeated in each passage and each answer."""
    if heading is None or len(heading) <= MAX_HEADING_CHARS:
        return heading
    cut = heading.rfind(" ", 0, MAX_HEADING_CHARS)
    return heading[: cut if cut > MAX_HEADING_CHARS // 2 else MAX_HEADING_CHARS].rstrip(" ,;:—-") + "…"


RawPassage = tuple[str | None, str | None, str | None, str]  # condition, part, heading, text


# --------------------------------------------------------------------------- shared helpers

_TERMINAL = re.compile(r"[.!?…;,]$|[.!?…][\"”’)]$")
_BULLET = re.compile(r"^\s*(?:[-*•●»]|\d+[.)])\s+")
_SMALL_WORDS = frozenset(
    ["a", "an", "the", "and", "or", "for", "of", "in", "to", "on", "with", "at", "by", "from", "as", "that", "vs"]
)


def _looks_like_heading(line: str) -> bool:
    """Short, unpunctuated, title-like lines are headings; sentences and bullets are not."""
    if not line or _TERMINAL.search(line) or _BULLET.match(line) or line.startswith("#"):
        return line.startswith("#")
    words_ = line.split()
    if line.endswith(":") and len(words_) > 4:  # a lead-in sentence to a list
        return False
    if len(words_) > 16 or len(line) > 130:
        return False
    if len(words_) <= 8:
        return True
    significant = [w for w in words_ if w.lower() not in _SMALL_WORDS]
    capitalised = sum(1 for w in significant if w[:1].isupper() or not w[:1].isalpha())
    return capitalised >= 0.7 * max(1, len(significant))


def _is_boilerplate(line: str) -> bool:
    return line.startswith("Read current state examples of this work")


def _pack(paragraphs: list[str], limit: int = MAX_PASSAGE_CHARS) -> Iterator[str]:
    """Group paragraphs into chunks under the size limit; split an oversized one by sentences."""
    chunk: list[str] = []
    size = 0
    for paragraph in paragraphs:
        pieces = [paragraph] if len(paragraph) <= limit else _split_long(paragraph, limit)
        for piece in pieces:
            if chunk and size + len(piece) > limit:
                yield "\n".join(chunk)
                chunk, size = [], 0
            chunk.append(piece)
            size += len(piece) + 1
    if chunk:
        yield "\n".join(chunk)


def _split_long(paragraph: str, limit: int) -> list[str]:
    """Sentences packed up to ``limit``; a longer run-on "sentence" (PDF residue, a pasted blob) is cut
    at spaces. Linear in the paragraph's length: positions move forward, nothing is re-copied."""
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(paragraph):
        if len(sentence) > limit:
            if current:
                pieces.append(current)
                current = ""
            start = 0
            while len(sentence) - start > limit:
                cut = sentence.rfind(" ", start, start + limit)
                cut = cut if cut > start + limit // 2 else start + limit
                pieces.append(sentence[start:cut].strip())
                start = cut
            sentence = sentence[start:].strip()
        if current and len(current) + 1 + len(sentence) > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return [piece for piece in pieces if piece]


@dataclass
class _Block:
    parts: list[str]  # hard-wrapped lines of one paragraph, joined once (joining as they come is quadratic)
    heading: bool
    level: int = 0  # markdown heading level, 0 when inferred

    @cached_property
    def text(self) -> str:
        return " ".join(self.parts)


def _blocks(lines: Iterable[str]) -> list[_Block]:
    """Clean lines into blocks: markdown headings, inferred headings and paragraphs.

    Hard-wrapped paragraphs (a line that does not end a sentence followed by one starting in
    lower case) are joined back into one paragraph.
    """
    blocks: list[_Block] = []
    previous_blank = True
    for raw in lines:
        line = clean_line(raw)
        if not line:
            previous_blank = True
            continue
        md = re.match(r"^(#{1,6})\s+(.*)$", line)
        if md:
            blocks.append(_Block([md.group(2).strip()], True, len(md.group(1))))
        elif (
            blocks
            and not blocks[-1].heading
            and not previous_blank
            and not _TERMINAL.search(blocks[-1].parts[-1])
            and line[:1].islower()
        ):
            blocks[-1].parts.append(line)
        else:
            blocks.append(_Block([line], False))
        previous_blank = False
    # Infer headings: a heading-like line followed by a non-heading-like one. A run of three or
    # more short lines is a list (names, dates, menu residue), not headings.
    i = 0
    while i < len(blocks):
        if blocks[i].level or not _looks_like_heading(blocks[i].text):
            i += 1
            continue
        j = i
        while j < len(blocks) and not blocks[j].level and _looks_like_heading(blocks[j].text):
            j += 1
        run = blocks[i:j]
        if len(run) <= 2:
            for block in run:
                block.heading = True
        i = j
    return blocks


def _sections(blocks: list[_Block], title: str) -> Iterator[tuple[str, list[str]]]:
    """(heading, paragraphs) per section; consecutive headings merge into 'Title — Subtitle'."""
    heading = title
    paragraphs: list[str] = []
    pending: list[str] = []
    for block in blocks:
        if block.heading:
            if paragraphs:
                yield heading, paragraphs
                paragraphs = []
            pending.append(block.text)
            continue
        if pending:
            heading = " — ".join(pending)
            pending = []
        paragraphs.append(block.text)
    if paragraphs:
        yield heading, paragraphs
    elif pending:
        yield " — ".join(pending), []


def _bold_led_bullets(raw_lines: list[str]) -> list[tuple[str, str]] | None:
    """Split a markdown list whose top-level items start with **bold** into (lead, item text).

    Nested items stay with their parent. Returns None when the list is not of that kind.
    """
    items: list[tuple[str, list[str]]] = []
    for raw in raw_lines:
        if not raw.strip():
            continue
        top = re.match(r"^[-*]\s+\*\*(.+?)\*\*:?\s*(.*)$", raw)
        if top:
            items.append((clean_line(top.group(1)).rstrip(":.").strip(), [clean_line(raw[2:])]))
        elif items and re.match(r"^\s+[-*]\s+", raw):
            items[-1][1].append("- " + clean_line(re.sub(r"^\s+[-*]\s+", "", raw)))
        else:
            return None
    return [(lead, "\n".join(text)) for lead, text in items] or None


# --------------------------------------------------------------------------- auto layout


def _parse_auto(lines: list[str]) -> Iterator[RawPassage]:
    blocks = _blocks(lines)
    title = blocks[0].text if blocks else ""
    for heading, paragraphs in _sections(blocks, title):
        for text in _pack(paragraphs):
            yield None, SECTION, heading, text


# --------------------------------------------------------------------------- KnowledgeWorks framework

_TOC_ENTRY = re.compile(r"^[●•]\s*(?P<name>.+?)\s*(?:\.{2,})?\s*\t\s*\d+\s*$")
_FRAMEWORK_SECTIONS = {
    "OVERVIEW": OVERVIEW,
    "WHY IT MATTERS": WHY_IT_MATTERS,
    "TRANSFORMATIVE POLICIES": TRANSFORMATIVE_POLICY,
    "IMPLEMENTATION ACTIONS": IMPLEMENTATION_ACTION,
}


def _title_case(upper: str, known: str) -> str:
    """The heading's words in the contents' capitalisation: 'HOLISTIC STUDENT SUPPORTS' →
    'Holistic Student Supports' given 'Holistic Student Support'."""
    known_words = {w.lower(): w for w in known.split()}
    out = []
    for word in upper.lower().split():
        if word in known_words:
            out.append(known_words[word])
        elif word.endswith("s") and word[:-1] in known_words:
            out.append(known_words[word[:-1]] + "s")
        else:
            out.append(word if word in _SMALL_WORDS else word.capitalize())
    return " ".join(out)


def condition_names(lines: list[str]) -> list[str]:
    """Condition names from the framework's table of contents (dotted leaders, page numbers)."""
    return [m.group("name").strip() for line in lines if (m := _TOC_ENTRY.match(line.strip()))]


def _parse_framework(lines: list[str]) -> Iterator[RawPassage]:
    toc = condition_names(lines)
    by_key = {name_key(name): name for name in toc}
    condition: str | None = None
    part = INTRODUCTION
    heading: str | None = None
    heading_lines: list[str] = []
    body: list[str] = []
    after_condition = False  # past a condition's closing boilerplate: trailing "about" text

    def flush() -> Iterator[RawPassage]:
        if body:
            yield condition, part, heading, "\n".join(body)

    for raw in lines:
        if _TOC_ENTRY.match(raw.strip()):
            body.append(_TOC_ENTRY.match(raw.strip()).group("name"))
            continue
        line = clean_line(raw)
        if not line:
            continue
        if _is_boilerplate(line):
            yield from flush()
            body, heading, after_condition = [], None, True
            continue
        key = name_key(line)
        if line.isupper() and key in by_key:
            yield from flush()
            condition = _title_case(line, by_key[key])
            part, heading, body, heading_lines, after_condition = OVERVIEW, None, [], [], False
            continue
        if line in _FRAMEWORK_SECTIONS and condition:
            yield from flush()
            part, heading, body, heading_lines = _FRAMEWORK_SECTIONS[line], None, [], []
            continue
        if after_condition:
            condition, part, heading = None, ABOUT, "About KnowledgeWorks"
            after_condition = False
        if condition is None and part == INTRODUCTION and line.isupper():
            continue  # the document's title line
        if part in (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION) and _looks_like_heading(line):
            if body:  # a heading after a paragraph starts the next policy
                yield from flush()
                body, heading_lines = [], []
            heading_lines.append(line)  # a heading split over two lines joins up
            heading = " ".join(heading_lines)
            continue
        if part == INTRODUCTION and line == "Policy Conditions":
            yield from flush()
            body, heading = [], line
            continue
        body.append(line)
    yield from flush()


# --------------------------------------------------------------------------- RFA study

_DECISION_POINT = re.compile(r"^Decision Point (\d+)[.:]\s*(.+?)\s*$")
_TABLE_ROW = re.compile(r"^\s*([A-Z][A-Z -]+?)\s*\t\s*(.+)$")
_RFA_PARTS = (
    ("Introduction", INTRODUCTION),
    ("Defining", "definition"),
    ("Roadmap", "roadmap"),
    ("Cross-State Analysis", "cross-state analysis"),
    ("Equity", "equity considerations"),
    ("Recommendations", RECOMMENDATION),
    ("Acknowledgements", ABOUT),
    ("FOUNDATION", ABOUT),
)


def _rfa_part(heading: str) -> str:
    return next((part for key, part in _RFA_PARTS if key in heading), SECTION)


def _parse_rfa(lines: list[str]) -> Iterator[RawPassage]:
    # Pull the roadmap table out first: "Decision Point N. question" then "LABEL<TAB><p>text</p>".
    rest: list[str] = []
    decision_points: list[RawPassage] = []
    table_at: int | None = None
    i = 0
    while i < len(lines):
        dp = _DECISION_POINT.match(lines[i].strip())
        row = _TABLE_ROW.match(lines[i + 1]) if dp and i + 1 < len(lines) else None
        if dp and row:
            label = clean_line(row.group(1)).title()
            text = f"{clean_line(dp.group(0))}\n{clean_line(row.group(2))}"
            decision_points.append((None, DECISION_POINT, f"Decision Point {dp.group(1)}: {label}", text))
            table_at = table_at if table_at is not None else len(rest)
            i += 2
            continue
        rest.append(lines[i])
        i += 1

    # Sections by heading; bold-led bullet lists become one passage per bullet.
    raw_sections = list(_raw_sections(rest))
    title_block = [clean_line(x) for x in rest[: _first_heading_index(rest)] if clean_line(x)]
    if title_block:
        yield None, INTRODUCTION, None, "\n".join(title_block)
    for section_heading, raw_lines in raw_sections:
        part = _rfa_part(section_heading)
        groups = _split_on_blank(raw_lines)
        for group in groups:
            bullets = _bold_led_bullets(group)
            if bullets and part != "equity considerations":
                for lead, text in bullets:
                    yield None, part, lead, text
                continue
            paragraphs = [clean_line(x) for x in group if clean_line(x)]
            for text in _pack(paragraphs):
                yield None, part, section_heading, text
        if part == "roadmap":
            yield from decision_points
            decision_points = []
    yield from decision_points  # a study without a roadmap section still keeps its table


_RFA_HEADINGS = re.compile(
    r"^(Introduction|Defining .+|Creating .+: A Roadmap|State Supports .+|Equity Considerations .+|"
    r"Recommendations .+|Acknowledgements|[A-Z][A-Z ]+FOUNDATION)\s*$"
)


def _first_heading_index(lines: list[str]) -> int:
    return next((i for i, x in enumerate(lines) if _RFA_HEADINGS.match(x.strip())), len(lines))


def _raw_sections(lines: list[str]) -> Iterator[tuple[str, list[str]]]:
    """Raw (uncleaned) lines per section, keeping markdown bullets for _bold_led_bullets."""
    heading: str | None = None
    body: list[str] = []
    for line in lines:
        if _RFA_HEADINGS.match(line.strip()):
            if heading is not None:
                yield heading, body
            heading, body = clean_line(line), []
        elif heading is not None:
            body.append(line.rstrip())
    if heading is not None:
        yield heading, body


def _split_on_blank(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            groups[-1].append(line)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]
