"""Passages → the index: a Chroma store (dense) plus BM25, built aside and swapped in.

Indexing is incremental and idempotent: passage ids are content hashes, so a sync embeds only
passages that are new; unchanged ones are copied, vectors and all, from the current generation.
Every sync that changes anything writes a new generation and then swaps the pointer
(``advisor/store.py``), so a failed or killed sync never leaves a half-built index in place of a
good one. ``open_index`` notices a changed corpus (file hashes, manifest, parser or model
version) and syncs first, and notices a damaged index (unreadable pointer, Chroma store that will
not open or has the wrong counts, missing BM25) and rebuilds it, saying so in one line.
"""

from __future__ import annotations

import hashlib
import logging
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from advisor import corpus, passages, text
from advisor.build import ProgressHook, bm25_retriever, passage_of, sentence_id, write_generation
from advisor.config import Settings
from advisor.corpus import MANIFEST_NAME, DocumentInfo, corpus_files, load_documents, missing_file
from advisor.embeddings import MODEL_NAME, shared_encoder
from advisor.errors import DocumentError, UserError, show_traceback_if_debugging, storage_error
from advisor.passages import Passage, parse_document
from advisor.store import IndexDamaged, Pointer, Store, build_lock, make_store, next_generation
from advisor.vectors import VectorSearch, read_all

PARSER_MODULES = (corpus, passages, text)
# The state's layout: a new one changes every fingerprint, so the next open rewrites the state alone
# (2: documents carry their manifest metadata for citations; nothing is re-embedded).
STATE_FORMAT = 2
PROGRESS_AT = 200  # new passages from which a sync announces itself (about 10 s of embedding)
log = logging.getLogger(__name__)


def _quiet(message: str) -> None:
    log.info(message)


@dataclass
class SyncReport:
    documents: int
    passages: int
    added: int
    removed: int
    unchanged: int
    seconds: float
    problems: list[str]
    generation: str = ""
    embedded: int = 0  # texts (passages and sentences) that went through the model
    model_seconds: float = 0.0  # of ``seconds``, spent embedding them

    def summary(self) -> str:
        text = (
            f"Indexed {self.documents} documents, {self.passages} passages "
            f"({self.added} added, {self.removed} removed, {self.unchanged} unchanged) "
            f"in {self.seconds:.1f} s"
        )
        if self.embedded:
            text += f"; {self.embedded:,} texts embedded in {self.model_seconds:.1f} s"
        return "\n".join([text + ".", *(f"Skipped {p}" for p in self.problems)])


def corpus_fingerprint(settings: Settings) -> str:
    """Changes whenever anything that shapes the index changes."""
    digest = hashlib.sha256(f"{MODEL_NAME}\0state {STATE_FORMAT}".encode())
    for module in PARSER_MODULES:  # a change to the parsing code may change the passages
        digest.update(Path(module.__file__).read_bytes())
    manifest = settings.corpus_dir / MANIFEST_NAME
    for path in corpus_files(settings.corpus_dir):  # not an add in progress (hidden), not links out of corpus/
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    if not manifest.exists():
        digest.update(b"no manifest")
    return digest.hexdigest()


def corpus_passages(settings: Settings) -> tuple[list[Passage], list[str]]:
    """Every passage of every readable document; unreadable ones are reported, not fatal."""
    passages, problems, _ = _read_corpus(settings)
    return passages, problems


def _read_corpus(settings: Settings) -> tuple[list[Passage], list[str], dict[str, DocumentInfo]]:
    """Passages (each once), problems, and each document's manifest metadata by id."""
    passages: list[Passage] = []
    problems: list[str] = []
    documents = load_documents(settings.corpus_dir)
    for doc in documents:
        try:
            passages.extend(parse_document(doc))
        except DocumentError as exc:
            problems.append(missing_file(doc) if not doc.path.exists() else str(exc))
    seen: set[str] = set()
    unique = []
    for p in passages:  # identical passages (repeated boilerplate) are indexed once
        if p.id not in seen:
            seen.add(p.id)
            unique.append(p)
    return unique, problems, {doc.id: doc.info() for doc in documents}


def sync_index(
    settings: Settings,
    rebuild: bool = False,
    on_build: Callable[[str], None] | None = None,
    store: Store | None = None,
    progress: ProgressHook | None = None,
) -> SyncReport:
    """Bring the index in line with corpus/, embedding only passages it does not have yet.

    The new state is written as a new generation and swapped in; with nothing to change, only the
    state is refreshed. ``rebuild`` ignores the current generation (it stays as the previous one).
    ``progress`` hears how far a build has got after each step (``advisor.build.BuildProgress``).
    """
    store = store or make_store(settings)
    try:
        return _sync(settings, rebuild, on_build or _quiet, store, progress)
    except (UserError, KeyboardInterrupt):
        raise
    except Exception as exc:
        store.check()  # a Chroma server that went away mid-sync is named as such, not a traceback
        raise storage_error(exc, "update the index in", store.location) or exc from None  # full, read-only...


def _sync(
    settings: Settings, rebuild: bool, say: Callable[[str], None], store: Store, progress: ProgressHook | None
) -> SyncReport:
    started = time.perf_counter()
    encoder = shared_encoder()
    work_before = replace(encoder.work)
    with build_lock(settings.index_dir, say):
        fingerprint = corpus_fingerprint(settings)
        wanted, problems, infos = _read_corpus(settings)
        if not wanted:
            raise UserError(f"No passages could be read from {settings.corpus_dir}; nothing to index.")
        pointer = _readable_pointer(store, settings, say, quiet=rebuild)
        current = None if rebuild or pointer is None else _usable(store, pointer, settings, say)
        generation = next_generation(store, pointer)
        live = {pointer.generation, pointer.previous} - {None} if pointer else set()
        store.discard(keep=live)  # half-built leftovers of killed builds
        present = set(current.passages) if current else set()
        new = [p for p in wanted if p.id not in present]
        stale = present - {p.id for p in wanted}
        state = _state(fingerprint, wanted, infos, current, {p.id for p in new})
        if current and pointer and not new and not stale:
            generation = pointer.generation
            store.write_pointer(replace(pointer, state=state))
        else:
            if len(new) >= PROGRESS_AT:  # a long add or build says what it is doing before it goes quiet
                sentences = sum(len(p.sentences) for p in new)
                say(f"Indexing {len(new):,} new passages ({sentences:,} sentences); this takes a while…")
            try:
                try:
                    write_generation(store, generation, wanted, new, current, progress)
                finally:
                    store.release(generation)  # the builder's handles; whoever serves it opens it afresh
                store.share(generation)
                store.write_pointer(Pointer(generation, pointer.generation if pointer else None, state))
            except BaseException:
                with suppress(Exception):  # a failed build leaves nothing half-done, and frees what it took
                    store.discard(keep=live)
                raise
            store.discard(keep={generation, pointer.generation} if pointer else {generation})
    return SyncReport(
        documents=len({p.doc_id for p in wanted}),
        passages=len(wanted),
        added=len(new),
        removed=len(stale),
        unchanged=len(wanted) - len(new),
        seconds=time.perf_counter() - started,
        problems=problems,
        generation=generation,
        embedded=encoder.work.texts - work_before.texts,
        model_seconds=encoder.work.seconds - work_before.seconds,
    )


def _state(
    fingerprint: str, wanted: list[Passage], infos: dict[str, DocumentInfo], current: Index | None, new: set[str]
) -> dict[str, Any]:
    """What the pointer records: enough to check the index, to list its documents and to cite them."""
    now = time.time()
    before = current.state.get("documents", {}) if current else {}
    documents: dict[str, dict[str, Any]] = {}
    for p in wanted:
        info = infos.get(p.doc_id) or DocumentInfo(p.doc_id, p.source)
        doc = documents.setdefault(p.doc_id, info.to_state() | {"title": p.source, "passages": 0})
        doc["passages"] += 1
        doc["changed"] = doc.get("changed", False) or p.id in new
    for doc_id, doc in documents.items():
        changed = doc.pop("changed") or before.get(doc_id, {}).get("passages") != doc["passages"]
        doc["indexed_at"] = now if changed else before[doc_id]["indexed_at"]
    return {
        "fingerprint": fingerprint,
        "passages": len(wanted),
        "sentences": sum(len(p.sentences) for p in wanted),
        "built_at": now,
        "model": MODEL_NAME,
        "documents": documents,
    }


class Index:
    """One opened, checked generation: its Chroma collections, BM25 and every passage by id.

    Opening checks what a damaged store would get wrong (counts, a vector search, BM25 matching
    the passages) and raises IndexDamaged instead of failing later with a traceback. Vectors are
    searched through ``advisor/vectors.py`` (in memory at this project's corpus size, so answering a
    question makes no store round trip); nothing here imports llama-index, which only builds.
    """

    def __init__(self, store: Store, pointer: Pointer) -> None:
        self.store = store
        self.generation = pointer.generation
        self.built_at = pointer.state.get("built_at")
        self.state = pointer.state
        # The store's handles on this generation (Chroma's database and vector files) are released when
        # the last user of this Index lets it go, or at close(): a long-running app that moves from
        # generation to generation keeps no handle on a deleted one. Nothing below may point back at
        # self, or only the cyclic garbage collector could free it, whenever it gets round to it.
        self._release = weakref.finalize(self, store.release, self.generation)
        try:
            self._open()
        except (IndexDamaged, UserError, KeyboardInterrupt, SystemExit):
            self._release()
            raise
        except BaseException as exc:  # Chroma's Rust core can raise a PanicException (a BaseException)
            self._release()
            self.store.check()  # a server that went away is not a damaged index
            if not _store_failure(exc):
                raise  # our own bug (a TypeError, an AttributeError...): its traceback, never a rebuild
            problem = storage_error(exc, "open the index at", store.location)
            if problem:  # no permission, read-only or full: a rebuild cannot help and must not delete anything
                raise problem from None
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            raise IndexDamaged(f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__) from exc

    def _open(self) -> None:
        self.collection, self.sentences = self.store.collections(self.generation, create=False)
        got = read_all(self.collection, ["documents", "metadatas"])
        self.passages: dict[str, Passage] = {
            pid: _passage_from(text, meta) for pid, text, meta in zip(got["ids"], got["documents"], got["metadatas"])
        }
        for what, found, expected in (
            ("passages", len(self.passages), self.state["passages"]),
            ("sentences", self.sentences.count(), self.state["sentences"]),
        ):
            if found != expected:
                raise IndexDamaged(f"the store holds {found} {what}, the index state says {expected}")
        # A sentence's filterable metadata is its passage's (the index stores the same keys on both).
        passages = self.passages
        self.passage_search = VectorSearch(self.collection, lambda pid: passages[pid].metadata())
        self.sentence_search = VectorSearch(self.sentences, lambda sid: passages[passage_of(sid)].metadata())
        probe = self.collection.get(limit=1, include=["embeddings"])
        if probe["ids"]:  # a vector search, so a damaged vector segment shows now, not mid-question
            self.collection.query(query_embeddings=[probe["embeddings"][0]], n_results=1, include=[])
        ordered = sorted(self.passages.values(), key=lambda p: (p.doc_id, p.order))
        self.bm25 = self.store.load_bm25(self.generation, lambda: bm25_retriever(ordered).bm25)
        if {row["node_id"] for row in self.bm25.corpus} != set(self.passages):
            raise IndexDamaged("the BM25 index does not match the passages")

    def close(self) -> None:
        """Release the store's handles now (a question still running on this Index will then fail)."""
        self._release()

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

    @cached_property
    def documents(self) -> dict[str, DocumentInfo]:
        """doc id → what a citation shows of the document (the state's record of the manifest)."""
        recorded = self.state.get("documents", {})
        return {
            doc_id: DocumentInfo.from_state(doc_id, recorded.get(doc_id) or {"title": title})
            for doc_id, title in self.sources.items()
        }

    @property
    def sources(self) -> dict[str, str]:
        """doc id → title."""
        return {p.doc_id: p.source for p in self.passages.values()}


def _store_failure(exc: BaseException) -> bool:
    """Is ``exc`` what reading a damaged or unusable store raises? Chroma's and SQLite's errors, a file
    missing or unreadable, rows or files that do not decode (ValueError, KeyError, EOFError), a panic
    in Chroma's Rust core. Anything else is a bug in our code, and is not to be taken for damage."""
    import sqlite3

    from chromadb.errors import ChromaError

    expected = (ChromaError, sqlite3.Error, OSError, ValueError, KeyError, EOFError)
    return isinstance(exc, expected) or type(exc).__name__ == "PanicException"  # pyo3's, not importable


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


def _damaged(store: Store, settings: Settings, exc: IndexDamaged) -> str:
    show_traceback_if_debugging(exc)
    return f"advisor: the index at {store.location} is damaged ({exc}); rebuilding it from {settings.corpus_dir}."


def _readable_pointer(store: Store, settings: Settings, say: Callable[[str], None], quiet: bool) -> Pointer | None:
    try:
        return store.read_pointer()
    except IndexDamaged as exc:
        if not quiet:
            say(_damaged(store, settings, exc))
        return None


def _usable(store: Store, pointer: Pointer, settings: Settings, say: Callable[[str], None]) -> Index | None:
    """The current generation if it opens and checks out; else None (the sync then starts afresh)."""
    try:
        return Index(store, pointer)
    except IndexDamaged as exc:
        say(_damaged(store, settings, exc))
        return None


def index_is_current(settings: Settings) -> bool:
    try:
        pointer = make_store(settings).read_pointer()
    except IndexDamaged:
        return False
    return pointer is not None and pointer.state["fingerprint"] == corpus_fingerprint(settings)


def open_index(
    settings: Settings, on_build: Callable[[str], None] | None = None, progress: ProgressHook | None = None
) -> Index:
    """Open the current index, building it first when there is none, when it is damaged, or (with
    the embedded store) when the corpus has changed. With a Chroma server the shared index is
    served as it is, and only ``advisor index`` (or add/remove) changes it: an app instance whose
    corpus/ differs must not rewrite the index every other instance uses."""
    say = on_build or _quiet
    store = make_store(settings)
    rebuild = False
    try:
        pointer = store.read_pointer()
        if pointer is not None:
            current = pointer.state["fingerprint"] == corpus_fingerprint(settings)
            if current or settings.chroma_url:
                index = Index(store, pointer)
                if not current:
                    say("Note: corpus/ has changed since the shared index was built; `advisor index` updates it.")
                return index
    except IndexDamaged as exc:
        say(_damaged(store, settings, exc))
        rebuild = True
    else:
        load_documents(settings.corpus_dir)  # a manifest mistake is named before a build is announced
        say("Building the index (first use or changed corpus)…")
    say(sync_index(settings, rebuild=rebuild, on_build=say, store=store, progress=progress).summary())
    try:
        pointer = store.read_pointer()
        assert pointer is not None  # sync_index wrote it
        return Index(store, pointer)
    except IndexDamaged as exc:
        raise UserError(f"The index at {store.location} cannot be opened even after a rebuild: {exc}") from None
