"""Writing one generation of the index: unchanged passages copied, new ones embedded and written,
BM25 built over all of them, and progress reported as it goes.

A build spends nearly all its time in the embedding model, so the model gets as little work as
possible, fed as well as possible:

- each distinct text is embedded once per build, and a text the current generation already has a
  vector for (a sentence kept in an edited passage, a passage whose document was renamed, a
  boilerplate paragraph repeated across documents) is not embedded again: its vector is read back;
- new passages go through in about ``STEPS`` steps, a passage's text and its sentences' together;
  ``MiniLMEncoder.encode`` sorts a step's texts by length, so padding is small, and keeps both
  cores busy;
- the model runs a step ahead on a thread of its own (``RunAhead``) while the main thread imports
  Chroma and llama-index, copies the unchanged rows and writes the step before;
- a step's rows are written with their vectors already computed, in one call per collection:
  passages through llama-index's ``ChromaVectorStore`` (whose row schema the passage collection
  keeps), sentences straight to Chroma. Nothing holds every vector: a step's are dropped once
  written, and a reused one is read back from the collection that has it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.embeddings import DIMENSIONS, shared_encoder
from advisor.passages import Passage

if TYPE_CHECKING:
    from advisor.index import Index
    from advisor.store import Store

# New passages go through in about STEPS steps (the progress bar's updates) of STEP_MIN to STEP_MAX passages.
# Larger steps sort more texts by length at once: at 20x the corpus, padding is 5.9% of the model's work in
# steps of 64, 3.4% in steps of 128, 1.8% in steps of 256.
STEPS, STEP_MIN, STEP_MAX = 32, 64, 512
AHEAD = 2  # steps the model may run ahead of the writer (their vectors are all that is held)
COPY_BATCH = 1000  # rows per read and write when copying a collection
READ_BATCH = 5000  # ids per read: more exceeds SQLite's limit on variables per statement
# The heading and condition say what a passage is about: they are embedded with its text (and help BM25).
EMBED_EXCLUDED = ["doc", "source", "order", "part"]


@dataclass(frozen=True)
class BuildProgress:
    """How far a sync has got, for a progress bar or a web page's indicator.

    ``stage`` is "copying" (unchanged passages from the current generation), "embedding" (new
    passages through the model), "bm25" or "done". Counts are of what the new generation holds so
    far; a document counts once all its passages are in.
    """

    stage: str
    documents: int
    documents_total: int
    passages: int
    passages_total: int
    sentences: int
    sentences_total: int
    new_passages: int  # passages this sync embeds (the slow part), of passages_total


ProgressHook = Callable[[BuildProgress], None]


def sentence_id(passage_id: str, position: int) -> str:
    return f"{passage_id}-{position}"


def passage_of(sentence_id: str) -> str:
    return sentence_id.rsplit("-", 1)[0]


def node(passage: Passage) -> Any:
    """The passage as llama-index's TextNode: what its stores and BM25 retriever take."""
    from llama_index.core.schema import TextNode

    return TextNode(
        id_=passage.id,
        text=passage.text,
        metadata=passage.metadata(),
        excluded_embed_metadata_keys=EMBED_EXCLUDED,
        excluded_llm_metadata_keys=["doc", "order"],
    )


def embed_text(passage: Passage) -> str:
    """What the model reads for a passage: its node's ``get_content(MetadataMode.EMBED)`` (its heading
    and condition as "key: value" lines, a blank line, its text), formed without importing llama-index,
    so the model can start before that import ends. ``tests/test_index.py`` pins the two equal."""
    header = "\n".join(f"{key}: {value}" for key, value in passage.metadata().items() if key not in EMBED_EXCLUDED)
    return f"{header}\n\n{passage.text}".strip() if header else passage.text


def bm25_retriever(passages: list[Passage]) -> Any:
    from llama_index.retrievers.bm25 import BM25Retriever

    retriever = BM25Retriever.from_defaults(nodes=[node(p) for p in passages], similarity_top_k=10)
    retriever.bm25.corpus = retriever.corpus  # as an index loaded from disk has it: metadata filters read it
    return retriever


class Tracker:
    """Counts what is in the new generation and tells the hook after each step."""

    def __init__(self, wanted: list[Passage], new: int, hook: ProgressHook | None) -> None:
        self.hook = hook
        self.waiting = Counter(p.doc_id for p in wanted)  # passages not yet in, per document
        self.totals = (len(self.waiting), len(wanted), sum(len(p.sentences) for p in wanted))
        self.new = new
        self.documents = self.passages = self.sentences = 0
        self.stage = ""

    def report(self, stage: str | None = None) -> None:
        self.stage = stage or self.stage
        if self.hook:
            documents, passages, sentences = self.totals
            self.hook(
                BuildProgress(
                    stage=self.stage,
                    documents=self.documents,
                    documents_total=documents,
                    passages=self.passages,
                    passages_total=passages,
                    sentences=self.sentences,
                    sentences_total=sentences,
                    new_passages=self.new,
                )
            )

    def passages_in(self, doc_ids: Iterable[str]) -> None:
        for doc_id in doc_ids:
            self.passages += 1
            self.waiting[doc_id] -= 1
            self.documents += self.waiting[doc_id] == 0
        self.report()

    def sentences_in(self, count: int) -> None:
        self.sentences += count
        self.report()


def write_generation(
    store: Store,
    generation: str,
    wanted: list[Passage],
    new: list[Passage],
    current: Index | None,
    hook: ProgressHook | None = None,
) -> None:
    """A complete index under a new name: unchanged rows copied from ``current``, new ones embedded."""
    tracker = Tracker(wanted, len(new), hook)
    tracker.report("copying" if current else "embedding")  # a rebuild has nothing to copy
    where = vector_locations(current) if new else {}
    step = min(max(len(new) // STEPS, STEP_MIN), STEP_MAX)
    with RunAhead([new[i : i + step] for i in range(0, len(new), step)], set(where)) as ahead:
        collection, sentences = store.collections(generation, create=True)
        if current:
            keep = {p.id for p in wanted} - {p.id for p in new}
            _copy_rows(current.collection, collection, lambda pid, meta: pid in keep, tracker)
            _copy_rows(current.sentences, sentences, lambda sid, meta: meta["passage_id"] in keep, tracker)
        if new:
            tracker.report("embedding")
            _embed_and_write(collection, sentences, ahead, where, tracker)
    tracker.report("bm25")
    store.save_bm25(generation, bm25_retriever(wanted))
    tracker.report("done")


def _copy_rows(source: Any, target: Any, keep: Callable[[str, dict], bool], tracker: Tracker) -> None:
    """Rows (ids, texts, metadata, vectors) from one collection to another, page by page."""
    offset = 0
    while True:
        got = source.get(include=["documents", "metadatas", "embeddings"], limit=COPY_BATCH, offset=offset)
        if not got["ids"]:
            return
        offset += len(got["ids"])
        columns = zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"])
        rows = [(pid, doc, meta, vector) for pid, doc, meta, vector in columns if keep(pid, meta)]
        if rows:
            ids, docs, metas, vectors = (list(column) for column in zip(*rows))
            target.add(ids=ids, documents=docs, metadatas=metas, embeddings=vectors)
            if "passage_id" in metas[0]:
                tracker.sentences_in(len(ids))
            else:
                tracker.passages_in(str(meta["doc"]) for meta in metas)


def vector_locations(current: Index | None) -> dict[str, tuple[Any, str]]:
    """text → (collection, row id) for every text of the generation being replaced."""
    where: dict[str, tuple[Any, str]] = {}
    if current:
        for pid, p in current.passages.items():
            where.setdefault(embed_text(p), (current.collection, pid))
            for i, sentence in enumerate(p.sentences):
                where.setdefault(sentence, (current.sentences, sentence_id(pid, i)))
    return where


class RunAhead:
    """Embeds each step's new texts on a thread of its own, up to ``AHEAD`` steps before the writer.

    The model is most of a build; this keeps it busy while the main thread imports Chroma and
    llama-index, copies unchanged rows and writes the previous step. ``seen`` starts as the texts
    the index already has: a text is embedded only the first time it appears. Iterating gives, in
    order, (step, its texts, vectors of the texts first embedded for it).
    """

    def __init__(self, steps: list[list[Passage]], seen: set[str]) -> None:
        self.steps = steps
        self.seen = seen
        self.results: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._produce, name="embed-ahead", daemon=True)

    def __enter__(self) -> RunAhead:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        while self.thread.is_alive():  # it may be waiting to hand over a step nobody will take
            with contextlib.suppress(queue.Empty):
                self.results.get_nowait()
            self.thread.join(timeout=0.05)

    def __iter__(self) -> Iterator[tuple[list[Passage], list[str], dict[str, np.ndarray]]]:
        for _ in self.steps:
            item = self.results.get()
            if isinstance(item, BaseException):
                raise item
            yield item

    def _produce(self) -> None:
        encoder = shared_encoder()
        try:
            for step in self.steps:
                texts = step_texts(step)
                fresh = [t for t in dict.fromkeys(texts) if t not in self.seen]
                self.seen.update(fresh)
                vectors = encoder.encode(fresh, bulk=True, stop=self.stop)
                if not self._hand_over((step, texts, dict(zip(fresh, vectors)))):
                    return  # the writer has stopped (an error, Ctrl-C)
        except BaseException as exc:  # the writer raises it
            self._hand_over(exc)

    def _hand_over(self, item: Any) -> bool:
        while not self.stop.is_set():
            with contextlib.suppress(queue.Full):
                self.results.put(item, timeout=0.1)
                return True
        return False


def step_texts(step: list[Passage]) -> list[str]:
    """The texts a step embeds: each passage's, then each passage's sentences in order."""
    return [embed_text(p) for p in step] + [sentence for p in step for sentence in p.sentences]


def _embed_and_write(collection: Any, sentences: Any, ahead: RunAhead, where: dict, tracker: Tracker) -> None:
    from llama_index.vector_stores.chroma import ChromaVectorStore  # imported while the model works

    writer = ChromaVectorStore(chroma_collection=collection)
    for step, texts, fresh in ahead:
        vectors = _vectors(texts, fresh, where)
        nodes = [node(p) for p in step]
        for passage_node, vector in zip(nodes, vectors):
            passage_node.embedding = vector.tolist()
        writer.add(nodes)
        rows = [(p, i) for p in step for i in range(len(p.sentences))]
        ids = [sentence_id(p.id, i) for p, i in rows]
        if ids:
            sentences.add(
                ids=ids,
                documents=texts[len(step) :],
                # The passage's filterable metadata too, so sentence search honours the same filters.
                metadatas=[
                    {"passage_id": p.id, "position": i}
                    | {k: v for k, v in p.metadata().items() if k in ("doc", "condition", "part")}
                    for p, i in rows
                ],
                embeddings=vectors[len(step) :],
            )
        for text, row in zip(texts, [(collection, p.id) for p in step] + [(sentences, i) for i in ids]):
            where.setdefault(text, row)
        tracker.sentences += len(ids)
        tracker.passages_in(p.doc_id for p in step)


def _vectors(texts: list[str], fresh: dict[str, np.ndarray], where: dict[str, tuple[Any, str]]) -> np.ndarray:
    """A row per text: just embedded, or read back from the collection that already has it."""
    out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
    reuse: dict[int, tuple[Any, dict[str, list[int]]]] = {}  # by collection: row id → positions
    for i, text in enumerate(texts):
        if text in fresh:
            out[i] = fresh[text]
        else:
            collection, row_id = where[text]
            reuse.setdefault(id(collection), (collection, {}))[1].setdefault(row_id, []).append(i)
    for collection, rows_of in reuse.values():
        ids = list(rows_of)
        for start in range(0, len(ids), READ_BATCH):
            got = collection.get(ids=ids[start : start + READ_BATCH], include=["embeddings"])
            for row_id, vector in zip(got["ids"], got["embeddings"]):
                out[rows_of[row_id]] = vector
    return out
