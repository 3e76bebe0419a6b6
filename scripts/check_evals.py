"""Validate the evaluation data: evals/questions.jsonl, evals/conversations.jsonl, evals/support_pairs.jsonl.

Checks ids, fields and enums, the consistency of each label (expected / kind / missing /
out_of_scope / gold_quotes), that every gold quote occurs in a passage of the corpus as the
project's own parser and matcher see it, the split rules, and the minimum counts issue 11 asks
for. Prints a table of counts per kind and split; exits 1 if any check fails.

    PYTHONPATH=. .venv/bin/python scripts/check_evals.py [QUESTIONS.jsonl [CONVERSATIONS.jsonl]]

The minimum counts and split rules are those of the project's own files; a team checking its own
question set can ignore those lines of the report.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

from advisor.baselines import is_gold
from advisor.config import PROJECT_ROOT, Settings
from advisor.index import corpus_passages

QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
CONVERSATIONS = PROJECT_ROOT / "evals" / "conversations.jsonl"
SUPPORT_PAIRS = PROJECT_ROOT / "evals" / "support_pairs.jsonl"

SPLITS = {"dev", "heldout"}
EXPECTED = {"answered", "partial", "not covered"}
UNANSWERABLE_KINDS = (
    "absent topic",
    "absent fact",
    "entity not described",
    "false premise",
    "out of role",
    "injection",
)
KINDS = {*UNANSWERABLE_KINDS, "trap", "off topic"}  # "off topic" labels only the four pre-existing off-topic lines
ALWAYS_NOT_COVERED = {"absent topic", "out of role", "injection", "off topic"}
COMMANDS = {None, "shorter", "summarize", "talking points", "legislation split", "rewrite"}
CONDITIONS = {
    "System Purpose",
    "Policy Flexibility",
    "Flexible Learning Environments and Pathways",
    "Accountability and Improvement Structures",
    "Comprehensive State Assessment Systems",
    "Educator Development and Support",
    "Holistic Student Supports",
    "Responsive Funding Systems",
}
FIRST_NEW_QUESTION = 143  # q143 onward are the issue-11 additions; the minimums below count only those
MIN_PER_UNANSWERABLE_KIND = 12
MIN_UNANSWERABLE = 80
MIN_TRAP = 40
MIN_ORDINARY = 20
MIN_CONVERSATIONS = 45
MIN_CONTAMINATION_CONVERSATIONS = 4


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.notes: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def check(self, condition: bool, where: str, message: str) -> None:
        if not condition:
            self.error(where, message)


def read_jsonl(path: Path, report: Report) -> list[dict]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            report.error(f"{path.name}:{number}", "blank line")
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            report.error(f"{path.name}:{number}", f"not JSON ({exc})")
    return rows


def check_quotes(where: str, quotes: list, passages: list, report: Report) -> list[set[str]]:
    """Each quote must name at least one passage; returns the passage ids each quote names."""
    named = []
    for quote in quotes:
        if not isinstance(quote, str) or not quote.strip():
            report.error(where, f"gold quote is not a non-empty string: {quote!r}")
            named.append(set())
            continue
        ids = {p.id for p in passages if is_gold(p.text, (quote,))}
        report.check(bool(ids), where, f"gold quote found in no passage: {quote!r}")
        named.append(ids)
    return named


def check_support_pairs(rows: list[dict], passages: list, report: Report) -> None:
    """Each pair: an id, a sentence, a label, a kind, and a passage_quote naming exactly one passage."""
    for n, d in enumerate(rows, start=1):
        where = f"support_pairs.jsonl:{d.get('id', n)}"
        report.check(bool(re.fullmatch(r"s\d{3}", str(d.get("id")))), where, "id must look like s001")
        report.check(isinstance(d.get("sentence"), str) and bool(d["sentence"].strip()), where, "no sentence")
        report.check(isinstance(d.get("supported"), bool), where, "supported must be true or false")
        report.check(isinstance(d.get("kind"), str), where, "no kind")
        quote = d.get("passage_quote")
        named = check_quotes(where, [quote], passages, report)[0] if quote is not None else set()
        report.check(len(named) == 1, where, f"passage_quote must name exactly one passage, not {len(named)}")


def check_label(where: str, d: dict, report: Report) -> None:
    """expected / kind / missing / out_of_scope / gold_quotes must tell one consistent story."""
    expected, kind, missing = d.get("expected"), d.get("kind"), d.get("missing", [])
    gold, oos = d["gold_quotes"], d["out_of_scope"]
    if expected is None:  # a line from before issue 11: only the old rule applies
        report.check(bool(gold) != oos, where, "out_of_scope lines have no gold quotes; in-scope lines have some")
        report.check(kind is None, where, "kind without expected")
        return
    report.check(expected in EXPECTED, where, f"expected {expected!r} not in {sorted(EXPECTED)}")
    report.check(kind is None or kind in KINDS, where, f"kind {kind!r} not in {sorted(KINDS)}")
    report.check(
        isinstance(missing, list) and all(isinstance(m, str) and m for m in missing),
        where,
        "missing must be a list of strings",
    )
    if expected == "answered":
        report.check(
            not oos and bool(gold) and not missing, where, "answered: out_of_scope false, gold quotes, missing []"
        )
        report.check(kind in (None, "trap"), where, f"answered question with kind {kind!r}")
        if kind == "trap" or kind is None:
            report.check(bool(d.get("key_phrases")), where, "answerable questions need key_phrases")
    elif expected == "partial":
        report.check(
            oos and bool(gold) and bool(missing),
            where,
            "partial: out_of_scope true, gold quotes for the covered part, missing non-empty",
        )
        report.check(
            kind in UNANSWERABLE_KINDS and kind not in ALWAYS_NOT_COVERED, where, f"partial question with kind {kind!r}"
        )
    else:
        report.check(oos and not gold and not missing, where, "not covered: out_of_scope true, gold [], missing []")
        report.check(kind in KINDS - {"trap"}, where, f"not-covered question with kind {kind!r}")


def group_of(d: dict) -> str:
    return d.get("kind") or ("answered" if d.get("expected") == "answered" else "unlabelled")


def check_questions(rows: list[dict], passages: list, report: Report) -> dict:
    ids = Counter(d.get("id") for d in rows)
    for qid, n in ids.items():
        report.check(n == 1, str(qid), f"id used {n} times")
    shared_quotes = 0
    for d in rows:
        where = str(d.get("id"))
        report.check(bool(re.fullmatch(r"q\d{3,}", where)), where, "id must look like q123")
        for field, kinds in (("question", str), ("split", str), ("out_of_scope", bool), ("gold_quotes", list)):
            if not isinstance(d.get(field), kinds):
                report.error(where, f"field {field!r} missing or not {kinds.__name__}")
        if report.errors and report.errors[-1].startswith(f"{where}: field"):
            continue
        report.check(d["split"] in SPLITS, where, f"split {d['split']!r}")
        report.check(
            d.get("condition") is None or d["condition"] in CONDITIONS, where, f"condition {d.get('condition')!r}"
        )
        report.check(isinstance(d.get("key_phrases", []), list), where, "key_phrases must be a list")
        check_label(where, d, report)
        named = check_quotes(where, d["gold_quotes"], passages, report)
        shared_quotes += sum(len(s) > 1 for s in named)
        if not d["out_of_scope"]:  # as tests/test_eval_floors.py requires: answerable gold is one passage a quote
            report.check(
                all(len(s) <= 1 for s in named), where, "each gold quote of an answerable line names one passage"
            )
        for (a, sa), (b, sb) in combinations(zip(d["gold_quotes"], named), 2):
            report.check(not sa or sa != sb, where, f"two gold quotes name the same passage(s): {a!r} / {b!r}")
    report.notes.append(
        f"gold quotes of partial lines naming two passages (one sentence in two documents): {shared_quotes}"
    )

    new = [d for d in rows if int(str(d.get("id", "q0"))[1:] or 0) >= FIRST_NEW_QUESTION]
    groups: dict[str, list[dict]] = defaultdict(list)
    for d in new:
        groups[group_of(d)].append(d)
    for group, items in groups.items():  # split rule: per group, sorted ids, every third from the first is held out
        items.sort(key=lambda d: int(d["id"][1:]))
        for i, d in enumerate(items):
            want = "heldout" if i % 3 == 0 else "dev"
            report.check(
                d["split"] == want, d["id"], f"split should be {want} (every third {group!r} line is held out)"
            )
        held = sum(d["split"] == "heldout" for d in items)
        report.check(
            held == math.ceil(len(items) / 3), group, f"{held} of {len(items)} held out, want a third rounded up"
        )
    report.check("unlabelled" not in groups, "questions", "every new line needs expected")
    for kind in UNANSWERABLE_KINDS:
        report.check(
            len(groups[kind]) >= MIN_PER_UNANSWERABLE_KIND,
            kind,
            f"{len(groups[kind])} new lines, want >= {MIN_PER_UNANSWERABLE_KIND}",
        )
    unanswerable = sum(len(groups[k]) for k in UNANSWERABLE_KINDS)
    report.check(
        unanswerable >= MIN_UNANSWERABLE,
        "questions",
        f"{unanswerable} new unanswerable lines, want >= {MIN_UNANSWERABLE}",
    )
    report.check(len(groups["trap"]) >= MIN_TRAP, "trap", f"{len(groups['trap'])} new lines, want >= {MIN_TRAP}")
    report.check(
        len(groups["answered"]) >= MIN_ORDINARY,
        "answered",
        f"{len(groups['answered'])} new lines, want >= {MIN_ORDINARY}",
    )
    return {"all": rows, "new": groups}


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower())) - {
        "the",
        "a",
        "an",
        "of",
        "to",
        "and",
        "in",
        "for",
        "what",
        "does",
        "is",
        "it",
        "on",
        "say",
        "framework",
    }


def near_duplicates(texts: list[tuple[str, str, str]], report: Report, limit: float = 0.75) -> None:
    """Word overlap of every cross-split pair of (label, split, text); a pair above ``limit`` fails, the
    closest few are listed to audit. Conversation turns are compared with questions too: a dev
    conversation must not carry a held-out question."""
    dev = [(label, words(text)) for label, split, text in texts if split == "dev"]
    held = [(label, words(text)) for label, split, text in texts if split == "heldout"]
    scored = []
    for a, wa in dev:
        for b, wb in held:
            if wa and wb:
                scored.append((len(wa & wb) / len(wa | wb), a, b))
    scored.sort(reverse=True)
    for score, a, b in scored:
        if score < limit:
            break
        report.error(f"{a}/{b}", f"near-duplicate questions in different splits (word overlap {score:.2f})")
    closest = ", ".join(f"{a}/{b} {s:.2f}" for s, a, b in scored[:6])
    report.notes.append(f"closest dev/heldout pairs by word overlap (questions and conversation turns): {closest}")


def check_conversations(rows: list[dict], passages: list, report: Report) -> Counter:
    ids = Counter(c.get("id") for c in rows)
    for cid, n in ids.items():
        report.check(n == 1, str(cid), f"id used {n} times")
    stats: Counter = Counter()
    for c in rows:
        where = str(c.get("id"))
        if not re.fullmatch(r"c\d{3,}", where):
            report.error(where, "id must look like c123")
            continue
        want = "heldout" if int(where[1:]) % 3 == 0 else "dev"
        report.check(c.get("split") == want, where, f"split should be {want} (every third conversation id is held out)")
        stats[c.get("split")] += 1
        turns = c.get("turns")
        if not isinstance(turns, list) or not 2 <= len(turns) <= 3:
            report.error(where, "turns must be a list of 2 or 3")
            continue
        referent_gold: list | None = None
        for n, t in enumerate(turns, start=1):
            tw = f"{where} turn {n}"
            if not all(isinstance(t.get(f), str) and t.get(f) for f in ("question", "standalone")):
                report.error(tw, "question and standalone must be non-empty strings")
                continue
            follow, command, gold, expected = (
                t.get("follow_up"),
                t.get("command"),
                t.get("gold_quotes"),
                t.get("expected"),
            )
            report.check(isinstance(follow, bool), tw, "follow_up must be true or false")
            report.check(command in COMMANDS, tw, f"command {command!r}")
            report.check(expected in EXPECTED, tw, f"expected {expected!r}")
            report.check(isinstance(gold, list), tw, "gold_quotes must be a list")
            missing = t.get("missing", [])
            report.check(isinstance(missing, list), tw, "missing must be a list")
            gold = gold if isinstance(gold, list) else []
            if n == 1:
                report.check(not follow and command is None, tw, "a first turn is always stand-alone")
            if not follow:
                report.check(
                    t["standalone"] == t["question"] and command is None,
                    tw,
                    "a stand-alone turn's standalone equals its question",
                )
            else:
                report.check(t["standalone"] != t["question"], tw, "a follow-up needs its stand-alone rewrite")
            if command is not None:
                report.check(
                    referent_gold is not None and gold == referent_gold,
                    tw,
                    "a command's gold is the gold of the turn it works on",
                )
                stats["command turns"] += 1
            else:
                referent_gold = gold
                stats["follow-up turns" if follow else ("stand-alone later turns" if n > 1 else "first turns")] += 1
            if expected == "not covered":
                report.check(not gold and not missing, tw, "not covered: no gold quotes, missing []")
            elif expected == "partial":
                report.check(
                    bool(gold) and bool(missing), tw, "partial: gold for the covered part and missing non-empty"
                )
            elif expected == "answered":
                report.check(bool(gold) and not missing, tw, "answered: gold quotes, missing []")
            named = check_quotes(tw, gold, passages, report)
            if expected == "answered":
                report.check(
                    all(len(s) <= 1 for s in named), tw, "each gold quote of an answered turn names one passage"
                )
        if turns[0].get("expected") == "not covered" and any(t.get("expected") == "answered" for t in turns[1:]):
            stats["not-covered first turn, answered later"] += 1
    report.check(
        len(rows) >= MIN_CONVERSATIONS, "conversations", f"{len(rows)} conversations, want >= {MIN_CONVERSATIONS}"
    )
    contaminated = stats["not-covered first turn, answered later"]
    report.check(
        contaminated >= MIN_CONTAMINATION_CONVERSATIONS,
        "conversations",
        f"{contaminated} contamination conversations, want >= {MIN_CONTAMINATION_CONVERSATIONS}",
    )
    return stats


def table(groups: dict[str, list[dict]]) -> str:
    order = [*UNANSWERABLE_KINDS, "trap", "answered"]
    lines = [f"{'kind':<22}{'dev':>5}{'heldout':>9}{'total':>7}   expected"]
    for kind in order:
        items = groups.get(kind, [])
        split = Counter(d["split"] for d in items)
        expected = Counter(d.get("expected") for d in items)
        outcome = ", ".join(f"{k} {v}" for k, v in sorted(expected.items()))
        lines.append(f"{kind:<22}{split['dev']:>5}{split['heldout']:>9}{len(items):>7}   {outcome}")
    total = Counter(d["split"] for k in order for d in groups.get(k, []))
    lines.append(f"{'all new':<22}{total['dev']:>5}{total['heldout']:>9}{sum(total.values()):>7}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    questions_path = Path(argv[0]) if argv else QUESTIONS
    conversations_path = Path(argv[1]) if len(argv) > 1 else CONVERSATIONS
    report = Report()
    passages, problems = corpus_passages(Settings.from_env())
    for problem in problems:
        report.error("corpus", problem)
    for path in (questions_path, conversations_path):
        if not path.is_file():
            print(f"check_evals: no such file: {path}", file=sys.stderr)
            return 2
    questions = check_questions(read_jsonl(questions_path, report), passages, report)
    conversations = read_jsonl(conversations_path, report)
    report.check(bool(conversations), conversations_path.name, "empty")
    stats = check_conversations(conversations, passages, report)
    texts = [(d["id"], d["split"], d["question"]) for d in questions["all"] if isinstance(d.get("question"), str)]
    for c in conversations:
        for n, t in enumerate(c.get("turns") or [], start=1):
            if isinstance(t, dict) and t.get("command") is None and isinstance(t.get("standalone"), str):
                texts.append((f"{c.get('id')}.{n}", c.get("split"), t["standalone"]))
    near_duplicates(texts, report)
    pairs = read_jsonl(SUPPORT_PAIRS, report)
    check_support_pairs(pairs, passages, report)

    everything = questions["all"]
    held_out = Counter(d.get("split") for d in everything)["heldout"]
    print(
        f"questions.jsonl: {len(everything)} lines ({held_out} held out); "
        f"{sum(len(v) for v in questions['new'].values())} new since q{FIRST_NEW_QUESTION}"
    )
    print(table(questions["new"]))
    print(
        f"conversations.jsonl: {len(conversations)} conversations ({stats['dev']} dev, {stats['heldout']} held out); "
        + ", ".join(
            f"{k} {stats[k]}"
            for k in (
                "first turns",
                "follow-up turns",
                "stand-alone later turns",
                "command turns",
                "not-covered first turn, answered later",
            )
        )
    )
    print(f"support_pairs.jsonl: {len(pairs)} pairs")
    print(f"corpus: {len(passages)} passages")
    for note in report.notes:
        print(f"note: {note}")
    if report.errors:
        print(f"\nFAILED: {len(report.errors)} problem(s)")
        for line in report.errors:
            print(f"  {line}")
        return 1
    print("\nOK: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
