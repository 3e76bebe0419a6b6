"""The persistent index: built on first use, idempotent, and following changes to corpus/."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace

from advisor.config import Settings
from advisor.index import index_is_current, open_index, sync_index


def test_index_builds_on_first_use_and_is_then_current(index, settings):
    assert index_is_current(settings)
    assert len(index.passages) == index.collection.count() > 100
    assert index.sentences.count() > len(index.passages)
    assert len(index.conditions) == 8


def test_resync_is_idempotent(settings, index):
    before = index.collection.count()
    report = sync_index(settings)
    assert (report.added, report.removed) == (0, 0)
    assert report.unchanged == before == index.collection.count()


def test_changed_corpus_file_is_picked_up_without_duplicates(tmp_path, corpus_copy):
    settings = replace(Settings(), corpus_dir=corpus_copy, index_dir=tmp_path / "index")
    first = sync_index(settings)
    guide = corpus_copy / "transforming-for-tomorrow-state-policymaker-guide.txt"
    guide.write_text(
        guide.read_text(encoding="utf-8").replace("Incentivizing district innovation", "Rewarding district innovation"),
        encoding="utf-8",
    )
    assert not index_is_current(settings)
    index = open_index(settings)  # notices the change and syncs
    assert index_is_current(settings)
    assert any(p.heading == "Rewarding district innovation" for p in index.passages.values())
    assert not any(p.heading == "Incentivizing district innovation" for p in index.passages.values())
    assert index.collection.count() == first.passages  # replaced, not added beside the old one
    ids = index.collection.get(include=[])["ids"]
    assert len(ids) == len(set(ids))


def test_new_user_document_is_indexed_and_removed_one_is_dropped(tmp_path, corpus_copy):
    settings = replace(Settings(), corpus_dir=corpus_copy, index_dir=tmp_path / "index")
    sync_index(settings)
    (corpus_copy / "ohio-notes.md").write_text(
        "# Ohio Notes\n\nOhio's credit flexibility plan lets students earn credit by demonstrating mastery.\n",
        encoding="utf-8",
    )
    report = sync_index(settings)
    assert report.added == 1 and report.removed == 0
    (corpus_copy / "ohio-notes.md").unlink()
    report = sync_index(settings)
    assert report.added == 0 and report.removed == 1


def test_rebuild_starts_from_scratch(tmp_path, corpus_copy):
    settings = replace(Settings(), corpus_dir=corpus_copy, index_dir=tmp_path / "index")
    first = sync_index(settings)
    again = sync_index(settings, rebuild=True)
    assert again.added == first.passages and again.removed == 0


def test_results_do_not_depend_on_the_index_history(tmp_path, corpus_copy):
    """An index that was changed and changed back retrieves exactly like a fresh build."""
    from advisor.retrieve import HybridRetriever

    questions = [
        "Can a state award credit based on mastery instead of seat time?",
        "What long-run results were the study states hoping this work would produce?",
        "How should the state pay for personalized learning?",
    ]
    fresh = replace(Settings(), corpus_dir=corpus_copy, index_dir=tmp_path / "fresh")
    expected = HybridRetriever(open_index(fresh), fresh)
    ranked = {q: [(h.passage.id, round(h.score, 5)) for h in expected.retrieve(q, k=10)] for q in questions}

    churned = replace(fresh, index_dir=tmp_path / "churned")
    manifest = corpus_copy / "manifest.toml"
    original = manifest.read_text(encoding="utf-8")
    sync_index(churned)
    manifest.write_text(original.replace('title = "', 'title = "Renamed '), encoding="utf-8")
    sync_index(churned)  # every passage replaced
    manifest.write_text(original, encoding="utf-8")
    report = sync_index(churned)  # and back
    assert report.added == report.removed == len(ranked and expected.index.passages)
    again = HybridRetriever(open_index(churned), churned)
    for q in questions:
        assert [(h.passage.id, round(h.score, 5)) for h in again.retrieve(q, k=10)] == ranked[q]


def test_a_passage_is_embedded_as_llama_index_would_embed_its_node(index):
    """The build forms each passage's embedding text itself (so the model starts before llama-index is
    imported); it must be exactly what llama-index's TextNode gives the embedding model."""
    from llama_index.core.schema import MetadataMode

    from advisor.build import embed_text, node

    assert any(embed_text(p) != p.text for p in index.passages.values())  # headings are embedded with the text
    for passage in index.passages.values():
        assert embed_text(passage) == node(passage).get_content(metadata_mode=MetadataMode.EMBED)


def test_a_build_reports_its_progress(small):
    events = []
    report = sync_index(small, rebuild=True, progress=events.append)
    assert [e.stage for e in events][0] == "embedding" and [e.stage for e in events][-2:] == ["bm25", "done"]
    for before, after in zip(events, events[1:]):
        assert after.passages >= before.passages and after.sentences >= before.sentences
        assert after.documents >= before.documents
    last = events[-1]
    assert (last.passages, last.passages_total, last.new_passages) == (report.passages,) * 3
    assert last.documents == last.documents_total == report.documents
    assert last.sentences == last.sentences_total == sum(len(p.sentences) for p in open_index(small).passages.values())

    (small.corpus_dir / "ohio-notes.md").write_text(
        "# Ohio Notes\n\nOhio's credit flexibility plan lets students earn credit by demonstrating mastery.\n",
        encoding="utf-8",
    )
    events.clear()
    report = sync_index(small, progress=events.append)
    assert events[0].stage == "copying" and events[0].new_passages == 1 == report.added
    assert events[-1].passages == report.passages and events[-1].documents == report.documents


def test_only_text_the_index_does_not_have_is_embedded(small):
    """An edited passage keeps the vectors of its unchanged sentences; a renamed document embeds nothing
    (its title is not embedded); and the vectors are those a fresh build computes."""
    import numpy as np

    from advisor.store import LocalStore

    longest = max(open_index(small).passages.values(), key=lambda p: len(p.sentences))
    path = next(small.corpus_dir.glob(f"*{longest.doc_id}*"))
    last = longest.sentences[-1]
    path.write_text(path.read_text(encoding="utf-8").replace(last, last.replace(" a ", " one ", 1)), "utf-8")
    report = sync_index(small)
    assert len(longest.sentences) > 10 and " a " in last
    assert (report.added, report.embedded) == (1, 2)  # the passage and its changed sentence; not its other ones

    manifest = small.corpus_dir / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('title = "', 'title = "Renamed '), "utf-8")
    report = sync_index(small)
    assert report.added == report.passages and report.embedded == 0

    def vectors(settings: Settings) -> dict[str, list]:
        store = LocalStore(settings.index_dir)
        out = {}
        for collection in store.collections(store.read_pointer().generation, create=False):
            got = collection.get(include=["embeddings"])
            out.update(zip(got["ids"], got["embeddings"]))
        return out

    incremental = vectors(small)
    fresh = replace(small, index_dir=small.index_dir.parent / "fresh")
    sync_index(fresh)
    rebuilt = vectors(fresh)
    assert incremental.keys() == rebuilt.keys()
    assert max(float(np.abs(np.asarray(incremental[k]) - np.asarray(rebuilt[k])).max()) for k in rebuilt) < 1e-6


def _on_a_terminal(settings: Settings, *args: str) -> tuple[str, str]:
    """`advisor ARGS...` with stderr on a pseudo-terminal (120 columns): (what the terminal got, stdout)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    env = os.environ | {"ADVISOR_CORPUS_DIR": str(settings.corpus_dir), "ADVISOR_INDEX_DIR": str(settings.index_dir)}
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "advisor.cli", *args], stdout=subprocess.PIPE, stderr=child, env=env)
    os.close(child)
    seen = b""
    while chunk := _read(main):
        seen += chunk
    os.close(main)
    stdout = proc.stdout.read().decode()
    assert proc.wait(timeout=300) == 0, seen
    return seen.decode(errors="replace"), stdout


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the other end closed
        return b""


def test_a_terminal_shows_a_progress_bar_and_a_pipe_or_json_does_not(small):
    from helpers import run_advisor

    terminal, stdout = _on_a_terminal(small, "index", "--rebuild")
    bar = terminal.split("\r")
    assert any("Embedding new passages" in line and "/11 passages" in line for line in bar), terminal
    assert any("3/3 documents" in line and "sentences" in line for line in bar)
    assert stdout.startswith("Indexed 3 documents, 11 passages (11 added")
    env = {"ADVISOR_CORPUS_DIR": str(small.corpus_dir), "ADVISOR_INDEX_DIR": str(small.index_dir)}
    piped = run_advisor("index", "--rebuild", env=env)
    assert piped.returncode == 0 and piped.stderr == b"" and piped.stdout.startswith(b"Indexed 3 documents")

    shutil.rmtree(small.index_dir)  # a first-use build: quiet when the answer is JSON
    terminal, stdout = _on_a_terminal(small, "retrieve", "credit for mastery", "--json")
    assert terminal.startswith("Building the index") and "passages [" not in terminal and json.loads(stdout)
