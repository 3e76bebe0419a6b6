"""The evaluation's fast subset, gating CI: quality held at the level reached (README, "Evaluation").

Floors are the measured figures rounded down to two decimals; raising them after an improvement
is welcome, lowering them is a regression. The fast subset skips only the llama-index baseline's
own index build, which ``test_hybrid_beats_the_llama_index_default`` covers separately.
"""

from __future__ import annotations

import copy

import pytest

from advisor.answer import Citation
from advisor.baselines import HybridPipeline, LlamaIndexDefaultPipeline
from advisor.evaluate import (
    evaluate_answers,
    evaluate_conversations,
    evaluate_retrieval,
    gold_ids,
    load_conversations,
    load_questions,
)
from advisor.metrics import answer_defects
from advisor.support import OverlapJudge

RETRIEVAL_FLOORS = {"dev": (0.61, 0.87, 0.71, 0.72), "heldout": (0.64, 0.91, 0.74, 0.75)}  # hit@1 hit@5 MRR nDCG
# Citation recall, precision and groundedness are the support judge's verdicts on verbatim quotes: near
# 1.0 by construction (measured dev 0.987 / 0.987 / 0.964, held-out 0.986 / 0.986 / 0.960), so they bound
# the judge more than the answerer. What catches a grounding regression of the extractive answers is the
# defect count (a quote not verbatim in its one cited passage, a marked label...), held at zero over every
# answer in test_coverage_floors, with a negative control in test_the_defect_count_catches_a_corrupted_answer.
# The 27 keyword queries ("seat time", "teacher tenure protections"; q319-q345) moved the refusal floors: on
# the 318 earlier questions every figure is as before (README, "Evaluation"); with them, held-out not-covered
# refused 0.870 -> 0.778 and outcome 0.837 -> 0.814 (absent topics typed as keywords are often answered).
ANSWER_FLOORS = {  # max refused (answerable), citation recall, precision, groundedness, key-phrase coverage
    "dev": (0.03, 0.98, 0.98, 0.96, 0.60),
    "heldout": (0.08, 0.98, 0.98, 0.96, 0.56),
}
COVERAGE_FLOORS = {  # max uncovered answered, max answerable not answered, partial named, not-covered refused, outcome
    "dev": (0.07, 0.03, 0.61, 0.96, 0.93),
    "heldout": (0.27, 0.08, 0.26, 0.77, 0.81),
}
CONVERSATION_FLOORS = {  # turn kind, follow-up hit@5, commands on the last answer's sources, outcome
    "dev": (0.95, 0.87, 1.0, 0.91),
    "heldout": (0.90, 0.85, 0.83, 0.85),
}


@pytest.fixture(scope="module")
def questions():
    return load_questions()


@pytest.fixture(scope="module")
def retrieval(answerer, questions):
    return evaluate_retrieval(HybridPipeline(answerer.retriever), questions)[0]


@pytest.fixture(scope="module")
def conversations(answerer):
    return evaluate_conversations(answerer, load_conversations())


@pytest.fixture(scope="module")
def answers(answerer, index, questions, settings):
    judge = OverlapJudge(settings.support_threshold, index.sentence_vectors)
    return evaluate_answers(answerer, questions, judge)[0]


def test_question_set_is_large_and_well_formed(questions, index):
    in_scope = [q for q in questions if not q.out_of_scope]
    assert len(in_scope) >= 80 and len(questions) - len(in_scope) >= 80
    assert sum(q.kind == "trap" for q in questions) >= 40
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
    refused, recall, precision, grounded, coverage = ANSWER_FLOORS[split]
    assert s.false_refusal_rate <= refused, s
    assert s.citation_recall >= recall and s.citation_precision >= precision and s.groundedness >= grounded, s
    assert s.coverage >= coverage, s
    assert s.dangling_citations == 0


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_coverage_floors(answers, split):
    s = answers[split]
    uncovered, unanswered, named, refused, outcome = COVERAGE_FLOORS[split]
    assert s.uncovered_answered <= uncovered and s.answerable_not_answered <= unanswered, s
    assert s.partial_named >= named and s.refusal_accuracy >= refused and s.outcome_accuracy >= outcome, s
    assert s.trap_answered == 1.0, s  # no answerable question is refused for sounding like an injection
    assert s.dangling_referents == 0 and s.uncited_gloss == 0, s  # over every answer, in every outcome


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_conversation_floors(conversations, split):
    s = conversations[split]
    kind, follow_up, commands, outcome = CONVERSATION_FLOORS[split]
    assert s.kind_accuracy >= kind and s.follow_up_hit5 >= follow_up, s
    assert s.commands_reused >= commands and s.outcome_accuracy >= outcome, s
    assert s.contaminated == 0, s  # a stand-alone question is never searched with an earlier turn's words


def test_hybrid_beats_the_llama_index_default(answerer, questions, settings, retrieval):
    baseline = evaluate_retrieval(LlamaIndexDefaultPipeline(settings), questions)[0]["heldout"]
    ours = retrieval["heldout"]
    assert ours.hit5 > baseline.hit5 and ours.mrr > baseline.mrr
    assert ours.context_chars * 5 < baseline.context_chars  # and the reader gets far less to read


def _reword(answer, sentence) -> None:
    sentence.text = sentence.text.replace("proficiency", "mastery", 1)


def _mark_the_label(answer, sentence) -> None:
    next(s for s in answer.sentences() if s.kind == "label").citations = [1]


def _cite_an_unlisted_passage(answer, sentence) -> None:
    sentence.citations = [len(answer.citations) + 1]


def _cite_another_passage(answer, sentence) -> None:
    cited = {c.passage.id for c in answer.citations}
    other = next(h.passage for h in answer.hits if h.passage.id not in cited and sentence.text not in h.passage.text)
    answer.citations.append(Citation(len(answer.citations) + 1, other))
    sentence.citations = [len(answer.citations)]


@pytest.mark.parametrize(
    ("corrupt", "defect"),
    [
        (_reword, "uncited_gloss"),
        (_mark_the_label, "uncited_gloss"),
        (_cite_an_unlisted_passage, "uncited_gloss"),
        (_cite_another_passage, "uncited_gloss"),
    ],
)
def test_the_defect_count_catches_a_corrupted_answer(answerer, corrupt, defect):
    """Negative control for the zero-defect floors above: the grounding of an extractive answer is
    checked sentence by sentence (quote verbatim in its one cited passage, labels unmarked), and one
    corrupted sentence is counted. (Citation recall, precision and groundedness are near 1.0 by
    construction for quotes, so the defect count is what can catch a regression.)"""
    answer = answerer.answer("Can a state award credit based on mastery instead of seat time?")
    assert answer_defects(answer) == {"dangling_referents": 0, "uncited_gloss": 0}
    corrupted = copy.deepcopy(answer)
    quote = next(s for s in corrupted.sentences() if s.kind == "quote" and "proficiency" in s.text)
    corrupt(corrupted, quote)
    assert answer_defects(corrupted)[defect] == 1
