"""Precedents: the best cosine with a labelled provision per policy, a batch left out, a round trip to disk."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advisor.crosswalk import PRECEDENTS
from advisor.crosswalk_eval import LABELS
from advisor.e5_embeddings import DIMENSIONS
from advisor.precedents import Precedents


def _unit(*values: float) -> np.ndarray:
    vector = np.zeros(DIMENSIONS, dtype=np.float32)
    vector[: len(values)] = values
    return vector / np.linalg.norm(vector)


@pytest.fixture
def precedents() -> Precedents:
    return Precedents(
        np.vstack([_unit(1, 0), _unit(0, 1), _unit(1, 1)]),
        (("A › Credit",), ("B › Funding",), ("A › Credit", "B › Funding")),
        ("stop 16", "stop 16", "stop 21 D"),
    )


def test_each_policy_gets_its_closest_precedent_and_none_gets_zero(precedents):
    found = precedents.features(_unit(1, 0), ["A › Credit", "B › Funding", "C › Other"])
    assert found["precedent"] == pytest.approx([1.0, np.sqrt(0.5), 0.0], abs=1e-6)
    assert found["z_precedent"][0] > 0 > found["z_precedent"][2]  # how far each stands above the average


def test_a_batch_left_out_lends_nothing(precedents):
    alone = precedents.excluding(["stop 16"])
    assert alone.batches == ("stop 21 D",) and len(alone.vectors) == 1
    assert alone.features(_unit(1, 0), ["A › Credit"])["precedent"] == pytest.approx([np.sqrt(0.5)], abs=1e-6)
    nothing = Precedents.empty().features(_unit(1, 0), ["A › Credit"])
    assert nothing["precedent"].tolist() == [0.0]


def test_what_calibrate_writes_loads_unchanged(precedents, tmp_path):
    path = tmp_path / "precedents.npz"
    path.write_bytes(precedents.to_bytes())
    loaded = Precedents.load(path)
    assert loaded.addresses == precedents.addresses and loaded.batches == precedents.batches
    assert np.array_equal(loaded.vectors, precedents.vectors)


def test_the_shipped_precedents_are_the_dev_provisions_that_address_a_policy():
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [label for label in labels if label["split"] == "dev" and label["addresses"]]
    assert PRECEDENTS.addresses == tuple(tuple(label["addresses"]) for label in dev)  # in file order
    assert PRECEDENTS.batches == tuple(label["batch"] for label in dev)
    held_out = {label["batch"] for label in labels if label["split"] == "heldout"}
    assert not held_out & set(PRECEDENTS.batches)
    assert np.allclose(np.linalg.norm(PRECEDENTS.vectors, axis=1), 1.0, atol=1e-3)
