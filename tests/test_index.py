"""The persistent index: built on first use, idempotent, and following changes to corpus/."""

from __future__ import annotations

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
