"""The web app: a Gradio page over the same ``Session`` the CLI uses.

Everything here is presentation. Questions go through ``Conversation`` (follow-ups) and the
answerer's ``stream`` exactly as in ``advisor chat``; Markdown comes from ``advisor.formats``.
Every piece of document or user text is HTML-escaped before it reaches the page, because the
corpus is open and its text is untrusted.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from advisor.answer import MODE_LABELS, Answer, Sentence
from advisor.conversation import COMMAND, FOLLOW_UP, Conversation
from advisor.errors import UserError
from advisor.formats import answer_markdown, byline, where
from advisor.llm import ChatModel
from advisor.passages import Passage
from advisor.questions import check_question
from advisor.session import Session
from ui.check_tab import CHECK_CSS, CheckTab
from ui.guard import UPLOAD_LIMIT, Guard, LoginThrottle, session_of

log = logging.getLogger("advisor.ui")

MODES = {label: mode for mode, label in MODE_LABELS.items()}  # the page's labels → the answerer's modes
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
MAX_TURNS_KEPT = 50  # per browser tab; older answers' citations stop opening
DOWNLOAD_HOURS = 2  # an answer's Markdown file can be downloaded this long; then it is deleted
NOT_YOURS = "This conversation belongs to another browser session. Reload the page to start your own."

# Clicking a citation link fills a hidden box with its reference and presses a hidden button, so
# the server renders the passage for this tab's own answers (links are "#src-TURN-N").
CITATION_JS = """
() => {
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.querySelector('#cite-ref textarea, #cite-ref input');
    const go = document.querySelector('#cite-go');
    if (!box || !go) return;
    box.value = link.getAttribute('href').slice(5) + '#' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => go.click(), 0);
  }, true);
}
"""

CSS = """
.cite { font-weight: 600; text-decoration: none; color: var(--color-accent); padding: 0 1px; cursor: pointer; }
.answer-meta { font-size: 0.85em; opacity: 0.75; margin-top: 0.6em; }
.answer-note { font-size: 0.9em; border-left: 3px solid #d97706; padding-left: 0.5em; }
.refusal { border-left: 4px solid #9ca3af; padding-left: 0.6em; }
.partial { border-left: 4px solid #d97706; padding-left: 0.6em; margin-bottom: 0.5em; }
.label { font-weight: 600; }
.flagged { background: #fee2e2; text-decoration: underline wavy #dc2626; }
.flag-tag { color: #b91c1c; font-size: 0.85em; font-style: normal; }
.source-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.8em; }
.source-card dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 0.8em; margin: 0.4em 0; }
.source-card dt { font-weight: 600; } .source-card dd { margin: 0; }
.source-title { font-weight: 700; }
.passage mark { background: #fef08a; padding: 0 2px; }
.source-list { font-size: 0.9em; padding-left: 1.2em; }
.sources-empty { opacity: 0.7; }
.outline details { margin: 0.2em 0 0.2em 0.8em; } .outline summary { cursor: pointer; }
.outline .part { font-size: 0.8em; text-transform: uppercase; opacity: 0.7; margin: 0.6em 0 0 0.8em; }
"""


@dataclass
class Chat:
    """One browser tab's conversation: its memory (follow-ups, commands) and every answer so far,
    numbered by turn for citation links."""

    answers: list[Answer | None] = field(default_factory=list)
    memory: Conversation | None = None
    owner: str | None = None  # the server's session (ui/guard.py) that asked first; no one else may read it
    download: str | None = None  # the latest answer's Markdown file, the only one its page can still offer
    # What the page shows beside the chat, sent again unchanged while a new answer is on its way: a
    # gr.skip() instead would cost memory per question (Gradio 6.31 keeps every update's component).
    panel: str = PANEL_HINT
    markdown: str = ""

    def shown(self) -> tuple[str, str, str | None]:
        return self.panel, self.markdown, self.download

    def belongs_to(self, session: str) -> bool:
        """True for the session that owns this conversation (binding it on first use)."""
        if self.owner is None:
            self.owner = session
        return self.owner == session

    def conversation(self, model: Any) -> Conversation:
        if self.memory is None:
            self.memory = Conversation(model)
        return self.memory

    def add(self, answer: Answer, standalone: str) -> int:
        self.answers.append(answer)
        if len(self.answers) > MAX_TURNS_KEPT:  # keep turn numbers stable: forget old answers, not slots
            self.answers[-MAX_TURNS_KEPT - 1] = None
        return len(self.answers) - 1


def esc(text: str) -> str:
    """Document and user text as literal HTML text. Runs of whitespace collapse, so a message stays one
    HTML block, which Markdown passes through untouched: markup and Markdown syntax in documents stay text."""
    return html.escape(" ".join(text.split()), quote=True)


def cite_link(turn: int, n: int, passage: Passage) -> str:
    title = esc(f"{passage.source} › {where(passage)}" if where(passage) else passage.source)
    return f'<a class="cite" href="#src-{turn}-{n}" title="{title}">[{n}]</a>'


def render_sentence(sentence: Sentence, turn: int, answer: Answer) -> str:
    by_id = {c.id: c.passage for c in answer.citations}
    links = "".join(cite_link(turn, n, by_id[n]) for n in sentence.citations if n in by_id)
    text = sentence.text
    if not links:
        body = esc(text)
    elif text.endswith("."):
        body = f"{esc(text[:-1])} {links}."
    elif text.endswith(("!", "?", "”", '"', ")", ";")) or sentence.kind == "list":
        body = f"{esc(text)} {links}"
    else:  # a quoted line with no full stop of its own (a bullet, a heading): the marker closes it
        body = f"{esc(text)} {links}."
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


def render_answer(answer: Answer, turn: int, searched_for: str | None = None) -> str:
    """The chat message: one HTML block (no blank lines, so Markdown leaves it alone)."""
    parts: list[str] = []
    if searched_for:
        parts.append(f'<p class="answer-meta">{esc(searched_for)}</p>')
    if answer.refused:
        parts.append(f'<div class="refusal"><strong>Not covered by the sources.</strong> {esc(answer.text)}</div>')
    else:
        paragraphs = answer.paragraphs
        if answer.outcome == "partial" and paragraphs and paragraphs[0][0].kind == "gap":
            gap = esc(paragraphs[0][0].text)
            parts.append(f'<div class="partial"><strong>Partly covered by the sources.</strong> {gap}</div>')
            paragraphs = paragraphs[1:]
        points = [p for p in paragraphs if p[0].kind != "label"] if answer.mode == "talking-points" else []
        if points:
            items = "".join(f"<li>{render_paragraph(p, turn, answer)}</li>" for p in points)
            parts.append(f'<ul class="talking-points">{items}</ul>')
        else:
            parts += [render_block(p, turn, answer) for p in paragraphs]
    if answer.note:
        parts.append(f'<p class="answer-note">Note: {esc(answer.note)}</p>')
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


def render_source(answer: Answer, turn: int, n: int) -> str:
    citation = next((c for c in answer.citations if c.id == n), None)
    if citation is None:
        return f'<div class="sources-empty">Answer {turn + 1} has no source [{n}].</div>'
    p = citation.passage
    rows = "".join(
        f"<dt>{label}</dt><dd>{esc(value)}</dd>"
        for label, value in (("Condition", p.condition), ("Part", p.part), ("Heading", p.heading))
        if value
    )
    listing = "".join(
        f'<li><a class="cite" href="#src-{turn}-{c.id}">[{c.id}]</a> {esc(c.passage.source)}'
        + (f" — {esc(where(c.passage))}" if where(c.passage) else "")
        + "</li>"
        for c in answer.citations
    )
    return (
        f'<div class="source-card" data-ref="{turn}-{n}">'
        f'<div><span class="cite">[{n}]</span> <span class="source-title">{esc(p.source)}</span></div>'
        f"<dl>{rows}</dl>"
        f'<p class="passage">{render_passage(p, supporting(answer, n))}</p></div>'
        f'<p class="answer-meta">All sources of answer {turn + 1}:</p><ol class="source-list">{listing}</ol>'
    )


def outline_html(passages: list[Passage]) -> str:
    """A document as a navigable outline: conditions, then parts, then each heading's passage."""
    if not passages:
        return '<div class="sources-empty">This document has no passages.</div>'
    groups: dict[str, dict[str, list[Passage]]] = {}
    for p in sorted(passages, key=lambda p: p.order):
        groups.setdefault(p.condition or "", {}).setdefault(p.part or "", []).append(p)
    blocks = []
    for condition, parts in groups.items():
        inner = []
        for part, items in parts.items():
            if part:
                inner.append(f'<div class="part">{esc(part)}</div>')
            inner += [
                f'<details class="entry"><summary>{esc(p.heading or part or "Passage")}</summary>'
                f"<p>{esc(p.text)}</p></details>"
                for p in items
            ]
        if condition:
            policies = sum(len(items) for part, items in parts.items() if "policy" in part or "action" in part)
            count = f" ({policies} policies and actions)" if policies else ""
            blocks.append(
                f'<details class="condition"><summary><strong>{esc(condition)}</strong>{count}</summary>'
                + "".join(inner)
                + "</details>"
            )
        else:
            blocks.append("".join(inner))
    return f'<div class="outline">{"".join(blocks)}</div>'


class App:
    """The page's event handlers, bound to one open ``Session`` shared by every browser tab."""

    def __init__(self, session: Session, downloads: Path | None = None) -> None:
        self.session = session
        self.downloads = downloads or Path(tempfile.mkdtemp(prefix="advisor-ui-"))
        self._swept = 0.0
        self._sweeping = threading.Lock()

    @property
    def model(self) -> ChatModel | None:
        return self.session.answerer.model

    def backend_badge(self) -> str:
        if self.model is None:
            return "Answers: offline (quotes from the sources, no model, no network)"
        return f"Answers: model {self.model.name}, every sentence checked against its citation"

    def ask(
        self,
        message: str,
        history: list[dict],
        chat: Chat,
        mode_label: str,
        conditions: list[str],
        documents: list[str],
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        """Yields (textbox, history, chat, sources panel, markdown, download) as the answer arrives."""
        history = list(history or [])
        if not chat.belongs_to(session_of(request)):
            history.append({"role": "assistant", "content": f'<p class="answer-note">{NOT_YOURS}</p>'})
            yield ("", history, chat, PANEL_HINT, "", None)  # the same chat object: its owner's state is unchanged
            return
        keep = chat.shown()
        if not (message or "").strip():
            history.append({"role": "assistant", "content": "Type a question first, or pick one of the examples."})
            yield ("", history, chat, *keep)
            return
        shown = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", message[:500])
        shown += f"… ({len(message):,} characters)" if len(message) > 500 else ""
        history.append({"role": "user", "content": f"<p>{esc(shown)}</p>"})
        stream = None
        try:
            self.session.refresh()  # another process may have rebuilt the index (advisor index / add)
            question = check_question(message, self.session.settings.max_question_chars)
            filters = self.session.filters(conditions or [], documents or [], [])
            memory = chat.conversation(self.model)
            stream, plan = memory.stream(
                self.session.answerer, question, MODES.get(mode_label, "answer"), filters, unsupported="flag"
            )
            history.append({"role": "assistant", "content": "<p><em>Searching the sources…</em></p>"})
            yield ("", history, chat, *keep)
            if self.session.answerer.name != "extractive":
                written = ""
                for delta in stream:
                    written += delta
                    history[-1] = {"role": "assistant", "content": f"<p>{esc(written)} ▍</p>"}
                    yield ("", history, chat, *keep)
            answer = stream.finish()
        except UserError as exc:
            history.append({"role": "assistant", "content": f'<p class="answer-note">{esc(str(exc))}</p>'})
            yield ("", history, chat, *keep)
            return
        except Exception:  # a bug or an unexpected library error: log it, keep the page serving
            log.exception("answering %r failed", message[:200])
            note = "Something went wrong while answering; the error was logged. Please try again."
            history.append({"role": "assistant", "content": f'<p class="answer-note">{note}</p>'})
            yield ("", history, chat, *keep)
            return
        finally:
            # A client that went away stops this generator mid-stream: stop the model's reply with it,
            # so its connection to the model server closes now (advisor/llm.py).
            deltas = getattr(stream, "deltas", None)
            if hasattr(deltas, "close"):
                deltas.close()
        memory.add(question, plan, answer)
        turn = chat.add(answer, plan.standalone)
        searched = {FOLLOW_UP: f"Searched for: {plan.standalone}", COMMAND: "Reworked the previous answer's sources"}
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn, searched.get(plan.kind))}
        panel = render_source(answer, turn, 1) if answer.citations else PANEL_HINT
        markdown = answer_markdown(answer)
        previous, chat.download = chat.download, self._download(markdown, answer)
        self._discard(previous)  # the page's download button now offers the new file only
        chat.panel, chat.markdown = panel, markdown
        yield ("", history, chat, *chat.shown())

    def _discard(self, download: str | None) -> None:
        if download and Path(download).parent.parent == self.downloads:
            shutil.rmtree(Path(download).parent, ignore_errors=True)

    def _download(self, markdown: str, answer: Answer) -> str:
        """The answer as a file Gradio serves from where it is written (the folder is inside Gradio's
        own, so nothing is copied). A conversation's previous file goes when its next answer comes;
        files of conversations that ended go after DOWNLOAD_HOURS."""
        self._sweep()
        slug = re.sub(r"[^a-z0-9]+", "-", answer.question.lower())[:50].strip("-") or "answer"
        folder = self.downloads / uuid.uuid4().hex  # one folder per answer: the file keeps its readable name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"policy-advisor-{slug}.md"
        path.write_text(markdown, encoding="utf-8")
        return str(path)

    def _sweep(self) -> None:
        """Delete answer files past their time (at most once a minute, by one thread at a time)."""
        now = time.time()
        if now - self._swept < 60 or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._swept = now
            for folder in self.downloads.iterdir() if self.downloads.is_dir() else []:
                if now - folder.stat().st_mtime > DOWNLOAD_HOURS * 3600:
                    shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            log.exception("cleaning %s failed", self.downloads)
        finally:
            self._sweeping.release()

    def show_source(self, ref: str, chat: Chat, request: gr.Request) -> str:
        """``ref`` is 'TURN-N' from a citation link (anything after '#' is the click's nonce)."""
        match = re.fullmatch(r"(\d+)-(\d+)(#.*)?", (ref or "").strip())
        if not match or not chat.belongs_to(session_of(request)):
            return PANEL_HINT
        turn, n = int(match[1]), int(match[2])
        answer = chat.answers[turn] if turn < len(chat.answers) else None
        if answer is None:
            return '<div class="sources-empty">That answer is no longer in this conversation.</div>'
        return render_source(answer, turn, n)

    def outline(self, doc_id: str) -> str:
        return outline_html([p for p in self.session.index.passages.values() if p.doc_id == doc_id])

    def choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The conditions and (title, id) documents the filters offer, from the index as it is now."""
        index = self.session.index
        return index.conditions, [(title, doc_id) for doc_id, title in index.sources.items()]

    def on_page_load(self) -> tuple[Any, ...]:
        """A page (re)load offers documents added since the app started (``advisor add``)."""
        self.session.refresh()
        conditions, documents = self.choices()
        return gr.update(choices=conditions), gr.update(choices=documents), gr.update(choices=documents)

    def clear(self, chat: Chat, request: gr.Request) -> tuple[Any, ...]:
        if not chat.belongs_to(session_of(request)):
            return [], chat, PANEL_HINT, "", None
        self._discard(chat.download)
        return [], Chat(owner=chat.owner), PANEL_HINT, "", None

    def build(self) -> gr.Blocks:
        conditions, documents = self.choices()
        ids = [doc_id for _, doc_id in documents]
        framework = "framework" if "framework" in ids else next(iter(ids), None)
        # Gradio forgets its own references to answer files past their time, as _sweep deletes them.
        expiry = (3600, DOWNLOAD_HOURS * 3600)
        with gr.Blocks(title="Policy Advisor", fill_width=True, delete_cache=expiry) as demo:
            gr.Markdown(
                "## Policy Advisor\nCited answers about state policy for personalized, competency-based "
                f"learning. <span id='backend-badge'>{esc(self.backend_badge())}</span>"
            )
            chat = gr.State(Chat())
            with gr.Tab("Ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        elem_id="chat",
                        height=520,
                        buttons=["copy"],
                        sanitize_html=True,
                        placeholder="Ask about policy conditions, credit, funding, licensure, assessment…",
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            show_label=False,
                            placeholder="Ask a question (follow-ups are understood)",
                            elem_id="question",
                            scale=5,
                            lines=1,
                            max_lines=6,
                        )
                        send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1)
                    mode = gr.Radio(list(MODES), value=MODE_LABELS["answer"], label="Write", elem_id="mode")
                    with gr.Accordion("Search only in…", open=False, elem_id="filters"):
                        pick_conditions = gr.CheckboxGroup(
                            conditions, label="Policy conditions", elem_id="filter-conditions"
                        )
                        pick_documents = gr.CheckboxGroup(documents, label="Documents", elem_id="filter-documents")
                    gr.Examples(EXAMPLES, inputs=[box], label="Examples")
                    with gr.Row():
                        download = gr.DownloadButton(
                            "Download answer (Markdown)", value=None, elem_id="download", size="sm"
                        )
                        clear = gr.Button("New conversation", size="sm", elem_id="clear")
                    with gr.Accordion("Copy the answer as Markdown", open=False):
                        markdown = gr.Textbox(
                            show_label=False, lines=8, max_lines=30, buttons=["copy"], elem_id="markdown"
                        )
                with gr.Column(scale=2):
                    gr.Markdown("### Source")
                    panel = gr.HTML(PANEL_HINT, elem_id="source-panel")
                    ref = gr.Textbox(visible="hidden", elem_id="cite-ref")
                    go = gr.Button("show source", visible="hidden", elem_id="cite-go")
            with gr.Tab("Browse the framework"):
                doc = gr.Dropdown(documents, value=framework, label="Document", elem_id="browse-doc")
                outline = gr.HTML(self.outline(framework) if framework else "", elem_id="outline")
            with gr.Tab("Check a bill", elem_id="check-tab"):
                CheckTab(self.session, self.downloads).build()
            inputs = [box, chatbot, chat, mode, pick_conditions, pick_documents]
            outputs = [box, chatbot, chat, panel, markdown, download]
            send.click(self.ask, inputs, outputs, api_name="ask")
            box.submit(self.ask, inputs, outputs, api_visibility="private")
            go.click(self.show_source, [ref, chat], panel, api_name="show_source")
            doc.change(self.outline, doc, outline, api_name="outline")
            demo.load(self.on_page_load, None, [pick_conditions, pick_documents, doc], api_visibility="private")
            clear.click(self.clear, chat, [chatbot, chat, panel, markdown, download], api_visibility="private")
            # The chat's own trash icon clears the conversation's memory too, not only the screen.
            chatbot.clear(self.clear, chat, [chatbot, chat, panel, markdown, download], api_visibility="private")
        return demo


def serve(session: Session, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True) -> Any:
    """Start the app; with ``block=False`` return at once (tests and benchmarks).

    Gradio's working folder is this process's own (removed at exit): answer files live in it and
    are served from it, and a second user's app on the same machine never meets this one's files."""
    private = Path(tempfile.mkdtemp(prefix="advisor-web-"))
    atexit.register(shutil.rmtree, private, True)
    os.environ["GRADIO_TEMP_DIR"] = str(private)  # read by gradio when the page is built (Blocks)
    demo = App(session, downloads=private / "answers").build()
    demo.queue(default_concurrency_limit=session.settings.concurrency, max_size=256)
    demo.launch(
        app_kwargs={"middleware": [Middleware(Guard, throttle=LoginThrottle(), uploads=True)]},
        max_file_size=UPLOAD_LIMIT,
        server_name=host,
        server_port=port,
        auth=auth,
        share=False,
        quiet=True,
        show_error=False,
        prevent_thread_lock=not block,
        css=CSS + CHECK_CSS,
        js=CITATION_JS,
        footer_links=["api"],
        enable_monitoring=False,
        ssr_mode=False,
        mcp_server=False,
    )
    return demo
