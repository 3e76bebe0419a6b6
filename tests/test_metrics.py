"""Each metric on hand-made cases, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from advisor.metrics import (
    JudgedSentence,
    answer_coverage,
    citation_precision,
    citation_recall,
    groundedness,
    hit_at_k,
    mean,
    ndcg_at_k,
    percentile,
    reciprocal_rank,
)


def test_hit_and_reciprocal_rank():
    ranked = ["a", "b", "c", "d", "e", "f"]
    assert hit_at_k(ranked, {"c"}, 1) == 0 and hit_at_k(ranked, {"c"}, 3) == 1 and hit_at_k(ranked, {"f"}, 5) == 0
    assert reciprocal_rank(ranked, {"c", "e"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(ranked, {"z"}) == 0
    assert hit_at_k([], {"a"}, 5) == 0


def test_ndcg_by_hand():
    assert ndcg_at_k(["g", "x", "y"], {"g"}, 5) == 1.0
    assert ndcg_at_k(["x", "g"], {"g"}, 5) == pytest.approx(1 / math.log2(3))
    # two gold, found at ranks 2 and 3: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "g1", "g2"], {"g1", "g2"}, 5) == pytest.approx(expected)
    # only one of two gold passages retrieved: the ideal still counts both
    assert ndcg_at_k(["g1"], {"g1"}, 5, total_gold=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["x"], set(), 5) == 0


S = JudgedSentence
GOOD = S(True, (True,), True)
TWO_CITES_ONE_USEFUL = S(True, (True, False), True)
UNCITED = S(False, (), True)
WRONG = S(False, (False,), False)


def test_citation_recall_and_precision_after_alce():
    answer = [GOOD, TWO_CITES_ONE_USEFUL, UNCITED, WRONG]
    assert citation_recall(answer) == pytest.approx(2 / 4)  # GOOD and TWO_CITES are supported
    assert citation_precision(answer) == pytest.approx(2 / 4)  # pairs: T, T, F, F
    assert citation_recall([]) == 0 and citation_precision([UNCITED]) == 0


def test_groundedness_ignores_what_is_cited():
    assert groundedness([GOOD, UNCITED, WRONG]) == pytest.approx(2 / 3)
    assert groundedness([]) == 0


def test_answer_coverage_matches_whole_words_loosely():
    answer = "Credit is based on demonstrated proficiency, not seat-time [1]."
    assert answer_coverage(answer, ["seat time", "Proficiency", "statute"]) == pytest.approx(2 / 3)
    assert answer_coverage(answer, ["seat"]) == 1 and answer_coverage(answer, ["sea"]) == 0
    assert answer_coverage(answer, []) == 0


def test_mean_and_percentile():
    assert mean([]) == 0 and mean([1, 2, 3]) == 2
    assert percentile([10, 20, 30, 40], 50) == 25 and percentile([5], 95) == 5 and percentile([], 50) == 0
    assert percentile(list(range(101)), 95) == 95


def _ir_measures(runs: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    """hit@1, hit@5, MRR@5 and nDCG@5 per query from ir-measures (pytrec_eval underneath)."""
    import ir_measures
    from ir_measures import RR, Success, nDCG

    relevance = [ir_measures.Qrel(q, d, 1) for q, gold in qrels.items() for d in gold]
    run = [ir_measures.ScoredDoc(q, d, 1.0 / r) for q, ranked in runs.items() for r, d in enumerate(ranked, start=1)]
    names = {Success @ 1: "hit1", Success @ 5: "hit5", RR @ 5: "mrr", nDCG @ 5: "ndcg5"}
    out: dict[str, dict[str, float]] = {q: {n: 0.0 for n in names.values()} for q in runs}
    for m in ir_measures.iter_calc(list(names), relevance, run):
        out[m.query_id][names[m.measure]] = m.value
    return out


def _ours(ranked: list[str], gold: set[str]) -> dict[str, float]:
    return {
        "hit1": hit_at_k(ranked, gold, 1),
        "hit5": hit_at_k(ranked, gold, 5),
        "mrr": reciprocal_rank(ranked[:5], gold),
        "ndcg5": ndcg_at_k(ranked, gold & set(ranked), 5, total_gold=len(gold)),  # as evaluate.py calls it
    }


def test_retrieval_metrics_match_ir_measures_on_the_eval_questions(answerer, index):
    """Reference comparison: hit@k, MRR@5 and nDCG@5 as advisor/metrics.py computes them, against
    ir-measures (TREC's trec_eval definitions) on the hybrid retriever's top 5 for every in-scope eval
    question, gold passages named by their quotes."""
    from advisor.evaluate import gold_ids, load_questions

    questions = [q for q in load_questions() if not q.out_of_scope]
    qrels = {q.id: gold_ids(q, index.passages) for q in questions}
    runs = {q.id: [h.passage.id for h in answerer.retriever.retrieve(q.question, k=5)] for q in questions}
    reference = _ir_measures(runs, qrels)
    for q in questions:
        assert _ours(runs[q.id], qrels[q.id]) == pytest.approx(reference[q.id], abs=1e-9), q.id
    misses = sum(reference[q]["hit5"] == 0 for q in runs)
    assert 0 < misses < len(runs) and any(0 < v["ndcg5"] < 1 for v in reference.values())  # not all 0s or 1s


def test_retrieval_metrics_match_ir_measures_on_made_up_rankings():
    """The same comparison on rankings that the real retriever seldom produces: several gold passages,
    gold beyond the top 5, a short ranking, no gold retrieved."""
    import random

    rng = random.Random(16)
    docs = [f"d{i}" for i in range(30)]
    runs, qrels = {}, {}
    for n in range(200):
        runs[f"q{n}"] = rng.sample(docs, rng.choice([1, 3, 5, 10]))
        qrels[f"q{n}"] = set(rng.sample(docs, rng.choice([1, 2, 3, 6])))
    reference = _ir_measures(runs, qrels)
    for q in runs:
        assert _ours(runs[q], qrels[q]) == pytest.approx(reference[q], abs=1e-9), (q, runs[q], qrels[q])
