"""A build's progress in the terminal: a tqdm bar on stderr while the index is built or updated.

The bar counts passages (copied or embedded into the new generation) and shows documents,
sentences, elapsed and remaining time. It appears only when stderr is a terminal and the output is
not JSON, so scripts, pipes and logs get the summary line alone. The advisor sets TQDM_DISABLE to
keep its libraries' own bars quiet; this bar asks for itself explicitly and stays on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from advisor.build import BuildProgress, ProgressHook

STAGES = {
    "copying": "Copying unchanged passages",
    "embedding": "Embedding new passages",
    "bm25": "Building the keyword index",
    "done": "Indexed",
}
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} passages [{elapsed}<{remaining}]{postfix}"


class TerminalProgress:
    """A progress hook that draws one tqdm bar per build on ``stream``."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.bar: Any = None

    def __call__(self, progress: BuildProgress) -> None:
        stage = STAGES.get(progress.stage, progress.stage)
        counts = (
            f"{progress.documents}/{progress.documents_total} documents, "
            f"{progress.sentences:,}/{progress.sentences_total:,} sentences"
        )
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                desc=stage,
                total=progress.passages_total,
                postfix=counts,
                file=self.stream,
                bar_format=BAR_FORMAT,
                dynamic_ncols=True,
                leave=False,  # the summary line that follows says what was indexed
                disable=False,  # explicitly: TQDM_DISABLE, set for the libraries, would hide it
            )
        self.bar.set_description_str(stage, refresh=False)
        self.bar.set_postfix_str(counts, refresh=False)
        self.bar.update(progress.passages - self.bar.n)
        self.bar.refresh()
        if progress.stage == "done":
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@contextmanager
def terminal_progress(quiet: bool = False, stream: TextIO | None = None) -> Iterator[ProgressHook | None]:
    """A bar on stderr when it is a terminal and ``quiet`` (JSON output) is not asked for; else None.
    The bar is cleared however the build ends (Ctrl-C included)."""
    stream = stream or sys.stderr
    if quiet or not stream.isatty():
        yield None
        return
    hook = TerminalProgress(stream)
    try:
        yield hook
    finally:
        hook.close()
