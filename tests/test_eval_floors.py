"""Retrieval and refusal quality held at the level reached (README, "Evaluation").

The floors are the measured figures rounded down to the nearest 0.01 (one question's worth of
slack at most); raising them after an improvement is welcome, lowering them is a regression.
"""

from __future__ import annotations

import pytest

from advisor.evaluate import evaluate, load_questions

FLOORS = {
    #          hit@1  hit@5  MRR   refusal  max false refusals
    "dev": (0.57, 0.83, 0.66, 0.76, 0.03),
    "heldout": (0.60, 0.86, 0.70, 0.60, 0.04),
}


@pytest.fixture(scope="module")
def questions():
    return load_questions()


def test_question_set_is_large_and_well_formed(questions, index):
    from advisor.evaluate import gold_ids

    in_scope = [q for q in questions if not q.out_of_scope]
    assert len(in_scope) >= 40 and len(questions) - len(in_scope) >= 8
    assert {q.condition for q in in_scope if q.condition} >= set(index.conditions)
    assert len({q.id for q in questions}) == len(questions)
    for q in in_scope:
        assert gold_ids(q, index.passages), f"{q.id}: no passage contains its gold quote"


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_quality_floors(answerer, questions, split):
    report = evaluate(answerer, questions, split)
    hit1, hit5, mrr, refusal, false_refusal = FLOORS[split]
    summary = "\n".join(report.lines())
    assert report.hit1 >= hit1, summary
    assert report.hit5 >= hit5, summary
    assert report.mrr >= mrr, summary
    assert report.refusal_accuracy >= refusal, summary
    assert report.false_refusal_rate <= false_refusal, summary
