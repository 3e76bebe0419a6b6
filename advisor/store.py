"""Where the index lives, which generation of it is current, and who may build the next one.

Every build writes a new *generation* beside the current one and only then points to it, so a
crash or a kill mid-build leaves the previous index serving. The pointer (which carries the index
state: fingerprint, counts, documents) is replaced atomically. The previous generation is kept
until the next swap, so a process that still has it open keeps working; older ones are removed.

Two stores follow that scheme:

- ``LocalStore``: ``index_dir/gen-NNNNNN/`` folders (an embedded Chroma store and a BM25 folder
  each) and the pointer file ``index_dir/current.json``;
- ``ServerStore``: collections ``advisor-gen-NNNNNN-passages`` and ``-sentences`` on a Chroma
  server, the pointer in the metadata of the collection ``advisor-index``; BM25 is rebuilt in
  memory at open from the passages stored on the server, so app instances need no shared disk.

Builders on one machine serialise on an flock of ``index_dir/.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from advisor.errors import UserError, storage_error

POINTER_FILE = "current.json"
LOCK_FILE = ".lock"
PASSAGES = "passages"
SENTENCES = "passage_sentences"
_GENERATION = re.compile(r"gen-(\d{6})")
_STATE_KEYS = ("fingerprint", "passages", "sentences", "built_at", "model", "documents")
# Left by the single-folder layout this replaced; removed after the first swap.
_LEGACY = ("chroma", "bm25", "state.json")


class IndexDamaged(UserError):
    """The current index cannot be used as it is; the message says what was found. Callers rebuild."""


@dataclass(frozen=True)
class Pointer:
    """The current generation, the one before it (kept for processes that still use it) and the state."""

    generation: str
    previous: str | None
    state: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps({"generation": self.generation, "previous": self.previous, "state": self.state}, indent=1)

    @classmethod
    def from_json(cls, raw: str, where: str) -> Pointer:
        try:
            data = json.loads(raw)
            pointer = cls(data["generation"], data.get("previous"), data["state"])
            missing = [k for k in _STATE_KEYS if k not in pointer.state]
        except (ValueError, KeyError, TypeError) as exc:
            raise IndexDamaged(f"{where} is unreadable ({type(exc).__name__}: {exc})") from None
        if missing or not _GENERATION.fullmatch(str(pointer.generation)):
            raise IndexDamaged(f"{where} is incomplete (missing {', '.join(missing) or 'a valid generation'})")
        return pointer


class Store(Protocol):
    location: str

    def check(self) -> None: ...
    def read_pointer(self) -> Pointer | None: ...
    def write_pointer(self, pointer: Pointer) -> None: ...
    def generations(self) -> list[str]: ...
    def collections(self, generation: str, create: bool) -> tuple[Any, Any]: ...
    def save_bm25(self, generation: str, retriever: Any) -> None: ...
    def load_bm25(self, generation: str, build: Callable[[], Any]) -> Any: ...
    def discard(self, keep: set[str]) -> None: ...
    def share(self, generation: str) -> None: ...
    def release(self, generation: str) -> None: ...


def next_generation(store: Store, pointer: Pointer | None) -> str:
    """A name no generation has had, counting half-built leftovers, so no path is ever reused."""
    names = store.generations() + ([pointer.generation, pointer.previous or ""] if pointer else [])
    numbers = [int(m.group(1)) for m in map(_GENERATION.fullmatch, names) if m]
    return f"gen-{max(numbers, default=0) + 1:06d}"


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def _create_collection(client: Any, name: str) -> Any:
    # A search breadth above the default makes HNSW search effectively exact at this corpus size, so
    # results do not drift with the order in which passages were added.
    metadata = {"hnsw:space": "cosine", "hnsw:search_ef": 256, "hnsw:construction_ef": 256}
    return client.get_or_create_collection(name, metadata=metadata, embedding_function=None)


def _get_collection(client: Any, name: str) -> Any:
    # No embedding function: the advisor always passes vectors, and Chroma's default one would download a model.
    return client.get_collection(name, embedding_function=None)


class LocalStore:
    """Generations as folders under index_dir, each an embedded Chroma store plus a BM25 folder."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.location = str(index_dir)
        self._clients: dict[str, list[Any]] = {}  # generation → Chroma clients opened on it, to close
        self._clients_lock = threading.Lock()

    def check(self) -> None:
        """Nothing to reach: the store is on this machine."""

    def read_pointer(self) -> Pointer | None:
        path = self.index_dir / POINTER_FILE
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            # Unreadable for this user is not damaged: a rebuild would replace another user's index.
            raise storage_error(exc, "read the index at", self.index_dir) or IndexDamaged(
                f"{POINTER_FILE} cannot be read ({exc})"
            ) from None
        return Pointer.from_json(raw, POINTER_FILE)

    def write_pointer(self, pointer: Pointer) -> None:
        write_atomically(self.index_dir / POINTER_FILE, pointer.to_json())

    def generations(self) -> list[str]:
        if not self.index_dir.is_dir():
            return []
        return sorted(p.name for p in self.index_dir.iterdir() if p.is_dir() and _GENERATION.fullmatch(p.name))

    def collections(self, generation: str, create: bool) -> tuple[Any, Any]:
        import chromadb

        path = self.index_dir / generation / "chroma"
        if not create and not (path / "chroma.sqlite3").is_file():
            raise IndexDamaged(f"{generation}/chroma is missing")
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        with self._clients_lock:
            self._clients.setdefault(generation, []).append(client)
        if create:
            return _create_collection(client, PASSAGES), _create_collection(client, SENTENCES)
        return _get_collection(client, PASSAGES), _get_collection(client, SENTENCES)

    def save_bm25(self, generation: str, retriever: Any) -> None:
        retriever.persist(str(self.index_dir / generation / "bm25"), show_progress=False)

    def load_bm25(self, generation: str, build: Callable[[], Any]) -> Any:
        import bm25s  # directly: loading through llama-index's BM25Retriever would import llama-index

        folder = self.index_dir / generation / "bm25"
        if not folder.is_dir():
            raise IndexDamaged(f"the BM25 index {generation}/bm25 is missing")
        return bm25s.BM25.load(str(folder), load_corpus=True)

    def release(self, generation: str) -> None:
        """Close one Chroma client opened on ``generation``: Chroma counts its clients per folder and
        closes the database and vector files with the last one."""
        with self._clients_lock:
            clients = self._clients.get(generation) or []
            client = clients.pop() if clients else None
            if not clients:
                self._clients.pop(generation, None)
        if client is not None:
            client.close()

    def share(self, generation: str) -> None:
        """Give a finished generation's files the permissions the umask gives: SQLite creates Chroma's
        database 0644 whatever the umask, which in a group-shared install locks the group out (Chroma
        writes to its database even to answer)."""
        mask = umask()
        folder = self.index_dir / generation
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)

    def discard(self, keep: set[str]) -> None:
        for name in self.generations():
            if name not in keep:
                shutil.rmtree(self.index_dir / name, ignore_errors=True)
        if keep:
            for name in _LEGACY:
                path = self.index_dir / name
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                elif path.exists():
                    path.unlink()


class ServerStore:
    """Generations as collections on a Chroma server, shared by every app instance that points at it."""

    META = "advisor-index"
    PREFIX = "advisor-"

    def __init__(self, url: str) -> None:
        import chromadb

        self.location = url
        parts = urlsplit(url)
        try:
            self.client = chromadb.HttpClient(
                host=parts.hostname or "",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=_chroma_settings(),
            )
        except ValueError as exc:  # Chroma's "Could not connect to a Chroma server", from a connection error
            if not _connection_failure(exc):
                raise
            raise self.unreachable(exc) from None

    def unreachable(self, exc: BaseException) -> UserError:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return UserError(
            f"Cannot reach the Chroma server at {self.location} ({reason}). Start it, or unset "
            "ADVISOR_CHROMA_URL / CHROMA_HOST to use the index on this machine."
        )

    def check(self) -> None:
        """UserError naming the server when it cannot be reached, so a failure mid-way is not taken for damage."""
        try:
            self.client.heartbeat()
        except Exception as exc:
            if not _connection_failure(exc):
                raise  # the server answered: whatever went wrong, it was not reaching it
            raise self.unreachable(exc) from None

    def _meta(self) -> Any:
        try:
            return self.client.get_or_create_collection(self.META, embedding_function=None)
        except Exception as exc:
            if not _connection_failure(exc):
                raise
            raise self.unreachable(exc) from None

    def read_pointer(self) -> Pointer | None:
        metadata = self._meta().metadata or {}
        if "pointer" not in metadata:
            return None
        return Pointer.from_json(str(metadata["pointer"]), f"the pointer in collection {self.META}")

    def write_pointer(self, pointer: Pointer) -> None:
        self._meta().modify(metadata={"pointer": pointer.to_json()})  # one row update on the server: atomic

    def generations(self) -> list[str]:
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        found = {n[len(self.PREFIX) :].rsplit("-", 1)[0] for n in names if n.startswith(self.PREFIX + "gen-")}
        return sorted(g for g in found if _GENERATION.fullmatch(g))

    def _names(self, generation: str) -> tuple[str, str]:
        return f"{self.PREFIX}{generation}-passages", f"{self.PREFIX}{generation}-sentences"

    def collections(self, generation: str, create: bool) -> tuple[Any, Any]:
        passages, sentences = self._names(generation)
        if create:
            return _create_collection(self.client, passages), _create_collection(self.client, sentences)
        return _get_collection(self.client, passages), _get_collection(self.client, sentences)

    def save_bm25(self, generation: str, retriever: Any) -> None:
        """Nothing to save: every instance rebuilds BM25 from the passages when it opens the index."""

    def load_bm25(self, generation: str, build: Callable[[], Any]) -> Any:
        return build()

    def share(self, generation: str) -> None:
        """Nothing to do: the server owns its files."""

    def release(self, generation: str) -> None:
        """Nothing to do: one HTTP client serves every generation."""

    def discard(self, keep: set[str]) -> None:
        for generation in self.generations():
            if generation not in keep:
                for name in self._names(generation):
                    with suppress(Exception):  # already gone: half-built, or another builder's cleanup
                        self.client.delete_collection(name)


def _connection_failure(exc: BaseException) -> bool:
    """Is ``exc``, or what it wraps, a failure to reach the server (refused, timed out, no such host,
    TLS)? Chroma's client raises these as they are, or wrapped in a ValueError of its own."""
    import httpx

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (httpx.TransportError, ConnectionError, TimeoutError, socket.gaierror)):
            return True
        current = current.__cause__ or current.__context__
    return False


def make_store(settings: Any) -> Store:
    """The Chroma server when one is configured, else the embedded store under index_dir."""
    return ServerStore(settings.chroma_url) if settings.chroma_url else LocalStore(settings.index_dir)


def umask() -> int:
    """This process's umask, read without changing it (other threads may be creating files)."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: str | bytes) -> None:
    """Write a temporary file beside ``path`` and rename it over, so readers see old or new, never half.
    ``data``: text (UTF-8) or bytes.

    A new file gets the permissions the user's umask gives, as any file would (0664 under a group's
    umask 002, so a shared install stays shared); a replaced file keeps the permissions it had."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    temp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # 0666 less the umask
    try:
        with os.fdopen(fd, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


_guard = threading.Lock()
_held: dict[Path, tuple[threading.RLock, list[int]]] = {}


@contextmanager
def build_lock(index_dir: Path, on_wait: Callable[[str], None]) -> Iterator[None]:
    """One builder at a time per machine (an flock, released by the OS if the process dies);
    re-entrant within a process, so ``advisor add`` can hold it across copy, manifest and sync."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, "create the index folder", index_dir) or exc from None
    path = (index_dir / LOCK_FILE).resolve()
    with _guard:
        rlock, state = _held.setdefault(path, (threading.RLock(), [0, -1]))  # [depth, fd]
    with rlock:
        if state[0] == 0:
            fd = _open_lock(path)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    on_wait("Another index build is running; waiting for it to finish…")
                    fcntl.flock(fd, fcntl.LOCK_EX)
            except BaseException:
                os.close(fd)
                raise
            state[1] = fd
        state[0] += 1
        try:
            yield
        finally:
            state[0] -= 1
            if state[0] == 0:
                os.close(state[1])  # closing the descriptor releases the flock


def _open_lock(path: Path) -> int:
    """The lock file's descriptor: created 0666 less the umask, so every user of a shared install can
    take the lock; opened for reading only when it belongs to someone else (flock needs no more)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError:
        if path.exists():
            with suppress(OSError):
                return os.open(path, os.O_RDONLY)
        raise storage_error(PermissionError(13, "Permission denied"), "lock the index folder", path.parent) from None
    except OSError as exc:
        raise storage_error(exc, "lock the index folder", path.parent) or exc from None
