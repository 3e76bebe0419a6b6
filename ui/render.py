"""The web app's HTML: answers, their citations, the source panel, the outline, notes and conversations.

Pure functions from the answer types to HTML strings, so what a user sees can be tested without a
server. Every piece of document or user text goes through ``esc`` first: the corpus is open and its
text untrusted.
"""

from __future__ import annotations

import html

from advisor.answer import Answer, Citation, Sentence
from advisor.formats import (
    answer_plaintext,
    byline,
    citation_quote,
    document_of,
    publication,
    quoted_sentences,
    where,
)
from advisor.notes import Note
from advisor.passages import Passage
from ui.workspace import Thread, Workspace

EXAMPLES = [
    "Can a state award credit based on mastery instead of seat time?",
    "How can state funding formulas support competency-based education?",
    "What should teacher licensure look like for personalized learning?",
    "How should state assessments change to support personalized learning?",
    "What does the research say about scaling personalized learning across districts?",
]
PANEL_HINT = (
    '<div class="sources-empty">Click a citation such as <span class="cite">[1]</span> in an answer '
    "to read the passage it comes from here.</div>"
)
NOTES_HINT = (
    '<div class="sources-empty">Pin an answer (“Pin to notes” under it) or a single talking point (“pin” after it) '
    "to collect it here; the notes download as one memo, every point still cited.</div>"
)
KEPT = (
    "Conversations and notes are kept in this server's memory for your browser (or your login), "
    "so a reload finds them; a restart of the server forgets them."
)


def esc(text: str) -> str:
    """Document and user text as literal HTML text. Runs of whitespace collapse, so a message stays one
    HTML block, which Markdown passes through untouched: markup and Markdown syntax in documents stay text."""
    return html.escape(" ".join(text.split()), quote=True)


def esc_lines(text: str) -> str:
    """Text as literal HTML text with its line breaks kept as character references (no blank line ends
    the message's HTML block), for the plain text a copy link puts on the clipboard."""
    return html.escape(text, quote=True).replace("\n", "&#10;")


def copy_link(label: str, text: str) -> str:
    """A link that copies ``text`` (held hidden beside it) to the clipboard."""
    return f'<a href="#copy" class="copy">{label}</a><span class="plain-copy" hidden>{esc_lines(text)}</span>'


def cite_link(turn: int, n: int, passage: Passage) -> str:
    title = esc(f"{passage.source} › {where(passage)}" if where(passage) else passage.source)
    return f'<a class="cite" href="#src-{turn}-{n}" title="{title}">[{n}]</a>'


def render_sentence(sentence: Sentence, turn: int, answer: Answer) -> str:
    by_id = {c.id: c.passage for c in answer.citations}
    links = "".join(cite_link(turn, n, by_id[n]) for n in sentence.citations if n in by_id)
    body = sentence.with_markers(links, esc)
    if sentence.flagged:
        return (
            f'<span class="flagged" title="The cited passage does not support this sentence">{body}</span> '
            '<em class="flag-tag">⚠ unsupported: not found in the cited passage</em>'
        )
    return body


def render_paragraph(paragraph: list[Sentence], turn: int, answer: Answer) -> str:
    """A paragraph's sentences; a label (condition › part › heading) is shown as a label, not a claim."""
    out = []
    for s in paragraph:
        if s.kind == "label":
            out.append(f'<span class="label">{esc(s.text)}</span>')
            continue
        lead = f'<span class="label">{esc(s.lead)}</span> ' if s.lead else ""
        out.append(lead + render_sentence(s, turn, answer))
    if len(out) > 1 and all(s.kind == "list" for s in paragraph[1:]):  # a label, then the names it lists
        return out[0] + " " + "; ".join(out[1:])
    return " ".join(out)


def render_block(paragraph: list[Sentence], turn: int, answer: Answer) -> str:
    """A paragraph; a header followed by labelled items (the legislation split) as a list under it."""
    items = paragraph[1:]
    if paragraph[0].kind == "label" and sum(1 for s in items if s.lead) > 1:
        head = f'<p><span class="label">{esc(paragraph[0].text)}</span></p>'
        return (
            head
            + '<ul class="policies">'
            + "".join(f"<li>{render_paragraph([s], turn, answer)}</li>" for s in items)
            + "</ul>"
        )
    return f"<p>{render_paragraph(paragraph, turn, answer)}</p>"


def backend_label(answer: Answer) -> str:
    if answer.refused:
        return "Nothing is cited: the sources don't cover this."
    if answer.backend == "extractive":
        return "Offline answer: every cited sentence is quoted from its passage; labels name where it sits."
    return byline(answer) or f"Answered by {answer.model}."


def render_answer(answer: Answer, turn: int, searched_for: str | None = None, filters: list[str] = ()) -> str:
    """The chat message: one HTML block (no blank lines, so Markdown leaves it alone)."""
    parts: list[str] = []
    if searched_for:
        parts.append(f'<p class="answer-meta">{esc(searched_for)}</p>')
    if filters:
        parts.append(f'<p><span class="filters-used">Searched only in: {esc(", ".join(filters))}</span></p>')
    if answer.refused:
        parts.append(f'<div class="refusal"><strong>Not covered by the sources.</strong> {esc(answer.text)}</div>')
    else:
        numbered = list(enumerate(answer.paragraphs))
        if answer.outcome == "partial" and numbered and numbered[0][1][0].kind == "gap":
            gap = esc(numbered[0][1][0].text)
            parts.append(f'<div class="partial"><strong>Partly covered by the sources.</strong> {gap}</div>')
            numbered = numbered[1:]
        points = [(i, p) for i, p in numbered if p[0].kind != "label"] if answer.mode == "talking-points" else []
        if points:
            pin = '<a class="pin-point" href="#pin-{}-{}" title="Pin this point to your notes">pin</a>'
            items = "".join(f"<li>{render_paragraph(p, turn, answer)}{pin.format(turn, i)}</li>" for i, p in points)
            parts.append(f'<ul class="talking-points">{items}</ul>')
        else:
            parts += [render_block(p, turn, answer) for _, p in numbered]
    if answer.note:
        parts.append(f'<p class="answer-note">Note: {esc(answer.note)}</p>')
    actions = copy_link("Copy text", answer_plaintext(answer))
    if not answer.refused:
        actions += f' · <a href="#pin-{turn}" class="pin">Pin to notes</a>'
    parts.append(f'<p class="answer-actions">{actions}</p>')
    parts.append(f'<p class="answer-meta">{esc(backend_label(answer))}</p>')
    return "".join(parts)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def supporting(answer: Answer, n: int) -> list[str]:
    """The answer's sentences citing passage n, and for generated ones the passage sentence judged closest."""
    found: list[str] = []
    for para in answer.paragraphs:
        for s in para:
            if n in s.citations and s.kind not in ("label", "gap"):
                found.append(s.support.evidence if s.support and s.support.evidence else s.text)
    return found


def render_passage(passage: Passage, quotes: list[str]) -> str:
    wanted = [_norm(q).rstrip(".") for q in quotes]
    out = []
    for sentence in passage.sentences or [passage.text]:
        key = _norm(sentence).rstrip(".")
        hit = any(q and (q in key or key in q) for q in wanted)
        out.append(f"<mark>{esc(sentence)}</mark>" if hit else esc(sentence))
    return " ".join(out)


def source_card(citation: Citation, quotes: list[str], ref: str, copied: str) -> str:
    """What a memo needs of one source: document, publisher, date and edition, where in the document,
    the passage (the quoted sentences marked), a citation to copy and a link that reopens it."""
    p = citation.passage
    document = document_of(citation)
    rows = "".join(
        f"<dt>{label}</dt><dd>{esc(value)}</dd>"
        for label, value in (
            ("Published", publication(document)),
            ("Condition", p.condition),
            ("Part", p.part),
            ("Heading", p.heading),
        )
        if value
    )
    number = f'<span class="cite">[{citation.id}]</span> ' if ref else ""
    actions = (
        copy_link("Copy citation", copied)
        + f' · <a href="?passage={html.escape(p.id)}" class="passage-link">Link to this passage</a>'
    )
    return (
        f'<div class="source-card" data-ref="{ref}" data-passage="{html.escape(p.id)}">'
        f'<div>{number}<span class="source-title">{esc(document.title)}</span></div>'
        f"<dl>{rows}</dl>"
        f'<p class="passage">{render_passage(p, quotes)}</p>'
        f'<p class="source-actions">{actions}</p></div>'
    )


def render_source(answer: Answer, turn: int, n: int) -> str:
    citation = next((c for c in answer.citations if c.id == n), None)
    if citation is None:
        return f'<div class="sources-empty">Answer {turn + 1} has no source [{n}].</div>'
    listing = "".join(
        f'<li><a class="cite" href="#src-{turn}-{c.id}">[{c.id}]</a> {esc(c.passage.source)}'
        + (f" — {esc(where(c.passage))}" if where(c.passage) else "")
        + "</li>"
        for c in answer.citations
    )
    quoted = citation_quote(citation, quoted_sentences(answer, n))
    return (
        source_card(citation, supporting(answer, n), f"{turn}-{n}", quoted)
        + f'<p class="answer-meta">All sources of answer {turn + 1}:</p><ol class="source-list">{listing}</ol>'
    )


def render_linked_passage(passage: Passage, citation: Citation) -> str:
    """A passage opened by its link (``/?passage=ID``), outside any answer."""
    return '<p class="answer-meta">The linked passage:</p>' + source_card(citation, [], "", citation_quote(citation))


def _entries(passages: list[Passage]) -> list[tuple[str, str, list[Passage]]]:
    """(heading, qualifier, passages) per outline entry: the pieces of one long section (same condition,
    part and heading) merged into one entry, and a heading that still repeats qualified by its part."""
    merged: dict[tuple[str | None, str | None, str | None], list[Passage]] = {}
    for p in passages:
        merged.setdefault((p.condition, p.part, p.heading), []).append(p)
    names: dict[str, int] = {}
    for _, _, heading in merged:
        names[heading or ""] = names.get(heading or "", 0) + 1
    out = []
    for (condition, part, heading), items in merged.items():
        qualifier = " — ".join(x for x in (condition, part) if x) if names[heading or ""] > 1 else ""
        out.append((heading or part or "Passage", qualifier, items))
    return out


def ask_about(passage: Passage) -> str:
    """The question "Ask about this" asks of an outline entry."""
    topic = f"“{passage.heading}”" if passage.heading else f"“{passage.part or passage.source}”"
    within = f" in {passage.condition}" if passage.condition else f" in {passage.source}"
    return f"What does the source say about {topic}{within}?"


def _searchable(passage: Passage) -> str:
    return f"{passage.heading or ''} {passage.part or ''} {passage.text}".lower()


def outline_html(passages: list[Passage], query: str = "") -> str:
    """A document as a navigable outline: conditions, then parts, then each heading's passages; with a
    query, only the entries whose heading or text contain it, opened."""
    words = query.lower().split()
    if words:
        passages = [p for p in passages if all(w in _searchable(p) for w in words)]
    if not passages:
        found = f" matches “{esc(query)}”" if words else " has no passages"
        return f'<div class="sources-empty">Nothing in this document{found}.</div>'
    opened = " open" if words else ""
    groups: dict[str, dict[str, list[Passage]]] = {}
    for p in sorted(passages, key=lambda p: p.order):
        groups.setdefault(p.condition or "", {}).setdefault(p.part or "", []).append(p)
    blocks = []
    for condition, parts in groups.items():
        inner = []
        for part, items in parts.items():
            if part:
                inner.append(f'<div class="part">{esc(part)}</div>')
            for heading, qualifier, pieces in _entries(items):
                extra = f' <span class="qualifier">({esc(qualifier)})</span>' if qualifier else ""
                question = esc(ask_about(pieces[0]))
                inner.append(
                    f'<details class="entry"{opened}><summary>{esc(heading)}{extra}</summary>'
                    + "".join(f"<p>{esc(p.text)}</p>" for p in pieces)
                    + f'<div class="entry-actions"><a class="ask-about" href="#ask" title="Ask: {question}">'
                    + "Ask about this</a></div></details>"
                )
        if condition:
            policies = sum(len(items) for part, items in parts.items() if "policy" in part or "action" in part)
            count = (
                f" ({policies} {'policy or action' if policies == 1 else 'policies and actions'})" if policies else ""
            )
            blocks.append(
                f'<details class="condition"{opened}><summary><strong>{esc(condition)}</strong>{count}</summary>'
                + "".join(inner)
                + "</details>"
            )
        else:
            blocks.append("".join(inner))
    return f'<div class="outline">{"".join(blocks)}</div>'


def examples_html() -> str:
    links = "".join(f'<a href="#ask" title="Ask: {esc(q)}">{esc(q)}</a>' for q in EXAMPLES)
    return f'<div class="examples">{links}</div>'


def render_notes(notes: list[Note]) -> str:
    if not notes:
        return NOTES_HINT
    items = "".join(
        f'<li><div class="note-question">{esc(note.question)}</div><div>{esc(note.text)}</div>'
        f'<div class="answer-meta">{len(note.citations)} source{"" if len(note.citations) == 1 else "s"} · '
        f'<a href="#unpin-{i}" class="unpin">Remove</a></div></li>'
        for i, note in enumerate(notes)
    )
    return f'<div class="notes"><ol>{items}</ol></div>'


NOTHING_EXPORTED = '<p class="answer-meta">Nothing to export yet.</p>'


def export_note(thread: Thread) -> str:
    """What the export holds, said beside its button: a refusal or an older answer on screen is no surprise."""
    if thread.scope == "conversation":
        count = len(thread.answered())
        held = f"the whole conversation ({count} answer{'' if count == 1 else 's'})" if count else ""
    else:
        kept = thread.turn(thread.exported) if thread.exported is not None else None
        held = f"answer {thread.exported + 1}: “{kept.question}”" if kept and thread.exported is not None else ""
    return f'<p class="answer-meta">Holds {esc(held)}</p>' if held else NOTHING_EXPORTED


def render_conversations(space: Workspace, current: str | None) -> str:
    items = "".join(
        f'<li><span class="current">{esc(label)} (open)</span></li>'
        if thread_id == current
        else f'<li><a href="#open-{thread_id}">{esc(label)}</a></li>'
        for label, thread_id in space.choices()
    )
    return f'<div class="conversations"><ul>{items}</ul><p class="answer-meta">{esc(KEPT)}</p></div>'
