"""The registry of answer backends: the one place their names come from.

A backend is a name, a factory ``(index, settings) -> Answerer`` and a one-line description.
The built-in ones (``extractive``, ``openai``) register below through ``register_backend``, the
same call a plugin makes, and everything that names backends reads this registry: the CLI's
``--backend`` choices and help, the check of ``ADVISOR_BACKEND`` (``config.py``) and the web
app. Adding a backend is one ``register_backend`` call in a module imported before the settings
are read.

This module imports no answerer: factories import theirs when called, so reading the names is
cheap (the settings check does it on every run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor.config import Settings
from advisor.errors import UserError

if TYPE_CHECKING:
    from advisor.answer import Answerer
    from advisor.index import Index

AUTO = "auto"

Factory = Callable[["Index", Settings], "Answerer"]


@dataclass(frozen=True)
class Backend:
    name: str
    factory: Factory
    description: str


_REGISTRY: dict[str, Backend] = {}


def register_backend(name: str, factory: Factory, description: str) -> None:
    """Make ``name`` selectable (``--backend``, ``ADVISOR_BACKEND``); registering a name again replaces it."""
    if name == AUTO or not name or name != name.strip().lower():
        raise ValueError(f"a backend name must be lower case and not {AUTO!r}, not {name!r}")
    _REGISTRY[name] = Backend(name, factory, description)


def backends() -> dict[str, Backend]:
    """The registered backends, by name, in the order they were registered."""
    return dict(_REGISTRY)


def backend_choices() -> tuple[str, ...]:
    """What ``--backend`` and ``ADVISOR_BACKEND`` accept: ``auto`` and every registered name."""
    return (AUTO, *_REGISTRY)


def backend_name(settings: Settings, requested: str | None = None) -> str:
    """The backend to use: ``auto`` means a model when one is configured, else the offline answerer."""
    name = requested or settings.backend
    if name == AUTO:
        return "openai" if settings.model_configured else "extractive"
    if name not in _REGISTRY:
        raise UserError(f"Unknown backend {name!r}. Choose from: {', '.join(_REGISTRY)}.")
    return name


def make_answerer(index: Index, settings: Settings, requested: str | None = None) -> Answerer:
    """The answerer the settings (or an explicit --backend) ask for; cheap: nothing is loaded yet."""
    return _REGISTRY[backend_name(settings, requested)].factory(index, settings)


def _extractive(index: Index, settings: Settings) -> Answerer:
    from advisor.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer(index, settings)


def _openai(index: Index, settings: Settings) -> Answerer:
    from advisor.extractive import ExtractiveAnswerer
    from advisor.generate import GenerativeAnswerer
    from advisor.llm import ChatModel
    from advisor.support import OverlapJudge

    if not settings.model_configured:
        raise UserError(
            "The openai backend needs OPENAI_API_KEY (for OpenAI) or OPENAI_BASE_URL (for a compatible server)."
        )
    judge = OverlapJudge(settings.support_threshold, index.sentence_vectors)
    return GenerativeAnswerer(ExtractiveAnswerer(index, settings), ChatModel(settings), judge)


register_backend("extractive", _extractive, "offline: quotes the sources' own sentences, no model, no network")
register_backend(
    "openai", _openai, "a chat model behind OpenAI's protocol writes the answer; every citation is verified"
)
