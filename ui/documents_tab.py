"""The web app's "Documents" tab: add users' documents to the corpus, list them, remove one.

Presentation only, over ``advisor.documents`` (what ``advisor add``, ``sources`` and ``remove``
run): the same checks, the same one-line reasons, the same atomic index generations. The running
app then moves to the new generation (``Session.refresh``). Who may change the corpus is decided
when the app starts (``ui.app.serve``): signed-in users with ``--auth``, anyone on this machine
when the app listens on 127.0.0.1 only, and no one otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from advisor.corpus import SUPPORTED_SUFFIXES
from advisor.documents import add_documents, index_sources, remove_document
from advisor.errors import UserError
from advisor.session import Session
from ui.render import esc

log = logging.getLogger("advisor.ui")

READ_ONLY = (
    "Documents can be added or removed from this page only when the app is served on this machine "
    "(127.0.0.1) or with a login (--auth); use `advisor add` and `advisor remove` on the server."
)
DOCUMENTS_CSS = """
.doc-status p { margin: 0.2em 0; } .doc-status .failed { border-left: 3px solid #d97706; padding-left: 0.5em; }
.doc-list table { border-collapse: collapse; font-size: 0.9em; }
.doc-list td, .doc-list th { padding: 0.2em 0.6em; text-align: left; }
"""


def render_sources(rows: list[dict[str, Any]]) -> str:
    """The indexed documents, as `advisor sources` lists them."""
    body = "".join(
        f"<tr><td><code>{esc(r['id'])}</code></td><td>{esc(r['title'])}</td><td>{esc(r['file'] or '')}</td>"
        f"<td>{r['passages']}</td><td>{esc(r['indexed_at'])}</td></tr>"
        for r in rows
    )
    head = "<tr><th>id</th><th>title</th><th>file</th><th>passages</th><th>last indexed</th></tr>"
    return f'<div class="doc-list"><table>{head}{body}</table></div>'


def _line(message: str, upload: Path | None, failed: bool) -> str:
    """One outcome as the CLI says it, with the upload's temporary folder (meaningless to the user) left out."""
    if upload is not None:
        message = message.replace(f"{upload.parent}/", "")
    return f'<p class="failed">{esc(message)}</p>' if failed else f"<p>{esc(message)}</p>"


class DocumentsTab:
    """The tab's handlers over the app's ``Session``; one change to the corpus at a time."""

    def __init__(self, session: Session, can_edit: bool) -> None:
        self.session = session
        self.can_edit = can_edit
        self._lock = threading.Lock()

    def listing(self) -> str:
        self.session.refresh()
        return render_sources(index_sources(self.session.index))

    def add(self, files: list[Any] | None) -> tuple[str, str]:
        """(status lines, the documents list) after adding the uploaded files."""
        if not self.can_edit:
            return f'<p class="failed">{esc(READ_ONLY)}</p>', self.listing()
        paths = [Path(f if isinstance(f, str) else f.name) for f in files or []]
        if not paths:
            return '<p class="failed">Choose one or more files first (.txt .md .html .pdf .docx).</p>', self.listing()
        by_name = {str(p): p for p in paths}
        lines: list[str] = []
        try:
            with self._lock:
                outcomes, report = add_documents(self.session.settings, paths, on_build=log.info)
            for outcome in outcomes:
                lines.append(_line(outcome.message, by_name.get(str(outcome.path)), outcome.status == "failed"))
            if report:
                lines.append(f"<p>{esc(report.summary())}</p>")
        except UserError as exc:
            lines.append(_line(str(exc), paths[0], True))
        except Exception:  # our bug or a library's: logged, and the page keeps serving
            log.exception("adding documents failed")
            lines.append('<p class="failed">Something went wrong while adding the documents; the error was logged.</p>')
        return f'<div class="doc-status">{"".join(lines)}</div>', self.listing()

    def remove(self, doc_id: str | None) -> tuple[str, str]:
        if not self.can_edit:
            return f'<p class="failed">{esc(READ_ONLY)}</p>', self.listing()
        try:
            with self._lock:
                document, report = remove_document(self.session.settings, doc_id or "", on_build=log.info)
            status = f"<p>Removed {esc(document.id)} ({esc(document.title)}).</p><p>{esc(report.summary())}</p>"
        except UserError as exc:
            status = _line(str(exc), None, True)
        except Exception:
            log.exception("removing %r failed", doc_id)
            status = '<p class="failed">Something went wrong while removing the document; the error was logged.</p>'
        return f'<div class="doc-status">{status}</div>', self.listing()

    def build(self, changed: list[gr.components.Component], choices: Callable[[], list[tuple[str, str]]]) -> None:
        """The tab's components and events; ``changed`` are the components offering the documents as
        choices (the filters, the outline's picker), updated after every change with ``choices()``."""
        note = "" if self.can_edit else f'<p class="failed">{esc(READ_ONLY)}</p>'
        gr.HTML(
            "<p>Add your own documents to the corpus (the same checks as <code>advisor add</code>); they are "
            f"quoted and cited like the framework.</p>{note}"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                files = gr.File(
                    label="Documents (.txt .md .html .pdf .docx)",
                    file_types=list(SUPPORTED_SUFFIXES),
                    file_count="multiple",
                    elem_id="doc-files",
                    interactive=self.can_edit,
                )
                add = gr.Button("Add to the corpus", variant="primary", elem_id="doc-add", interactive=self.can_edit)
                with gr.Row():
                    pick = gr.Dropdown(
                        choices(), value=None, label="Remove a document", elem_id="doc-remove-pick", scale=3
                    )
                    remove = gr.Button(
                        "Remove", variant="stop", elem_id="doc-remove", scale=1, interactive=self.can_edit
                    )
                status = gr.HTML("", elem_id="doc-status")
            with gr.Column(scale=3):
                listing = gr.HTML(self.listing(), elem_id="doc-list")

        def refreshed() -> tuple[Any, ...]:
            offered = choices()
            return tuple(gr.update(choices=offered) for _ in range(len(changed) + 1))

        add.click(self.add, files, [status, listing], api_visibility="private").then(
            refreshed, None, [pick, *changed], api_visibility="private"
        )
        remove.click(self.remove, pick, [status, listing], api_visibility="private").then(
            refreshed, None, [pick, *changed], api_visibility="private"
        )
