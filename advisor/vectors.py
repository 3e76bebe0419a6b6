"""Exact nearest-neighbour search over one Chroma collection's vectors, held in memory.

The vectors live in Chroma on disk; an opened index reads each collection once into a matrix,
so a question costs a matrix-vector product instead of a store round trip per search (each
Chroma query cost 2-4 ms of a ~10 ms question, README "Performance"). Chroma's HNSW search with
``search_ef`` 256 was already exact at the shipped corpus's size, so the results are the same,
and a larger corpus gets exact search rather than an approximation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from advisor.embeddings import DIMENSIONS

Clauses = tuple[tuple[str, tuple[str, ...]], ...]  # (metadata key, allowed values), all must hold


def matches(metadata: Mapping[str, Any], clauses: Clauses) -> bool:
    """A row passes when each clause's key has one of its values (a missing key fails)."""
    return all(metadata.get(key) in values for key, values in clauses)


class Masks:
    """Which rows of a fixed list of metadata pass each filter, remembered: a session reuses its filters."""

    def __init__(self, metadatas: list[Mapping[str, Any]]) -> None:
        self.metadatas = metadatas
        self._known: dict[Clauses, np.ndarray] = {}

    def __call__(self, clauses: Clauses) -> np.ndarray | None:
        """A boolean row mask, or None when there is no filter."""
        if not clauses:
            return None
        if clauses not in self._known:
            rows = (matches(m, clauses) for m in self.metadatas)
            self._known[clauses] = np.fromiter(rows, bool, len(self.metadatas))
        return self._known[clauses]


class VectorTable:
    """A collection's ids, documents, metadata and unit vectors, in the collection's order."""

    def __init__(self, ids: list[str], documents: list[str], metadatas: list[dict], vectors: Any) -> None:
        self.ids = ids
        self.documents = documents
        self.metadatas = metadatas
        self.matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), DIMENSIONS)
        self.mask = Masks(metadatas)

    @classmethod
    def read(cls, collection: Any) -> VectorTable:
        got = collection.get(include=["documents", "metadatas", "embeddings"])
        return cls(list(got["ids"]), list(got["documents"]), list(got["metadatas"]), got["embeddings"])

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(self, query: np.ndarray, n: int, clauses: Clauses = ()) -> list[tuple[int, float]]:
        """(row, cosine similarity) of the n rows most similar to the unit vector ``query``, best first."""
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        rows = np.arange(len(self))
        mask = self.mask(clauses)
        if mask is not None:
            rows, scores = rows[mask], scores[mask]
        if n < len(rows):
            top = np.argpartition(-scores, n - 1)[:n]
            rows, scores = rows[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [(int(rows[i]), float(scores[i])) for i in order]
