"""A chat model behind OpenAI's protocol: OpenAI itself or any compatible server.

Every call has one deadline for the whole answer (``ADVISOR_LLM_TIMEOUT``, retries included) and a
limit on silence (``ADVISOR_LLM_IDLE_TIMEOUT``: to connect, to start replying, between two pieces
of the reply), so an unreachable, silent, slow or endless server turns into one ``ModelError``
with a reason a user can read, never a hang, a traceback or unbounded memory.

Calls go to the ``openai`` client directly (the package llama-index's OpenAI classes wrap): each
request gets its own timeouts, and a streamed reply is read inside ``with``, so the connection
closes as soon as the reader stops, a web client that went away included. llama-index's wrapper
keeps one timeout for every call, does not close a stream its reader abandons, and rebuilds the
whole reply on each piece. The reply is read on a worker thread and handed over a queue: the caller
waits at most until the deadline, whatever the server does with its bytes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from advisor.config import Settings

DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
RETRY_PAUSE = 0.5  # seconds before a retry; doubled each time
MAX_REPLY_TOKENS = 400  # five cited sentences fit easily; a rambling model stops here
MAX_REPLY_CHARS = 20 * MAX_REPLY_TOKENS  # a server that ignores max_tokens is stopped here
CONNECT_TIMEOUT = 3.0  # seconds to open a connection: an unreachable server is named within seconds


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


class Deadline:
    """The time one answer may take, retries and every piece of the reply included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> ModelError:
        return ModelError(f"the model server did not answer in time (ADVISOR_LLM_TIMEOUT is {self.seconds:g} s)")

    def timeout(self, idle: float) -> Any:
        """httpx timeouts for one request: silence (and connecting) bounded, never past the deadline."""
        import httpx

        left = max(self.left(), 0.01)
        return httpx.Timeout(min(idle, left), connect=min(CONNECT_TIMEOUT, idle, left))


class ChatModel:
    """One configured model; ``chat`` returns the reply, ``stream`` yields it piece by piece."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.openai_base_url
        self.name = settings.model or (DEFAULT_OPENAI_MODEL if not self.base_url else "default")
        self._api: Any = None
        self._api_lock = threading.Lock()

    @property
    def where(self) -> str:
        return self.base_url or "OpenAI"

    def client(self) -> Any:
        """The openai client (one connection pool, shared by every call of this model; no network yet)."""
        with self._api_lock:
            if self._api is None:
                import openai

                self._api = openai.OpenAI(
                    api_key=self.settings.openai_api_key or "not-needed",
                    base_url=self.base_url,
                    max_retries=0,  # retries are ours (``_with_retries``): one budget, inside the deadline
                )
            return self._api

    def chat(self, messages: list[Message]) -> str:
        """The whole reply. Streamed underneath, so a silent server is noticed as soon as it is silent
        for ADVISOR_LLM_IDLE_TIMEOUT, not only when a non-streamed reply would have been complete."""
        reply = "".join(self.stream(messages))
        if not reply.strip():
            raise ModelError("the model's reply had no text")
        return reply

    def stream(self, messages: list[Message]) -> Iterator[str]:
        """Yields text deltas. Retries only before the reply starts: a reply is never stitched.

        Stopping early (closing this generator, as a web app does when its client goes away) stops
        the worker, which closes the connection at the next piece or when its read times out."""
        deadline = Deadline(self.settings.llm_timeout)
        pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()
        worker = threading.Thread(
            target=self._pump, args=(messages, deadline, pieces, stop), name="model-reply", daemon=True
        )
        worker.start()
        try:
            while True:
                try:
                    kind, value = pieces.get(timeout=max(deadline.left(), 0.0))
                except queue.Empty:
                    raise deadline.expired() from None
                if kind == "delta":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()

    def _pump(self, messages: list[Message], deadline: Deadline, out: queue.Queue, stop: threading.Event) -> None:
        """On the worker thread: request, read the stream, hand each delta over; always end with one
        "done" or "error" item, and always close the response."""
        try:
            body = {
                "model": self.name,
                "messages": [{"role": m.role, "content": m.content} for m in messages],
                "temperature": 0.0,
                "max_tokens": MAX_REPLY_TOKENS,
                "stream": True,
            }

            def start() -> Any:
                timeout = deadline.timeout(self.settings.llm_idle_timeout)
                return self.client().with_options(timeout=timeout).chat.completions.create(**body)

            written = 0
            with self._with_retries(start, deadline) as reply:
                for chunk in reply:
                    if stop.is_set():
                        return
                    if deadline.left() <= 0:
                        raise deadline.expired()
                    delta = _delta(chunk)
                    if delta:
                        written += len(delta)
                        if written > MAX_REPLY_CHARS:
                            raise ModelError(f"the model's reply ran past {MAX_REPLY_CHARS:,} characters")
                        out.put(("delta", delta))
            out.put(("done", None))
        except _model_failures() as exc:  # the server's or the connection's: the caller gets a ModelError
            out.put(("error", _as_model_error(exc)))
        except Exception as exc:  # noqa: BLE001 - our own bug: raised in the caller's thread, traceback and all
            out.put(("error", exc))

    def _with_retries(self, call: Callable[[], Any], deadline: Deadline) -> Any:
        attempt = 0
        while True:
            try:
                return call()
            except _model_failures() as exc:
                error = _as_model_error(exc)
                pause = RETRY_PAUSE * 2**attempt
                if not error.retryable or attempt >= self.settings.llm_retries or deadline.left() <= pause:
                    raise error from exc
                time.sleep(pause)
                attempt += 1


def _model_failures() -> tuple[type[Exception], ...]:
    """What a server, the connection or a malformed reply can raise; anything else is a bug of ours and
    must not become a quiet fallback. (A function: the except clause imports the client only on failure.)"""
    import json

    import openai

    http_errors = tuple(module.HTTPError for module in _http_clients())
    return (ModelError, openai.OpenAIError, *http_errors, json.JSONDecodeError, UnicodeDecodeError)


def _http_clients() -> list[Any]:
    """The HTTP libraries the openai client may raise from: httpx (openai 1 and 2) and httpx2 (openai 3,
    which still accepts httpx's settings and raises httpx's errors when a caller passes an httpx client)."""
    import importlib

    modules = []
    for name in ("httpx", "httpx2"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


def _delta(chunk: Any) -> str | None:
    """The text of one streamed piece. A piece of another shape is the server's mistake and said so,
    not a TypeError in our code (which would then look like a bug of ours)."""
    choices = getattr(chunk, "choices", None)
    if choices is not None and not isinstance(choices, list):
        raise ModelError("the model's reply could not be read (a piece of an unexpected shape)")
    delta = getattr(choices[0], "delta", None) if choices else None
    content = getattr(delta, "content", None)
    if content is not None and not isinstance(content, str):
        raise ModelError("the model's reply could not be read (a piece of an unexpected shape)")
    return content


def _as_model_error(exc: Exception) -> ModelError:
    """Map the openai client's exceptions to a short reason."""
    import openai

    if isinstance(exc, ModelError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        if isinstance(exc.__cause__, tuple(module.ConnectTimeout for module in _http_clients())):
            return ModelError("the model server could not be reached (no connection within seconds)", retryable=True)
        return ModelError("the model server did not answer in time")  # silence: a retry would double the wait
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
