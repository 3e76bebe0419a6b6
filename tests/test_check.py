"""`advisor check`: the JSON contract, the other formats, --out, bad input, and nothing written to corpus/ or index/."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers import no_traceback
from test_corpus_formats import make_pdf

from advisor.config import PROJECT_ROOT

BILL = PROJECT_ROOT / "evals" / "bills" / "dev" / "learning-counts-act.txt"
SHORT_BILL = """SENATE BILL 12
AN ACT concerning mastery credit.

Section 1. Credit for demonstrated mastery. (a) A local board shall award course credit to a student who
demonstrates mastery of the learning targets for a course, whether or not the student has completed a set number
of instructional hours in the course.

Section 2. School bus seat belts. Every school bus purchased after July 1, 2027, shall be equipped with a
lap-and-shoulder belt for each passenger seat.

Section 3. Effective date. This act takes effect July 1, 2026.
"""


def _snapshot(folder) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def _index_state(folder) -> tuple[set[str], str]:
    """The index's files and its pointer (Chroma itself touches its segment files whenever a store opens)."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}, (folder / "current.json").read_text()


@pytest.fixture(scope="module")
def report(run_cli) -> dict:
    result = run_cli("check", str(BILL), "--json")
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_json_contract(report):
    assert set(report) >= {"document", "provisions", "policies", "summary"}
    assert report["document"] | {"structure": None} == {
        "title": "AN ACT relating to student credit for demonstrated mastery; amending graduation requirements; and "
        "providing an effective date.",
        "file": str(BILL),
        "provisions": 10,
        "structure": None,
    }
    first, credit = report["provisions"][0], report["provisions"][3]
    assert set(first) >= {"id", "heading", "text", "matches"}
    assert (credit["id"], credit["heading"]) == ("4", "Credit for demonstrated mastery")
    assert credit["text"].startswith("(a) A local board of education shall award course credit")
    top = credit["matches"][0]
    assert set(top) >= {"condition", "part", "heading", "status", "score", "evidence"}
    assert (top["condition"], top["heading"], top["status"]) == (
        "Policy Flexibility",
        "Proficiency-based Credit",
        "addresses",
    )
    assert top["evidence"]["bill_sentence"] in credit["text"]  # both sides quoted verbatim
    cited = {c["id"]: c for c in report["citations"]}
    assert top["evidence"]["framework_sentence"] in cited[top["citation"]]["text"]
    for provision in report["provisions"]:
        scores = [m["score"] for m in provision["matches"] if m["status"] == "addresses"]
        assert scores == sorted(scores, reverse=True)  # strongest first
    assert len(report["policies"]) == 79
    assert {p["status"] for p in report["policies"]} <= {"addressed", "related", "not addressed"}
    credit_row = next(p for p in report["policies"] if p["heading"] == "Proficiency-based Credit")
    assert credit_row["status"] == "addressed" and "4" in credit_row["provisions"]
    summary = report["summary"]
    assert summary["policies"]["transformative policy"]["total"] == 44
    assert summary["policies"]["implementation action"]["total"] == 35
    assert summary["conditions"]["Policy Flexibility"]["transformative policy"]["addressed"] >= 1
    assert "Policy Flexibility" in summary["conditions_covered"] and summary["text"].startswith("This document has 10")


def test_outside_provisions_address_nothing(report):
    by_id = {p["id"]: p for p in report["provisions"]}
    for pid in ("1", "8", "9", "10"):  # short title, bus seat belts, severability, effective date
        assert not [m for m in by_id[pid]["matches"] if m["status"] == "addresses"], by_id[pid]
        assert by_id[pid]["note"]
    assert "effective-date" in by_id["10"]["note"]


def test_gaps_are_transformative_policies_of_covered_conditions(report):
    covered = set(report["summary"]["conditions_covered"])
    assert report["gaps"]
    for gap in report["gaps"]:
        assert gap["condition"] in covered and gap["part"] == "transformative policy" and gap["status"] != "addressed"


def test_text_markdown_and_csv(run_cli, tmp_path):
    bill = tmp_path / "sb12.txt"
    bill.write_text(SHORT_BILL, encoding="utf-8")
    text = run_cli("check", str(bill)).stdout.decode()
    assert "Crosswalk: SENATE BILL 12: AN ACT concerning mastery credit." in text
    assert "✓ Proficiency-based Credit [B§1]" in text and "[B§2] Section 2. School bus seat belts" in text
    assert 'Bill [B§1]: "' in text and "Sources:" in text
    memo = run_cli("check", str(bill), "--markdown").stdout.decode()
    assert memo.startswith("# Crosswalk: SENATE BILL 12") and "## Matrix" in memo and "## Gaps" in memo
    assert (
        "| **Policy Flexibility** |" in memo
        and "**Addresses: Policy Flexibility › Proficiency-based Credit [1]" in memo
    )
    rows = list(csv.DictReader(io.StringIO(run_cli("check", str(bill), "--csv").stdout.decode())))
    assert rows[0]["provision"] == "B§1" and rows[0]["policy"] == "Proficiency-based Credit"
    assert {r["provision"] for r in rows} == {"B§1", "B§2", "B§3"}  # every provision has a row
    assert next(r for r in rows if r["provision"] == "B§2")["status"] in ("none", "related")


def test_standard_input_and_out(run_cli, settings, tmp_path):
    corpus_before, index_before = _snapshot(PROJECT_ROOT / "corpus"), _index_state(settings.index_dir)
    out = tmp_path / "memo.md"
    result = run_cli("check", "-", "--markdown", "--out", str(out), stdin=SHORT_BILL)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b"" and b"Wrote the crosswalk of 3 provisions" in result.stderr
    assert out.read_text(encoding="utf-8").startswith("# Crosswalk: SENATE BILL 12")
    assert not list(tmp_path.glob(".*partial"))
    assert _snapshot(PROJECT_ROOT / "corpus") == corpus_before and _index_state(settings.index_dir) == index_before


def _bad_file(kind: str, folder):
    """A bad input of the given kind inside ``folder``; returns the path to give `advisor check`."""
    contents = {"empty.txt": b"", "photo.txt": b"\x89PNG\x00\x00", "hello.md": b"Hello there.", "x.xyz": b"Section 1."}
    if kind in contents:
        (folder / kind).write_bytes(contents[kind])
    elif kind == "scan.pdf":
        make_pdf(folder / kind, [])
    return folder if kind == "folder" else folder / kind


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty.txt", "the file is empty"),
        ("photo.txt", "the file is binary"),
        ("hello.md", "no provisions found; tried numbered sections"),
        ("scan.pdf", "the PDF has no text layer"),
        ("missing.txt", "no such file"),
        ("folder", "is a folder"),
        ("x.xyz", "unknown format .xyz"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, tmp_path, kind, message):
    result = run_cli("check", str(_bad_file(kind, tmp_path)))
    no_traceback(result)
    err = result.stderr.decode()
    assert result.returncode == 2 and err.startswith("advisor: ") and message in err and err.count("\n") == 1, err


def test_bad_standard_input_and_limits(run_cli, tmp_path):
    for stdin, message in ((b"", "standard input is empty"), (b"\x00\x01binary", "standard input is binary")):
        result = run_cli("check", "-", stdin=stdin)
        assert result.returncode == 2 and message in result.stderr.decode()
    big = tmp_path / "big.txt"
    big.write_text("Section 1. Grants. The state shall fund grants.\n" * 20, encoding="utf-8")
    from helpers import run_advisor

    result = run_advisor("check", str(big), env={"ADVISOR_MAX_BILL_CHARS": "500"})
    assert result.returncode == 2 and "characters of text; the limit is 500" in result.stderr.decode()


def test_out_may_not_write_into_the_corpus_or_a_folder(run_cli, tmp_path):
    result = run_cli("check", str(BILL), "--out", str(PROJECT_ROOT / "corpus" / "memo.md"))
    assert result.returncode == 2 and "is inside" in result.stderr.decode()
    assert not (PROJECT_ROOT / "corpus" / "memo.md").exists()
    result = run_cli("check", str(BILL), "--out", str(tmp_path))
    assert result.returncode == 2 and "is a folder" in result.stderr.decode()
    result = run_cli("check", str(BILL), "--json", "--csv")
    assert result.returncode == 2 and b"not allowed with argument" in result.stderr
