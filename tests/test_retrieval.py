"""Hybrid retrieval on the real index: paraphrases, filters, and the fusion rule."""

from __future__ import annotations

import pytest

from advisor.errors import UserError
from advisor.retrieve import Filters, HybridRetriever, resolve_filters


@pytest.fixture(scope="module")
def retriever(index, settings):
    return HybridRetriever(index, settings)


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("Can a state award credit based on mastery instead of seat time?", "Proficiency-based Credit"),
        ("can kids get credit for showing mastery instead of hours in class", "Proficiency-based Credit"),
        ("do teachers need special licenses for this stuff?", "Licensure and Credentialing"),
        ("what should our state do about kids without internet at home?", "Technology Access"),
        ("how can the state check whether its funding actually helps kids who are behind", "Equity Evaluation"),
    ],
)
def test_staff_wording_finds_the_policy(retriever, question, heading):
    hits = retriever.retrieve(question, k=5)
    assert heading in [h.passage.heading for h in hits]


def test_results_are_ranked_with_scores(retriever):
    hits = retriever.retrieve("teacher evaluation", k=7)
    assert [h.rank for h in hits] == list(range(1, 8))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))


def test_condition_filter_restricts_every_result(retriever, index):
    filters = resolve_filters(index, conditions=["holistic student support"])  # contents' spelling
    assert filters.conditions == ("Holistic Student Supports",)
    hits = retriever.retrieve("funding", k=10, filters=filters)
    assert hits and all(h.passage.condition == "Holistic Student Supports" for h in hits)


def test_source_and_part_filters(retriever, index):
    filters = resolve_filters(index, sources=["rfa-study"], parts=["recommendation"])
    hits = retriever.retrieve("equity", k=5, filters=filters)
    assert hits and all(h.passage.doc_id == "rfa-study" and h.passage.part == "recommendation" for h in hits)


def test_unknown_filter_names_the_choices(index):
    with pytest.raises(UserError, match="Unknown condition 'astrology'.*Policy Flexibility"):
        resolve_filters(index, conditions=["astrology"])


def test_k_out_of_range_is_a_user_error(retriever):
    with pytest.raises(UserError, match="between 1 and 50"):
        retriever.retrieve("credit", k=0)


def test_fusion_matches_its_definition(retriever, settings):
    """Recompute the fused score from the three component retrievers by hand."""
    question = "state funding formula for student-centered learning"
    hits = retriever.retrieve(question, k=5)
    dense = dict(retriever.dense(question, Filters()))
    sentence = retriever.sentences(question, Filters())
    sparse = dict(retriever.sparse(question, Filters()))
    top = max(sparse.values())
    w_b, w_s = settings.bm25_weight, settings.sentence_weight
    for h in hits:
        pid = h.passage.id
        expected = (1 - w_b) * ((1 - w_s) * dense.get(pid, 0) + w_s * sentence.get(pid, 0)) + w_b * sparse.get(
            pid, 0
        ) / top
        assert h.score == pytest.approx(expected)


def test_dense_scores_are_cosines(retriever, index):
    """The Chroma store's similarity is turned back into the cosine of the two vectors."""
    import numpy as np

    from advisor.embeddings import shared_encoder

    question = "graduation requirements"
    pid, cosine = retriever.dense(question, Filters(), n=1)[0]
    stored = index.collection.get(ids=[pid], include=["embeddings"])["embeddings"][0]
    assert cosine == pytest.approx(float(np.dot(stored, shared_encoder().encode([question])[0])), abs=1e-4)


def test_bm25_path_matches_llama_index_bm25_retriever(retriever, index):
    """Reference comparison, in the bm25s style: our query of the BM25 index saved on disk (advisor/
    retrieve.py, through bm25s) against llama-index's own BM25Retriever built afresh in memory over the
    same passages, on every eval question: the same passages with the same scores, in the same order
    (ties aside)."""
    from advisor.build import bm25_retriever
    from advisor.evaluate import load_questions

    passages = sorted(index.passages.values(), key=lambda p: (p.doc_id, p.order))
    reference = bm25_retriever(passages)
    reference.similarity_top_k = 10
    compared = 0
    for q in load_questions():
        ours = retriever.sparse(q.question, Filters(), n=10)
        theirs = [(n.node.node_id, n.score) for n in reference.retrieve(q.question) if n.score > 0]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-5, abs=1e-6), q.id
        last = theirs[-1][1] if len(theirs) == 10 else 0.0  # passages tied with the 10th may be either
        assert {p for p, s in ours if s > last + 1e-6} == {p for p, s in theirs if s > last + 1e-6}, q.id
        compared += bool(ours)
    assert compared >= 300  # questions with at least one BM25 match: the comparison is not vacuous
