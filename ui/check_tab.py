"""The web app's "Check a bill" tab: paste or upload a bill, see the crosswalk, download the memo.

Presentation only, over ``advisor.bill_check`` (the same report ``advisor check`` prints). The
matrix is one row of small cells per condition, coloured by status; a cell opens the framework
policy and the bill's provisions side by side, with the sentences that carry each match
highlighted. Opening a cell is plain HTML (a radio input per cell and CSS), so it needs no script
and no round trip. All bill and document text is escaped: a bill is untrusted input.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import gradio as gr

from advisor.bill_check import ADDRESSED, NOT_ADDRESSED, BillChecker, CheckReport, PolicyRow
from advisor.bill_formats import check_markdown
from advisor.corpus import SUPPORTED_SUFFIXES
from advisor.crosswalk import ADDRESSES
from advisor.errors import UserError
from advisor.passages import TRANSFORMATIVE_POLICY, Passage
from advisor.provisions import bill_from_text, read_bill
from advisor.session import Session
from ui.render import esc, render_passage

log = logging.getLogger("advisor.ui")

CHECK_HINT = (
    '<div class="sources-empty">Paste a bill (or a statute, regulation or state plan) or upload it, then press '
    "<strong>Check the bill</strong>. Nothing you check is added to the corpus.</div>"
)
STATUS_WORD = {ADDRESSED: "addressed", "related": "related", NOT_ADDRESSED: "not addressed"}

CHECK_CSS = """
.cw-summary { font-size: 0.95em; }
.cw-legend { font-size: 0.85em; opacity: 0.85; margin: 0.3em 0 0.6em; }
.cw-legend span { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -1px; }
.cw-grid { display: grid; grid-template-columns: 13em 1fr; gap: 3px 8px; align-items: start; }
.cw-condition { font-weight: 600; font-size: 0.85em; padding-top: 4px; }
.cw-cells { display: flex; flex-wrap: wrap; gap: 3px; }
.cw-cell { display: inline-block; font-size: 0.72em; line-height: 1.2; padding: 3px 5px; border-radius: 3px;
  cursor: pointer; max-width: 11em; border: 1px solid transparent; user-select: none; }
.cw-cell.transformative { border-color: #374151; }
.cw-cell.addressed, .cw-legend .addressed { background: #15803d; color: #fff; }
.cw-cell.related, .cw-legend .related { background: #fde68a; color: #1f2937; }
.cw-cell.not-addressed, .cw-legend .not-addressed { background: #e5e7eb; color: #374151; }
.cw-cell .cw-ids { font-weight: 700; margin-left: 0.3em; color: inherit; }
.cw-radio { position: absolute; opacity: 0; pointer-events: none; }
.cw-detail { display: none; margin-top: 0.8em; border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 0.7em; grid-template-columns: 1fr 1fr; gap: 1em; }
.cw-detail h4 { margin: 0 0 0.3em; font-size: 0.95em; }
.cw-detail .passage { font-size: 0.9em; }
.cw-detail mark { background: #fef08a; padding: 0 2px; }
.cw-provision { margin-bottom: 0.7em; }
.cw-findings details { margin: 0.25em 0; } .cw-findings summary { cursor: pointer; }
.cw-findings .cw-note { font-size: 0.9em; opacity: 0.8; }
.cw-findings ul { margin: 0.2em 0 0.4em 1.2em; font-size: 0.9em; }
.cw-error { border-left: 3px solid #d97706; padding-left: 0.5em; }
"""
MAX_CELLS = 160  # the framework has 79 policies; a cell opens its detail through one CSS rule each
CHECK_CSS += ", ".join(f"#cw-r{i}:checked ~ .cw-details .cw-d{i}" for i in range(MAX_CELLS)) + " { display: grid; }\n"
CHECK_CSS += (
    ", ".join(f'#cw-r{i}:checked ~ .cw-grid .cw-cell[for="cw-r{i}"]' for i in range(MAX_CELLS))
    + " { outline: 3px solid #2563eb; outline-offset: 1px; }\n"
)


def _highlight(text: str, quotes: list[str]) -> str:
    """Text (a framework passage or a bill provision) with the quoted sentences marked, line by line
    (a bill's subsections stay on their own lines)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return "<br>".join(render_passage(Passage(doc_id="", source="", text=line), quotes) for line in lines)


def _cell_id(report: CheckReport, row: PolicyRow) -> int:
    return report.policies.index(row)


def render_summary(report: CheckReport) -> str:
    covered = len(report.covered)
    return (
        f'<div class="cw-summary"><p><strong>{esc(report.bill.title)}</strong> — {len(report.findings)} provisions '
        f"({esc(report.bill.structure)}), {covered} of {len(report.conditions)} conditions covered.</p>"
        f"<p>{esc(report.summary_text())}</p></div>"
    )


def render_matrix(report: CheckReport) -> str:
    """The conditions × policies grid; each cell a label for a hidden radio that shows its detail."""
    cites = {f.provision.id: f.provision.cite for f in report.findings}
    radios, rows, details = [], [], []
    for condition in report.conditions:
        cells = []
        for row in (r for r in report.policies if r.passage.condition == condition):
            i = _cell_id(report, row)
            status = STATUS_WORD[row.status]
            kind = "transformative" if row.passage.part == TRANSFORMATIVE_POLICY else "implementation"
            ids = "".join(f" {cites[pid]}" for pid in row.provisions if pid in cites)
            title = f"{row.passage.heading} ({row.passage.part}): {status}{ids}"
            radios.append(f'<input type="radio" name="cw-open" id="cw-r{i}" class="cw-radio">')
            heading = esc(row.passage.heading or "")
            cells.append(
                f'<label for="cw-r{i}" class="cw-cell {kind} {status.replace(" ", "-")}" title="{esc(title)}" '
                f'data-policy="{heading}" data-status="{status}">{heading}'
                + (f'<span class="cw-ids">{esc(ids)}</span>' if ids else "")
                + "</label>"
            )
            details.append(_detail(report, row, i))
        rows.append(f'<div class="cw-condition">{esc(condition)}</div><div class="cw-cells">{"".join(cells)}</div>')
    legend = (
        '<div class="cw-legend"><span class="addressed"></span> addressed (by the provisions named) &nbsp; '
        '<span class="related"></span> related &nbsp; <span class="not-addressed"></span> not addressed &nbsp; '
        "a dark border marks a transformative policy. Click a cell to read the policy and the bill side by side.</div>"
    )
    return (
        f'<div class="cw">{legend}{"".join(radios)}<div class="cw-grid" id="cw-grid">{"".join(rows)}</div>'
        f'<div class="cw-details">{"".join(details)}</div></div>'
    )


def _detail(report: CheckReport, row: PolicyRow, i: int) -> str:
    """The framework policy beside the provisions that address it (or relate to it)."""
    by_id = {f.provision.id: f for f in report.findings}
    policy_quotes, sides = [], []
    for status, ids in ((ADDRESSES, row.provisions), ("related", row.related_provisions)):
        for pid in ids:
            finding = by_id[pid]
            match = next(m for m in finding.matches if m.policy.id == row.passage.id)
            policy_quotes.append(match.evidence.framework_sentence)
            p = finding.provision
            verb = "addresses" if status == ADDRESSES else "is related to"
            sides.append(
                f'<div class="cw-provision"><h4>[{esc(p.cite)}] {esc(p.label)}'
                + (f". {esc(p.heading)}" if p.heading else "")
                + f" — {verb} this policy (score {match.score:.2f})</h4>"
                f'<p class="passage">{_highlight(p.text, [match.evidence.bill_sentence])}</p></div>'
            )
    if not sides:
        gap = " It is a gap: a transformative policy of a condition the bill covers." if row in report.gaps else ""
        sides.append(f'<p class="sources-empty">No provision of the bill addresses this policy.{gap}</p>')
    n = report.citations.numbers.get(row.passage.id)
    marker = f"[{n}] " if n else ""
    p = row.passage
    return (
        f'<div class="cw-detail cw-d{i}" data-policy="{esc(p.heading or "")}">'
        f"<div><h4>{marker}{esc(p.condition or '')} › {esc(p.part or '')} › {esc(p.heading or '')}</h4>"
        f'<p class="answer-meta">{esc(p.source)}</p><p class="passage">{_highlight(p.text, policy_quotes)}</p></div>'
        f"<div><h4>The bill</h4>{''.join(sides)}</div></div>"
    )


def render_findings(report: CheckReport) -> str:
    """Each provision, folded: what it addresses, with both sides quoted."""
    items = []
    for f in report.findings:
        p = f.provision
        addressed = [m for m in f.matches if m.status == ADDRESSES]
        tag = f"addresses {len(addressed)}" if addressed else "addresses nothing"
        lines = []
        for m in f.matches:
            n = report.citations.numbers[m.policy.id]
            name = f"{m.policy.condition} › {m.policy.heading}" if m.policy.condition else f"RFA › {m.policy.heading}"
            if m.status == ADDRESSES:
                lines.append(
                    f"<li><strong>Addresses {esc(name)} [{n}]</strong> (score {m.score:.2f})<br>"
                    f"Bill [{esc(p.cite)}]: “{esc(m.evidence.bill_sentence)}”<br>"
                    f"Framework [{n}]: “{esc(m.evidence.framework_sentence)}”</li>"
                )
            else:
                lines.append(f"<li>Related: {esc(name)} [{n}]</li>")
        note = f'<p class="cw-note">{esc(f.note)}</p>' if f.note else ""
        items.append(
            f"<details><summary>[{esc(p.cite)}] {esc(p.label)}{'. ' + esc(p.heading) if p.heading else ''} "
            f"<em>({tag})</em></summary>{note}<ul>{''.join(lines)}</ul></details>"
        )
    return f'<div class="cw-findings">{"".join(items)}</div>'


class CheckTab:
    """The tab's handler, bound to the app's ``Session``; the matcher is built once per index generation."""

    def __init__(self, session: Session, downloads: Path) -> None:
        self.session = session
        self.downloads = downloads
        self._checker: BillChecker | None = None
        self._lock = threading.Lock()

    def checker(self) -> BillChecker:
        with self._lock:
            self.session.refresh()
            if self._checker is None or self._checker.index is not self.session.index:
                self._checker = BillChecker(self.session.index, self.session.settings)
            return self._checker

    def check(self, text: str, upload: Any) -> tuple[Any, ...]:
        """(summary, matrix, findings, memo Markdown, memo file) for a pasted or uploaded bill."""
        empty = ("", "", "", None)
        try:
            limit = self.session.settings.max_bill_chars
            if upload:
                path = Path(upload if isinstance(upload, str) else upload.name)
                bill = read_bill(path, limit)
            elif (text or "").strip():
                bill = bill_from_text(text, limit)
            else:
                return (f'<p class="cw-error">{esc("Paste a bill or upload a file first.")}</p>', *empty)
            report = self.checker().check(bill)
        except UserError as exc:
            message = re.sub(r"^/\S+/", "", str(exc))  # the upload's temporary folder means nothing to the user
            return (f'<p class="cw-error">{esc(message)}</p>', *empty)
        except Exception:  # our bug or a library's: logged, and the page keeps serving
            log.exception("checking a bill failed")
            return (
                '<p class="cw-error">Something went wrong while checking the bill; the error was logged.</p>',
                *empty,
            )
        memo = check_markdown(report)
        return render_summary(report), render_matrix(report), render_findings(report), memo, self._save(memo, report)

    def _save(self, memo: str, report: CheckReport) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", report.bill.title.lower())[:50].strip("-") or "bill"
        folder = self.downloads / uuid.uuid4().hex
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crosswalk-{slug}.md"
        path.write_text(memo, encoding="utf-8")
        return str(path)

    def warm_up(self) -> None:
        """Load the matcher's encoders and policy vectors off the request path (the first bill then takes
        about a second, not five); a corpus without the framework is reported when a bill is checked."""
        with contextlib.suppress(UserError):
            self.checker().warm_up()

    def build(self) -> None:
        """The tab's components and events; call inside ``with gr.Tab(...)`` of the app's Blocks."""
        threading.Thread(target=self.warm_up, name="warm-crosswalk", daemon=True).start()
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                text = gr.Textbox(
                    label="Paste the bill",
                    lines=10,
                    max_lines=20,
                    placeholder="Section 1. Short title. This act may be cited as …",
                    elem_id="bill-text",
                )
                upload = gr.File(
                    label="…or upload it (.txt .md .html .pdf .docx)",
                    file_types=list(SUPPORTED_SUFFIXES),  # what read_bill reads, as `advisor add` does
                    elem_id="bill-file",
                )
                go = gr.Button("Check the bill", variant="primary", elem_id="check-bill")
                download = gr.DownloadButton("Download the memo (Markdown)", value=None, elem_id="bill-memo", size="sm")
            with gr.Column(scale=5):
                summary = gr.HTML(CHECK_HINT, elem_id="bill-summary")
                matrix = gr.HTML("", elem_id="bill-matrix")
        with gr.Accordion("Provisions, one by one", open=False, elem_id="bill-findings-box"):
            findings = gr.HTML("", elem_id="bill-findings")
        with gr.Accordion("Copy the memo as Markdown", open=False):
            memo = gr.Textbox(show_label=False, lines=8, max_lines=30, buttons=["copy"], elem_id="bill-markdown")
        go.click(self.check, [text, upload], [summary, matrix, findings, memo, download], api_name="check_bill")
