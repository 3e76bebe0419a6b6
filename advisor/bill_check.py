"""A bill checked against the framework: per-provision matches, the conditions × policies matrix,
the gaps, and a summary; the JSON contract of ``advisor check --json``.

Reading and splitting the bill is ``provisions.py``; deciding what each provision addresses is the
matcher's (``crosswalk.py``). This module only assembles: which policies are addressed by which
provisions, which conditions the bill touches, and which transformative policies of those
conditions it leaves out. The matrix depends on no language model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from advisor.answer import CitationList
from advisor.crosswalk import ADDRESSES, RELATED, Match, Matcher, non_operative, policy_key
from advisor.passages import IMPLEMENTATION_ACTION, TRANSFORMATIVE_POLICY, Passage
from advisor.provisions import Bill, Provision

ADDRESSED = "addressed"
NOT_ADDRESSED = "not addressed"
PARTS = (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION)


@dataclass
class Finding:
    """One provision and what it addresses; ``note`` says why a provision addresses nothing."""

    provision: Provision
    matches: list[Match]
    note: str | None = None

    @property
    def addresses(self) -> list[Match]:
        return [m for m in self.matches if m.status == ADDRESSES]

    @property
    def related(self) -> list[Match]:
        return [m for m in self.matches if m.status == RELATED]


@dataclass
class PolicyRow:
    """One framework policy in the matrix."""

    passage: Passage
    status: str = NOT_ADDRESSED
    provisions: list[str] = field(default_factory=list)  # ids of provisions that address it
    related_provisions: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    bill: Bill
    findings: list[Finding]
    policies: list[PolicyRow]  # every framework policy, in framework order
    citations: CitationList  # framework passages numbered [1], [2]... in the order the report first cites them

    @property
    def conditions(self) -> list[str]:
        return list(dict.fromkeys(row.passage.condition for row in self.policies if row.passage.condition))

    def rows(self, condition: str, part: str) -> list[PolicyRow]:
        return [r for r in self.policies if r.passage.condition == condition and r.passage.part == part]

    @property
    def covered(self) -> list[str]:
        """Conditions with at least one policy addressed."""
        return [
            c for c in self.conditions if any(r.status == ADDRESSED for r in self.policies if r.passage.condition == c)
        ]

    @property
    def untouched(self) -> list[str]:
        """Conditions with no policy addressed or related."""
        return [
            c
            for c in self.conditions
            if all(r.status == NOT_ADDRESSED for r in self.policies if r.passage.condition == c)
        ]

    @property
    def gaps(self) -> list[PolicyRow]:
        """Transformative policies of the conditions the bill takes on, that it does not address."""
        covered = set(self.covered)
        return [
            r
            for r in self.policies
            if r.passage.condition in covered and r.passage.part == TRANSFORMATIVE_POLICY and r.status != ADDRESSED
        ]

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """condition → part → {addressed, related, not addressed, total}."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for condition in self.conditions:
            out[condition] = {}
            for part in PARTS:
                rows = self.rows(condition, part)
                tally = {s: sum(r.status == s for r in rows) for s in (ADDRESSED, RELATED, NOT_ADDRESSED)}
                out[condition][part] = tally | {"total": len(rows)}
        return out

    def summary_text(self) -> str:
        """One paragraph: provisions, policies addressed by part, conditions covered and untouched."""
        n = len(self.findings)
        addressing = sum(1 for f in self.findings if f.addresses)
        by_part = {
            part: (
                sum(r.status == ADDRESSED for r in self.policies if r.passage.part == part),
                sum(r.passage.part == part for r in self.policies),
            )
            for part in PARTS
        }
        total = sum(t for _, t in by_part.values())
        addressed = sum(a for a, _ in by_part.values())
        (t_done, t_all), (i_done, i_all) = by_part[TRANSFORMATIVE_POLICY], by_part[IMPLEMENTATION_ACTION]
        text = (
            f"This document has {n} provision{'s' if n != 1 else ''}; {addressing} of them "
            f"address{'es' if addressing == 1 else ''} the framework. "
            f"Together they address {addressed} of the framework's {total} policies: {t_done} of {t_all} "
            f"transformative policies and {i_done} of {i_all} implementation actions."
        )
        if self.covered:
            text += f" Conditions covered: {_series(self.covered)}."
        if self.untouched:
            text += f" Untouched: {_series(self.untouched)}."
        outside = n - addressing
        if outside:
            text += f" {outside} provision{'s address' if outside != 1 else ' addresses'} no framework policy."
        if self.gaps:
            text += (
                f" Within the conditions it covers, {len(self.gaps)} transformative "
                f"polic{'ies are' if len(self.gaps) != 1 else 'y is'} not addressed (see the gaps)."
            )
        return text

    def to_json(self) -> dict[str, Any]:
        """The ``advisor check --json`` contract (README, "Check a bill")."""
        counts = self.counts()
        by_part = {
            part: {s: sum(counts[c][part][s] for c in counts) for s in (ADDRESSED, RELATED, NOT_ADDRESSED, "total")}
            for part in PARTS
        }
        return {
            "document": {
                "title": self.bill.title,
                "file": self.bill.file,
                "provisions": len(self.findings),
                "structure": self.bill.structure,
            },
            "provisions": [self._provision_json(f) for f in self.findings],
            "policies": [
                {
                    "condition": r.passage.condition,
                    "part": r.passage.part,
                    "heading": r.passage.heading,
                    "status": r.status,
                    "provisions": r.provisions,
                    "related_provisions": r.related_provisions,
                    "citation": self.citations.numbers.get(r.passage.id),
                }
                for r in self.policies
            ],
            "summary": {
                "text": self.summary_text(),
                "provisions": len(self.findings),
                "provisions_addressing": sum(1 for f in self.findings if f.addresses),
                "policies": by_part,
                "conditions": counts,
                "conditions_covered": self.covered,
                "conditions_untouched": self.untouched,
            },
            "gaps": [
                {
                    "condition": r.passage.condition,
                    "part": r.passage.part,
                    "heading": r.passage.heading,
                    "status": r.status,
                    "citation": self.citations.numbers.get(r.passage.id),
                }
                for r in self.gaps
            ],
            "citations": [c.to_json() for c in self.citations.items],
        }

    def _provision_json(self, finding: Finding) -> dict[str, Any]:
        p = finding.provision
        return {
            "id": p.id,
            "label": p.label,
            "cite": p.cite,
            "heading": p.heading,
            "context": p.context,
            "text": p.text,
            "note": finding.note,
            "matches": [
                {
                    "condition": m.policy.condition,
                    "part": m.policy.part,
                    "heading": m.policy.heading,
                    "source": m.policy.source,
                    "status": m.status,
                    "score": m.score,
                    "citation": self.citations.numbers[m.policy.id],
                    "evidence": {
                        "bill_sentence": m.evidence.bill_sentence,
                        "framework_sentence": m.evidence.framework_sentence,
                        "similarity": round(m.evidence.similarity, 4),
                        "shared_terms": list(m.evidence.shared_terms),
                    },
                }
                for m in finding.matches
            ],
        }


def check(bill: Bill, matcher: Matcher, policies: list[Passage]) -> CheckReport:
    """Match every provision and assemble the report; ``policies`` are the framework's, in order."""
    findings = []
    for provision, matches in zip(bill.provisions, matcher.match_all(bill.provisions)):
        note = None
        if not any(m.status == ADDRESSES for m in matches):
            note = _why_nothing(provision, matches)
        findings.append(Finding(provision, matches, note))
    rows = {policy_key(p): PolicyRow(p) for p in policies}
    citations = CitationList()
    for finding in findings:
        for m in finding.matches:
            citations.cite(m.policy)
            row = rows.get(m.key)
            if row is None:  # an RFA decision point or recommendation: cited, not in the matrix
                continue
            if m.status == ADDRESSES:
                row.provisions.append(finding.provision.id)
                row.status = ADDRESSED
            else:
                row.related_provisions.append(finding.provision.id)
                if row.status == NOT_ADDRESSED:
                    row.status = RELATED
    report = CheckReport(bill, findings, list(rows.values()), citations)
    for gap in report.gaps:
        citations.cite(gap.passage)
    return report


def _why_nothing(provision: Provision, matches: list[Match]) -> str:
    reason = non_operative(provision)
    if reason:
        return f"Addresses no framework policy: {reason}."
    if any(m.status == RELATED for m in matches):
        return "Addresses no framework policy with enough evidence; the closest policies are listed as related."
    return "Addresses no framework policy: outside the framework, or worded too far from it for the offline matcher."


def _series(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class BillChecker:
    """The crosswalk over one opened index: build once (per index generation), check many bills."""

    def __init__(self, index: Any, settings: Any) -> None:
        from advisor.crosswalk import EvidenceMatcher
        from advisor.retrieve import HybridRetriever

        self.index = index
        self.matcher = EvidenceMatcher(index, HybridRetriever(index, settings))

    def warm_up(self) -> None:
        self.matcher.warm_up()

    def check(self, bill: Bill) -> CheckReport:
        return check(bill, self.matcher, self.matcher.policies)
