"""The benchmark command runs end to end: its smoke mode prints the table and writes the JSON.

Only the structure is checked, never a timing: CI machines and their load vary.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.config import PROJECT_ROOT


def bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600
    )


def test_smoke_run_prints_the_table_and_writes_json(tmp_path):
    out = tmp_path / "latest.json"
    done = bench("--smoke", "--out", str(out))
    assert done.returncode == 0, done.stderr
    for heading in ("figure", "advisor p50", "reference p50", "ratio", "target", "status"):
        assert heading in done.stdout
    sections = ("[cold start]", "[warm, shipped corpus, per question]", "[batch]", "[memory]", "[scale]", "[web app]")
    assert all(section in done.stdout for section in sections)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["options"]["smoke"] is True and data["machine"]["cpus"] >= 1
    figures = {f["name"]: f for f in data["figures"]}
    for name in ("`advisor ask` → first answer", "retrieval", "retrieval + answer", "index build, 1× corpus"):
        figure = figures[name]
        assert figure["advisor"]["n"] >= 1 and figure["advisor"]["median"] > 0
        assert figure["reference"]["median"] > 0 and figure["ratio"] > 0
        assert figure["status"] in ("met", "MISSED", "")
        assert name in done.stdout
    assert figures["retrieval"]["target"] == "p50 < 15, p95 < 40, ratio < 1"
    assert set(data["missed"]) == {name for name, f in figures.items() if f["status"] == "MISSED"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sizes", "1,x"], "sizes are whole numbers"),
        (["--sizes", "0"], "each size must be from 1 to 1000"),
        (["--skip", "colds"], "unknown section colds"),
        (["--repeats", "-1"], "expected 1 or more"),
        (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_bad_options_get_a_clear_message(args, message):
    done = bench(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
