"""Summaries of repeated measurements: the median and p95 every figure reports."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above a share q of the samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass(frozen=True)
class Summary:
    median: float
    p95: float
    n: int
    samples: list[float] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, samples: list[float], higher_is_better: bool = False) -> Summary:
        """``p95`` is the slow end: the 95th percentile of times, the 5th of rates (higher is better)."""
        if not samples:
            raise ValueError("no samples to summarise")
        p95 = percentile(samples, 0.05 if higher_is_better else 0.95)
        return cls(statistics.median(samples), p95, len(samples), list(samples))

    @classmethod
    def single(cls, value: float) -> Summary:
        return cls.of([value])

    def stat(self, name: str) -> float:
        """'median', 'p95' or 'max'."""
        return max(self.samples) if name == "max" else getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        return {"median": self.median, "p95": self.p95, "n": self.n, "samples": [round(s, 4) for s in self.samples]}
