"""The crosswalk's evaluation over evals/bills, and the calibration of its matcher on the dev bills.

Metrics, per split (``dev`` tuned on, ``heldout`` never):

- top-1 accuracy: over provisions that address at least one policy, the share whose strongest
  "addresses" match is one of them (no match at all counts as wrong);
- outside accuracy: over provisions that address no policy (outside the framework, or merely
  related), the share given no "addresses" match;
- policy precision, recall and F1: over (provision, policy) pairs with status "addresses",
  micro-averaged against the labels.

``python -m advisor.crosswalk_eval calibrate`` fits the matcher's three logistic models (the pair model,
the topic model and the gate) on the dev bills, keeps their in-framework provisions as precedents
(``advisor/precedents.py``) and picks its thresholds by leave-one-batch-out cross-validation over them
(a batch: one writer's documents); it prints the cross-validated and the nested figures, and with
``--write`` writes the ``Calibration`` to advisor/crosswalk_calibration.json and the precedents to
advisor/crosswalk_precedents.npz, which the matcher loads.
``python -m advisor.crosswalk_eval`` prints the figures per split and the failure table;
``python -m advisor.crosswalk_eval agreement`` scores the second labelling (SECOND_LABELS) against the
labels with the same metrics, as if it were a matcher: the agreement between two labellers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from advisor.config import PROJECT_ROOT
from advisor.crosswalk import (
    ADDRESSES,
    CALIBRATION_FILE,
    Calibration,
    EvidenceMatcher,
    Logistic,
    Match,
    gate_row,
    policy_key,
)
from advisor.precedents import FEATURES as PRECEDENT_FEATURES
from advisor.precedents import PRECEDENTS_FILE, Precedents
from advisor.provisions import Bill, read_bill
from advisor.store import write_atomically

BILLS = PROJECT_ROOT / "evals" / "bills"
LABELS = BILLS / "labels.jsonl"
# Held-out provisions labelled a second time, by labellers who saw neither the first labels nor the matcher:
# how far two careful people agree is the ceiling the matcher's figures are read against.
SECOND_LABELS = BILLS / "second-labels.jsonl"
SPLITS = ("dev", "heldout")
MAX_BILL_CHARS = 2_000_000


@dataclass(frozen=True)
class Label:
    bill: str
    split: str
    provision: str
    starts: str
    addresses: tuple[str, ...]
    related: tuple[str, ...]
    note: str = ""
    batch: str = ""  # when, and for dev by whom, the document was written ("stop 21", "stop 22 K")


@dataclass
class LabelledBill:
    path: Path
    split: str
    bill: Bill
    labels: list[Label]

    @property
    def batch(self) -> str:
        """The documents written with this one (one writer's, in dev): they leave a fold together, since a
        writer says the same thing the same way in each."""
        return self.labels[0].batch or self.path.name


def load_bills(path: Path = LABELS, policies: set[str] | None = None) -> list[LabelledBill]:
    """The labelled bills, split as the splitter splits them; a label that names no provision, or a
    policy the framework does not have, is an error naming its line."""
    labels: list[Label] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            label = Label(
                d["bill"],
                d["split"],
                str(d["provision"]),
                d["starts"],
                tuple(d["addresses"]),
                tuple(d["related"]),
                batch=d.get("batch", ""),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid label line ({exc})") from None
        unknown = [k for k in label.addresses + label.related if policies is not None and k not in policies]
        if unknown or label.split not in SPLITS:
            raise ValueError(f"{path}:{number}: unknown policy or split: {unknown or label.split}")
        labels.append(label)
    out: list[LabelledBill] = []
    for name in dict.fromkeys(label.bill for label in labels):
        rows = [label for label in labels if label.bill == name]
        bill = read_bill(path.parent / name, MAX_BILL_CHARS)
        got = [(p.id, p.text[: len(label.starts)]) for p, label in zip(bill.provisions, rows)]
        want = [(label.provision, label.starts) for label in rows]
        if got != want or len(bill.provisions) != len(rows):
            raise ValueError(f"{name}: the splitter's provisions do not match the labels ({got} != {want})")
        out.append(LabelledBill(path.parent / name, rows[0].split, bill, rows))
    return out


@dataclass
class CrosswalkScores:
    bills: int = 0
    provisions: int = 0
    in_framework: int = 0  # provisions that address at least one policy
    outside: int = 0  # provisions that address none
    top1: float = 0.0
    outside_accuracy: float = 0.0
    precision: float = 0.0
    recall: float = 0.0
    f1: float = 0.0
    pairs_true: int = 0
    pairs_predicted: int = 0
    pairs_correct: int = 0


@dataclass
class _Tally:
    bills: set[str] = field(default_factory=set)
    top1: list[bool] = field(default_factory=list)
    outside: list[bool] = field(default_factory=list)
    correct: int = 0
    predicted: int = 0
    true: int = 0

    def add(self, label: Label, predicted: list[str]) -> bool:
        """Count one provision; True when it is right on every count."""
        self.bills.add(label.bill)
        gold = set(label.addresses)
        if gold:
            self.top1.append(bool(predicted) and predicted[0] in gold)
        else:
            self.outside.append(not predicted)
        self.correct += len(gold & set(predicted))
        self.predicted += len(predicted)
        self.true += len(gold)
        return set(predicted) == gold and (not gold or predicted[0] in gold)

    def scores(self) -> CrosswalkScores:
        precision = self.correct / self.predicted if self.predicted else 0.0
        recall = self.correct / self.true if self.true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return CrosswalkScores(
            bills=len(self.bills),
            provisions=len(self.top1) + len(self.outside),
            in_framework=len(self.top1),
            outside=len(self.outside),
            top1=sum(self.top1) / len(self.top1) if self.top1 else 0.0,
            outside_accuracy=sum(self.outside) / len(self.outside) if self.outside else 0.0,
            precision=precision,
            recall=recall,
            f1=f1,
            pairs_true=self.true,
            pairs_predicted=self.predicted,
            pairs_correct=self.correct,
        )


def addressed(matches: list[Match]) -> list[str]:
    return [m.key for m in matches if m.status == ADDRESSES]


@dataclass
class CrosswalkRun:
    scores: dict[str, CrosswalkScores]
    failures: list[dict[str, Any]]
    batches: dict[str, CrosswalkScores] = field(default_factory=dict)  # "heldout, stop 21": a split's batches

    def to_json(self) -> dict[str, Any]:
        return {
            "scores": {s: asdict(v) for s, v in self.scores.items()},
            "batches": {s: asdict(v) for s, v in self.batches.items()},
            "failures": self.failures,
        }


def evaluate(matcher: EvidenceMatcher, bills: list[LabelledBill]) -> CrosswalkRun:
    tallies = {split: _Tally() for split in SPLITS}
    batches: dict[tuple[str, str], _Tally] = {}
    failures = []
    for item in bills:
        scorer = matcher.excluding([item.batch]) if isinstance(matcher, EvidenceMatcher) else matcher
        matched = scorer.match_all(item.bill.provisions)  # a dev bill without its own batch's precedents
        for provision, label, matches in zip(item.bill.provisions, item.labels, matched):
            predicted = addressed(matches)
            if label.batch and label.split == "heldout":
                batches.setdefault((label.split, label.batch), _Tally()).add(label, predicted)
            if not tallies[label.split].add(label, predicted):
                failures.append(
                    {
                        "split": label.split,
                        "bill": label.bill,
                        "provision": provision.cite,
                        "heading": provision.heading,
                        "expected": list(label.addresses) or ["(nothing)"],
                        "got": predicted or ["(nothing)"],
                        "best": f"{matches[0].key} ({matches[0].score:.2f})" if matches else "",
                    }
                )
    scores = {split: t.scores() for split, t in tallies.items() if t.bills}
    per_split = Counter(split for split, _ in batches)  # held-out batches; one batch needs no breakdown
    shown = {f"{split}, {batch}": t.scores() for (split, batch), t in sorted(batches.items()) if per_split[split] > 1}
    return CrosswalkRun(scores, failures, shown)


def agreement(bills: list[LabelledBill], path: Path = SECOND_LABELS) -> CrosswalkRun:
    """The second labelling scored against the labels, overall and per batch, on the provisions it covers (its
    order of "addresses" stands for a matcher's strongest-first order)."""
    second: dict[tuple[str, str], list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        second[(row["bill"], row["provision"])] = list(row["addresses"])
    total, batches = _Tally(), {}
    for label in (label for item in bills for label in item.labels):
        predicted = second.pop((label.bill, label.provision), None)
        if predicted is not None:
            total.add(label, predicted)
            batches.setdefault(f"{label.split}, {label.batch}", _Tally()).add(label, predicted)
    if second:
        raise ValueError(f"{path}: {len(second)} lines name no labelled provision, e.g. {next(iter(second))}")
    return CrosswalkRun({"heldout": total.scores()}, [], {name: t.scores() for name, t in sorted(batches.items())})


# ------------------------------------------------------------------------------ calibration

FEATURES = (
    "dense",
    "sentence",
    "bm25",
    "shared",
    "z_dense",
    "z_sentence",
    "z_bm25",
    "e5",
    "z_e5",
    *PRECEDENT_FEATURES,
)
GRID = {
    "addresses": (0.3, 0.4, 0.5, 0.6, 0.7),  # the gate
    "also_addresses": (0.5, 0.6, 0.7, 0.8, 0.9),
    "min_dense": (0.0, 0.35, 0.4, 0.45),
}
MIN_OUTSIDE = 0.9  # precision first: among settings that keep this outside accuracy, the best F1
L2 = 1.0
TOPIC_L2 = 30.0  # the topic model reads 384 numbers from ~330 provisions: it needs a firm hand
RELATED = 0.2  # not scored (see Calibration.related)
ROADMAP_RELATED = 0.55


def _fit(values: np.ndarray, targets: np.ndarray, l2: float | None = None) -> Logistic:
    """L2-regularised logistic regression on standardised features, by Newton's method."""
    mean, scale = values.mean(axis=0), values.std(axis=0) + 1e-9
    x = np.hstack([(values - mean) / scale, np.ones((len(values), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.r_[np.full(x.shape[1] - 1, L2 if l2 is None else l2), 0.0]
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - targets) + penalty * w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(tuple(mean), tuple(scale), tuple(w[:-1]), float(w[-1]))


@dataclass
class Calibrated:
    """What ``calibrate`` found: the Calibration and precedents to ship, and how they did on bills they were
    not fitted on."""

    calibration: Calibration
    precedents: Precedents
    cross_validated: CrosswalkScores  # leave-one-batch-out, thresholds chosen on all the folds' predictions
    nested: CrosswalkScores  # each batch's thresholds chosen on the other batches only: the honest estimate


def calibrate(matcher: EvidenceMatcher, bills: list[LabelledBill], features: tuple[str, ...] = FEATURES) -> Calibrated:
    """Fit the pair model, the topic model and the gate on the dev bills, and keep their in-framework
    provisions as precedents; choose thresholds by leave-one-batch-out.

    A fold leaves out one batch (one writer's documents): a writer phrases a policy the same way in each
    of their bills, so leaving out one bill would let its siblings' precedents vouch for it. A bill's
    precedent features never see its own batch, nor the batch a fold leaves out. The gate is fitted on
    out-of-fold pair and topic probabilities (each batch's from models fitted without it): in-sample
    probabilities are surer than any the shipped models give a new bill, and a gate fitted on them would
    admit too much. ``features``: the pair model's (the ablation leaves out the precedents')."""
    dev = [b for b in bills if b.split == "dev"]
    batches = list(dict.fromkeys(b.batch for b in dev))
    # scored as ``evaluate`` scores them (the precedent columns are replaced below, fold by fold)
    scored = {b.path: matcher.excluding([b.batch]).score_all(b.bill.provisions, features) for b in dev}
    precedents = Precedents(
        np.array([s.e5_vector for b in dev for s, label in zip(scored[b.path], b.labels) if label.addresses]),
        tuple(label.addresses for b in dev for label in b.labels if label.addresses),
        tuple(b.batch for b in dev for label in b.labels if label.addresses),
    )
    named = [name for name in PRECEDENT_FEATURES if name in features]
    columns = [features.index(name) for name in named]
    without: dict[frozenset[str], Precedents] = {}
    rows: dict[tuple[Path, frozenset[str]], list[np.ndarray]] = {}  # the held-out rows serve the final fit too

    def values(b: LabelledBill, fold: str | None = None) -> list[np.ndarray]:
        """The bill's pair features, its precedent columns from precedents outside its batch and the fold's."""
        left_out = frozenset({b.batch, fold or b.batch})
        if (b.path, left_out) in rows:
            return rows[(b.path, left_out)]
        if left_out not in without:
            without[left_out] = precedents.excluding(sorted(left_out))
        out = []
        for s in scored[b.path]:
            row = s.values.copy()
            found = without[left_out].features(s.e5_vector, matcher.keys)
            if named:
                row[:, columns] = np.stack([found[name] for name in named], axis=1)
            out.append(row)
        rows[(b.path, left_out)] = out
        return out

    gate_targets = {b.path: np.array([bool(label.addresses) for label in b.labels], float) for b in dev}
    members = {batch: [b for b in dev if b.batch == batch] for batch in batches}
    others = {batch: [b for b in dev if b.batch != batch] for batch in batches}

    def pairs(group: list[LabelledBill], fold: str | None) -> tuple[np.ndarray, np.ndarray]:
        rows = np.vstack([v for b in group for v in values(b, fold)])
        targets = [np.array([k in label.addresses for k in matcher.keys], float) for b in group for label in b.labels]
        return rows, np.concatenate(targets)

    def topic(group: list[LabelledBill]) -> Logistic:
        vectors = np.vstack([s.e5_vector for b in group for s in scored[b.path]])
        return _fit(vectors, np.concatenate([gate_targets[b.path] for b in group]), TOPIC_L2)

    pair_fits = {batch: _fit(*pairs(others[batch], batch)) for batch in batches}
    topic_fits = {batch: topic(others[batch]) for batch in batches}
    held_values = {b.path: values(b) for b in dev}  # as the bill is scored: without its own batch's precedents
    gate_rows = {  # what the gate reads in ``decide``, from models fitted without the bill's batch
        b.path: np.array(
            [
                gate_row(
                    pair_fits[b.batch].probability(v),
                    matcher.addressable(p),
                    s.dense,
                    s.e5_vector,
                    topic_fits[b.batch],
                )
                for p, s, v in zip(b.bill.provisions, scored[b.path], held_values[b.path])
            ]
        )
        for b in dev
    }

    def gate(group: list[LabelledBill]) -> Logistic:
        return _fit(
            np.vstack([gate_rows[b.path] for b in group]), np.concatenate([gate_targets[b.path] for b in group])
        )

    def assemble(pair: Logistic, gate: Logistic, topic: Logistic, setting: tuple) -> Calibration:
        return Calibration(
            features, pair, gate, topic, related=RELATED, roadmap_related=ROADMAP_RELATED, **dict(zip(GRID, setting))
        )

    folds = {batch: (pair_fits[batch], gate(others[batch]), topic_fits[batch]) for batch in batches}
    settings = list(itertools.product(*GRID.values()))
    predicted = {  # (bill, setting) -> each provision's "addresses" keys
        (b.path, setting): [
            addressed(matcher.decide(provision, replace(s, values=v), assemble(*folds[b.batch], setting)))
            for provision, s, v in zip(b.bill.provisions, scored[b.path], held_values[b.path])
        ]
        for b in dev
        for setting in settings
    }

    def tally(group: list[LabelledBill], setting: tuple) -> CrosswalkScores:
        t = _Tally()
        for b in group:
            for label, keys_ in zip(b.labels, predicted[(b.path, setting)]):
                t.add(label, keys_)
        return t.scores()

    def choose(group: list[LabelledBill]) -> tuple:
        results = {setting: tally(group, setting) for setting in settings}
        eligible = [st for st in settings if results[st].outside_accuracy >= MIN_OUTSIDE] or settings
        return max(eligible, key=lambda st: (results[st].f1, results[st].top1, results[st].outside_accuracy))

    best = choose(dev)
    nested = _Tally()
    for batch in batches:
        setting = choose(others[batch])
        for b in members[batch]:
            for label, keys_ in zip(b.labels, predicted[(b.path, setting)]):
                nested.add(label, keys_)
    chosen = assemble(_rounded(_fit(*pairs(dev, None))), _rounded(gate(dev)), _rounded(topic(dev)), best)
    return Calibrated(chosen, precedents, tally(dev, best), nested.scores())


def _rounded(model: Logistic) -> Logistic:
    def r(values: tuple[float, ...]) -> tuple[float, ...]:
        return tuple(round(float(v), 4) for v in values)

    return Logistic(r(model.mean), r(model.scale), r(model.weights), round(model.bias, 4))


# ------------------------------------------------------------------------------ tables and the command


SCORE_COLUMNS = (
    ("top1", "top-1 accuracy"),
    ("outside_accuracy", "outside accuracy"),
    ("precision", "policy precision"),
    ("recall", "policy recall"),
    ("f1", "policy F1"),
)


def table(run: CrosswalkRun) -> list[str]:
    lines = [
        "| split | bills | provisions (in / outside) | " + " | ".join(c for _, c in SCORE_COLUMNS) + " |",
        "|---" * (len(SCORE_COLUMNS) + 3) + "|",
    ]
    rows = [(split, run.scores.get(split)) for split in ("heldout", "dev")]
    rows += [(f"{name} only", s) for name, s in run.batches.items()]
    for name, s in rows:
        if s:
            values = " | ".join(f"{getattr(s, key):.3f}" for key, _ in SCORE_COLUMNS)
            lines.append(f"| {name} | {s.bills} | {s.provisions} ({s.in_framework} / {s.outside}) | {values} |")
    return lines


def failure_table(run: CrosswalkRun) -> list[str]:
    lines = ["| split | bill | provision | expected | got | strongest match |", "|---|---|---|---|---|---|"]
    for row in run.failures:
        cells = [
            row["split"],
            row["bill"],
            f"{row['provision']} {row['heading'] or ''}".strip(),
            "; ".join(row["expected"]),
            "; ".join(row["got"]),
            row["best"],
        ]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return lines


def main(argv: list[str] | None = None) -> int:
    from advisor.config import Settings, quiet_offline_environment
    from advisor.session import Session

    parser = argparse.ArgumentParser(prog="python -m advisor.crosswalk_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", nargs="?", choices=["evaluate", "calibrate", "agreement"], default="evaluate")
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="dev")
    parser.add_argument("--write", action="store_true", help="calibrate: write the fitted calibration for the matcher")
    parser.add_argument(
        "--without-precedents",
        action="store_true",
        help="the ablation: calibrate (in memory, never written) without the precedent features, and evaluate that",
    )
    args = parser.parse_args(argv)
    if args.without_precedents and args.write:
        parser.error("--without-precedents is an ablation; it is never written")
    quiet_offline_environment()
    if args.action == "agreement":  # labels against labels: no index, no model
        print("\n".join(table(agreement(load_bills()))))
        return 0
    session = Session(Settings.from_env(), backend="extractive")
    matcher = EvidenceMatcher(session.index, session.answerer.retriever)
    bills = load_bills(policies={policy_key(p) for p in matcher.policies})
    features = tuple(f for f in FEATURES if f not in PRECEDENT_FEATURES) if args.without_precedents else FEATURES
    if args.without_precedents and args.action == "evaluate":
        ablated = calibrate(matcher, bills, features).calibration
        matcher = EvidenceMatcher(session.index, session.answerer.retriever, ablated)
    if args.action == "calibrate":
        found = calibrate(matcher, bills, features)
        print("Leave-one-batch-out on the dev bills:", json.dumps(asdict(found.cross_validated), indent=1))
        print("Nested (each batch's thresholds chosen without it):", json.dumps(asdict(found.nested), indent=1))
        if args.write:
            write_atomically(CALIBRATION_FILE, json.dumps(found.calibration.to_json(), indent=1) + "\n")
            write_atomically(PRECEDENTS_FILE, found.precedents.to_bytes())
            print(f"Wrote {CALIBRATION_FILE} and {PRECEDENTS_FILE}.")
        else:
            print(f"Not written (--write writes {CALIBRATION_FILE} and {PRECEDENTS_FILE}).")
        return 0
    if args.split != "all":
        bills = [b for b in bills if b.split == args.split]
    run = evaluate(matcher, bills)
    print("\n".join(table(run)), "", "\n".join(failure_table(run)), sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
