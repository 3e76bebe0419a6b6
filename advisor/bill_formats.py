"""A checked bill as the user takes it away: plain text, JSON, a Markdown memo, or CSV.

Citations: ``[B§4]`` (``[B Art. II]``, ``[B¶3]``) is the bill's provision, ``[n]`` the framework
passage listed under Sources. Quotes are verbatim on both sides.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from datetime import date

from advisor.bill_check import ADDRESSED, NOT_ADDRESSED, PARTS, CheckReport, Finding, PolicyRow
from advisor.crosswalk import ADDRESSES, Match
from advisor.formats import where
from advisor.passages import TRANSFORMATIVE_POLICY

FORMATS = ("text", "json", "markdown", "csv")
MARK = {ADDRESSED: "✓", "related": "≈", NOT_ADDRESSED: "·"}
LEGEND = "✓ addressed (by the provisions named) · ≈ related (touched, not enacted) · · not addressed"
CSV_COLUMNS = (
    "provision",
    "provision_heading",
    "status",
    "condition",
    "part",
    "policy",
    "score",
    "bill_sentence",
    "framework_sentence",
    "citation",
)


def format_check(report: CheckReport, fmt: str = "text", today: date | None = None) -> str:
    if fmt == "json":
        return json.dumps(report.to_json(), ensure_ascii=False, indent=1) + "\n"
    if fmt == "markdown":
        return check_markdown(report, today)
    if fmt == "csv":
        return check_csv(report)
    return check_text(report)


def _part_name(part: str) -> str:
    return "transformative policies" if part == TRANSFORMATIVE_POLICY else "implementation actions"


def _cites(report: CheckReport, ids: list[str]) -> str:
    by_id = {f.provision.id: f.provision for f in report.findings}
    return ", ".join(f"[{by_id[i].cite}]" for i in ids if i in by_id)


def _row_text(report: CheckReport, row: PolicyRow) -> str:
    text = f"{MARK[row.status]} {row.passage.heading}"
    if row.provisions:
        text += f" {_cites(report, row.provisions)}"
    elif row.related_provisions:
        text += f" (related: {_cites(report, row.related_provisions)})"
    return text


def _match_line(report: CheckReport, m: Match) -> str:
    n = report.citations.numbers[m.policy.id]
    if not m.policy.condition:  # an RFA decision point or recommendation: guidance to read, scored by similarity
        return f"See also: RFA roadmap › {m.policy.heading} [{n}]"
    verb = "Addresses" if m.status == ADDRESSES else "Related"
    return f"{verb}: {m.policy.condition} › {m.policy.heading} [{n}] (score {m.score:.2f})"


def _provision_title(finding: Finding) -> str:
    p = finding.provision
    return f"{p.label}" + (f". {p.heading}" if p.heading else "")


# ------------------------------------------------------------------------------------- text


def check_text(report: CheckReport) -> str:
    wrap = textwrap.TextWrapper(width=100, subsequent_indent="  ")
    lines = [f"Crosswalk: {report.bill.title}" + (f" ({report.bill.file})" if report.bill.file else ""), ""]
    lines += wrap.wrap(report.summary_text()) + ["", f"Matrix ({LEGEND}):"]
    for condition in report.conditions:
        lines.append(f"  {condition}")
        for part in PARTS:
            rows = report.rows(condition, part)
            lines.append(f"    {_part_name(part).capitalize()}:")
            lines += [f"      {_row_text(report, r)}" for r in rows]
    lines += ["", "Provisions:"]
    quote = textwrap.TextWrapper(width=100, initial_indent="      ", subsequent_indent="      ")
    for f in report.findings:
        lines.append(f"  [{f.provision.cite}] {_provision_title(f)}")
        if f.note:
            lines.append(f"    {f.note}")
        for m in f.matches:
            lines.append(f"    {_match_line(report, m)}")
            if m.status == ADDRESSES:  # the evidence is quoted for what the provision does, in the JSON for all
                lines += quote.wrap(f'Bill [{f.provision.cite}]: "{m.evidence.bill_sentence}"')
                n = report.citations.numbers[m.policy.id]
                lines += quote.wrap(f'Framework [{n}]: "{m.evidence.framework_sentence}"')
    if report.gaps:
        lines += ["", "Gaps (transformative policies of the conditions it covers that the bill does not address):"]
        for row in report.gaps:
            lines.append(
                f"  {row.passage.condition} › {row.passage.heading} [{report.citations.numbers[row.passage.id]}]"
            )
    lines += ["", "Sources:"]
    for p in (c.passage for c in report.citations.items):
        lines.append(f"  [{report.citations.numbers[p.id]}] {p.source} — {where(p)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- Markdown memo


def _md(text: str) -> str:
    return " ".join(text.replace("|", "/").split())


def check_markdown(report: CheckReport, today: date | None = None) -> str:
    """A memo a staffer can paste into a briefing: summary, matrix, findings quoted on both sides, gaps."""
    bill = report.bill
    lines = [f"# Crosswalk: {_md(bill.title)}", ""]
    lines += [
        f"*Checked against the KnowledgeWorks State Policy Framework for Personalized Learning, "
        f"{(today or date.today()).isoformat()}.*",
        "",
        "## Summary",
        "",
        report.summary_text(),
        "",
    ]
    lines += [
        "## Matrix",
        "",
        f"{LEGEND}.",
        "",
        "| Condition | Transformative policies | Implementation actions |",
        "|---|---|---|",
    ]
    for condition in report.conditions:
        cells = ["<br>".join(_md(_row_text(report, r)) for r in report.rows(condition, part)) for part in PARTS]
        lines.append(f"| **{_md(condition)}** | {cells[0]} | {cells[1]} |")
    lines += ["", "## Provisions", ""]
    for f in report.findings:
        lines.append(f"### [{f.provision.cite}] {_md(_provision_title(f))}")
        lines.append("")
        if f.note:
            lines += [f.note, ""] if f.matches else [f.note]
        for m in f.matches:
            n = report.citations.numbers[m.policy.id]
            if m.status != ADDRESSES:
                lines.append(f"- {_md(_match_line(report, m))}")
                continue
            lines.append(f"- **{_md(_match_line(report, m))}**")
            lines.append(f'  - Bill [{f.provision.cite}]: "{_md(m.evidence.bill_sentence)}"')
            lines.append(f'  - Framework [{n}]: "{_md(m.evidence.framework_sentence)}"')
        lines.append("")
    if report.gaps:
        lines += [
            "## Gaps",
            "",
            "Transformative policies of the conditions the bill covers that it does not address, "
            "for a staffer to consider adding:",
            "",
        ]
        for row in report.gaps:
            n = report.citations.numbers[row.passage.id]
            first = row.passage.sentences[0] if row.passage.sentences else ""
            lines.append(
                f'- **{_md(row.passage.condition or "")} › {_md(row.passage.heading or "")}** [{n}]: "{_md(first)}"'
            )
        lines.append("")
    lines += ["## Sources", ""]
    for p in (c.passage for c in report.citations.items):
        lines.append(f"[{report.citations.numbers[p.id]}] {_md(p.source)} — {_md(where(p))}  ")
    lines += [
        "",
        "*Bill citations [B§n] name the bill's provisions; [n] the framework passages above. Made by "
        "Policy Advisor's offline matcher; check each finding against the text before relying on it.*",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------- CSV


def _cell(value: object) -> str:
    """Bill text is untrusted: a cell a spreadsheet would run as a formula is kept as text."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def check_csv(report: CheckReport) -> str:
    """One row per (provision, policy) pair; a provision that matches nothing gets one row with status 'none'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.findings:
        p = f.provision
        if not f.matches:
            writer.writerow([_cell(p.cite), _cell(p.heading or ""), "none", "", "", "", "", "", "", ""])
        for m in f.matches:
            writer.writerow(
                _cell(v)
                for v in [
                    p.cite,
                    p.heading or "",
                    m.status,
                    m.policy.condition or "",
                    m.policy.part or "",
                    m.policy.heading or "",
                    f"{m.score:.4f}",
                    m.evidence.bill_sentence,
                    m.evidence.framework_sentence,
                    report.citations.numbers[m.policy.id],
                ]
            )
    return out.getvalue()
