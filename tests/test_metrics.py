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
