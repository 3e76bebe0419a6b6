"""The `advisor` command as users and other tools call it: the JSON contract and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from advisor.cli import main

MASTERY = "Can a state award credit based on mastery instead of seat time?"


def _no_traceback(result) -> None:
    assert b"Traceback" not in result.stderr and b"Traceback" not in result.stdout


def test_ask_json_contract(run_cli):
    result = run_cli("ask", MASTERY, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["question"] == MASTERY and data["refused"] is False and data["backend"] == "extractive"
    assert "[1]" in data["answer"]
    headings = [c["heading"] for c in data["citations"]]
    assert "Proficiency-based Credit" in headings
    for c in data["citations"]:
        assert set(c) >= {"id", "source", "publisher", "date", "edition", "condition", "part", "heading", "text"}
    credit = data["citations"][headings.index("Proficiency-based Credit")]
    assert credit["condition"] == "Policy Flexibility" and credit["part"] == "transformative policy"
    assert (credit["publisher"], credit["date"], credit["edition"]) == ("KnowledgeWorks", "2025-05-12", "3rd edition")
    assert credit["text"].startswith("Credit for learning is based on student demonstration of proficiency")


def test_ask_text_shows_answer_then_numbered_sources(run_cli):
    result = run_cli("ask", MASTERY)
    out = result.stdout.decode()
    assert result.returncode == 0
    answer, sources = out.split("Sources:")
    assert "[1]" in answer
    assert (
        "[1] State Policy Framework for Personalized Learning (KnowledgeWorks, 3rd edition, May 12, 2025) — "
        "Policy Flexibility › transformative policy › Proficiency-based Credit." in sources
    )


def test_markdown_one_pager_and_a_whole_conversation_as_one_document(run_cli, tmp_path):
    result = run_cli("ask", "Give me talking points on mastery-based credit", "--mode", "talking-points", "--markdown")
    assert result.returncode == 0, result.stderr
    page = result.stdout.decode()
    assert page.startswith("# Talking points: Mastery-based credit\n") and "## Sources" in page
    script = tmp_path / "briefing.txt"
    turns = [MASTERY, "What is a good banana bread recipe?", "bad \x1b line", "as talking points"]
    script.write_text("\n".join(turns) + "\n", encoding="utf-8")
    result = run_cli("ask", "--conversation", str(script), "--markdown")
    assert result.returncode == 1 and b"turn 3: " in result.stderr  # the bad line is named, the rest answered
    document = result.stdout.decode()
    assert document.startswith("# Questions and answers\n") and "nothing to cite" in document
    headings = [line for line in document.splitlines() if line.startswith("## ")]
    assert headings == [f"## 1. {MASTERY}", f"## 2. {turns[1]}", f"## 3. {turns[3]}", "## Sources"]


def test_talking_points_mode(run_cli):
    result = run_cli("ask", "funding for personalized learning", "--mode", "talking-points", "--json")
    data = json.loads(result.stdout)
    points = data["answer"].splitlines()
    assert 3 <= len(points) <= 5 and all(p.startswith("- ") for p in points)


def test_out_of_scope_is_refused_in_json(run_cli):
    data = json.loads(run_cli("ask", "What is a good banana bread recipe?", "--json").stdout)
    assert data["refused"] is True and data["citations"] == []


def test_condition_filter(run_cli):
    result = run_cli("ask", "teacher licensure", "--condition", "educator development and support", "--json")
    data = json.loads(result.stdout)
    assert data["citations"] and {c["condition"] for c in data["citations"]} == {"Educator Development and Support"}


def test_batch_file_keeps_order_and_reports_bad_lines(run_cli, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text(f"{MASTERY}\n\nbanana bread recipe\n{'x' * 3000}\nHow should funding formulas change?\n")
    result = run_cli("ask", "--file", str(questions), "--json")
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [x["question"][:20] for x in lines] == [
        MASTERY[:20],
        "banana bread recipe",
        "x" * 20,
        "How should funding f",
    ]
    assert lines[1]["refused"] is True and "error" in lines[2] and "limit is 2,000" in lines[2]["error"]
    assert lines[3]["refused"] is False
    assert result.returncode == 1  # one line could not be answered; the rest were
    _no_traceback(result)


def test_retrieve_json(run_cli, tmp_path):
    data = json.loads(
        run_cli(
            "retrieve", "can kids get credit for showing mastery instead of hours in class", "--json", "--k", "3"
        ).stdout
    )
    assert data["question"].startswith("can kids")
    assert [r["rank"] for r in data["results"]] == [1, 2, 3]
    assert set(data["results"][0]) >= {"rank", "score", "source", "condition", "part", "heading", "text"}
    assert "Proficiency-based Credit" in [r["heading"] for r in data["results"]]
    questions = tmp_path / "q.txt"
    questions.write_text("teacher pay\nstate tests\n")
    lines = run_cli("retrieve", "--file", str(questions), "--json").stdout.decode().splitlines()
    assert [json.loads(x)["question"] for x in lines] == ["teacher pay", "state tests"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", ""], "empty"),
        (["ask", "   \t  "], "empty"),
        (["ask", "x" * 100_000], "100,000 characters"),
        (["ask", "credit\x1b[31m for mastery"], "control characters"),
        (["ask", "credit", "--k", "0"], "between 1 and 50"),
        (["ask", "credit", "--k", "500"], "between 1 and 50"),
        (["ask", "credit", "--condition", "astrology"], "Unknown condition 'astrology'"),
        (["ask", "--file", "/no/such/file.txt"], "Cannot read /no/such/file.txt"),
        (["ask"], "Give a question"),
        (["ask", "credit", "--mode", "poem"], "invalid choice"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nonzero_exit(run_cli, args, message):
    result = run_cli(*args)
    assert result.returncode != 0
    assert message in result.stderr.decode()
    _no_traceback(result)


def test_nul_in_an_argument(settings, index, monkeypatch, capsys):
    """argv cannot hold NUL, so no command with one ever starts (the file case below is how NUL reaches
    the advisor). Should one reach ``main`` all the same, it is a control character: one line, exit 2."""
    with pytest.raises(ValueError, match="null byte"):
        subprocess.run([sys.executable, "-m", "advisor.cli", "ask", "credit\x00mastery"], check=False)
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    assert main(["ask", "credit\x00mastery"]) == 2
    assert capsys.readouterr().err == (
        "advisor: The question contains control characters (such as escape or NUL); please type it as plain text.\n"
    )


def test_invalid_utf8_and_control_bytes_in_a_batch_file(run_cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"credit for mastery\n\xff\xfe broken bytes\ncredit\x00 for mastery\n")
    result = run_cli("ask", "--file", str(bad), "--json")
    lines = [json.loads(x) for x in result.stdout.decode().splitlines()]
    assert "error" not in lines[0]
    assert "not valid UTF-8" in lines[1]["error"] and "control characters" in lines[2]["error"]
    assert result.returncode == 1
    _no_traceback(result)


def test_chat_reads_questions_until_end_of_input(run_cli):
    result = run_cli("chat", stdin=f"{MASTERY}\n\nbanana bread recipe\n")
    out = result.stdout.decode()
    assert result.returncode == 0
    assert "Proficiency-based Credit" in out and "don't cover" in out


def test_chat_with_a_question_answers_once(run_cli):
    result = run_cli("chat", MASTERY)
    assert result.returncode == 0 and "Sources:" in result.stdout.decode()


def test_help_is_the_documentation(run_cli):
    out = run_cli("--help").stdout.decode()
    for command in ("index", "ask", "retrieve", "chat", "eval"):
        assert command in out
    assert "--mode" in run_cli("ask", "--help").stdout.decode()


def test_bad_setting_is_reported(run_cli, monkeypatch):
    monkeypatch.setenv("ADVISOR_TOP_K", "lots")
    result = run_cli("ask", MASTERY)
    assert result.returncode == 2 and "ADVISOR_TOP_K must be a whole number" in result.stderr.decode()
    _no_traceback(result)


def test_bad_backend_settings_are_reported(run_cli, monkeypatch):
    monkeypatch.setenv("ADVISOR_BACKEND", "gpt9")
    result = run_cli("ask", MASTERY)
    assert (
        result.returncode == 2 and "ADVISOR_BACKEND must be one of auto, extractive, openai" in result.stderr.decode()
    )
    monkeypatch.delenv("ADVISOR_BACKEND")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = run_cli("ask", MASTERY, "--backend", "openai")
    assert result.returncode == 2 and "needs OPENAI_API_KEY" in result.stderr.decode()
    _no_traceback(result)


def test_eval_writes_the_report(run_cli, tmp_path):
    out = tmp_path / "report"
    result = run_cli("eval", "--fast", "--limit", "12", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} == {"report.md", "report.json", "retrieval.png", "answers.png"}
    data = json.loads((out / "report.json").read_text())
    assert set(data["retrieval"]) == {
        "hybrid (advisor)",
        "dense only (advisor passages)",
        "BM25 only (advisor passages)",
    }
    assert (
        set(data["answers"]) == {"extractive"} and data["judges"]["offline (lexical + MiniLM)"]["held-out"]["pairs"] > 0
    )
    crosswalk = data["crosswalk"]["scores"]  # --limit 12: twelve labelled bills, six from each split
    assert {split: scores["bills"] for split, scores in crosswalk.items()} == {"dev": 6, "heldout": 6}
    markdown = (out / "report.md").read_text()
    assert "## Failures" in markdown and "| hybrid (advisor) |" in markdown and "held-out" in markdown
    assert (out / "retrieval.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_rejects_a_broken_question_set(run_cli, tmp_path):
    bad = tmp_path / "questions.jsonl"
    bad.write_text('{"id": "x1", "question": "no split"}\n')
    result = run_cli("eval", "--questions", str(bad), "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "questions.jsonl:1: not a valid question line" in result.stderr.decode()
    _no_traceback(result)


def test_batch_file_is_read_with_a_size_limit(run_cli):
    """Before: `ask --file /dev/zero` read until memory ran out, then a MemoryError traceback."""
    result = run_cli("ask", "--file", "/dev/zero", "--json")
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().strip() == (
        "advisor: /dev/zero is over 10 MB; a question file holds one question a line. Split it into smaller files."
    )
    _no_traceback(result)


def test_batch_file_lines_split_at_newline_only(run_cli, tmp_path):
    """U+2028, NEL and form feed inside a line do not split it: three lines, three answers, in order."""
    questions = tmp_path / "questions.txt"
    questions.write_bytes(
        "teacher pay\u2028and licensure\r\ncredit for\x85mastery\nstate tests\x0cand accountability\n".encode()
    )
    result = run_cli("retrieve", "--file", str(questions), "--json")
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [x["question"] for x in lines[:1]] == ["teacher pay and licensure"]
    assert len(lines) == 3 and [("error" in x) for x in lines] == [False, True, True]
    assert all("control characters" in x["error"] for x in lines[1:])
    assert lines[1]["question"].startswith("credit for") and lines[2]["question"].startswith("state tests")
    _no_traceback(result)
