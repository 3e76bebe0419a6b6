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
from advisor.baselines import Pipeline, is_gold
from advisor.config import PROJECT_ROOT
from advisor.coverage import ANSWERED, NOT_COVERED, OUTCOMES, PARTIAL
from advisor.passages import Passage

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
    expected: str = ""  # answered | partial | not covered
    kind: str = ""  # for questions the sources don't (fully) answer, and "trap"
    missing: tuple[str, ...] = ()


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
                    _expected(d),
                    d.get("kind", ""),
                    tuple(d.get("missing", ())),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from None
    return out


def _expected(d: dict) -> str:
    expected = d.get("expected") or (NOT_COVERED if d["out_of_scope"] else ANSWERED)
    if expected not in OUTCOMES:
        raise ValueError(f"expected must be one of {OUTCOMES}, not {expected!r}")
    return expected


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
    refusal_accuracy: float = 0.0  # questions labelled "not covered" that were refused
    false_refusal_rate: float = 0.0  # answerable questions refused
    uncovered_answered: float = 0.0  # questions the sources don't (fully) answer, answered as covered
    answerable_not_answered: float = 0.0  # answerable questions refused or marked partial
    partial_named: float = 0.0  # questions labelled partial, answered as partial naming what is missing
    trap_answered: float = 0.0  # answerable questions worded like injections, answered
    outcome_accuracy: float = 0.0  # the three-way outcome as labelled
    dangling_referents: int = 0  # quotes that lean on a sentence the reader can't see (all answers)
    uncited_gloss: int = 0  # sentences carrying [n] that are not passage n's words (all answers)
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
    Label sentences ("Policy Flexibility — transformative policy “Y”:") name headings only, and gap
    sentences say what the sources don't cover; both cite nothing and are left out."""
    cited = {c.id: c.passage for c in answer.citations}
    context = [h.passage for h in answer.hits]
    judged = []
    for paragraph in answer.paragraphs:
        for sentence in paragraph:
            if sentence.kind in ("label", "gap"):  # names headings, or says what is not covered: no claim
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
    """Per split: the coverage outcomes against their labels, the grounding of what was answered, and
    defects (dangling referents, uncited gloss) over every answer. Each answer is timed with the
    question's vector computed afresh (the encoder's memo cleared), as a new question would be."""
    from advisor.embeddings import shared_encoder

    per_split: dict[str, dict[str, list]] = {s: {} for s in SPLITS}
    per_question = {}
    for q in questions:
        shared_encoder().forget()
        started = time.perf_counter()
        answer = answerer.answer(q.question, k=K, unsupported="drop")
        elapsed = (time.perf_counter() - started) * 1000
        bucket = per_split[q.split]

        def add(key: str, value: float, bucket: dict[str, list] = bucket) -> None:
            bucket.setdefault(key, []).append(value)

        add("latency", elapsed)
        outcome = answer.outcome
        named = metrics.missing_named(answer.missing, q.missing)
        defects = metrics.answer_defects(answer)
        record: dict[str, Any] = {
            "refused": answer.refused,
            "outcome": outcome,
            "expected": q.expected,
            "missing": answer.missing,
            "backend": answer.backend,
            "answer": answer.text,
        } | defects
        add("outcome", float(outcome == q.expected))
        add("dangling_referents", defects["dangling_referents"])
        add("uncited_gloss", defects["uncited_gloss"])
        if q.kind == "trap":
            add("trap", float(outcome == ANSWERED))
        if q.expected == NOT_COVERED:
            add("oos_refused", float(answer.refused))
        if q.expected != ANSWERED:
            add("uncovered_answered", float(outcome == ANSWERED))
        if q.expected == PARTIAL:
            add("partial_named", float(outcome == PARTIAL and named))
        if q.expected == ANSWERED:
            add("in_refused", float(answer.refused))
            add("not_answered", float(outcome != ANSWERED))
            add("dangling", answer.dangling)
            add("dropped", answer.dropped)
            add("fell_back", float(bool(answer.note)))
            if not answer.refused:
                judged = judge_sentences(answer, judge)
                record.update(
                    citation_recall=metrics.citation_recall(judged),
                    citation_precision=metrics.citation_precision(judged),
                    groundedness=metrics.groundedness(judged),
                    coverage=metrics.answer_coverage(answer.text, q.key_phrases),
                )
                for key in ("citation_recall", "citation_precision", "groundedness", "coverage"):
                    add(key, record[key])
        per_question[q.id] = record
    scores = {}
    for split, b in per_split.items():
        scores[split] = AnswerScores(
            in_scope=len(b.get("in_refused", [])),
            out_of_scope=len(b.get("uncovered_answered", [])),
            refusal_accuracy=metrics.mean(b.get("oos_refused", [])),
            false_refusal_rate=metrics.mean(b.get("in_refused", [])),
            uncovered_answered=metrics.mean(b.get("uncovered_answered", [])),
            answerable_not_answered=metrics.mean(b.get("not_answered", [])),
            partial_named=metrics.mean(b.get("partial_named", [])),
            trap_answered=metrics.mean(b.get("trap", [])),
            outcome_accuracy=metrics.mean(b.get("outcome", [])),
            dangling_referents=int(sum(b.get("dangling_referents", []))),
            uncited_gloss=int(sum(b.get("uncited_gloss", []))),
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


# ------------------------------------------------------------------------------ conversations

CONVERSATIONS = PROJECT_ROOT / "evals" / "conversations.jsonl"


@dataclass
class ConversationScores:
    conversations: int = 0
    later_turns: int = 0
    kind_accuracy: float = 0.0  # later turns recognised as follow-up, command or stand-alone, as labelled
    follow_up_hit5: float = 0.0  # follow-ups: a gold passage in the top 5 of what was searched for
    standalone_hit5: float = 0.0  # the same follow-ups asked as their stand-alone rewrite
    contaminated: int = 0  # stand-alone later turns searched for with an earlier turn's words
    commands_reused: float = 0.0  # commands answered from the previous answer's sources only
    outcome_accuracy: float = 0.0  # every turn's coverage outcome, as labelled


def load_conversations(path: Path = CONVERSATIONS) -> list[dict[str, Any]]:
    """The conversation set; a line that is not valid JSON or lacks turns is an error naming the line."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            if not d["turns"] or d["split"] not in SPLITS:
                raise ValueError("no turns, or an unknown split")
            for turn in d["turns"]:
                turn["question"], turn.get("gold_quotes", [])  # noqa: B018 - both required
            out.append(d)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid conversation line ({exc})") from None
    return out


def evaluate_conversations(answerer: Any, conversations: list[dict[str, Any]]) -> dict[str, ConversationScores]:
    """Each conversation answered turn by turn through ``Conversation``, as the chat does."""
    from advisor.conversation import COMMAND, FOLLOW_UP, NEW, Conversation

    passages = answerer.index.passages
    rows: dict[str, dict[str, list[float]]] = {s: {} for s in SPLITS}
    counts = {s: 0 for s in SPLITS}
    for convo in conversations:
        split = convo["split"]
        counts[split] += 1
        bucket = rows[split]
        chat = Conversation(getattr(answerer, "model", None))
        previous_cited: set[str] = set()
        for number, turn in enumerate(convo["turns"]):
            answer, plan = chat.ask(answerer, turn["question"], unsupported="drop")
            gold = {pid for pid, p in passages.items() if is_gold(p.text, turn.get("gold_quotes", []))}
            expected = turn.get("expected") or ANSWERED
            bucket.setdefault("outcome", []).append(float(answer.outcome == expected))
            if number > 0:
                labelled = COMMAND if turn.get("command") else FOLLOW_UP if turn.get("follow_up") else NEW
                bucket.setdefault("kind", []).append(float(plan.kind == labelled))
                if labelled == NEW:
                    bucket.setdefault("contaminated", []).append(float(plan.standalone != turn["question"]))
                if labelled == FOLLOW_UP and gold and expected != NOT_COVERED:
                    searched = [h.passage.id for h in answerer.retriever.retrieve(plan.standalone, K)]
                    reference = [h.passage.id for h in answerer.retriever.retrieve(turn["standalone"], K)]
                    bucket.setdefault("follow_hit5", []).append(metrics.hit_at_k(searched, gold, K))
                    bucket.setdefault("standalone_hit5", []).append(metrics.hit_at_k(reference, gold, K))
                if labelled == COMMAND:
                    cited = {c.passage.id for c in answer.citations}
                    reused = plan.kind == COMMAND and bool(cited) and cited <= previous_cited | _definitions(answerer)
                    bucket.setdefault("reused", []).append(float(reused))
            previous_cited = {c.passage.id for c in answer.citations} or previous_cited
    return {
        split: ConversationScores(
            conversations=counts[split],
            later_turns=len(b.get("kind", [])),
            kind_accuracy=metrics.mean(b.get("kind", [])),
            follow_up_hit5=metrics.mean(b.get("follow_hit5", [])),
            standalone_hit5=metrics.mean(b.get("standalone_hit5", [])),
            contaminated=int(sum(b.get("contaminated", []))),
            commands_reused=metrics.mean(b.get("reused", [])),
            outcome_accuracy=metrics.mean(b.get("outcome", [])),
        )
        for split, b in rows.items()
    }


def _definitions(answerer: Any) -> set[str]:
    """Passages a legislation split may add: the framework's own definition of its parts."""
    extractive = getattr(answerer, "extractive", answerer)
    return {p.id for p, _ in extractive.part_definitions.values()}


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
    skipped: int = 0  # pairs whose passage quote is in no passage (or in several) of this corpus

    @property
    def accuracy(self) -> float:
        return self.agree / max(1, self.pairs)


def support_agreement(
    judge: Any, passages: dict[str, Passage], split: str = "all", path: Path = SUPPORT_PAIRS
) -> Agreement:
    """Agreement of ``judge`` with evals/support_pairs.jsonl. The offline judge's threshold was tuned
    on the pairs with odd ids ("tuning"); the even ids ("held-out") were not looked at then.

    Each pair names its passage by a verbatim quote of it (``passage_quote``), never by an id: a
    renamed title or a re-parsed corpus leaves the pairs usable, and on a team's own corpus the
    pairs whose quote is not in exactly one passage are skipped and counted, not a KeyError."""
    report = Agreement(split)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            pair = json.loads(line)
            odd = int(pair["id"].lstrip("s")) % 2 == 1
            quote, sentence, label, kind = pair["passage_quote"], pair["sentence"], pair["supported"], pair["kind"]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid support pair ({exc})") from None
        if (split == "tuning" and not odd) or (split == "held-out" and odd):
            continue
        cited = [p for p in passages.values() if is_gold(p.text, (quote,))]
        if len(cited) != 1:
            report.skipped += 1
            continue
        verdict = judge.judge(sentence, cited).supported
        report.pairs += 1
        report.agree += verdict == label
        report.false_pos += verdict and not label
        report.false_neg += (not verdict) and label
        tally = report.by_kind.setdefault(kind, [0, 0])
        tally[0] += verdict == label
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
    conversations: dict[str, dict[str, ConversationScores]] = field(default_factory=dict)
    crosswalk: Any = None  # a crosswalk_eval.CrosswalkRun over evals/bills, when `advisor eval` ran one

    def to_json(self) -> dict[str, Any]:
        crosswalk = {"crosswalk": self.crosswalk.to_json()} if self.crosswalk is not None else {}
        return crosswalk | {
            "questions": self.questions,
            "retrieval": {p: {s: asdict(v) for s, v in d.items()} for p, d in self.retrieval.items()},
            "answers": {b: {s: asdict(v) for s, v in d.items()} for b, d in self.answers.items()},
            "judges": {
                j: {
                    s: {
                        "pairs": a.pairs,
                        "agreement": a.accuracy,
                        "false_pos": a.false_pos,
                        "false_neg": a.false_neg,
                        "skipped": a.skipped,
                    }
                    for s, a in d.items()
                }
                for j, d in self.judges.items()
            },
            "conversations": {b: {s: asdict(v) for s, v in d.items()} for b, d in self.conversations.items()},
            "failures": self.failures,
            "seconds": self.seconds,
        }


def run(
    pipelines: list[Pipeline],
    answerers: dict[str, Any],
    judges: dict[str, Any],
    passages: dict[str, Passage],
    questions: list[EvalQuestion],
    conversations: list[dict[str, Any]] | None = None,
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
    talks = {name: evaluate_conversations(answerer, conversations) for name, answerer in answerers.items()}
    failures = _failures(questions, per_pipeline[pipelines[0].name], per_backend)
    counts = {s: sum(1 for q in questions if q.split == s) for s in SPLITS}
    return EvalRun(
        retrieval, answers, agreement, failures, counts, time.perf_counter() - started, talks if conversations else {}
    )


def _failures(questions: list[EvalQuestion], retrieved: dict, per_backend: dict) -> list[dict[str, Any]]:
    """One row per question and backend where something failed, with what was expected and got."""
    rows = []
    for q in questions:
        for backend, results in per_backend.items():
            r = results[q.id]
            failed = []
            if r["outcome"] != q.expected:
                failed.append(f"expected {q.expected}, got {r['outcome']}")
            if r.get("dangling_referents") or r.get("uncited_gloss"):
                failed.append("quote defects")
            if q.expected == ANSWERED:
                rank = retrieved[q.id]["rank"]
                if rank is None:
                    failed.append("retrieval@5")
                elif rank > 1:
                    failed.append("retrieval@1")
                if not r["refused"] and (r.get("citation_recall", 1) < 1 or r.get("citation_precision", 1) < 1):
                    failed.append("citations")
                elif not r["refused"] and r.get("coverage", 1) < 0.5:
                    failed.append("coverage")
            if failed:
                rows.append(
                    {
                        "id": q.id,
                        "split": q.split,
                        "backend": backend,
                        "question": q.question,
                        "expected": q.expected
                        if q.expected != ANSWERED
                        else q.note or (q.gold_quotes[0] if q.gold_quotes else ""),
                        "got": r["outcome"]
                        if q.expected != ANSWERED or r["refused"]
                        else (retrieved.get(q.id, {}).get("top") or r["answer"][:80]),
                        "failed": failed,
                    }
                )
    return rows
