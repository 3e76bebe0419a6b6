"""Precedents: provisions already labelled with the framework policies they address, as a memory the
crosswalk consults.

A provision that says what an earlier, labelled provision said addresses what that one addressed, even
when neither uses the framework's words: "a pupil counts as present when the pupil shows progress" is
about the funding count, although it never says "seat time". For each policy, the precedent feature
is the highest cosine (multilingual-e5-small, ``advisor/e5_embeddings.py``) between the provision and a
labelled provision that addresses that policy; 0 where no precedent addresses it.

The precedents are the dev bills' provisions that address a policy (``evals/bills``, never the held-out
ones), written by ``python -m advisor.crosswalk_eval calibrate --write`` to PRECEDENTS_FILE with the
batch each came from, so that a dev bill is scored without its own batch's precedents (its writer's
other documents say things the same way), as a new bill would be.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advisor.e5_embeddings import DIMENSIONS

PRECEDENTS_FILE = Path(__file__).with_name("crosswalk_precedents.npz")
FEATURES = ("precedent", "z_precedent")


@dataclass(frozen=True)
class Precedents:
    """Labelled provisions' e5 vectors, the policies each addresses, and the batch it was written in."""

    vectors: np.ndarray  # (precedents, DIMENSIONS), unit rows
    addresses: tuple[tuple[str, ...], ...]  # policy keys ("Condition › Heading"), one tuple per row
    batches: tuple[str, ...]

    @classmethod
    def empty(cls) -> Precedents:
        return cls(np.zeros((0, DIMENSIONS), dtype=np.float32), (), ())

    def excluding(self, batches: Sequence[str]) -> Precedents:
        """Without the precedents of these batches (a dev bill's own writer's, when the bill is scored)."""
        keep = [i for i, batch in enumerate(self.batches) if batch not in set(batches)]
        return Precedents(
            self.vectors[keep], tuple(self.addresses[i] for i in keep), tuple(self.batches[i] for i in keep)
        )

    def features(self, vector: np.ndarray, policies: Sequence[str]) -> dict[str, np.ndarray]:
        """FEATURES of one provision (its e5 vector) against each policy key in ``policies``: the best cosine
        with a precedent addressing the policy, and how far that stands above the provision's average."""
        best = np.zeros(len(policies))
        if len(self.addresses):
            similarity = self.vectors @ vector
            column = {key: j for j, key in enumerate(policies)}
            for row, keys in enumerate(self.addresses):
                for key in keys:
                    j = column.get(key)
                    if j is not None and similarity[row] > best[j]:
                        best[j] = similarity[row]
        return {"precedent": best, "z_precedent": (best - best.mean()) / (best.std() + 1e-9)}

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            vectors=self.vectors.astype(np.float32),
            addresses=np.array([json.dumps(list(keys), ensure_ascii=False) for keys in self.addresses]),
            batches=np.array(self.batches),
        )
        return buffer.getvalue()

    @classmethod
    def load(cls, path: Path = PRECEDENTS_FILE) -> Precedents:
        with np.load(path) as data:
            return cls(
                data["vectors"].astype(np.float32),
                tuple(tuple(json.loads(a)) for a in data["addresses"]),
                tuple(str(b) for b in data["batches"]),
            )
