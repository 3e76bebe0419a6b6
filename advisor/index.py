"""Passages → the persistent index under index/: a Chroma store (dense) plus a BM25 index.

Indexing is incremental and idempotent: passage ids are content hashes, so a sync adds only
passages that are new, deletes those that are gone and leaves the rest alone. ``open_index``
notices a changed corpus (file hashes, manifest, parser or model version) and syncs first, so
the index builds itself on first use and follows edits to corpus/.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor import corpus, passages, text
from advisor.config import Settings
from advisor.corpus import MANIFEST_NAME, load_documents
from advisor.embeddings import MODEL_NAME, shared_encoder
from advisor.errors import DocumentError, UserError
from advisor.passages import Passage, parse_document
from advisor.vectors import VectorSearch, read_all

PARSER_MODULES = (corpus, passages, text)

PASSAGES = "passages"
SENTENCES = "passage_sentences"
STATE_FILE = "state.json"
log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    documents: int
    passages: int
    added: int
    removed: int
    unchanged: int
    seconds: float
    problems: list[str]

    def summary(self) -> str:
        text = (
            f"Indexed {self.documents} documents, {self.passages} passages "
            f"({self.added} added, {self.removed} removed, {self.unchanged} unchanged) "
            f"in {self.seconds:.1f} s."
        )
        return "\n".join([text, *(f"Skipped {p}" for p in self.problems)])


def corpus_fingerprint(settings: Settings) -> str:
    """Changes whenever anything that shapes the index changes."""
    digest = hashlib.sha256(MODEL_NAME.encode())
    for module in PARSER_MODULES:  # a change to the parsing code may change the passages
        digest.update(Path(module.__file__).read_bytes())
    manifest = settings.corpus_dir / MANIFEST_NAME
    for path in sorted(settings.corpus_dir.iterdir()) if settings.corpus_dir.is_dir() else []:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    if not manifest.exists():
        digest.update(b"no manifest")
    return digest.hexdigest()


def corpus_passages(settings: Settings) -> tuple[list[Passage], list[str]]:
    """Every passage of every readable document; unreadable ones are reported, not fatal."""
    passages: list[Passage] = []
    problems: list[str] = []
    for doc in load_documents(settings.corpus_dir):
        try:
            passages.extend(parse_document(doc))
        except DocumentError as exc:
            problems.append(str(exc))
    seen: set[str] = set()
    unique = []
    for p in passages:  # identical passages (repeated boilerplate) are indexed once
        if p.id not in seen:
            seen.add(p.id)
            unique.append(p)
    return unique, problems


def _chroma_client(index_dir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(index_dir / "chroma"),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def _collection(client: Any, name: str) -> Any:
    # A search breadth above the default makes HNSW search effectively exact at this corpus size, so
    # results do not drift with the order in which passages were added and deleted.
    metadata = {"hnsw:space": "cosine", "hnsw:search_ef": 256, "hnsw:construction_ef": 256}
    return client.get_or_create_collection(name, metadata=metadata, embedding_function=None)


def _node(passage: Passage) -> Any:
    from llama_index.core.schema import TextNode

    return TextNode(
        id_=passage.id,
        text=passage.text,
        metadata=passage.metadata(),
        # The heading and condition say what a passage is about; they help both retrievers.
        excluded_embed_metadata_keys=["doc", "source", "order", "part"],
        excluded_llm_metadata_keys=["doc", "order"],
    )


def sync_index(settings: Settings, rebuild: bool = False) -> SyncReport:
    """Bring index/ in line with corpus/, embedding only passages it does not have yet."""
    from llama_index.core import VectorStoreIndex
    from llama_index.retrievers.bm25 import BM25Retriever
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from advisor.llama_embedding import MiniLMEmbedding

    started = time.perf_counter()
    fingerprint = corpus_fingerprint(settings)
    passages, problems = corpus_passages(settings)
    if not passages:
        raise UserError(f"No passages could be read from {settings.corpus_dir}; nothing to index.")
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    client = _chroma_client(settings.index_dir)
    if rebuild:  # through the client, not rmtree: Chroma keeps open stores cached per process
        for name in (PASSAGES, SENTENCES):
            if name in [c.name for c in client.list_collections()]:
                client.delete_collection(name)
        shutil.rmtree(settings.index_dir / "bm25", ignore_errors=True)
    collection = _collection(client, PASSAGES)
    sentences = _collection(client, SENTENCES)

    wanted = {p.id: p for p in passages}
    present = set(collection.get(include=[])["ids"])
    stale = sorted(present - wanted.keys())
    new = [p for p in passages if p.id not in present]
    if stale:
        collection.delete(ids=stale)
        sentences.delete(where={"passage_id": {"$in": stale}})
    if new:
        store = ChromaVectorStore(chroma_collection=collection)
        index = VectorStoreIndex.from_vector_store(store, embed_model=MiniLMEmbedding())
        index.insert_nodes([_node(p) for p in new])
        _add_sentences(sentences, new)

    bm25_dir = settings.index_dir / "bm25"
    if new or stale or not bm25_dir.exists():
        retriever = BM25Retriever.from_defaults(nodes=[_node(p) for p in passages], similarity_top_k=10)
        if bm25_dir.exists():
            shutil.rmtree(bm25_dir)
        retriever.persist(str(bm25_dir), show_progress=False)
    state = {"fingerprint": fingerprint, "passages": len(passages), "built_at": time.time(), "model": MODEL_NAME}
    (settings.index_dir / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
    return SyncReport(
        documents=len({p.doc_id for p in passages}),
        passages=len(passages),
        added=len(new),
        removed=len(stale),
        unchanged=len(passages) - len(new),
        seconds=time.perf_counter() - started,
        problems=problems,
    )


def sentence_id(passage_id: str, position: int) -> str:
    return f"{passage_id}-{position}"


def passage_of(sentence_id: str) -> str:
    return sentence_id.rsplit("-", 1)[0]


def _add_sentences(collection: Any, passages: list[Passage]) -> None:
    """Sentence vectors are computed once here, so answering a question embeds only the question."""
    ids, docs, metas = [], [], []
    for p in passages:
        for i, sentence in enumerate(p.sentences):
            ids.append(sentence_id(p.id, i))
            docs.append(sentence)
            # The passage's filterable metadata too, so sentence search honours the same filters.
            metas.append(
                {"passage_id": p.id, "position": i}
                | {k: v for k, v in p.metadata().items() if k in ("doc", "condition", "part")}
            )
    vectors = shared_encoder().encode(docs)
    for start in range(0, len(ids), 1000):
        end = start + 1000
        collection.add(
            ids=ids[start:end], documents=docs[start:end], metadatas=metas[start:end], embeddings=vectors[start:end]
        )


class Index:
    """An opened index: the Chroma collections, the BM25 index and every passage by id.

    Vectors are searched through ``advisor/vectors.py`` (in memory for a corpus of this project's
    size); nothing here imports llama-index, which is only needed to build."""

    def __init__(self, settings: Settings) -> None:
        import bm25s

        self.settings = settings
        client = _chroma_client(settings.index_dir)
        self.collection = _collection(client, PASSAGES)
        self.sentences = _collection(client, SENTENCES)
        # Saved by llama-index's BM25Retriever (sync_index); retrieve.py queries it the same way.
        self.bm25 = bm25s.BM25.load(str(settings.index_dir / "bm25"), load_corpus=True)
        got = read_all(self.collection, ["documents", "metadatas"])
        self.passages: dict[str, Passage] = {
            pid: _passage_from(text, meta) for pid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])
        }
        # A sentence's filterable metadata is its passage's (sync_index stores the same keys on both).
        self.passage_search = VectorSearch(self.collection, self._meta)
        self.sentence_search = VectorSearch(self.sentences, lambda sid: self._meta(passage_of(sid)))

    def _meta(self, pid: str) -> dict:
        return self.passages[pid].metadata()

    def sentence_vectors(self, passage_ids: list[str]) -> dict[str, tuple[list[str], Any]]:
        """passage id → (its sentences, their vectors), in passage order."""
        import numpy as np

        wanted = {pid: self.passages[pid].sentences for pid in passage_ids if pid in self.passages}
        ids = {pid: [sentence_id(pid, i) for i in range(len(sentences))] for pid, sentences in wanted.items()}
        found = self.sentence_search.vectors([sid for row_ids in ids.values() for sid in row_ids])
        return {
            pid: (wanted[pid], np.array([found[sid] for sid in row_ids]))
            for pid, row_ids in ids.items()
            if row_ids and all(sid in found for sid in row_ids)
        }

    @property
    def conditions(self) -> list[str]:
        ordered = sorted(self.passages.values(), key=lambda p: (p.doc_id, p.order))
        return list(dict.fromkeys(p.condition for p in ordered if p.condition))

    @property
    def sources(self) -> dict[str, str]:
        """doc id → title."""
        return {p.doc_id: p.source for p in self.passages.values()}


def _passage_from(text: str, meta: dict) -> Passage:
    return Passage(
        doc_id=meta["doc"],
        source=meta["source"],
        text=text,
        condition=meta.get("condition"),
        part=meta.get("part"),
        heading=meta.get("heading"),
        order=int(meta.get("order", 0)),
    )


def index_is_current(settings: Settings) -> bool:
    state_path = settings.index_dir / STATE_FILE
    needed = [state_path, settings.index_dir / "bm25"]
    if not all(path.exists() for path in needed):
        return False
    try:
        state = json.loads(state_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return state.get("fingerprint") == corpus_fingerprint(settings)


def open_index(settings: Settings, on_build: Any = None) -> Index:
    """Open index/, building or updating it first when the corpus has changed."""
    if not index_is_current(settings):
        if on_build:
            on_build("Building the index (first use or changed corpus)…")
        report = sync_index(settings)
        if on_build:
            on_build(report.summary())
    return Index(settings)
