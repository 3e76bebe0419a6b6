"""An evaluation run written for people (Markdown with PNG charts) and for machines (JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.evaluate import SPLITS, EvalRun

RETRIEVAL_COLUMNS = (("hit1", "hit@1"), ("hit5", "hit@5"), ("mrr", "MRR@5"), ("ndcg5", "nDCG@5"))
COVERAGE_COLUMNS = (
    ("uncovered_answered", "not (fully) covered, answered as covered ↓"),
    ("answerable_not_answered", "answerable, refused or partial ↓"),
    ("partial_named", "partial, naming what is missing"),
    ("trap_answered", "trap questions answered"),
    ("refusal_accuracy", "not covered, refused"),
    ("outcome_accuracy", "outcome as labelled"),
)
ANSWER_COLUMNS = (
    ("false_refusal_rate", "in-scope refused"),
    ("citation_recall", "citation recall"),
    ("citation_precision", "citation precision"),
    ("groundedness", "groundedness"),
    ("coverage", "key-phrase coverage"),
)


def retrieval_table(run: EvalRun, split: str) -> list[str]:
    n = next(iter(run.retrieval.values()))[split].questions
    lines = [
        f"| pipeline ({split}, {n} questions) | " + " | ".join(c for _, c in RETRIEVAL_COLUMNS) + " | chars read @5 |",
        "|---" * (len(RETRIEVAL_COLUMNS) + 2) + "|",
    ]
    for name, scores in run.retrieval.items():
        s = scores[split]
        values = " | ".join(f"{getattr(s, key):.3f}" for key, _ in RETRIEVAL_COLUMNS)
        lines.append(f"| {name} | {values} | {s.context_chars:,.0f} |")
    return lines


def answer_table(run: EvalRun, split: str) -> list[str]:
    lines = [
        f"| backend ({split}) | "
        + " | ".join(c for _, c in ANSWER_COLUMNS)
        + " | dangling | dropped | fell back | p50 ms | p95 ms |",
        "|---" * (len(ANSWER_COLUMNS) + 6) + "|",
    ]
    for name, scores in run.answers.items():
        s = scores[split]
        values = " | ".join(f"{getattr(s, key):.3f}" for key, _ in ANSWER_COLUMNS)
        lines.append(
            f"| {name} | {values} | {s.dangling_citations} | {s.dropped_sentences} | {s.fell_back} | "
            f"{s.latency_p50_ms:.0f} | {s.latency_p95_ms:.0f} |"
        )
    return lines


def coverage_table(run: EvalRun, split: str) -> list[str]:
    """The three outcomes against their labels, and the quote defects over every answer."""
    lines = [
        f"| backend ({split}) | "
        + " | ".join(c for _, c in COVERAGE_COLUMNS)
        + " | dangling referents | uncited gloss |",
        "|---" * (len(COVERAGE_COLUMNS) + 3) + "|",
    ]
    for name, scores in run.answers.items():
        s = scores[split]
        values = " | ".join(f"{getattr(s, key):.3f}" for key, _ in COVERAGE_COLUMNS)
        lines.append(f"| {name} | {values} | {s.dangling_referents} | {s.uncited_gloss} |")
    return lines


CONVERSATION_COLUMNS = (
    ("kind_accuracy", "turn kind as labelled"),
    ("follow_up_hit5", "follow-up hit@5"),
    ("standalone_hit5", "same, asked stand-alone"),
    ("commands_reused", "commands on the last answer's sources"),
    ("outcome_accuracy", "outcome as labelled"),
)


def conversation_table(run: EvalRun, split: str) -> list[str]:
    """Follow-ups, commands and stand-alone later turns (evals/conversations.jsonl)."""
    lines = [
        f"| backend ({split}) | conversations | later turns | "
        + " | ".join(c for _, c in CONVERSATION_COLUMNS)
        + " | stand-alone turns rewritten |",
        "|---" * (len(CONVERSATION_COLUMNS) + 4) + "|",
    ]
    for name, scores in run.conversations.items():
        s = scores[split]
        values = " | ".join(f"{getattr(s, key):.3f}" for key, _ in CONVERSATION_COLUMNS)
        lines.append(f"| {name} | {s.conversations} | {s.later_turns} | {values} | {s.contaminated} |")
    return lines


def judge_table(run: EvalRun) -> list[str]:
    lines = ["| support judge | tuning pairs | held-out pairs |", "|---|---|---|"]
    for name, splits in run.judges.items():
        cells = [f"{a.accuracy:.3f} ({a.agree}/{a.pairs})" for a in splits.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def markdown(run: EvalRun, charts: list[str]) -> str:
    q = run.questions
    out = [
        "# Policy Advisor: grounding evaluation",
        "",
        f"{q.get('dev', 0)} dev and {q.get('heldout', 0)} held-out questions (evals/questions.jsonl); the held-out "
        f"split was never used for tuning. k = 5. Run time {run.seconds:.0f} s.",
        "",
        "## Retrieval",
        "",
    ]
    splits = [split for split in ("heldout", "dev") if run.questions.get(split)]
    for split in splits:
        out += retrieval_table(run, split) + [""]
    out += ["## Answers", ""]
    for split in splits:
        out += coverage_table(run, split) + [""]
        out += answer_table(run, split) + [""]
    if run.conversations:
        out += ["## Conversations", ""]
        for split in splits:
            out += conversation_table(run, split) + [""]
    out += [
        "Citation recall and precision follow ALCE (Gao et al. 2023), groundedness RAGAS faithfulness; the support "
        "verdicts come from the first judge below, whose agreement with hand labels bounds how far they can be "
        "trusted.",
        "",
        "## The support judge against hand labels (evals/support_pairs.jsonl)",
        "",
        *judge_table(run),
        "",
    ]
    out += [f"![{c}]({c})" for c in charts] + [""]
    out += crosswalk_section(run)
    out += [
        "## Failures",
        "",
        "| id | split | backend | question | expected | got | failed |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in run.failures:
        cells = [
            row["id"],
            row["split"],
            row["backend"],
            row["question"],
            row["expected"],
            str(row["got"]),
            ", ".join(row["failed"]),
        ]
        out.append("| " + " | ".join(c.replace("|", "/").replace("\n", " ") for c in cells) + " |")
    return "\n".join(out) + "\n"


def crosswalk_section(run: EvalRun) -> list[str]:
    """`advisor check` against the labelled bills of evals/bills (advisor/crosswalk_eval.py)."""
    if run.crosswalk is None:
        return []
    from advisor import crosswalk_eval

    return [
        "## Crosswalk: bills checked against the framework (evals/bills)",
        "",
        "Top-1: provisions that address a policy whose strongest match is one of them. Outside: provisions that "
        "address none given no match. Policy precision, recall and F1: (provision, policy) pairs marked "
        '"addresses", against the labels. The matcher was calibrated on the dev bills only.',
        "",
        *crosswalk_eval.table(run.crosswalk),
        "",
        *(
            ["### Crosswalk failures", "", *crosswalk_eval.failure_table(run.crosswalk), ""]
            if run.crosswalk.failures
            else []
        ),
    ]


def charts(run: EvalRun, folder: Path) -> list[str]:
    """Bar charts of retrieval and answer metrics on the held-out split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    for filename, table, columns in (
        ("retrieval.png", run.retrieval, RETRIEVAL_COLUMNS),
        ("answers.png", run.answers, ANSWER_COLUMNS),
    ):
        fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
        width = 0.8 / max(1, len(table))
        split = "heldout" if run.questions.get("heldout") else "dev"
        for i, (name, scores) in enumerate(table.items()):
            values = [getattr(scores[split], key) for key, _ in columns]
            positions = [x + i * width for x in range(len(columns))]
            ax.bar(positions, values, width, label=name)
        ax.set_xticks([x + width * (len(table) - 1) / 2 for x in range(len(columns))], [c for _, c in columns])
        ax.set_ylim(0, 1)
        ax.set_title(f"{filename[:-4].capitalize()}, {split} split")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / filename)
        plt.close(fig)
        written.append(filename)
    return written


def write(run: EvalRun, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pictures = charts(run, folder)
    (folder / "report.md").write_text(markdown(run, pictures), encoding="utf-8")
    (folder / "report.json").write_text(json.dumps(run.to_json(), indent=2), encoding="utf-8")
    return [folder / "report.md", folder / "report.json", *(folder / p for p in pictures)]


__all__ = [
    "SPLITS",
    "answer_table",
    "conversation_table",
    "coverage_table",
    "judge_table",
    "markdown",
    "retrieval_table",
    "write",
]
