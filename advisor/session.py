"""One opened advisor: the index and the answerer, shared by every front end (CLI, web app, evals).

Opening is the expensive part (models, Chroma, BM25), so a process opens one ``Session`` and
answers every question through it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from advisor.config import Settings


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Session:
    """The index (built on first use) and the answerer the settings or ``backend`` ask for."""

    def __init__(
        self, settings: Settings, backend: str | None = None, on_build: Callable[[str], None] = _to_stderr
    ) -> None:
        from advisor.backends import make_answerer
        from advisor.embeddings import shared_encoder
        from advisor.index import open_index

        shared_encoder().load_in_background()
        self.settings = settings
        self.backend = backend
        self.index = open_index(settings, on_build=on_build)
        self.answerer = make_answerer(self.index, settings, backend)

    def filters(
        self, conditions: Sequence[str] = (), sources: Sequence[str] = (), parts: Sequence[str] = ()
    ) -> Any:  # -> Filters
        """Filters from names as users type them; an unknown name is a UserError listing the valid ones."""
        from advisor.retrieve import resolve_filters

        return resolve_filters(self.index, list(conditions), list(sources), list(parts))
