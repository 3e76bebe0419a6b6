"""An answer or a list of passages as the user takes it away: plain text, JSON or Markdown.

The CLI prints these and the web app offers the Markdown for copying and download, so a
talking-points one-pager reads the same whichever front end made it.
"""

from __future__ import annotations

import json
import re
import textwrap
from datetime import date
from typing import TYPE_CHECKING

from advisor.passages import Passage

if TYPE_CHECKING:
    from advisor.answer import Answer
    from advisor.retrieve import Hit

FORMATS = ("text", "json", "markdown")


def where(passage: Passage) -> str:
    """'Condition › part › heading', the path a citation shows inside its document."""
    return " › ".join(x for x in (passage.condition, passage.part, passage.heading) if x)


def describe(n: int, passage: Passage) -> str:
    place = where(passage)
    return f"  [{n}] {passage.source}" + (f" — {place}" if place else "")


def byline(answer: Answer) -> str | None:
    """Who wrote the answer, for answers a model wrote; extractive answers are quotes and need none."""
    if answer.backend == "extractive" or not answer.model:
        return None
    dropped = f", {answer.dropped} dropped" if answer.dropped else ""
    return f"Written by the model {answer.model}; every sentence was checked against its citation{dropped}."


def format_answer(answer: Answer, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(answer.to_json(), ensure_ascii=False)
    if fmt == "markdown":
        return answer_markdown(answer)
    lines = [answer.text]
    if answer.note:
        lines += ["", f"Note: {answer.note}"]
    if byline(answer):
        lines += ["", f"({byline(answer)})"]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines.append(describe(c.id, c.passage))
            lines.append(textwrap.indent(textwrap.fill(c.passage.text.replace("\n", " "), 96), "      "))
    return "\n".join(lines) + "\n"


def answer_markdown(answer: Answer, today: date | None = None) -> str:
    """A self-contained Markdown document: the question, the cited answer, and every source quoted in full.

    Every piece of question, document or model text goes through ``md_text``, so the file stays
    inert in a renderer that allows HTML (the web page escapes the same text)."""
    title = "Talking points" if answer.mode == "talking-points" else "Answer"
    lines = [f"# {title}: {md_text(_md_line(answer.question))}", "", md_text(answer.text), ""]
    if answer.note:
        lines += [f"*Note: {md_text(answer.note)}*", ""]
    if answer.citations:
        lines += ["## Sources", ""]
        for c in answer.citations:
            place = md_text(_md_line(where(c.passage)))
            source = md_text(_md_line(c.passage.source))
            lines.append(f"**[{c.id}] {source}**" + (f" — {place}" if place else ""))
            lines.append("")
            lines += [f"> {md_text(line)}" if line.strip() else ">" for line in c.passage.text.splitlines()]
            lines.append("")
    made_by = byline(answer) or "Quoted from the sources by the offline answerer."
    lines.append(f"*Policy Advisor, {(today or date.today()).isoformat()}. {made_by}*")
    return "\n".join(lines) + "\n"


def _md_line(text: str) -> str:
    return " ".join(text.split())


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
