"""The crosswalk's floor on the held-out bills, which were never used to fit or tune the matcher.

A file of its own so that the two test workers share the crosswalk's scoring: the dev floor and the
calibration check are tests/test_crosswalk_floors.py. Floors are the measured figures rounded down to two
decimals (README, "Check a bill").
"""

from __future__ import annotations

import json

import pytest
from helpers import RememberingMatcher, assert_floor

from advisor.crosswalk import policy_key
from advisor.crosswalk_eval import SECOND_LABELS, agreement, evaluate, load_bills

HELDOUT_FLOOR = (0.87, 0.98, 0.84, 0.70, 0.77)  # top-1, outside accuracy, policy precision, recall, F1


@pytest.fixture(scope="module")
def heldout(index, answerer):
    matcher = RememberingMatcher(index, answerer.retriever)
    return [b for b in load_bills(policies={policy_key(p) for p in matcher.policies}) if b.split == "heldout"], matcher


def test_crosswalk_heldout_floor(heldout):
    bills, matcher = heldout
    assert_floor(evaluate(matcher, bills).scores["heldout"], HELDOUT_FLOOR)


def test_the_second_labelling_covers_held_out_provisions_with_the_frameworks_keys(heldout):
    """`python -m advisor.crosswalk_eval agreement` (README, "Check a bill"): every line names a labelled
    held-out provision and only the framework's policies."""
    bills, matcher = heldout
    rows = [json.loads(line) for line in SECOND_LABELS.read_text(encoding="utf-8").splitlines()]
    assert {k for row in rows for k in row["addresses"] + row["related"]} <= set(matcher.keys)
    scores = agreement(bills).scores["heldout"]
    assert scores.provisions == len(rows) >= 300 and scores.bills >= 24
