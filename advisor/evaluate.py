"""Retrieval and refusal metrics over the question set in evals/questions.jsonl.

A question's gold passages are the passages whose text contains one of its ``gold_quotes``
(verbatim snippets), so the set does not depend on how passages are numbered or named.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from advisor.answer import ExtractiveAnswerer
from advisor.config import PROJECT_ROOT
from advisor.passages import Passage

QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
SUPPORT_PAIRS = PROJECT_ROOT / "evals" / "support_pairs.jsonl"


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    split: str
    out_of_scope: bool
    gold_quotes: tuple[str, ...]
    condition: str | None = None


def load_questions(path: Path = QUESTIONS) -> list[EvalQuestion]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(
                EvalQuestion(
                    d["id"], d["question"], d["split"], d["out_of_scope"], tuple(d["gold_quotes"]), d.get("condition")
                )
            )
    return out


def gold_ids(question: EvalQuestion, passages: dict[str, Passage]) -> set[str]:
    return {pid for pid, p in passages.items() for quote in question.gold_quotes if quote in p.text}


def first_gold_rank(ranked_ids: list[str], gold: set[str]) -> int | None:
    """1-based rank of the first gold passage, or None."""
    return next((i for i, pid in enumerate(ranked_ids, start=1) if pid in gold), None)


def hit_at(ranks: list[int | None], k: int) -> float:
    """Share of questions with a gold passage in the top k."""
    return sum(1 for r in ranks if r is not None and r <= k) / max(1, len(ranks))


def mean_reciprocal_rank(ranks: list[int | None]) -> float:
    """Mean over questions of 1 / rank of the first gold passage (0 when none is retrieved)."""
    return sum(1.0 / r for r in ranks if r) / max(1, len(ranks))


@dataclass
class Report:
    split: str
    in_scope: int = 0
    out_of_scope: int = 0
    hit1: float = 0.0
    hit5: float = 0.0
    mrr: float = 0.0
    refusal_accuracy: float = 0.0  # out-of-scope questions refused
    false_refusal_rate: float = 0.0  # in-scope questions refused
    seconds_per_question: float = 0.0
    misses: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"split={self.split}: {self.in_scope} in-scope, {self.out_of_scope} out-of-scope questions",
            f"  retrieval  hit@1 {self.hit1:.3f}  hit@5 {self.hit5:.3f}  MRR {self.mrr:.3f}",
            f"  refusal    accuracy on out-of-scope {self.refusal_accuracy:.3f}  "
            f"false refusals on in-scope {self.false_refusal_rate:.3f}",
            f"  latency    {self.seconds_per_question * 1000:.0f} ms per question (retrieve + answer)",
            *(f"  miss: {m}" for m in self.misses),
        ]


def evaluate(answerer: ExtractiveAnswerer, questions: list[EvalQuestion], split: str) -> Report:
    chosen = [q for q in questions if split == "all" or q.split == split]
    report = Report(split)
    ranks: list[int | None] = []
    refused_out = refused_in = 0
    started = time.perf_counter()
    for q in chosen:
        answer = answerer.answer(q.question, k=5)
        if q.out_of_scope:
            report.out_of_scope += 1
            refused_out += answer.refused
            if not answer.refused:
                report.misses.append(f"{q.id} answered but out of scope: {q.question}")
            continue
        report.in_scope += 1
        gold = gold_ids(q, answerer.index.passages)
        hits = answer.hits or answerer.retriever.retrieve(q.question, 5)
        rank = first_gold_rank([h.passage.id for h in hits], gold)
        ranks.append(rank)
        refused_in += answer.refused
        if answer.refused:
            report.misses.append(f"{q.id} refused but in scope ({answer.reason}): {q.question}")
        elif rank is None:
            report.misses.append(f"{q.id} gold not in top 5: {q.question}")
    report.seconds_per_question = (time.perf_counter() - started) / max(1, len(chosen))
    report.hit1, report.hit5, report.mrr = hit_at(ranks, 1), hit_at(ranks, 5), mean_reciprocal_rank(ranks)
    report.refusal_accuracy = refused_out / max(1, report.out_of_scope)
    report.false_refusal_rate = refused_in / max(1, report.in_scope)
    return report


@dataclass
class Agreement:
    """How often a support judge agrees with hand labels; ``split`` is which pairs were counted."""

    split: str
    pairs: int = 0
    agree: int = 0
    true_pos: int = 0  # judged supported, labelled supported
    false_pos: int = 0  # judged supported, labelled unsupported
    false_neg: int = 0  # judged unsupported, labelled supported
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [agree, total]

    @property
    def accuracy(self) -> float:
        return self.agree / max(1, self.pairs)

    def lines(self) -> list[str]:
        kinds = ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(self.by_kind.items()))
        return [
            f"support judge vs hand labels ({self.split}, {self.pairs} pairs): agreement {self.accuracy:.3f}; "
            f"passed unsupported sentences {self.false_pos}, rejected supported ones {self.false_neg}",
            f"  by kind: {kinds}",
        ]


def support_agreement(judge, passages: dict[str, Passage], split: str = "all", path: Path = SUPPORT_PAIRS) -> Agreement:
    """Agreement of ``judge`` with evals/support_pairs.jsonl. The threshold was tuned on the pairs
    with odd ids ("tuning"); the even ids ("held-out") were not looked at while tuning."""
    report = Agreement(split)
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        pair = json.loads(line)
        odd = int(pair["id"].lstrip("s")) % 2 == 1
        if (split == "tuning" and not odd) or (split == "held-out" and odd):
            continue
        verdict = judge.judge(pair["sentence"], [passages[pair["passage_id"]]]).supported
        report.pairs += 1
        report.agree += verdict == pair["supported"]
        report.true_pos += verdict and pair["supported"]
        report.false_pos += verdict and not pair["supported"]
        report.false_neg += (not verdict) and pair["supported"]
        tally = report.by_kind.setdefault(pair["kind"], [0, 0])
        tally[0] += verdict == pair["supported"]
        tally[1] += 1
    return report


@dataclass
class GenerationStats:
    """What the citation check did to a model's answers over a question set."""

    questions: int = 0
    answered_by_model: int = 0
    fell_back: int = 0
    refused: int = 0
    kept: int = 0
    dropped: int = 0
    dangling: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        total = self.kept + self.dropped
        return [
            f"generated answers ({self.questions} questions, {self.seconds / max(1, self.questions):.1f} s each): "
            f"{self.answered_by_model} answered by the model, {self.fell_back} fell back to extractive, "
            f"{self.refused} refused",
            f"  sentences: {total} generated, {self.dropped} dropped as unsupported "
            f"({self.dropped / max(1, total):.0%}), {self.kept} kept; "
            f"{self.dangling} citations to passages that were not supplied",
        ]


def generation_stats(answerer, questions: list[EvalQuestion]) -> GenerationStats:
    stats = GenerationStats()
    started = time.perf_counter()
    for q in questions:
        answer = answerer.answer(q.question, k=5, unsupported="drop")
        stats.questions += 1
        stats.refused += answer.refused
        if answer.backend == answerer.name and not answer.refused:
            stats.answered_by_model += 1
            stats.kept += sum(len(p) for p in answer.paragraphs)
        elif answer.note:
            stats.fell_back += 1
        stats.dropped += answer.dropped
        stats.dangling += answer.dangling
    stats.seconds = time.perf_counter() - started
    return stats
