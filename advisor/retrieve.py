"""Hybrid retrieval: passage and sentence embeddings (Chroma) and BM25, fused by weighted score.

    score = (1 - w_bm25) * ((1 - w_sent) * passage cosine + w_sent * best sentence cosine)
            + w_bm25 * BM25 / best BM25 of the question

Chosen by measurement on the dev split of evals/ (README, "Retrieval"): it beat reciprocal
rank fusion of the same lists, and either retriever alone; the best-sentence term helps because
a policy paragraph is often answered by one of its sentences.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from advisor.config import Settings
from advisor.errors import UserError
from advisor.index import Index
from advisor.passages import Passage
from advisor.text import name_key

CANDIDATES = 30  # each retriever's list length before fusion


@dataclass(frozen=True)
class Filters:
    """Optional restrictions; each list allows any of its values."""

    conditions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # document ids
    parts: tuple[str, ...] = ()

    def clauses(self) -> list[tuple[str, tuple[str, ...]]]:
        """(metadata key, allowed values) for each restriction in use; passages and their
        sentences carry the same keys, so every store filters the same way."""
        pairs = (("condition", self.conditions), ("doc", self.sources), ("part", self.parts))
        return [(key, values) for key, values in pairs if values]


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused score
    dense: float  # cosine similarity of question and passage (0 when not among the candidates)
    sentence: float  # best cosine similarity of question and one of the passage's sentences
    bm25: float  # BM25 score (0 when BM25 did not find it)
    rank: int


def resolve_filters(index: Index, conditions=(), sources=(), parts=()) -> Filters:
    """Map what a user typed to the index's exact values; unknown names are a UserError."""

    def match(kind: str, typed: str, known: dict[str, str]) -> str:
        key = name_key(typed)
        exact = [v for k, v in known.items() if k == key]
        prefix = [v for k, v in known.items() if k.startswith(key) or key in k] if key else []
        found = exact or (prefix if len(prefix) == 1 else [])
        if not found:
            options = ", ".join(sorted(set(known.values())))
            raise UserError(f"Unknown {kind} {typed!r}. Choose from: {options}.")
        return found[0]

    condition_names = {name_key(c): c for c in index.conditions}
    source_names = {name_key(doc_id): doc_id for doc_id in index.sources} | {
        name_key(title): doc_id for doc_id, title in index.sources.items()
    }
    part_names = {name_key(p.part): p.part for p in index.passages.values() if p.part}
    return Filters(
        conditions=tuple(dict.fromkeys(match("condition", c, condition_names) for c in conditions)),
        sources=tuple(dict.fromkeys(match("source", s, source_names) for s in sources)),
        parts=tuple(dict.fromkeys(match("part", p, part_names) for p in parts)),
    )


def _metadata_filters(filters: Filters) -> Any:
    from llama_index.core.vector_stores.types import (
        FilterCondition,
        FilterOperator,
        MetadataFilter,
        MetadataFilters,
    )

    clauses = [
        MetadataFilter(key=key, value=list(values), operator=FilterOperator.IN) for key, values in filters.clauses()
    ]
    return MetadataFilters(filters=clauses, condition=FilterCondition.AND) if clauses else None


class HybridRetriever:
    """Dense + BM25 over one opened index; build once, call ``retrieve`` per question."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings

    def dense(self, question: str, filters: Filters, n: int = CANDIDATES) -> list[tuple[str, float]]:
        """(passage id, cosine similarity), best first."""
        retriever = self.index.vector_index.as_retriever(similarity_top_k=n, filters=_metadata_filters(filters))
        # llama-index's Chroma store reports exp(-cosine distance); turn it back into a cosine.
        return [(r.node.node_id, 1.0 + math.log(max(r.score or 1e-9, 1e-9))) for r in retriever.retrieve(question)]

    def sparse(self, question: str, filters: Filters, n: int = CANDIDATES) -> list[tuple[str, float]]:
        """(passage id, BM25 score), best first; passages sharing no term with the question are left out."""
        from llama_index.retrievers.bm25 import BM25Retriever

        n = min(n, len(self.index.passages))
        try:
            retriever = BM25Retriever(
                existing_bm25=self.index.bm25, similarity_top_k=n, filters=_metadata_filters(filters)
            )
        except ValueError:  # every passage filtered out
            return []
        return [(r.node.node_id, float(r.score)) for r in retriever.retrieve(question) if r.score and r.score > 0]

    def sentences(self, question: str, filters: Filters, n: int = 4 * CANDIDATES) -> dict[str, float]:
        """passage id → best cosine similarity of one of its sentences, over the n nearest sentences."""
        from advisor.embeddings import shared_encoder

        where = _where(filters)
        got = self.index.sentences.query(
            query_embeddings=[shared_encoder().encode_query(question)],
            n_results=min(n, self.index.sentences.count()),
            where=where,
            include=["metadatas", "distances"],
        )
        best: dict[str, float] = {}
        for meta, distance in zip(got["metadatas"][0], got["distances"][0]):
            pid = meta["passage_id"]
            best[pid] = max(best.get(pid, -1.0), 1.0 - distance)
        return best

    def retrieve(self, question: str, k: int | None = None, filters: Filters = Filters()) -> list[Hit]:
        k = self.settings.top_k if k is None else k
        if not 1 <= k <= 50:
            raise UserError(f"k must be between 1 and 50, not {k}.")
        dense = dict(self.dense(question, filters))
        sentence = self.sentences(question, filters)
        sparse = dict(self.sparse(question, filters))
        top_bm25 = max(sparse.values(), default=0.0) or 1.0
        w_bm25, w_sent = self.settings.bm25_weight, self.settings.sentence_weight
        fused = {
            pid: (1 - w_bm25) * ((1 - w_sent) * dense.get(pid, 0.0) + w_sent * sentence.get(pid, 0.0))
            + w_bm25 * sparse.get(pid, 0.0) / top_bm25
            for pid in dense.keys() | sentence.keys() | sparse.keys()
        }
        ranked = sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [
            Hit(
                self.index.passages[pid], score, dense.get(pid, 0.0), sentence.get(pid, 0.0), sparse.get(pid, 0.0), rank
            )
            for rank, (pid, score) in enumerate(ranked, start=1)
        ]


def _where(filters: Filters) -> dict | None:
    """The same filters as a Chroma where clause, for the sentence collection."""
    clauses = [{key: {"$in": list(values)}} for key, values in filters.clauses()]
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
