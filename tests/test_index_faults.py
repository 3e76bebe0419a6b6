"""The index under faults: a killed build, a corrupted store, two builders at once, a running
process that must see a rebuilt index. Real Chroma stores on disk and real `advisor` processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import SMALL_QUESTIONS, no_traceback, run_advisor

from advisor.config import Settings
from advisor.index import open_index, sync_index
from advisor.retrieve import HybridRetriever
from advisor.session import Session
from advisor.store import POINTER_FILE, LocalStore


def _env(settings: Settings) -> dict[str, str]:
    return {"ADVISOR_CORPUS_DIR": str(settings.corpus_dir), "ADVISOR_INDEX_DIR": str(settings.index_dir)}


def _ranked(settings: Settings, questions=SMALL_QUESTIONS) -> dict[str, list[tuple[str, float]]]:
    """What a fresh process retrieves, as (passage text start, score) lists."""
    batch = settings.index_dir.parent / "questions.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    result = run_advisor("retrieve", "--file", str(batch), "--json", "--k", "5", env=_env(settings))
    assert result.returncode == 0, result.stderr.decode()
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    return {x["question"]: [(r["text"][:60], round(r["score"], 5)) for r in x["results"]] for x in lines}


def _pointer(settings: Settings):
    return LocalStore(settings.index_dir).read_pointer()


def _rebuild_under_way(live: Settings, **popen: object) -> tuple[subprocess.Popen, Path]:
    """`advisor index --rebuild` started, once it has created the next generation's store: (process, folder)."""
    new = live.index_dir / f"gen-{int(_pointer(live).generation[4:]) + 1:06d}"
    build = subprocess.Popen(
        [sys.executable, "-m", "advisor.cli", "index", "--rebuild"], env=os.environ | _env(live), **popen
    )
    deadline = time.monotonic() + 120
    while not (new / "chroma" / "chroma.sqlite3").exists() and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return build, new


def test_a_killed_rebuild_leaves_the_previous_index_serving(settings, index, tmp_path):
    """SIGKILL `advisor index --rebuild` once it has started writing the new generation."""
    live = replace(settings, index_dir=tmp_path / "index")
    shutil.copytree(settings.index_dir, live.index_dir)  # the full corpus's index, so the build takes a while
    questions = ("Can a state award credit based on mastery instead of seat time?", *SMALL_QUESTIONS)
    before = _ranked(live, questions)
    opened = HybridRetriever(open_index(live), live)  # a running process holding the current generation
    pointer = _pointer(live)
    build, new = _rebuild_under_way(live, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # well into writing the new generation's vectors
    assert build.poll() is None, "the build finished before it could be killed"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()

    assert _pointer(live) == pointer and new.exists()  # the half-built generation was never swapped in
    assert _ranked(live, questions) == before
    assert opened.retrieve(questions[0])[0].passage.heading == "Proficiency-based Credit"
    # The next sync clears the leftover and, with nothing changed, keeps the generation it has.
    result = run_advisor("index", env=_env(live))
    assert result.returncode == 0 and b"0 added, 0 removed" in result.stdout
    assert not new.exists() and _pointer(live).generation == pointer.generation


def test_ctrl_c_during_a_build_stops_it_and_leaves_the_previous_index_serving(settings, index, tmp_path):
    """SIGINT (Ctrl-C) while the model embeds: the build stops with exit 130 and no traceback, the
    pointer still names the previous generation, answers are unchanged, and the next sync tidies up."""
    live = replace(settings, index_dir=tmp_path / "index")
    shutil.copytree(settings.index_dir, live.index_dir)
    before = _ranked(live)
    pointer = _pointer(live)
    build, new = _rebuild_under_way(
        live,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal's foreground job has it
    )
    assert build.poll() is None, "the build finished before it could be interrupted"
    build.send_signal(signal.SIGINT)
    out, err = build.communicate(timeout=60)
    assert build.returncode == 130 and out == b"" and b"Traceback" not in err, err.decode()
    assert _pointer(live) == pointer and _ranked(live) == before
    result = run_advisor("index", env=_env(live))
    assert result.returncode == 0 and b"0 added, 0 removed" in result.stdout and not new.exists()


def _garbage_sqlite(settings: Settings) -> str:
    path = settings.index_dir / _pointer(settings).generation / "chroma" / "chroma.sqlite3"
    path.write_bytes(b"this is not a database" * 500)
    return "file is not a database"


def _no_bm25(settings: Settings) -> str:
    shutil.rmtree(settings.index_dir / _pointer(settings).generation / "bm25")
    return "BM25 index"


def _truncated_pointer(settings: Settings) -> str:
    path = settings.index_dir / POINTER_FILE
    path.write_text(path.read_text()[:40])
    return f"{POINTER_FILE} is unreadable"


def _no_generation(settings: Settings) -> str:
    shutil.rmtree(settings.index_dir / _pointer(settings).generation)
    return "chroma is missing"


def _lost_passages(settings: Settings) -> str:
    store = LocalStore(settings.index_dir)
    collection, _ = store.collections(_pointer(settings).generation, create=False)
    collection.delete(ids=collection.get(limit=2, include=[])["ids"])
    return "the index state says"


@pytest.mark.parametrize("corrupt", [_garbage_sqlite, _no_bm25, _truncated_pointer, _no_generation, _lost_passages])
def test_a_corrupted_index_is_reported_in_one_line_and_rebuilt(small, corrupt):
    before = _ranked(small)
    reason = corrupt(small)
    result = run_advisor("ask", SMALL_QUESTIONS[0], "--json", env=_env(small))
    assert result.returncode == 0, result.stderr.decode()
    no_traceback(result)
    notice = result.stderr.decode().splitlines()[0]
    assert notice.startswith(f"advisor: the index at {small.index_dir} is damaged (") and reason in notice
    assert notice.endswith(f"rebuilding it from {small.corpus_dir}.")
    answer = json.loads(result.stdout)
    assert not answer["refused"] and answer["citations"]
    assert _ranked(small) == before  # same answers as before the damage
    again = run_advisor("retrieve", SMALL_QUESTIONS[0], env=_env(small))
    assert again.returncode == 0 and again.stderr == b""  # repaired: nothing more to say


def test_a_missing_index_is_built_on_first_use(small):
    shutil.rmtree(small.index_dir)
    result = run_advisor("ask", SMALL_QUESTIONS[0], env=_env(small))
    assert result.returncode == 0
    assert result.stderr.decode().startswith("Building the index (first use or changed corpus)…")
    assert "Sources:" in result.stdout.decode()


def test_two_builders_take_turns(small):
    before = _ranked(small)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "advisor.cli", "index", "--rebuild"],
            env=os.environ | _env(small),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    pointer = _pointer(small)
    assert (pointer.generation, pointer.previous) == ("gen-000003", "gen-000002")  # two swaps, one after the other
    assert LocalStore(small.index_dir).generations() == ["gen-000002", "gen-000003"]
    assert not any(p.name.endswith(".tmp") for p in Path(small.index_dir).iterdir())
    assert _ranked(small) == before


def test_a_running_session_refreshes_to_a_new_generation(small, tmp_path):
    session = Session(small, backend="extractive")
    assert session.refresh() is False  # nothing changed: a cheap no-op
    old_index, old_answerer = session.index, session.answerer
    note = tmp_path / "nevada-note.md"
    note.write_text(
        "# Nevada Competency Pilot\n\nNevada's competency-based education pilot lets districts award credit when "
        "students demonstrate mastery of a standard.\n",
        encoding="utf-8",
    )
    result = run_advisor("add", str(note), env=_env(small))  # another process changes the index
    assert result.returncode == 0, result.stderr.decode()
    assert session.refresh() is True and session.refresh() is False
    assert "nevada-note" in session.index.sources and session.index.generation != old_index.generation
    question = "Does Nevada let districts award credit for demonstrated mastery?"
    assert session.answerer.answer(question).citations[0].passage.doc_id == "nevada-note"
    # The generation it had stays on disk until the next swap, so a question already running finishes.
    assert old_answerer.answer(SMALL_QUESTIONS[0]).citations
    sync_index(small, rebuild=True)
    assert old_index.generation not in LocalStore(small.index_dir).generations()
    assert session.refresh() is True and "nevada-note" in session.index.sources


def test_a_bug_while_opening_an_index_surfaces_and_is_not_called_damage(small, monkeypatch):
    """A programming error inside the open is our bug: its traceback, not "damaged" and a rebuild."""
    pointer = _pointer(small)

    def broken(text, meta):
        raise TypeError("a bug of ours")

    monkeypatch.setattr("advisor.index._passage_from", broken)
    said: list[str] = []
    with pytest.raises(TypeError, match="a bug of ours"):
        open_index(small, on_build=said.append)
    assert said == [] and _pointer(small) == pointer  # nothing announced, nothing rebuilt


def test_debug_shows_the_traceback_of_a_handled_error(small):
    """ADVISOR_DEBUG=1: a damaged index's cause and a user error's origin also go to stderr as tracebacks
    (without it, the same runs print one line each: the tests above and test_cli.py pin that)."""
    _garbage_sqlite(small)
    result = run_advisor("retrieve", SMALL_QUESTIONS[0], env=_env(small) | {"ADVISOR_DEBUG": "1"})
    err = result.stderr.decode()
    assert result.returncode == 0 and "Traceback (most recent call last)" in err
    assert "\nadvisor.store.IndexDamaged: " in err and "is damaged (" in err
    bad = run_advisor("ask", "x", "--k", "99", env=_env(small) | {"ADVISOR_DEBUG": "1"})
    err = bad.stderr.decode()
    assert bad.returncode == 2 and "Traceback (most recent call last)" in err
    assert err.rstrip().splitlines()[-1] == "advisor: --k must be between 1 and 50, not 99."
