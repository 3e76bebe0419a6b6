"""The MiniLM encoder behind llama-index's embedding interface, for building its vector store index.

Kept apart from ``advisor.embeddings`` so that answering a question never imports llama-index
(about a second of start-up): only index builds and the llama-index baseline use this.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from advisor.embeddings import MODEL_NAME, MiniLMEncoder, shared_encoder


class MiniLMEmbedding(BaseEmbedding):
    """The encoder behind llama-index's embedding interface, for its vector store index."""

    _encoder: MiniLMEncoder = PrivateAttr()

    def __init__(self, encoder: MiniLMEncoder | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=MODEL_NAME, embed_batch_size=32, **kwargs)
        self._encoder = encoder or shared_encoder()

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encoder.encode_query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encoder.encode([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encoder.encode(texts, bulk=True).tolist()  # building an index: every core

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)
