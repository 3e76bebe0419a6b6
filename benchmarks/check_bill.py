"""Warm time to check a 30-provision bill against the framework (`advisor check`, README "Check a bill").

    python -m benchmarks.check_bill [--runs N] [--provisions N]     (the index from ADVISOR_*)

The bill is made from the labelled bills' provisions (evals/bills), renumbered Section 1..N, so it
mixes provisions inside and outside the framework as real bills do. One session is opened, one
check warms it up (the ONNX session, the matcher's policy vectors), then each timed run splits the
bill's text and checks it: reading, splitting, embedding every provision and sentence, matching
against the 79 policies and assembling the report, as ``advisor check`` does after start-up. Prints
JSON with the milliseconds of each run, p50 and p95, and the target (p50 under 2 s on this machine).
Timings are not asserted in tests: they depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from advisor.config import Settings, quiet_offline_environment
from benchmarks.stats import Summary

TARGET_MS = 2000.0


def bill_text(provisions: int) -> str:
    """A bill of ``provisions`` sections drawn evenly from the labelled bills' provisions (so its length is
    theirs on average, whichever bills sort first)."""
    from advisor.crosswalk_eval import BILLS, MAX_BILL_CHARS
    from advisor.provisions import read_bill

    pool = []
    for path in sorted(p for p in BILLS.rglob("*") if p.suffix in (".txt", ".md", ".html", ".docx")):
        if path.name != "README.md":
            pool += read_bill(path, MAX_BILL_CHARS).provisions
    sections = []
    for n in range(1, provisions + 1):
        p = pool[((n - 1) * len(pool)) // provisions % len(pool)]  # spread over every bill, not the first few
        heading = f"{p.heading}. " if p.heading else ""
        sections.append(f"Section {n}. {heading}{p.text}")
    return "AN ACT assembled for the benchmark.\n\n" + "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check_bill", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--provisions", type=int, default=30)
    args = parser.parse_args(argv)
    quiet_offline_environment()
    from advisor.bill_check import BillChecker
    from advisor.provisions import bill_from_text
    from advisor.session import Session

    settings = Settings.from_env()
    text = bill_text(args.provisions)
    started = time.perf_counter()
    session = Session(settings, "extractive")
    checker = BillChecker(session.index, settings)
    checker.check(bill_from_text(text, settings.max_bill_chars))  # warm-up, not timed
    opened = time.perf_counter() - started
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        report = checker.check(bill_from_text(text, settings.max_bill_chars))
        samples.append((time.perf_counter() - started) * 1000)
    summary = Summary.of(samples)
    print(
        json.dumps(
            {
                "figure": f"check a {len(report.findings)}-provision bill, warm",
                "unit": "ms",
                "runs": samples,
                "p50": summary.median,
                "p95": summary.p95,
                "open_and_first_check_s": opened,
                "target": f"p50 < {TARGET_MS:.0f}",
                "status": "met" if summary.median < TARGET_MS else "MISSED",
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
