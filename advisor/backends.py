"""The registry of answerers. Every backend has the same interface:

``answer(question, mode, k, filters, unsupported) -> Answer`` and ``stream(...) -> AnswerStream``,
``name``, ``index``, ``retriever``. The built-in OpenAI-protocol backend is registered like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor.config import Settings
from advisor.errors import UserError
from advisor.extractive import ExtractiveAnswerer
from advisor.index import Index


def _extractive(extractive: ExtractiveAnswerer, settings: Settings) -> Any:
    return extractive


def _openai(extractive: ExtractiveAnswerer, settings: Settings) -> Any:
    from advisor.generate import GenerativeAnswerer
    from advisor.llm import ChatModel
    from advisor.support import OverlapJudge

    if not settings.model_configured:
        raise UserError(
            "The openai backend needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a compatible server)."
        )
    judge = OverlapJudge(settings.support_threshold, extractive.index.sentence_vectors)
    return GenerativeAnswerer(extractive, ChatModel(settings), judge)


BACKENDS: dict[str, Callable[[ExtractiveAnswerer, Settings], Any]] = {
    "extractive": _extractive,
    "openai": _openai,
}


def backend_name(settings: Settings, requested: str | None = None) -> str:
    name = requested or settings.backend
    if name == "auto":
        return "openai" if settings.model_configured else "extractive"
    if name not in BACKENDS:
        raise UserError(f"Unknown backend {name!r}. Choose from: {', '.join(BACKENDS)}.")
    return name


def make_answerer(index: Index, settings: Settings, requested: str | None = None) -> Any:
    """The answerer the settings (or an explicit --backend) ask for."""
    return BACKENDS[backend_name(settings, requested)](ExtractiveAnswerer(index, settings), settings)
