"""Figures, their targets, and how they are shown: a plain-text table and a JSON document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.stats import Summary


@dataclass(frozen=True)
class Target:
    """The advisor's ``stat`` (median, p95 or max) must stay below ``limit``."""

    stat: str
    limit: float

    def met(self, summary: Summary) -> bool:
        return summary.stat(self.stat) < self.limit

    def __str__(self) -> str:
        label = {"median": "p50", "p95": "p95", "max": "max"}[self.stat]
        return f"{label} < {self.limit:.3g}"


@dataclass
class Figure:
    section: str
    name: str
    unit: str
    advisor: Summary | None
    reference: Summary | None = None
    higher_is_better: bool = False
    targets: list[Target] = field(default_factory=list)
    beat_reference: bool = False  # a target too: better than the reference
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Advisor ÷ reference, medians."""
        if self.advisor is None or self.reference is None or not self.reference.median:
            return None
        return self.advisor.median / self.reference.median

    @property
    def status(self) -> str:
        if self.advisor is None:
            return "n/a" if self.targets or self.beat_reference else ""
        checks = [t.met(self.advisor) for t in self.targets]
        if self.beat_reference and self.ratio is not None:
            checks.append(self.ratio > 1 if self.higher_is_better else self.ratio < 1)
        if not checks:
            return ""
        return "met" if all(checks) else "MISSED"

    @property
    def target_text(self) -> str:
        parts = [str(t) for t in self.targets]
        if self.beat_reference:
            parts.append("ratio > 1" if self.higher_is_better else "ratio < 1")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "advisor": self.advisor.to_json() if self.advisor else None,
            "reference": self.reference.to_json() if self.reference else None,
            "ratio": self.ratio,
            "higher_is_better": self.higher_is_better,
            "target": self.target_text,
            "status": self.status,
            "note": self.note,
        }


COLUMNS = ("figure", "unit", "advisor p50", "p95", "reference p50", "p95", "ratio", "target", "status")


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _cells(figure: Figure) -> list[str]:
    a, r = figure.advisor, figure.reference
    return [
        figure.name,
        figure.unit,
        _number(a.median if a else None),
        _number(a.p95 if a and a.n > 1 else None),
        _number(r.median if r else None),
        _number(r.p95 if r and r.n > 1 else None),
        f"{figure.ratio:.2f}×" if figure.ratio is not None else "–",
        figure.target_text or "–",
        figure.status or "–",
    ]


def table(figures: list[Figure]) -> str:
    """One row per figure, grouped by section; notes follow the table, numbered."""
    notes: list[str] = []
    rows = [list(COLUMNS)]
    for figure in figures:
        cells = _cells(figure)
        if figure.note:
            notes.append(figure.note)
            cells[0] += f" ({len(notes)})"
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]

    def line(cells: list[str]) -> str:
        padded = [c.ljust(w) if i < 2 or i >= 7 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(padded).rstrip()

    out, section = [line(rows[0]), "  ".join("-" * w for w in widths)], None
    for figure, cells in zip(figures, rows[1:]):
        if figure.section != section:
            section = figure.section
            out.append(f"[{section}]")
        out.append(line(cells))
    out += [""] + [f"({i}) {note}" for i, note in enumerate(notes, start=1)]
    return "\n".join(out).rstrip()


def write_json(path: Path, figures: list[Figure], context: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = context | {
        "figures": [f.to_json() for f in figures],
        "missed": [f.name for f in figures if f.status == "MISSED"],
    }
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
