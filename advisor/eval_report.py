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


def _table(first: str, columns, rows: dict, counts: tuple[tuple[str, str], ...] = (), lead=(), tail=()) -> list[str]:
    """A Markdown table: one row per name, ``columns`` (attribute, heading) as three-decimal figures;
    ``lead``/``tail`` are (heading, format) columns before and after them."""
    headings = [h for h, _ in lead] + [c for _, c in columns] + [h for h, _ in tail]
    lines = [f"| {first} | " + " | ".join(headings) + " |", "|---" * (len(headings) + 1) + "|"]
    for name, s in rows.items():
        cells = [fmt.format(s=s) for _, fmt in lead]
        cells += [f"{getattr(s, key):.3f}" for key, _ in columns]
        cells += [fmt.format(s=s) for _, fmt in tail]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def retrieval_table(run: EvalRun, split: str) -> list[str]:
    n = next(iter(run.retrieval.values()))[split].questions
    rows = {name: scores[split] for name, scores in run.retrieval.items()}
    return _table(
        f"pipeline ({split}, {n} questions)",
        RETRIEVAL_COLUMNS,
        rows,
        tail=(("chars read @5", "{s.context_chars:,.0f}"),),
    )


def answer_table(run: EvalRun, split: str) -> list[str]:
    rows = {name: scores[split] for name, scores in run.answers.items()}
    tail = (
        ("dangling", "{s.dangling_citations}"),
        ("dropped", "{s.dropped_sentences}"),
        ("fell back", "{s.fell_back}"),
        ("p50 ms", "{s.latency_p50_ms:.0f}"),
        ("p95 ms", "{s.latency_p95_ms:.0f}"),
    )
    return _table(f"backend ({split})", ANSWER_COLUMNS, rows, tail=tail)


def coverage_table(run: EvalRun, split: str) -> list[str]:
    """The three outcomes against their labels, and the quote defects over every answer."""
    rows = {name: scores[split] for name, scores in run.answers.items()}
    tail = (("dangling referents", "{s.dangling_referents}"), ("uncited gloss", "{s.uncited_gloss}"))
    return _table(f"backend ({split})", COVERAGE_COLUMNS, rows, tail=tail)


CONVERSATION_COLUMNS = (
    ("kind_accuracy", "turn kind as labelled"),
    ("follow_up_hit5", "follow-up hit@5"),
    ("standalone_hit5", "same, asked stand-alone"),
    ("commands_reused", "commands on the last answer's sources"),
    ("outcome_accuracy", "outcome as labelled"),
)


def conversation_table(run: EvalRun, split: str) -> list[str]:
    """Follow-ups, commands and stand-alone later turns (evals/conversations.jsonl)."""
    rows = {name: scores[split] for name, scores in run.conversations.items()}
    lead = (("conversations", "{s.conversations}"), ("later turns", "{s.later_turns}"))
    tail = (("stand-alone turns rewritten", "{s.contaminated}"),)
    return _table(f"backend ({split})", CONVERSATION_COLUMNS, rows, lead=lead, tail=tail)


def judge_table(run: EvalRun) -> list[str]:
    lines = ["| support judge | tuning pairs | held-out pairs |", "|---|---|---|"]
    for name, splits in run.judges.items():
        cells = [f"{a.accuracy:.3f} ({a.agree}/{a.pairs})" for a in splits.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    skipped = max((sum(a.skipped for a in splits.values()) for splits in run.judges.values()), default=0)
    if skipped:
        lines += ["", f"{skipped} labelled pairs skipped: their passage quote is in no passage (or several) here."]
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
