"""Hybrid retrieval: passage and sentence embeddings (Chroma) and BM25, fused by weighted score.

    score = (1 - w_bm25) * ((1 - w_sent) * passage cosine + w_sent * best sentence cosine)
            + w_bm25 * BM25 / best BM25 of the question

Chosen by measurement on the dev split of evals/ (README, "Retrieval"): it beat reciprocal
rank fusion of the same lists, and either retriever alone; the best-sentence term helps because
a policy paragraph is often answered by one of its sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from advisor.config import Settings
from advisor.embeddings import shared_encoder
from advisor.errors import UserError
from advisor.index import Index
from advisor.passages import Passage
from advisor.text import name_key
from advisor.vectors import Clauses, Masks

CANDIDATES = 30  # each retriever's list length before fusion
BM25_TOKENS = r"(?u)\b\w\w+\b"  # llama-index BM25Retriever's default token pattern, used when indexing


@dataclass(frozen=True)
class Filters:
    """Optional restrictions; each list allows any of its values."""

    conditions: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # document ids
    parts: tuple[str, ...] = ()

    def clauses(self) -> Clauses:
        """(metadata key, allowed values) for each restriction in use; passages, their sentences
        and the BM25 corpus carry the same keys, so every search filters the same way."""
        pairs = (("condition", self.conditions), ("doc", self.sources), ("part", self.parts))
        return tuple((key, values) for key, values in pairs if values)


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


class HybridRetriever:
    """Dense + BM25 over one opened index; build once, call ``retrieve`` per question."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index = index
        self.settings = settings

    @cached_property
    def _stemmer(self) -> Any:
        import Stemmer

        return Stemmer.Stemmer("english")

    @cached_property
    def _bm25_masks(self) -> Masks:
        return Masks(self.index.bm25.corpus)

    def dense(self, question: str, filters: Filters, n: int = CANDIDATES) -> list[tuple[str, float]]:
        """(passage id, cosine similarity), best first."""
        table = self.index.passage_table
        found = table.nearest(shared_encoder().encode_query(question), n, filters.clauses())
        return [(table.ids[row], score) for row, score in found]

    def sparse(self, question: str, filters: Filters, n: int = CANDIDATES) -> list[tuple[str, float]]:
        """(passage id, BM25 score), best first; passages sharing no term with the question are left out.

        Queries the index llama-index's BM25Retriever saved exactly as that retriever does: the question
        tokenized with its stemmer and token pattern, no stopwords, filters as a weight mask."""
        import bm25s

        bm25 = self.index.bm25
        mask = self._bm25_masks(filters.clauses())
        if mask is not None and not mask.any():  # every passage filtered out
            return []
        tokens = bm25s.tokenize(question, stemmer=self._stemmer, token_pattern=BM25_TOKENS, show_progress=False)
        k, weights = min(n, len(self.index.passages)), None if mask is None else mask.astype(int)
        docs, scores = bm25.retrieve(tokens, k=k, show_progress=False, weight_mask=weights)
        return [(doc["node_id"], float(score)) for doc, score in zip(docs[0], scores[0]) if score > 0]

    def sentences(self, question: str, filters: Filters, n: int = 4 * CANDIDATES) -> dict[str, float]:
        """passage id → best cosine similarity of one of its sentences, over the n nearest sentences."""
        table = self.index.sentence_table
        best: dict[str, float] = {}
        for row, score in table.nearest(shared_encoder().encode_query(question), n, filters.clauses()):
            pid = table.metadatas[row]["passage_id"]
            best[pid] = max(best.get(pid, -1.0), score)
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
