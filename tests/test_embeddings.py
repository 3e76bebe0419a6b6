"""The torch-free int8 ONNX embedder against vectors computed once from the fp32 model."""

from __future__ import annotations

import json

import numpy as np

from advisor.config import PROJECT_ROOT
from advisor.embeddings import DIMENSIONS, shared_encoder
from advisor.llama_embedding import MiniLMEmbedding

REFERENCE = PROJECT_ROOT / "tests" / "data" / "minilm_reference.json"  # made by make_minilm_reference.py


def test_vectors_match_the_fp32_model():
    ref = json.loads(REFERENCE.read_text())
    ours = shared_encoder().encode(ref["texts"])
    theirs = np.array(ref["vectors"], dtype=np.float32)
    assert ours.shape == theirs.shape == (5, DIMENSIONS)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.999, cosines  # int8 quantisation costs < 0.1% of direction
    assert np.abs(ours - theirs).max() < 0.01
    # The long text exceeds 256 tokens: truncation must match the reference too.
    assert cosines[4] > 0.999


def test_vectors_are_unit_length_and_order_independent():
    texts = ["short", "a somewhat longer sentence about state funding formulas", "credit for mastery"]
    forward = shared_encoder().encode(texts)
    backward = shared_encoder().encode(texts[::-1])[::-1]
    assert np.allclose(np.linalg.norm(forward, axis=1), 1.0, atol=1e-5)
    assert np.allclose(forward, backward, atol=1e-5)  # batching by length does not mix rows up


def test_llama_index_interface_uses_the_same_vectors():
    model = MiniLMEmbedding()
    text = "Can a state award credit based on mastery instead of seat time?"
    assert np.allclose(model.get_query_embedding(text), shared_encoder().encode([text])[0], atol=1e-6)
    assert len(model.get_text_embedding_batch(["a", "b"])) == 2


def test_batching_and_cores_do_not_change_the_vectors():
    """Index builds batch texts by length and run batches on every core; a question is embedded alone.
    All three must give the same vector for the same text (padding is masked, kernels sum alike)."""
    from advisor.text import split_sentences

    corpus = (PROJECT_ROOT / "corpus" / "rfa-from-state-commitment-to-district-implementation.txt").read_text("utf-8")
    texts = json.loads(REFERENCE.read_text())["texts"] + split_sentences(corpus)[:60] + [corpus[:3000]]
    encoder = shared_encoder()
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert len(texts) > 40 and np.abs(encoder.encode(texts, bulk=True) - alone).max() < 1e-6
    assert np.abs(encoder.encode(texts) - alone).max() < 1e-6
