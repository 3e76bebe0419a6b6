"""One opened advisor: the index and the answerer, shared by every front end (CLI, web app, evals).

Opening is the expensive part (models, Chroma, BM25), so a process opens one ``Session`` and
answers every question through it. ``refresh`` lets a long-running process pick up an index that
another process rebuilt (``advisor index``, ``advisor add``) without a restart.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from advisor.config import Settings

if TYPE_CHECKING:
    from advisor.answer import Answerer
    from advisor.build import ProgressHook
    from advisor.retrieve import Filters


def to_stderr(message: str) -> None:
    """Progress and index notices go to stderr, so stdout stays the answer (or JSON)."""
    print(message, file=sys.stderr, flush=True)


class Session:
    """The index (built on first use) and the answerer the settings or ``backend`` ask for."""

    def __init__(
        self,
        settings: Settings,
        backend: str | None = None,
        on_build: Callable[[str], None] = to_stderr,
        progress: ProgressHook | None = None,
    ) -> None:
        """``progress`` hears how far a first-use build has got (a terminal bar, a web page's indicator)."""
        from advisor.backends import make_answerer
        from advisor.embeddings import shared_encoder
        from advisor.index import open_index

        encoder = shared_encoder()
        encoder.load_in_background()
        self.settings = settings
        self.backend = backend
        self.on_build = on_build
        try:
            self.index = open_index(settings, on_build=on_build, progress=progress)
        except BaseException:
            # A process that exits while ONNX Runtime is still loading on its thread aborts ("terminate
            # called without an active exception", SIGABRT) instead of printing the error and exiting 2.
            encoder._wait_for_load()
            raise
        self.answerer: Answerer = make_answerer(self.index, settings, backend)
        self.answerer.warm_up()  # the first question does not wait for the models
        self._reloading = threading.Lock()

    def refresh(self) -> bool:
        """Reopen the index and answerer if another process swapped in a new generation; True if it did.

        Cheap when nothing changed (one read of the pointer file, or one request to the Chroma
        server), so a web app can call it before every question. A new generation that fails its
        checks is not taken: the session keeps answering from the one it has, and says why.
        """
        from advisor.backends import make_answerer
        from advisor.errors import StorageError
        from advisor.index import Index
        from advisor.store import IndexDamaged

        with self._reloading:
            try:
                pointer = self.index.store.read_pointer()
                if pointer is None or (pointer.generation, pointer.state.get("built_at")) == (
                    self.index.generation,
                    self.index.built_at,
                ):
                    return False
                if pointer.generation == self.index.generation:
                    # The folder was deleted and rebuilt under the same name: Chroma shares one handle per
                    # folder, so the old one must go before the new one can be read.
                    self.index.close()
                index = Index(self.index.store, pointer)
            except (IndexDamaged, StorageError) as exc:
                self.on_build(f"advisor: the new index could not be opened ({exc}); still using the previous one.")
                return False
            # The answerer holds its own index, so a question already running finishes on the old one.
            answerer = make_answerer(index, self.settings, self.backend)
            answerer.warm_up()
            self.answerer, self.index = answerer, index
            return True

    def filters(
        self, conditions: Sequence[str] = (), sources: Sequence[str] = (), parts: Sequence[str] = ()
    ) -> Filters:
        """Filters from names as users type them; an unknown name is a UserError listing the valid ones."""
        from advisor.retrieve import resolve_filters

        return resolve_filters(self.index, list(conditions), list(sources), list(parts))
