"""Retrieval pipelines compared by the evaluation, all over the same corpus and embedding model.

- ``hybrid``: the advisor's own retrieval (passages, sentences and BM25 fused);
- ``dense``: the advisor's passages, passage vectors only;
- ``bm25``: the advisor's passages, BM25 only;
- ``llama-index default``: what a user would build from llama-index's defaults:
  ``VectorStoreIndex.from_documents`` over the corpus files with its default ``SentenceSplitter``
  chunking, dense retrieval only, the same MiniLM embedding model.

A retrieved text counts as gold when it contains one of the question's gold quotes, the same
rule for every pipeline (whitespace compared loosely, since chunkers re-space text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from advisor.config import Settings
from advisor.corpus import load_documents
from advisor.retrieve import Filters, HybridRetriever


@dataclass(frozen=True)
class Retrieved:
    id: str
    text: str
    label: str  # where it comes from, for the failure table


class Pipeline(Protocol):
    name: str

    def retrieve(self, question: str, k: int) -> list[Retrieved]: ...


def _label(p) -> str:  # noqa: ANN001 - a Passage
    return " › ".join(x for x in (p.condition, p.part, p.heading) if x) or p.source


class HybridPipeline:
    name = "hybrid (advisor)"

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        return [
            Retrieved(h.passage.id, h.passage.text, _label(h.passage)) for h in self.retriever.retrieve(question, k)
        ]


class DensePipeline(HybridPipeline):
    name = "dense only (advisor passages)"

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        return self._passages(self.retriever.dense(question, Filters(), n=k))

    def _passages(self, ranked: list[tuple[str, float]]) -> list[Retrieved]:
        passages = self.retriever.index.passages
        return [Retrieved(pid, passages[pid].text, _label(passages[pid])) for pid, _ in ranked]


class BM25Pipeline(DensePipeline):
    name = "BM25 only (advisor passages)"

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        return self._passages(self.retriever.sparse(question, Filters(), n=k))


class LlamaIndexDefaultPipeline:
    """The reference a user would otherwise build: default chunking, dense only, in memory."""

    name = "llama-index default"

    def __init__(self, settings: Settings) -> None:
        from llama_index.core import Document, VectorStoreIndex

        from advisor.llama_embedding import MiniLMEmbedding

        documents = [
            Document(text=doc.path.read_text(encoding="utf-8"), metadata={"title": doc.title})
            for doc in load_documents(settings.corpus_dir)
            if doc.path.suffix.lower() in (".txt", ".md")
        ]
        self.index = VectorStoreIndex.from_documents(documents, embed_model=MiniLMEmbedding())

    def retrieve(self, question: str, k: int) -> list[Retrieved]:
        nodes = self.index.as_retriever(similarity_top_k=k).retrieve(question)
        return [Retrieved(n.node.node_id, n.node.get_content(), n.node.metadata.get("title", "")) for n in nodes]


def is_gold(text: str, quotes: tuple[str, ...]) -> bool:
    flat = " ".join(text.split())
    return any(" ".join(q.split()) in flat for q in quotes)
