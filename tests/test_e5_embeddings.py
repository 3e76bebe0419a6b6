"""The crosswalk's second encoder: e5's query/passage sides, and the policy-vector cache."""

from __future__ import annotations

import numpy as np
import pytest

from advisor import e5_embeddings
from advisor.e5_embeddings import encode_passages, encode_queries

POLICIES = [
    "Proficiency-based Credit. Credit is based on demonstrated proficiency, not seat time.",
    "Technology Access. The state ensures every student has a device and home internet.",
]


def test_a_provision_is_closest_to_the_policy_it_enacts():
    provisions = encode_queries(
        ["A district shall award credit when a student demonstrates mastery.", "The state shall fund home broadband."]
    )
    policies = encode_passages(POLICIES)
    assert provisions.shape == (2, 384) and np.allclose(np.linalg.norm(provisions, axis=1), 1, atol=1e-3)
    similarity = provisions @ policies.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]


def test_policy_vectors_are_encoded_once_then_read_from_the_cache(tmp_path, monkeypatch):
    first = encode_passages(POLICIES, tmp_path)
    assert len(list(tmp_path.glob("e5-passages-*.npy"))) == 1

    def no_model():
        raise AssertionError("the cached vectors should have been read")

    monkeypatch.setattr(e5_embeddings, "_model", no_model)
    assert np.array_equal(encode_passages(POLICIES, tmp_path), first)
    with pytest.raises(AssertionError):  # other texts are another cache entry, not a stale hit
        encode_passages([*POLICIES[:1], "Compensation. Teachers are paid competitively."], tmp_path)


def test_a_cache_that_cannot_be_written_or_read_is_skipped(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert encode_passages(POLICIES, blocked / "cache").shape == (2, 384)  # mkdir fails: encoded, not cached
    cache = tmp_path / "cache"
    encode_passages(POLICIES, cache)
    next(cache.glob("e5-passages-*.npy")).write_bytes(b"garbage")
    assert encode_passages(POLICIES, cache).shape == (2, 384)  # a damaged entry is encoded again
