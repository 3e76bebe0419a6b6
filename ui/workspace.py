"""The web app's workspaces: each user's saved conversations and notes, kept in the server's memory.

A workspace belongs to the login (with ``--auth``) or else to the browser: the HttpOnly session
cookie the server issues (``ui/guard.py``), so a reload, or a second tab, finds the same
conversations, and a client that knows another's Gradio session id finds none of them. They live
in this process's memory, not in the browser's storage: an answer keeps its passages and sentences
as Python objects (the conversation's follow-ups and the source panel need them), and nothing of a
briefing is left on a shared computer's disk. A restart forgets them. Everything is bounded:
workspaces, conversations per workspace, answers per conversation and notes.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from advisor.answer import Answer
from advisor.conversation import Conversation
from advisor.notes import Note

# An answer kept costs about 5.4 KiB (its passages are the index's own objects), so at these bounds the
# workspaces hold at most about 270 MiB, and a day of an office's briefings a few MiB.
MAX_WORKSPACES = 100  # browsers or users remembered; the least recently used is forgotten first
MAX_CONVERSATIONS = 10  # per workspace; the least recently used is forgotten first
MAX_TURNS = 50  # answers per conversation; older ones are forgotten (their citations stop opening)
MAX_NOTES = 100  # per workspace
NAME_CHARS = 80


@dataclass
class Turn:
    """One answered question as the chat shows it: what was asked, the answer, and how it was searched."""

    question: str
    answer: Answer
    searched: str | None = None  # "Searched for: …" (a follow-up) or "Reworked …" (a command)
    filters: list[str] = field(default_factory=list)  # the conditions and documents the search was limited to


@dataclass
class Thread:
    """A saved conversation: its name, its answers (numbered by turn for citation links) and its memory."""

    id: str
    name: str = ""
    turns: list[Turn | None] = field(default_factory=list)  # None: an answer past MAX_TURNS, forgotten
    memory: Conversation | None = None
    updated: float = field(default_factory=time.time)
    download: str | None = None  # the export file the page offers for this conversation
    scope: str = "answer"  # what the export holds: "answer" (the latest answer) or "conversation"
    exported: int | None = None  # the turn whose answer the export holds

    def conversation(self, model: Any) -> Conversation:
        if self.memory is None:
            self.memory = Conversation(model)
        return self.memory

    def add(self, turn: Turn) -> int:
        """Keep the answer and return its turn number; numbers stay stable as old answers are forgotten."""
        self.turns.append(turn)
        if len(self.turns) > MAX_TURNS:
            self.turns[-MAX_TURNS - 1] = None
        if not self.name:
            self.name = _name(turn.question)
        self.updated = time.time()
        return len(self.turns) - 1

    def turn(self, number: int) -> Turn | None:
        return self.turns[number] if 0 <= number < len(self.turns) else None

    def answered(self) -> list[tuple[int, Turn]]:
        """The turns still kept, with their numbers."""
        return [(n, t) for n, t in enumerate(self.turns) if t is not None]

    def clear(self) -> None:
        """Forget every answer and the follow-up memory (the chat's trash icon)."""
        self.turns.clear()
        self.memory = None
        self.exported = None

    @property
    def label(self) -> str:
        count = len(self.answered())
        return f"{self.name or 'New conversation'} ({count} answer{'' if count == 1 else 's'})"


class Workspace:
    """One user's (or browser's) conversations and notes. Handlers hold ``lock`` while they change it."""

    def __init__(self) -> None:
        self.threads: OrderedDict[str, Thread] = OrderedDict()  # least recently used first
        self.notes: list[Note] = []
        self.notes_download: str | None = None
        self.lock = threading.RLock()

    def new(self) -> Thread:
        thread = Thread(secrets.token_hex(8))
        self.threads[thread.id] = thread
        while len(self.threads) > MAX_CONVERSATIONS:
            self.threads.popitem(last=False)
        return thread

    def find(self, thread_id: str | None) -> Thread | None:
        """The conversation ``thread_id``, else the most recently used one (a tab's id may be another
        workspace's: Gradio shares a tab's state with any client that sends its session id)."""
        return self.threads.get(thread_id or "") or next(reversed(self.threads.values()), None)

    def open(self, thread_id: str | None) -> Thread:
        """``find``, or a new conversation; it becomes the most recently used."""
        thread = self.find(thread_id) or self.new()
        self.threads.move_to_end(thread.id)
        return thread

    def delete(self, thread_id: str) -> Thread | None:
        return self.threads.pop(thread_id, None)

    def rename(self, thread_id: str, name: str) -> None:
        if thread_id in self.threads:
            self.threads[thread_id].name = _name(name)

    def choices(self) -> list[tuple[str, str]]:
        """(label, id) of each conversation, the most recently used first."""
        return [(t.label, t.id) for t in reversed(self.threads.values())]

    def pin(self, note: Note) -> None:
        self.notes.append(note)
        del self.notes[:-MAX_NOTES]


class Workspaces:
    """Every workspace, by owner key; at most MAX_WORKSPACES, the least recently used forgotten first."""

    def __init__(self, limit: int = MAX_WORKSPACES) -> None:
        self.limit = limit
        self._spaces: OrderedDict[str, Workspace] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, owner: str) -> Workspace:
        with self._lock:
            space = self._spaces.pop(owner, None) or Workspace()
            self._spaces[owner] = space
            while len(self._spaces) > self.limit:
                self._spaces.popitem(last=False)
            return space

    def __len__(self) -> int:
        return len(self._spaces)


def owner_key(username: str | None, cookie: str | None) -> str | None:
    """Whose workspace a request reads: the login when there is one, else the browser's cookie; None
    for a client that sends neither (it gets a workspace of its own tab only)."""
    if username:
        return f"user:{username}"
    return f"browser:{cookie}" if cookie else None


def _name(text: str) -> str:
    name = " ".join(text.split())
    return name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1].rstrip() + "…"
