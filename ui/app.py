"""The web app: a Gradio page over the same ``Session`` the CLI uses.

Everything here is presentation. Questions go through ``Conversation`` (follow-ups) and the
answerer's ``stream`` exactly as in ``advisor chat``; Markdown and plain text come from
``advisor.formats``, notes from ``advisor.notes``. Conversations and notes are kept per user or
browser in ``ui/workspace.py``; the HTML comes from ``ui/render.py``, which escapes every piece of
document or user text, because the corpus is open and its text is untrusted.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from advisor.answer import MODE_LABELS, Citation
from advisor.conversation import COMMAND, FOLLOW_UP
from advisor.errors import UserError
from advisor.formats import (
    answer_markdown,
    conversation_markdown,
    conversation_plaintext,
    notes_markdown,
    notes_plaintext,
)
from advisor.llm import ChatModel
from advisor.notes import note_from_answer
from advisor.questions import check_question
from advisor.session import Session
from ui.check_tab import CHECK_CSS, CheckTab
from ui.documents_tab import DOCUMENTS_CSS, DocumentsTab
from ui.guard import UPLOAD_LIMIT, Guard, LoginThrottle, identity
from ui.render import (
    NOTES_HINT,
    NOTHING_EXPORTED,
    PANEL_HINT,
    esc,
    examples_html,
    export_note,
    outline_html,
    render_answer,
    render_conversations,
    render_linked_passage,
    render_notes,
    render_source,
)
from ui.workspace import Thread, Turn, Workspace, Workspaces, owner_key

log = logging.getLogger("advisor.ui")

MODES = {label: mode for mode, label in MODE_LABELS.items()}  # the page's labels → the answerer's modes
EXPORT_SCOPES = {"The latest cited answer": "answer", "The whole conversation": "conversation"}
NO_ANSWER_YET = "There is nothing to download yet: ask a question first."
DOWNLOAD_HOURS = 2  # an export file can be downloaded this long; then it is deleted

# Links in answers, the source panel and the notes are actions: "#src-TURN-N" opens a source, "#pin-…"
# pins, "#unpin-I" unpins and "#open-ID" opens a conversation, each by filling a hidden box with its
# reference and pressing a hidden button, so the server acts on this user's own workspace. "#copy"
# copies the plain text held beside the link; "#ask" (examples, the outline) asks its question.
PAGE_JS = """
() => {
  const ACTIONS = {'#src-': '#cite-go', '#pin-': '#pin-go', '#unpin-': '#unpin-go', '#open-': '#open-go'};
  const send = (value, button) => {
    const box = document.querySelector('#action-ref textarea, #action-ref input');
    const go = document.querySelector(button);
    if (!box || !go) return;
    box.value = value + '#' + Date.now();
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => go.click(), 0);
  };
  const copy = (link) => {
    const holder = link.parentElement && link.parentElement.querySelector('.plain-copy');
    if (!holder) return;
    navigator.clipboard.writeText(holder.textContent).then(() => {
      const label = link.textContent;
      link.textContent = 'Copied';
      setTimeout(() => { link.textContent = label; }, 1500);
    });
  };
  const ask = (question) => {
    const tab = [...document.querySelectorAll('button[role="tab"]')].find((t) => t.textContent.trim() === 'Ask');
    if (tab) tab.click();
    setTimeout(() => {
      const box = document.querySelector('#question textarea');
      box.value = question;
      box.dispatchEvent(new Event('input', {bubbles: true}));
      setTimeout(() => document.querySelector('#ask').click(), 50);
    }, 50);
  };
  document.addEventListener('click', (event) => {
    const target = event.target.closest && event.target.closest('a[href^="#"], .drawer-close, .drawer-open');
    if (!target) return;
    const drawer = document.querySelector('#source-col');
    if (target.classList.contains('drawer-close') || target.classList.contains('drawer-open')) {
      if (drawer) drawer.style.transform = target.classList.contains('drawer-open') ? 'none' : '';
      return;
    }
    const href = target.getAttribute('href');
    const prefix = Object.keys(ACTIONS).find((p) => href.startsWith(p));
    if (prefix) {
      send(href.slice(prefix.length), ACTIONS[prefix]);
      if (prefix === '#src-' && drawer) drawer.style.transform = 'none';  // on a phone, the drawer slides up
    } else if (href === '#copy') {
      copy(target);
    } else if (href === '#ask' && target.title) {
      ask(target.title.replace(/^Ask: /, ''));
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);
  // A new answer is brought into view, its first line at the top of the chat.
  const seen = new WeakSet();
  new MutationObserver(() => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    if (!last || seen.has(last) || !last.querySelector('.answer-meta, .answer-note')) return;
    seen.add(last);
    let box = last.parentElement;
    while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 4
        && ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) box = box.parentElement;
    if (!box || box === document.body) return;
    const row = last.closest('.message-row') || last;
    box.scrollTop += row.getBoundingClientRect().top - box.getBoundingClientRect().top - 36;
  }).observe(document.body, {childList: true, subtree: true});
}
"""

CSS = """
.cite { font-weight: 600; text-decoration: none; color: var(--color-accent); padding: 0 1px; cursor: pointer; }
.answer-meta { font-size: 0.85em; opacity: 0.75; margin-top: 0.6em; }
.answer-note { font-size: 0.9em; border-left: 3px solid #d97706; padding-left: 0.5em; }
.answer-actions, .source-actions { font-size: 0.85em; margin-top: 0.4em; }
.answer-actions a, .source-actions a, .notes a, .conversations a { color: var(--color-accent); text-decoration: none; }
.filters-used { font-size: 0.85em; background: #eef2ff; border-radius: 4px; padding: 0.15em 0.4em;
  display: inline-block; }
.pin-point { text-decoration: none; font-size: 0.75em; margin-left: 0.4em; color: var(--color-accent);
  border: 1px solid currentColor; border-radius: 3px; padding: 0 3px; }
.plain-copy { display: none !important; }
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
.notes ol, .conversations ul { padding-left: 1.2em; } .notes li { margin-bottom: 0.6em; }
.notes .note-question, .conversations .current { font-weight: 600; }
.examples a { display: block; margin: 0.25em 0; color: var(--color-accent); text-decoration: none;
  white-space: normal; text-align: left; }
.outline details { margin: 0.2em 0 0.2em 0.8em; } .outline summary { cursor: pointer; }
.outline .part { font-size: 0.8em; text-transform: uppercase; opacity: 0.7; margin: 0.6em 0 0 0.8em; }
.outline .ask-about { font-size: 0.85em; color: var(--color-accent); text-decoration: none; }
.outline .qualifier { font-size: 0.85em; opacity: 0.7; }
.drawer-close, .drawer-open { display: none; }
@media (max-width: 760px) {
  #source-col { position: fixed; left: 0; right: 0; bottom: 0; max-height: 72vh; overflow-y: auto; z-index: 1000;
    background: var(--background-fill-primary); box-shadow: 0 -6px 24px rgba(0, 0, 0, 0.25); padding: 0.8em;
    border-radius: 12px 12px 0 0; transform: translateY(110%); transition: transform 0.2s;
    flex-wrap: nowrap !important; }
  #source-col > * { flex-shrink: 0; }
  .drawer-close { display: block; margin-left: auto; padding: 0.2em 0.6em; }
  .drawer-open { display: block; width: 100%; padding: 0.4em; }
  #ask-col { min-width: 100% !important; }
  #chat .message-row.bot-row, #chat .message-row.user-row { max-width: 100% !important; margin-left: 0 !important;
    margin-right: 0 !important; }
}
"""


@dataclass
class Tab:
    """One browser tab's state: the conversation it shows, and, for a client that keeps no cookies and
    has no login, the workspace of this tab alone."""

    thread_id: str | None = None
    private: Workspace | None = None
    panel: str = PANEL_HINT  # what the source panel shows, sent again unchanged while an answer streams


class App:
    """The page's event handlers, bound to one open ``Session`` shared by every browser tab."""

    def __init__(self, session: Session, downloads: Path | None = None, can_edit: bool = False) -> None:
        self.session = session
        self.downloads = downloads or Path(tempfile.mkdtemp(prefix="advisor-ui-"))
        self.workspaces = Workspaces()
        self.can_edit = can_edit  # may users change the corpus from the page (Documents tab)?
        self._swept = 0.0
        self._sweeping = threading.Lock()

    @property
    def model(self) -> ChatModel | None:
        return self.session.answerer.model

    def backend_badge(self) -> str:
        if self.model is None:
            return "Answers: offline (quotes from the sources, no model, no network)"
        return f"Answers: model {self.model.name}, every sentence checked against its citation"

    # -- whose conversation ---------------------------------------------------------------

    def space(self, tab: Tab, request: gr.Request) -> Workspace:
        """The requester's workspace: by login or browser cookie, never by the client-chosen session id."""
        owner = owner_key(*identity(request))
        if owner is not None:
            return self.workspaces.get(owner)
        if tab.private is None:
            tab.private = Workspace()
        return tab.private

    def thread(self, tab: Tab, request: gr.Request) -> tuple[Workspace, Thread]:
        space = self.space(tab, request)
        with space.lock:
            thread = space.open(tab.thread_id)
        tab.thread_id = thread.id
        return space, thread

    # -- asking ---------------------------------------------------------------------------

    def ask(
        self,
        message: str,
        history: list[dict],
        tab: Tab,
        mode_label: str,
        conditions: list[str],
        documents: list[str],
        request: gr.Request,
    ) -> Iterator[tuple[Any, ...]]:
        """Yields (textbox, history, tab, sources panel, markdown, download) as the answer arrives."""
        history = list(history or [])
        space, thread = self.thread(tab, request)
        keep = (tab.panel, self._markdown(thread), thread.download)
        if not (message or "").strip():
            history.append({"role": "assistant", "content": "Type a question first, or pick one of the examples."})
            yield ("", history, tab, *keep)
            return
        shown = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", message[:500])
        shown += f"… ({len(message):,} characters)" if len(message) > 500 else ""
        history.append({"role": "user", "content": f"<p>{esc(shown)}</p>"})
        stream = None
        try:
            self.session.refresh()  # another process may have rebuilt the index (advisor index / add)
            question = check_question(message, self.session.settings.max_question_chars)
            filters = self.session.filters(conditions or [], documents or [], [])
            memory = thread.conversation(self.model)
            stream, plan = memory.stream(
                self.session.answerer, question, MODES.get(mode_label, "answer"), filters, unsupported="flag"
            )
            history.append({"role": "assistant", "content": "<p><em>Searching the sources…</em></p>"})
            yield ("", history, tab, *keep)
            if self.session.answerer.name != "extractive":
                written = ""
                for delta in stream:
                    written += delta
                    history[-1] = {"role": "assistant", "content": f"<p>{esc(written)} ▍</p>"}
                    yield ("", history, tab, *keep)
            answer = stream.finish()
        except UserError as exc:
            history.append({"role": "assistant", "content": f'<p class="answer-note">{esc(str(exc))}</p>'})
            yield ("", history, tab, *keep)
            return
        except Exception:  # a bug or an unexpected library error: log it, keep the page serving
            log.exception("answering %r failed", message[:200])
            note = "Something went wrong while answering; the error was logged. Please try again."
            history.append({"role": "assistant", "content": f'<p class="answer-note">{note}</p>'})
            yield ("", history, tab, *keep)
            return
        finally:
            # A client that went away stops this generator mid-stream: stop the model's reply with it,
            # so its connection to the model server closes now (advisor/llm.py).
            deltas = getattr(stream, "deltas", None)
            if hasattr(deltas, "close"):
                deltas.close()
        searched = {FOLLOW_UP: f"Searched for: {plan.standalone}", COMMAND: "Reworked the previous answer's sources"}
        names = self._filter_names(conditions or [], documents or [])
        with space.lock:
            memory.add(question, plan, answer)
            turn = thread.add(Turn(message, answer, searched.get(plan.kind), names))
            if not answer.refused:  # a refusal never replaces an answer's export
                thread.exported = turn
            if not answer.refused or thread.scope == "conversation":
                markdown = self._export(thread)
            else:
                markdown = self._markdown(thread)
        history[-1] = {"role": "assistant", "content": render_answer(answer, turn, searched.get(plan.kind), names)}
        tab.panel = render_source(answer, turn, 1) if answer.citations else PANEL_HINT
        yield ("", history, tab, tab.panel, markdown, thread.download)

    def _filter_names(self, conditions: list[str], documents: list[str]) -> list[str]:
        """What an answer's search was limited to, as the user reads it (document titles, not ids)."""
        titles = self.session.index.sources
        return [*conditions, *(titles.get(doc_id, doc_id) for doc_id in documents)]

    # -- exports --------------------------------------------------------------------------

    def _markdown(self, thread: Thread) -> str:
        """The Markdown the export holds: the latest cited answer, or the whole conversation."""
        if thread.scope == "conversation":
            turns = [(t.question, t.answer) for _, t in thread.answered()]
            return conversation_markdown(turns, title=thread.name) if turns else ""
        kept = thread.turn(thread.exported) if thread.exported is not None else None
        return answer_markdown(kept.answer) if kept else ""

    def _export(self, thread: Thread) -> str:
        """Write the conversation's export file (replacing its previous one); returns its Markdown."""
        markdown = self._markdown(thread)
        previous = thread.download
        if not markdown:
            thread.download = None
        elif thread.scope == "conversation":
            thread.download = self._save(markdown, f"conversation-{_slug(thread.name, 'conversation')}")
        else:
            answer = thread.turns[thread.exported].answer  # type: ignore[index, union-attr]
            thread.download = self._save(markdown, f"policy-advisor-{_slug(answer.question, 'answer')}")
        self._discard(previous)  # the page's download button now offers the new file only
        return markdown

    def _discard(self, download: str | None) -> None:
        if download and Path(download).parent.parent == self.downloads:
            shutil.rmtree(Path(download).parent, ignore_errors=True)

    def _save(self, markdown: str, stem: str) -> str:
        """Markdown as a file Gradio serves from where it is written (the folder is inside Gradio's
        own, so nothing is copied). Files of conversations that ended go after DOWNLOAD_HOURS."""
        self._sweep()
        folder = self.downloads / uuid.uuid4().hex  # one folder per file: the file keeps its readable name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stem}.md"
        path.write_text(markdown, encoding="utf-8")
        return str(path)

    def _sweep(self) -> None:
        """Delete export files past their time (at most once a minute, by one thread at a time)."""
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

    def set_scope(self, label: str, tab: Tab, request: gr.Request) -> tuple[str, str | None, str]:
        """The export now holds the latest cited answer or the whole conversation."""
        space, thread = self.thread(tab, request)
        with space.lock:
            thread.scope = EXPORT_SCOPES.get(label, "answer")
            return self._export(thread), thread.download, export_note(thread)

    @staticmethod
    def nothing_to_download(value: Any) -> None:
        """A download button pressed before it holds a file says why instead of doing nothing."""
        if not value:
            gr.Warning(NO_ANSWER_YET)

    @staticmethod
    def no_notes_yet(value: Any) -> None:
        if not value:
            gr.Warning("There are no notes to download yet: pin an answer or a talking point first.")

    # -- the source panel ---------------------------------------------------------------------

    def show_source(self, ref: str, tab: Tab, request: gr.Request) -> str:
        """``ref`` is 'TURN-N' from a citation link (anything after '#' is the click's nonce)."""
        match = re.fullmatch(r"(\d+)-(\d+)(#.*)?", (ref or "").strip())
        if not match:
            return PANEL_HINT
        thread = self.space(tab, request).find(tab.thread_id)
        if thread is None:
            return PANEL_HINT
        turn, n = int(match[1]), int(match[2])
        kept = thread.turn(turn)
        if kept is None:
            return '<div class="sources-empty">That answer is no longer in this conversation.</div>'
        tab.panel = render_source(kept.answer, turn, n)
        return tab.panel

    def linked_passage(self, passage_id: str) -> str:
        passage = self.session.index.passages.get((passage_id or "").strip())
        if passage is None:
            return '<div class="sources-empty">The linked passage is not in the index (any more).</div>'
        return render_linked_passage(passage, Citation(1, passage, self.session.index.documents.get(passage.doc_id)))

    # -- notes ------------------------------------------------------------------------------

    def pin(self, ref: str, tab: Tab, request: gr.Request) -> tuple[str, str, str | None]:
        """``ref`` is 'TURN' (the whole answer) or 'TURN-PARAGRAPH' (one talking point)."""
        match = re.fullmatch(r"(\d+)(?:-(\d+))?(#.*)?", (ref or "").strip())
        space = self.space(tab, request)
        with space.lock:
            thread = space.find(tab.thread_id)
            kept = thread.turn(int(match[1])) if thread and match else None
            if kept is None or kept.answer.refused:
                gr.Warning("That answer is no longer in this conversation.")
            else:
                try:
                    space.pin(note_from_answer(kept.answer, int(match[2]) if match[2] else None))  # type: ignore[index]
                    gr.Info("Pinned to your notes.")
                except IndexError:
                    gr.Warning("That point is no longer in the answer.")
            return self._notes(space)

    def unpin(self, ref: str, tab: Tab, request: gr.Request) -> tuple[str, str, str | None]:
        match = re.fullmatch(r"(\d+)(#.*)?", (ref or "").strip())
        space = self.space(tab, request)
        with space.lock:
            if match and int(match[1]) < len(space.notes):
                del space.notes[int(match[1])]
            return self._notes(space)

    def _notes(self, space: Workspace) -> tuple[str, str, str | None]:
        """(the notes pane, the notes as plain text, the memo file)."""
        previous = space.notes_download
        space.notes_download = self._save(notes_markdown(space.notes), "notes") if space.notes else None
        self._discard(previous)
        return render_notes(space.notes), notes_plaintext(space.notes) if space.notes else "", space.notes_download

    # -- conversations ------------------------------------------------------------------------

    def _show(self, space: Workspace, thread: Thread, tab: Tab) -> tuple[Any, ...]:
        """(chat history, tab, panel, markdown, download, conversations list, conversation as text, name)."""
        history: list[dict] = []
        for number, turn in thread.answered():
            history.append({"role": "user", "content": f"<p>{esc(turn.question[:500])}</p>"})
            history.append(
                {"role": "assistant", "content": render_answer(turn.answer, number, turn.searched, turn.filters)}
            )
        tab.thread_id, tab.panel = thread.id, PANEL_HINT
        scope = next(label for label, value in EXPORT_SCOPES.items() if value == thread.scope)
        return (history, tab, PANEL_HINT, self._markdown(thread), thread.download, *self._side(space, thread), scope)

    @staticmethod
    def _side(space: Workspace, thread: Thread) -> tuple[str, str, str, str]:
        """(the conversations list, the open conversation as plain text, its name, what the export holds)."""
        turns = [(t.question, t.answer) for _, t in thread.answered()]
        text = conversation_plaintext(turns, title=thread.name) if turns else ""
        return render_conversations(space, thread.id), text, thread.name, export_note(thread)

    def sidebar(self, tab: Tab, request: gr.Request) -> tuple[str, str, str, str]:
        """The conversations list, the open conversation as plain text, its name and what the export holds,
        after an answer."""
        space, thread = self.thread(tab, request)
        with space.lock:
            return self._side(space, thread)

    def open_conversation(self, ref: str, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        space = self.space(tab, request)
        with space.lock:
            thread = space.open((ref or "").split("#")[0])
            return self._show(space, thread, tab)

    def new_conversation(self, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        space = self.space(tab, request)
        with space.lock:
            current = space.find(tab.thread_id)
            thread = current if current is not None and not current.answered() else space.new()
            return self._show(space, thread, tab)

    def clear(self, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        """The chat's trash icon: this conversation's answers and its follow-up memory are forgotten."""
        space, thread = self.thread(tab, request)
        with space.lock:
            thread.clear()
            self._export(thread)
            return self._show(space, thread, tab)

    def delete_conversation(self, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        space = self.space(tab, request)
        with space.lock:
            gone = space.delete(tab.thread_id or "")
            if gone is not None:
                self._discard(gone.download)
            return self._show(space, space.open(None), tab)

    def rename(self, name: str, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        """(conversations list, conversation as text, name, markdown, download): the name titles the exports."""
        space, thread = self.thread(tab, request)
        with space.lock:
            if name.strip():
                space.rename(thread.id, name)
                if thread.scope == "conversation":
                    self._export(thread)
            return (*self._side(space, thread), self._markdown(thread), thread.download)

    # -- the page ----------------------------------------------------------------------------

    def outline(self, doc_id: str, query: str = "") -> str:
        return outline_html([p for p in self.session.index.passages.values() if p.doc_id == doc_id], query or "")

    def choices(self) -> tuple[list[str], list[tuple[str, str]]]:
        """The conditions and (title, id) documents the filters offer, from the index as it is now."""
        index = self.session.index
        return index.conditions, [(title, doc_id) for doc_id, title in index.sources.items()]

    def on_page_load(self, passage_id: str, tab: Tab, request: gr.Request) -> tuple[Any, ...]:
        """A page (re)load: documents added since the app started (``advisor add``) are offered, the
        user's last conversation and notes come back, and a passage link opens its passage."""
        self.session.refresh()
        conditions, documents = self.choices()
        space, thread = self.thread(tab, request)
        with space.lock:
            shown = list(self._show(space, thread, tab))
            notes = self._notes(space)
        if passage_id:
            tab.panel = shown[2] = self.linked_passage(passage_id)
        return (
            gr.update(choices=conditions),
            gr.update(choices=documents),
            gr.update(choices=documents),
            *shown,
            *notes,
        )

    def build(self) -> gr.Blocks:
        conditions, documents = self.choices()
        ids = [doc_id for _, doc_id in documents]
        framework = "framework" if "framework" in ids else next(iter(ids), None)
        # Gradio forgets its own references to export files past their time, as _sweep deletes them.
        expiry = (3600, DOWNLOAD_HOURS * 3600)
        with gr.Blocks(title="Policy Advisor", fill_width=True, delete_cache=expiry) as demo:
            gr.Markdown(
                "## Policy Advisor\nCited answers about state policy for personalized, competency-based "
                f"learning. <span id='backend-badge'>{esc(self.backend_badge())}</span>"
            )
            tab = gr.State(Tab())
            with gr.Tab("Ask"), gr.Row(equal_height=False):
                with gr.Column(scale=3, elem_id="ask-col"):
                    chatbot = gr.Chatbot(
                        label="Conversation",
                        elem_id="chat",
                        height=520,
                        buttons=[],
                        autoscroll=False,  # the page's script brings each new answer's start into view
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
                    gr.HTML('<button class="drawer-open" type="button">Sources and notes</button>')
                    mode = gr.Radio(list(MODES), value=MODE_LABELS["answer"], label="Write", elem_id="mode")
                    with gr.Accordion("Search only in…", open=False, elem_id="filters"):
                        pick_conditions = gr.CheckboxGroup(
                            conditions, label="Policy conditions", elem_id="filter-conditions"
                        )
                        pick_documents = gr.CheckboxGroup(documents, label="Documents", elem_id="filter-documents")
                    with gr.Accordion("Examples (click to ask)", open=True, elem_id="examples"):
                        gr.HTML(examples_html())
                    with gr.Row():
                        scope = gr.Radio(
                            list(EXPORT_SCOPES), value=next(iter(EXPORT_SCOPES)), label="Export", elem_id="scope"
                        )
                        with gr.Column():
                            download = gr.DownloadButton(
                                "Download (Markdown)", value=None, elem_id="download", size="sm"
                            )
                            note = gr.HTML(NOTHING_EXPORTED, elem_id="export-note")
                    with gr.Accordion("Copy the export as Markdown", open=False, elem_id="export-copy"):
                        markdown = gr.Textbox(
                            show_label=False, lines=8, max_lines=30, buttons=["copy"], elem_id="markdown"
                        )
                    with gr.Accordion("Conversations", open=False, elem_id="conversations-box"):
                        conversations = gr.HTML("", elem_id="conversations")
                        with gr.Row():
                            name = gr.Textbox(label="Name of this conversation", elem_id="conversation-name", scale=3)
                            rename = gr.Button("Rename", size="sm", elem_id="rename", scale=1)
                        with gr.Row():
                            clear = gr.Button("New conversation", size="sm", elem_id="clear")
                            delete = gr.Button("Delete this conversation", size="sm", elem_id="delete", variant="stop")
                        conversation_text = gr.Textbox(
                            label="This conversation as plain text",
                            lines=4,
                            max_lines=20,
                            buttons=["copy"],
                            elem_id="conversation-text",
                        )
                with gr.Column(scale=2, elem_id="source-col"):
                    gr.HTML('<button class="drawer-close" type="button">Close ✕</button>')
                    gr.Markdown("### Source")
                    panel = gr.HTML(PANEL_HINT, elem_id="source-panel")
                    with gr.Accordion("Notes", open=True, elem_id="notes-box"):
                        notes = gr.HTML(NOTES_HINT, elem_id="notes")
                        notes_download = gr.DownloadButton(
                            "Download notes (Markdown memo)", value=None, elem_id="notes-download", size="sm"
                        )
                        with gr.Accordion("Copy the notes as plain text", open=False):
                            notes_text = gr.Textbox(
                                show_label=False, lines=3, max_lines=20, buttons=["copy"], elem_id="notes-text"
                            )
                    ref = gr.Textbox(visible="hidden", elem_id="action-ref")
                    go = gr.Button("show source", visible="hidden", elem_id="cite-go")
                    pin = gr.Button("pin", visible="hidden", elem_id="pin-go")
                    unpin = gr.Button("unpin", visible="hidden", elem_id="unpin-go")
                    reopen = gr.Button("open", visible="hidden", elem_id="open-go")
                    linked = gr.Textbox(visible="hidden", elem_id="linked-passage")
            with gr.Tab("Browse the framework"):
                with gr.Row():
                    doc = gr.Dropdown(documents, value=framework, label="Document", elem_id="browse-doc", scale=2)
                    search = gr.Textbox(
                        "",
                        label="Search headings and text",
                        elem_id="browse-search",
                        scale=3,
                        placeholder="e.g. credit",
                    )
                outline = gr.HTML(self.outline(framework) if framework else "", elem_id="outline")
            with gr.Tab("Check a bill", elem_id="check-tab"):
                CheckTab(self.session, self.downloads).build()
            with gr.Tab("Documents", elem_id="documents-tab"):
                documents_tab = DocumentsTab(self.session, self.can_edit)
                documents_tab.build(changed=[pick_documents, doc], choices=lambda: self.choices()[1])
            inputs = [box, chatbot, tab, mode, pick_conditions, pick_documents]
            outputs = [box, chatbot, tab, panel, markdown, download]
            side = [conversations, conversation_text, name, note]
            shown = [chatbot, tab, panel, markdown, download, *side, scope]
            notes_out = [notes, notes_text, notes_download]
            send.click(self.ask, inputs, outputs, api_name="ask").then(
                self.sidebar, tab, side, api_visibility="private"
            )
            box.submit(self.ask, inputs, outputs, api_visibility="private").then(
                self.sidebar, tab, side, api_visibility="private"
            )
            go.click(self.show_source, [ref, tab], panel, api_name="show_source")
            pin.click(self.pin, [ref, tab], notes_out, api_name="pin")
            unpin.click(self.unpin, [ref, tab], notes_out, api_visibility="private")
            reopen.click(self.open_conversation, [ref, tab], shown, api_visibility="private")
            # One queue for both, so the outline shown is the one asked for last (a document picked and
            # words typed at once could otherwise finish in either order).
            doc.change(self.outline, [doc, search], outline, api_name="outline", concurrency_id="outline")
            search.change(self.outline, [doc, search], outline, api_visibility="private", concurrency_id="outline")
            scope.input(self.set_scope, [scope, tab], [markdown, download, note], api_visibility="private")
            download.click(self.nothing_to_download, download, None, api_visibility="private")
            notes_download.click(self.no_notes_yet, notes_download, None, api_visibility="private")
            demo.load(
                self.on_page_load,
                [linked, tab],
                [pick_conditions, pick_documents, doc, *shown, *notes_out],
                js="(passage, tab) => [new URLSearchParams(window.location.search).get('passage') || '', tab]",
                api_visibility="private",
            )
            clear.click(self.new_conversation, tab, shown, api_visibility="private")
            delete.click(self.delete_conversation, tab, shown, api_visibility="private")
            rename.click(self.rename, [name, tab], [*side, markdown, download], api_visibility="private")
            # The chat's own trash icon clears the conversation's memory too, not only the screen.
            chatbot.clear(self.clear, tab, shown, api_visibility="private")
        return demo


def _slug(text: str, default: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())[:50].strip("-") or default


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def corpus_editable(host: str, auth: tuple[str, str] | None) -> bool:
    """May users change the corpus from the page? With a login, every user is signed in; without one,
    only when the app listens on this machine alone (whoever reaches it can already run `advisor add`)."""
    return auth is not None or host in LOOPBACK


def serve(session: Session, host: str, port: int, auth: tuple[str, str] | None = None, block: bool = True) -> Any:
    """Start the app; with ``block=False`` return at once (tests and benchmarks).

    Gradio's working folder is this process's own (removed at exit): export files live in it and
    are served from it, and a second user's app on the same machine never meets this one's files.
    The corpus can be changed from the page only by signed-in users (``--auth``) or, without a login,
    when the app listens on this machine alone."""
    private = Path(tempfile.mkdtemp(prefix="advisor-web-"))
    atexit.register(shutil.rmtree, private, True)
    os.environ["GRADIO_TEMP_DIR"] = str(private)  # read by gradio when the page is built (Blocks)
    demo = App(session, downloads=private / "answers", can_edit=corpus_editable(host, auth)).build()
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
        css=CSS + CHECK_CSS + DOCUMENTS_CSS,
        js=PAGE_JS,
        footer_links=["api"],
        enable_monitoring=False,
        ssr_mode=False,
        mcp_server=False,
    )
    return demo
