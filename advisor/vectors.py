"""Nearest neighbours in one Chroma collection: exact and in memory when it is small, through
Chroma's HNSW index when it is large.

A small collection (up to ``IN_MEMORY_MAX_ROWS``: the shipped corpus has 142 passages and 477
sentences) is read once when the index opens, so a search is a matrix-vector product (~0.1 ms)
rather than a Chroma query (1-4 ms). Chroma's HNSW search with ``search_ef`` 256 was already exact
at that size, so the results are the same. A large one (a corpus 100× the shipped one has 47,700
sentences) stays in Chroma: reading it took ~5 s and an exact product over it ~8 ms a question,
where an HNSW query asking for ids and distances only takes ~1.5 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from advisor.embeddings import DIMENSIONS

IN_MEMORY_MAX_ROWS = 10_000
READ_PAGE = 5000  # rows per read: one read of ~47,000 rows exceeds SQLite's limit on variables per statement
Clauses = tuple[tuple[str, tuple[str, ...]], ...]  # (metadata key, allowed values), all must hold


def matches(metadata: Mapping[str, Any], clauses: Clauses) -> bool:
    """A row passes when each clause's key has one of its values (a missing key fails)."""
    return all(metadata.get(key) in values for key, values in clauses)


def where(clauses: Clauses) -> dict | None:
    """The same filter as a Chroma where clause."""
    parts = [{key: {"$in": list(values)}} for key, values in clauses]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"$and": parts}


def read_all(collection: Any, include: list[str]) -> dict[str, list]:
    """Every row of a collection, a page at a time."""
    out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
    for offset in range(0, collection.count(), READ_PAGE):
        got = collection.get(include=include, limit=READ_PAGE, offset=offset)
        for key in out:
            out[key] += list(got[key])
    return out


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


class VectorSearch:
    """Search one collection of unit vectors by cosine similarity, and look rows' vectors up.

    ``metadata_of(row id)`` gives the metadata the filters test (in memory; Chroma filters its own)."""

    def __init__(
        self,
        collection: Any,
        metadata_of: Callable[[str], Mapping[str, Any]],
        max_rows: int | None = None,
    ) -> None:
        self.collection = collection
        self.count = collection.count()
        self.in_memory = self.count <= (IN_MEMORY_MAX_ROWS if max_rows is None else max_rows)
        self._vectors: dict[str, np.ndarray] = {}  # rows looked up so far
        if self.in_memory:
            got = read_all(collection, ["embeddings"])
            self.ids: list[str] = got["ids"]
            self.matrix = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(self.ids), DIMENSIONS)
            self._vectors = dict(zip(self.ids, self.matrix))
            self.mask = Masks([metadata_of(row_id) for row_id in self.ids])

    def nearest(self, query: np.ndarray, n: int, clauses: Clauses = ()) -> list[tuple[str, float]]:
        """(row id, cosine similarity) of the n rows most similar to the unit vector ``query``, best first."""
        if not self.in_memory:
            got = self.collection.query(
                query_embeddings=[query], n_results=min(n, self.count), where=where(clauses), include=["distances"]
            )
            return [(row_id, 1.0 - distance) for row_id, distance in zip(got["ids"][0], got["distances"][0])]
        scores = self.matrix @ np.asarray(query, dtype=np.float32)
        rows = np.arange(len(self.ids))
        mask = self.mask(clauses)
        if mask is not None:
            rows, scores = rows[mask], scores[mask]
        if n < len(rows):
            top = np.argpartition(-scores, n - 1)[:n]
            rows, scores = rows[top], scores[top]
        order = np.argsort(-scores, kind="stable")
        return [(self.ids[rows[i]], float(scores[i])) for i in order]

    def vectors(self, row_ids: list[str]) -> dict[str, np.ndarray]:
        """row id → its vector, for the ids the collection has; looked up once, then remembered."""
        missing = [row_id for row_id in row_ids if row_id not in self._vectors]
        if missing and not self.in_memory:
            got = self.collection.get(ids=missing, include=["embeddings"])
            self._vectors.update(zip(got["ids"], np.asarray(got["embeddings"], dtype=np.float32)))
        return {row_id: self._vectors[row_id] for row_id in row_ids if row_id in self._vectors}
