"""A chat model behind OpenAI's protocol: OpenAI itself or any compatible server.

Built on llama-index's OpenAI / OpenAILike classes (the ``openai`` package underneath) with an
explicit timeout and a small retry budget of our own, so an unreachable, slow or failing server
turns into one ``ModelError`` with a reason a user can read, never a hang or a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from advisor.config import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
RETRY_PAUSE = 0.5  # seconds before a retry; doubled each time
MAX_REPLY_TOKENS = 400  # five cited sentences fit easily; a rambling model stops here


class ModelError(Exception):
    """The model could not give an answer; ``reason`` says why in a few words."""

    def __init__(self, reason: str, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class Message:
    role: str  # "system" | "user" | "assistant"
    content: str


class ChatModel:
    """One configured model; ``chat`` returns the reply, ``stream`` yields it piece by piece."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.openai_base_url
        self.name = settings.model or (DEFAULT_OPENAI_MODEL if not self.base_url else "default")
        self._llm: Any = None

    @property
    def where(self) -> str:
        return self.base_url or "OpenAI"

    def _client(self) -> Any:
        if self._llm is None:
            common = {
                "model": self.name,
                "api_key": self.settings.openai_api_key or "not-needed",
                "timeout": self.settings.llm_timeout,
                "max_retries": 0,  # retries are ours (see chat/stream): one budget, not two nested ones
                "temperature": 0.0,
            }
            if self.base_url:
                from llama_index.llms.openai_like import OpenAILike

                self._llm = OpenAILike(
                    api_base=self.base_url,
                    is_chat_model=True,
                    context_window=8192,
                    max_tokens=MAX_REPLY_TOKENS,
                    **common,
                )
            else:
                from llama_index.llms.openai import OpenAI

                self._llm = OpenAI(max_tokens=MAX_REPLY_TOKENS, **common)
        return self._llm

    def chat(self, messages: list[Message]) -> str:
        def call() -> str:
            response = self._client().chat(_to_llama(messages))
            content = response.message.content
            if not isinstance(content, str):
                raise ModelError("the model's reply had no text")
            return content

        return self._with_retries(call)

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yields text deltas. Retries only before the first delta: a reply is never stitched."""
        first: list[str] = []

        def start() -> Iterator[Any]:
            gen = self._client().stream_chat(_to_llama(messages))
            for chunk in gen:  # pull until the first non-empty delta so connection errors surface here
                if chunk.delta:
                    first.append(chunk.delta)
                    break
            return gen

        gen = self._with_retries(start)
        yield from first
        try:
            for chunk in gen:
                if chunk.delta:
                    yield chunk.delta
        except Exception as exc:  # noqa: BLE001 - any client failure mid-stream is reported the same way
            raise _as_model_error(exc) from exc

    def _with_retries(self, call: Any) -> Any:
        attempts = self.settings.llm_retries + 1
        for attempt in range(attempts):
            try:
                return call()
            except Exception as exc:  # noqa: BLE001 - every failure becomes a ModelError below
                error = exc if isinstance(exc, ModelError) else _as_model_error(exc)
                if not error.retryable or attempt == attempts - 1:
                    raise error from exc
                time.sleep(RETRY_PAUSE * 2**attempt)
        raise AssertionError("unreachable")


def _to_llama(messages: list[Message]) -> list[Any]:
    from llama_index.core.llms import ChatMessage, MessageRole

    return [ChatMessage(role=MessageRole(m.role), content=m.content) for m in messages]


def _as_model_error(exc: Exception) -> ModelError:
    """Map the openai client's exceptions to a short reason."""
    import openai

    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return ModelError("the model server did not answer in time", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        return ModelError("the model server could not be reached", retryable=True)
    if isinstance(exc, openai.AuthenticationError):
        return ModelError("the model server refused the API key (401)")
    if isinstance(exc, openai.PermissionDeniedError):
        return ModelError("the model server denied access (403)")
    if isinstance(exc, openai.NotFoundError):
        return ModelError("the model server does not know this model or path (404)")
    if isinstance(exc, openai.RateLimitError):
        return ModelError("the model server is rate-limiting requests (429)", retryable=True)
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        return ModelError(f"the model server returned an error ({code})", retryable=code >= 500)
    return ModelError(f"the model's reply could not be read ({type(exc).__name__})")
