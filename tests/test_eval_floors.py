"""The evaluation's fast subset, gating CI: quality held at the level reached (README, "Evaluation").

Floors are the measured figures rounded down to two decimals; raising them after an improvement
is welcome, lowering them is a regression. The fast subset skips only the llama-index baseline's
own index build, which ``test_hybrid_beats_the_llama_index_default`` covers separately.
"""

from __future__ import annotations

import pytest

from advisor.evaluate import evaluate_answers, evaluate_retrieval, gold_ids, load_questions
from advisor.pipelines import HybridPipeline, LlamaIndexDefaultPipeline
from advisor.support import OverlapJudge

RETRIEVAL_FLOORS = {"dev": (0.58, 0.84, 0.68, 0.72), "heldout": (0.55, 0.86, 0.66, 0.70)}  # hit@1 hit@5 MRR nDCG
ANSWER_FLOORS = {  # refusal accuracy, max false refusals, citation recall, precision, groundedness, coverage
    "dev": (0.76, 0.03, 1.0, 1.0, 1.0, 0.55),
    "heldout": (0.60, 0.03, 1.0, 1.0, 1.0, 0.48),
}


@pytest.fixture(scope="module")
def questions():
    return load_questions()


@pytest.fixture(scope="module")
def retrieval(answerer, questions):
    return evaluate_retrieval(HybridPipeline(answerer.retriever), questions)[0]


@pytest.fixture(scope="module")
def answers(answerer, index, questions, settings):
    judge = OverlapJudge(settings.support_threshold, index.sentence_vectors)
    return evaluate_answers(answerer, questions, judge)[0]


def test_question_set_is_large_and_well_formed(questions, index):
    in_scope = [q for q in questions if not q.out_of_scope]
    assert len(in_scope) >= 80 and len(questions) - len(in_scope) >= 15
    assert {q.split for q in questions} == {"dev", "heldout"}
    assert len({q.id for q in questions}) == len(questions)
    covered = set()
    for q in in_scope:
        gold = gold_ids(q, index.passages)
        assert len(gold) == len(q.gold_quotes), f"{q.id}: each gold quote names exactly one passage"
        covered |= gold
    policies = {p.id for p in index.passages.values() if p.part in ("transformative policy", "implementation action")}
    assert policies <= covered, "every policy of every condition is asked about at least once"


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_retrieval_floors(retrieval, split):
    s = retrieval[split]
    assert all(a >= b for a, b in zip((s.hit1, s.hit5, s.mrr, s.ndcg5), RETRIEVAL_FLOORS[split])), s


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_answer_floors(answers, split):
    s = answers[split]
    refusal, false_refusal, recall, precision, grounded, coverage = ANSWER_FLOORS[split]
    assert s.refusal_accuracy >= refusal, s
    assert s.false_refusal_rate <= false_refusal, s
    assert s.citation_recall >= recall and s.citation_precision >= precision and s.groundedness >= grounded, s
    assert s.coverage >= coverage, s
    assert s.dangling_citations == 0


def test_hybrid_beats_the_llama_index_default(answerer, questions, settings, retrieval):
    baseline = evaluate_retrieval(LlamaIndexDefaultPipeline(settings), questions)[0]["heldout"]
    ours = retrieval["heldout"]
    assert ours.hit5 > baseline.hit5 and ours.mrr > baseline.mrr
    assert ours.context_chars * 5 < baseline.context_chars  # and the reader gets far less to read
