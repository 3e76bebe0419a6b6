"""All configuration in one typed place: environment variables with documented defaults.

Every knob the advisor reads from the environment is a field here; nothing else calls
``os.environ``. ``Settings.from_env()`` is cheap, so commands build one per run and pass it down.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting has a value the advisor cannot use; the message names the variable."""


def _env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _env_float(name: str, default: float, low: float, high: float) -> float:
    """A number within [low, high]; NaN and infinity are refused (they would slip past every comparison)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}, not {raw.strip()!r}")
    return value


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = (os.environ.get(name) or default).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def debug() -> bool:
    """ADVISOR_DEBUG=1: a handled error (the one-line message a user sees) also prints its traceback on
    stderr. Read on its own, not through Settings, so a settings error can be debugged too."""
    return _env_choice("ADVISOR_DEBUG", "0", ("0", "1", "true", "false")) in ("1", "true")


def _env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser() if raw else default


def _env_chroma_url() -> str | None:
    """ADVISOR_CHROMA_URL wins; else CHROMA_HOST (and CHROMA_PORT); checked here so a typo fails at start."""
    raw = (os.environ.get("ADVISOR_CHROMA_URL") or "").strip()
    name = "ADVISOR_CHROMA_URL"
    if not raw and (os.environ.get("CHROMA_HOST") or "").strip():
        raw = f"http://{os.environ['CHROMA_HOST'].strip()}:{_env_int('CHROMA_PORT', 8000, 1, 65535)}"
        name = "CHROMA_HOST"
    if not raw:
        return None
    parsed = urlsplit(raw if "://" in raw else f"http://{raw}")
    try:
        port = parsed.port
    except ValueError:
        port = -1
    if parsed.scheme not in ("http", "https") or not parsed.hostname or port == -1 or parsed.path.strip("/"):
        raise ConfigError(f"{name} must look like http://HOST:PORT, not {raw!r}")
    return f"{parsed.scheme}://{parsed.netloc}"


@dataclass(frozen=True)
class Settings:
    """The advisor's settings; each field's docstring names its variable (README, "Configuration")."""

    corpus_dir: Path = PROJECT_ROOT / "corpus"
    """ADVISOR_CORPUS_DIR: the documents and their manifest.toml."""
    index_dir: Path = PROJECT_ROOT / "index"
    """ADVISOR_INDEX_DIR: where the Chroma store and BM25 index are built."""
    cache_dir: Path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "policy-advisor"
    """ADVISOR_CACHE_DIR: derived data worth keeping between runs (the crosswalk's policy vectors), never
    the corpus or the index: checking a bill writes nothing to either."""
    top_k: int = 5
    """ADVISOR_TOP_K: passages retrieved per question (1-50)."""
    max_question_chars: int = 2000
    """ADVISOR_MAX_QUESTION_CHARS: longer questions are rejected with a message."""
    max_bill_chars: int = 500_000
    """ADVISOR_MAX_BILL_CHARS: `advisor check` refuses a bill with more text than this (about 250 pages)."""
    bm25_weight: float = 0.1
    """ADVISOR_BM25_WEIGHT: share of BM25 (normalised) in the fused retrieval score (0-1)."""
    sentence_weight: float = 0.5
    """ADVISOR_SENTENCE_WEIGHT: share of best-sentence similarity within the dense part (0-1)."""
    refusal_threshold: float = 0.44
    """ADVISOR_REFUSAL_THRESHOLD: answer only if a retrieved sentence is this similar (cosine); set on evals/ dev."""

    backend: str = "auto"
    """ADVISOR_BACKEND: auto (a model when OPENAI_API_KEY or OPENAI_BASE_URL is set, else extractive),
    or a registered backend's name (``advisor/backends.py``: extractive, openai)."""
    openai_api_key: str | None = None
    """OPENAI_API_KEY: key for OpenAI or a compatible server; alone, it selects OpenAI itself."""
    openai_base_url: str | None = None
    """OPENAI_BASE_URL: an OpenAI-compatible server (vLLM, Ollama, llama.cpp), e.g. http://127.0.0.1:8080/v1."""
    model: str | None = None
    """ADVISOR_MODEL: chat model name; default gpt-4o-mini on OpenAI, the server's own model otherwise."""
    llm_timeout: float = 60.0
    """ADVISOR_LLM_TIMEOUT: seconds one model answer may take in all, from the request to its last word,
    retries included (0.1-3600); past it the answer falls back to the extractive one."""
    llm_idle_timeout: float = 15.0
    """ADVISOR_LLM_IDLE_TIMEOUT: seconds the model server may stay silent (to start its reply, or between
    two pieces of it) before the call is given up (0.1-3600); connecting gets at most 3 s."""
    llm_retries: int = 1
    """ADVISOR_LLM_RETRIES: extra attempts after a connection error, 429 or 5xx (0-5)."""
    strict: bool = False
    """ADVISOR_STRICT: 1 = fail when the model fails, instead of falling back to the extractive answer."""
    support_threshold: float = 0.675
    """ADVISOR_SUPPORT_THRESHOLD: support score a generated sentence needs (0-1); set on evals/support_pairs."""
    chroma_url: str | None = None
    """ADVISOR_CHROMA_URL, or CHROMA_HOST with CHROMA_PORT (default 8000): a Chroma server to keep the index in,
    e.g. http://127.0.0.1:8000, shared by every app instance; unset = the embedded store under index_dir."""
    host: str = "127.0.0.1"
    """ADVISOR_HOST: the address ``advisor serve`` listens on; 0.0.0.0 exposes it to the network."""
    port: int = 7860
    """ADVISOR_PORT: the web app's port."""
    auth: str | None = None
    """ADVISOR_AUTH: user:password for the web app (basic login), for a shared deployment; none by default."""
    concurrency: int = 4
    """ADVISOR_CONCURRENCY: questions the web app answers at once; more wait in its queue (1-64)."""
    debug: bool = False
    """ADVISOR_DEBUG: 1 = a handled error (a one-line message, a damaged index, a model fallback) also prints
    its traceback on stderr."""

    @property
    def model_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)

    @property
    def credentials(self) -> tuple[str, str] | None:
        """ADVISOR_AUTH split into (user, password)."""
        if not self.auth:
            return None
        user, sep, password = self.auth.partition(":")
        if not sep or not user or not password:
            raise ConfigError("ADVISOR_AUTH (or --auth) must look like user:password")
        return user, password

    @classmethod
    def from_env(cls) -> Settings:
        from advisor.backends import backend_choices  # the registry names the backends (it imports this module)

        defaults = cls()
        return cls(
            corpus_dir=_env_path("ADVISOR_CORPUS_DIR", defaults.corpus_dir),
            index_dir=_env_path("ADVISOR_INDEX_DIR", defaults.index_dir),
            cache_dir=_env_path("ADVISOR_CACHE_DIR", defaults.cache_dir),
            top_k=_env_int("ADVISOR_TOP_K", defaults.top_k, 1, 50),
            max_question_chars=_env_int("ADVISOR_MAX_QUESTION_CHARS", defaults.max_question_chars, 10, 100_000),
            max_bill_chars=_env_int("ADVISOR_MAX_BILL_CHARS", defaults.max_bill_chars, 100, 20_000_000),
            bm25_weight=_env_float("ADVISOR_BM25_WEIGHT", defaults.bm25_weight, 0, 1),
            sentence_weight=_env_float("ADVISOR_SENTENCE_WEIGHT", defaults.sentence_weight, 0, 1),
            refusal_threshold=_env_float("ADVISOR_REFUSAL_THRESHOLD", defaults.refusal_threshold, 0, 1),
            backend=_env_choice("ADVISOR_BACKEND", defaults.backend, backend_choices()),
            openai_api_key=os.environ.get("OPENAI_API_KEY") or None,
            openai_base_url=os.environ.get("OPENAI_BASE_URL") or None,
            model=os.environ.get("ADVISOR_MODEL") or None,
            llm_timeout=_env_float("ADVISOR_LLM_TIMEOUT", defaults.llm_timeout, 0.1, 3600),
            llm_idle_timeout=_env_float("ADVISOR_LLM_IDLE_TIMEOUT", defaults.llm_idle_timeout, 0.1, 3600),
            llm_retries=_env_int("ADVISOR_LLM_RETRIES", defaults.llm_retries, 0, 5),
            strict=_env_choice("ADVISOR_STRICT", "0", ("0", "1", "true", "false")) in ("1", "true"),
            support_threshold=_env_float("ADVISOR_SUPPORT_THRESHOLD", defaults.support_threshold, 0, 1),
            chroma_url=_env_chroma_url(),
            host=os.environ.get("ADVISOR_HOST") or defaults.host,
            port=_env_int("ADVISOR_PORT", defaults.port, 1, 65535),
            auth=os.environ.get("ADVISOR_AUTH") or None,
            concurrency=_env_int("ADVISOR_CONCURRENCY", defaults.concurrency, 1, 64),
            debug=debug(),
        )


def quiet_offline_environment() -> None:
    """Stop every library in the stack from phoning home (see shared OFFLINE-STACK.md)."""
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "ORT_DISABLE_TELEMETRY": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "TOKENIZERS_PARALLELISM": "false",
        "TQDM_DISABLE": "1",
    }.items():
        os.environ.setdefault(name, value)
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        # llama-index ships the tiktoken files it needs; point tiktoken there so it never downloads.
        from importlib.util import find_spec

        spec = find_spec("llama_index.core")
        if spec and spec.submodule_search_locations:
            cache = Path(spec.submodule_search_locations[0]) / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
