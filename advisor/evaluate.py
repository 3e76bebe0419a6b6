"""The grounding evaluation: retrieval pipelines and answer backends over evals/questions.jsonl.

A question's gold passages are named by verbatim ``gold_quotes``, so the set does not depend on
passage ids or on how a pipeline chunks the corpus. Every figure is reported per split: ``dev``
(used for tuning) and ``heldout`` (never tuned on). Metric definitions live in metrics.py.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from advisor import metrics
from advisor.config import PROJECT_ROOT
from advisor.passages import Passage
from advisor.pipelines import Pipeline, is_gold

QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
SUPPORT_PAIRS = PROJECT_ROOT / "evals" / "support_pairs.jsonl"
SPLITS = ("dev", "heldout")
K = 5


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    split: str
    out_of_scope: bool
    gold_quotes: tuple[str, ...]
    condition: str | None = None
    key_phrases: tuple[str, ...] = ()
    note: str = ""


def load_questions(path: Path = QUESTIONS) -> list[EvalQuestion]:
    """The question set; a line that is not valid JSON or lacks a field is an error naming the line."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(
                EvalQuestion(
                    d["id"],
                    d["question"],
                    d["split"],
                    bool(d["out_of_scope"]),
                    tuple(d["gold_quotes"]),
                    d.get("condition"),
                    tuple(d.get("key_phrases", ())),
                    d.get("note", ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from None
    return out


def gold_ids(question: EvalQuestion, passages: dict[str, Passage]) -> set[str]:
    return {pid for pid, p in passages.items() if is_gold(p.text, question.gold_quotes)}


# ------------------------------------------------------------------------------ retrieval


@dataclass
class RetrievalScores:
    questions: int = 0
    hit1: float = 0.0
    hit5: float = 0.0
    mrr: float = 0.0
    ndcg5: float = 0.0
    context_chars: float = 0.0  # mean characters retrieved at k=5: what a reader or a model must read


def evaluate_retrieval(pipeline: Pipeline, questions: list[EvalQuestion]) -> tuple[dict[str, RetrievalScores], dict]:
    """Scores per split, and per question: the rank of the first gold text and the top label."""
    rows: dict[str, list[tuple[float, float, float, float, int]]] = {s: [] for s in SPLITS}
    per_question = {}
    for q in questions:
        if q.out_of_scope:
            continue
        results = pipeline.retrieve(q.question, K)
        ranked = [r.id for r in results]
        gold = {r.id for r in results if is_gold(r.text, q.gold_quotes)}
        rows[q.split].append(
            (
                metrics.hit_at_k(ranked, gold, 1),
                metrics.hit_at_k(ranked, gold, K),
                metrics.reciprocal_rank(ranked, gold),
                metrics.ndcg_at_k(ranked, gold, K, total_gold=max(1, len(q.gold_quotes))),  # one passage a quote
                sum(len(r.text) for r in results),
            )
        )
        rank = next((i for i, pid in enumerate(ranked, start=1) if pid in gold), None)
        per_question[q.id] = {"rank": rank, "top": results[0].label if results else None}
    scores = {}
    for split, values in rows.items():
        columns = list(zip(*values)) if values else [[]] * 5
        scores[split] = RetrievalScores(len(values), *(metrics.mean(c) for c in columns))
    return scores, per_question


# ------------------------------------------------------------------------------ answers


@dataclass
class AnswerScores:
    in_scope: int = 0
    out_of_scope: int = 0
    refusal_accuracy: float = 0.0  # out-of-scope questions refused
    false_refusal_rate: float = 0.0  # in-scope questions refused
    citation_recall: float = 0.0
    citation_precision: float = 0.0
    groundedness: float = 0.0
    coverage: float = 0.0
    dangling_citations: int = 0
    dropped_sentences: int = 0
    fell_back: int = 0  # model answers replaced by the extractive one
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0


def judge_sentences(answer: Any, judge: Any) -> list[metrics.JudgedSentence]:
    """Every claim sentence of a (non-refused) answer judged against its citations and the context.
    The extractive answer's connective sentences ("Under the X condition: the transformative policy
    Y [1].") name headings only and are left out: they carry no claim to support."""
    cited = {c.id: c.passage for c in answer.citations}
    context = [h.passage for h in answer.hits]
    judged = []
    for paragraph in answer.paragraphs:
        for sentence in paragraph:
            if sentence.kind == "connective":  # names a condition and headings: framing, not a claim
                continue
            passages = [cited[n] for n in sentence.citations if n in cited]
            judged.append(
                metrics.JudgedSentence(
                    cited_support=bool(passages) and judge.judge(sentence.text, passages).supported,
                    per_citation=tuple(judge.judge(sentence.text, [p]).supported for p in passages),
                    context_support=judge.judge(sentence.text, context or passages).supported,
                )
            )
    return judged


def evaluate_answers(answerer: Any, questions: list[EvalQuestion], judge: Any) -> tuple[dict[str, AnswerScores], dict]:
    per_split: dict[str, dict[str, list]] = {s: {} for s in SPLITS}
    per_question = {}
    for q in questions:
        started = time.perf_counter()
        answer = answerer.answer(q.question, k=K, unsupported="drop")
        elapsed = (time.perf_counter() - started) * 1000
        bucket = per_split[q.split]
        bucket.setdefault("latency", []).append(elapsed)
        record: dict[str, Any] = {"refused": answer.refused, "backend": answer.backend, "answer": answer.text}
        if q.out_of_scope:
            bucket.setdefault("oos_refused", []).append(float(answer.refused))
        else:
            bucket.setdefault("in_refused", []).append(float(answer.refused))
            bucket.setdefault("dangling", []).append(answer.dangling)
            bucket.setdefault("dropped", []).append(answer.dropped)
            bucket.setdefault("fell_back", []).append(float(bool(answer.note)))
            if not answer.refused:
                judged = judge_sentences(answer, judge)
                record.update(
                    citation_recall=metrics.citation_recall(judged),
                    citation_precision=metrics.citation_precision(judged),
                    groundedness=metrics.groundedness(judged),
                    coverage=metrics.answer_coverage(answer.text, q.key_phrases),
                )
                for key in ("citation_recall", "citation_precision", "groundedness", "coverage"):
                    bucket.setdefault(key, []).append(record[key])
        per_question[q.id] = record
    scores = {}
    for split, b in per_split.items():
        scores[split] = AnswerScores(
            in_scope=len(b.get("in_refused", [])),
            out_of_scope=len(b.get("oos_refused", [])),
            refusal_accuracy=metrics.mean(b.get("oos_refused", [])),
            false_refusal_rate=metrics.mean(b.get("in_refused", [])),
            citation_recall=metrics.mean(b.get("citation_recall", [])),
            citation_precision=metrics.mean(b.get("citation_precision", [])),
            groundedness=metrics.mean(b.get("groundedness", [])),
            coverage=metrics.mean(b.get("coverage", [])),
            dangling_citations=int(sum(b.get("dangling", []))),
            dropped_sentences=int(sum(b.get("dropped", []))),
            fell_back=int(sum(b.get("fell_back", []))),
            latency_p50_ms=metrics.percentile(b.get("latency", []), 50),
            latency_p95_ms=metrics.percentile(b.get("latency", []), 95),
        )
    return scores, per_question


# ------------------------------------------------------------------------------ the judge itself


@dataclass
class Agreement:
    """How often a support judge agrees with hand labels; ``split`` is which pairs were counted."""

    split: str
    pairs: int = 0
    agree: int = 0
    false_pos: int = 0  # judged supported, labelled unsupported
    false_neg: int = 0  # judged unsupported, labelled supported
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [agree, total]

    @property
    def accuracy(self) -> float:
        return self.agree / max(1, self.pairs)


def support_agreement(
    judge: Any, passages: dict[str, Passage], split: str = "all", path: Path = SUPPORT_PAIRS
) -> Agreement:
    """Agreement of ``judge`` with evals/support_pairs.jsonl. The offline judge's threshold was tuned
    on the pairs with odd ids ("tuning"); the even ids ("held-out") were not looked at then."""
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
        report.false_pos += verdict and not pair["supported"]
        report.false_neg += (not verdict) and pair["supported"]
        tally = report.by_kind.setdefault(pair["kind"], [0, 0])
        tally[0] += verdict == pair["supported"]
        tally[1] += 1
    return report


# ------------------------------------------------------------------------------ the whole run


@dataclass
class EvalRun:
    retrieval: dict[str, dict[str, RetrievalScores]]
    answers: dict[str, dict[str, AnswerScores]]
    judges: dict[str, dict[str, Agreement]]
    failures: list[dict[str, Any]]
    questions: dict[str, int]
    seconds: float
    crosswalk: Any = None  # a crosswalk_eval.CrosswalkRun over evals/bills, when `advisor eval` ran one

    def to_json(self) -> dict[str, Any]:
        crosswalk = {"crosswalk": self.crosswalk.to_json()} if self.crosswalk is not None else {}
        return crosswalk | {
            "questions": self.questions,
            "retrieval": {p: {s: asdict(v) for s, v in d.items()} for p, d in self.retrieval.items()},
            "answers": {b: {s: asdict(v) for s, v in d.items()} for b, d in self.answers.items()},
            "judges": {
                j: {
                    s: {"pairs": a.pairs, "agreement": a.accuracy, "false_pos": a.false_pos, "false_neg": a.false_neg}
                    for s, a in d.items()
                }
                for j, d in self.judges.items()
            },
            "failures": self.failures,
            "seconds": self.seconds,
        }


def run(
    pipelines: list[Pipeline],
    answerers: dict[str, Any],
    judges: dict[str, Any],
    passages: dict[str, Passage],
    questions: list[EvalQuestion],
) -> EvalRun:
    started = time.perf_counter()
    retrieval, per_pipeline = {}, {}
    for pipeline in pipelines:
        retrieval[pipeline.name], per_pipeline[pipeline.name] = evaluate_retrieval(pipeline, questions)
    main_judge = next(iter(judges.values()))
    answers, per_backend = {}, {}
    for name, answerer in answerers.items():
        answers[name], per_backend[name] = evaluate_answers(answerer, questions, main_judge)
    agreement = {
        name: {split: support_agreement(judge, passages, split) for split in ("tuning", "held-out")}
        for name, judge in judges.items()
    }
    failures = _failures(questions, per_pipeline[pipelines[0].name], per_backend)
    counts = {s: sum(1 for q in questions if q.split == s) for s in SPLITS}
    return EvalRun(retrieval, answers, agreement, failures, counts, time.perf_counter() - started)


def _failures(questions: list[EvalQuestion], retrieved: dict, per_backend: dict) -> list[dict[str, Any]]:
    """One row per question and backend where something failed, with what was expected and got."""
    rows = []
    for q in questions:
        for backend, results in per_backend.items():
            r = results[q.id]
            failed = []
            if q.out_of_scope and not r["refused"]:
                failed.append("refusal")
            if not q.out_of_scope:
                rank = retrieved[q.id]["rank"]
                if rank is None:
                    failed.append("retrieval@5")
                elif rank > 1:
                    failed.append("retrieval@1")
                if r["refused"]:
                    failed.append("false refusal")
                elif r.get("citation_recall", 1) < 1 or r.get("citation_precision", 1) < 1:
                    failed.append("citations")
                elif r.get("coverage", 1) < 0.5:
                    failed.append("coverage")
            if failed:
                rows.append(
                    {
                        "id": q.id,
                        "split": q.split,
                        "backend": backend,
                        "question": q.question,
                        "expected": "refusal"
                        if q.out_of_scope
                        else q.note or (q.gold_quotes[0] if q.gold_quotes else ""),
                        "got": "refused" if r["refused"] else (retrieved.get(q.id, {}).get("top") or r["answer"][:80]),
                        "failed": failed,
                    }
                )
    return rows
