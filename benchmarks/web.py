"""The web app's figures: cold start to a usable page, throughput with concurrent clients, the
server's peak memory.

HOOK: ``advisor serve`` (ui/app.py) is not on this branch yet. When it lands, ``measure`` starts
it on a free 127.0.0.1 port, times launch → the page answering, sends the evaluation questions
from ``CLIENTS`` threads through the app's ``ask`` endpoint, and reads the server's peak RSS.
Until then it returns the three figures marked "not measured".
"""

from __future__ import annotations

from benchmarks.report import Figure

CLIENTS = 8
FIGURES = (
    ("cold `advisor serve` → usable page", "s"),
    (f"web throughput, {CLIENTS} concurrent clients", "q/s"),
    ("server peak RSS", "MiB"),
)


def measure(env: dict[str, str], questions: list[str], runs: int) -> list[Figure]:
    note = "not measured: `advisor serve` is not on this branch yet (hook in benchmarks/web.py)"
    return [Figure("web app", name, unit, None, note=note) for name, unit in FIGURES]
