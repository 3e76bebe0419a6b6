"""Conversations: follow-up questions rewritten into stand-alone ones before retrieval.

"What about funding for that?" retrieves nothing useful on its own. With a model, the model
rewrites it from the conversation (prompts/condense.txt); without one, a deterministic rule
appends the previous stand-alone question when the follow-up leans on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.llm import ChatModel, Message, ModelError
from advisor.prompts import render

_LEANS_ON_CONTEXT = re.compile(
    r"^\s*(what|how)\s+about\b|^\s*(and|also|but|so|then)\b|"
    r"\b(that|this|these|those|it|its|they|them|their|there|such|same|above|previous)\b",
    re.IGNORECASE,
)


def needs_context(question: str) -> bool:
    """Follow-ups point back ('that', 'what about...') or are too short to stand alone."""
    return bool(_LEANS_ON_CONTEXT.search(question)) or len(question.split()) <= 3


def condense_by_rule(question: str, previous: str) -> str:
    return f"{question} (following up on: {previous})" if needs_context(question) else question


@dataclass
class Turn:
    question: str  # as the user asked it
    standalone: str  # as it was retrieved for
    answer: str


@dataclass
class Conversation:
    """The turns so far; ``standalone`` rewrites the next question, ``add`` records its answer."""

    model: ChatModel | None = None
    turns: list[Turn] = field(default_factory=list)
    max_turns: int = 6

    def standalone(self, question: str) -> str:
        if not self.turns or not needs_context(question):
            return question
        previous = self.turns[-1].standalone
        if self.model is None:
            return condense_by_rule(question, previous)
        history = "\n".join(f"User: {t.question}\nAssistant: {t.answer[:400]}" for t in self.turns[-self.max_turns :])
        try:
            rewritten = self.model.chat([Message("user", render("condense", history=history, question=question))])
        except ModelError:
            return condense_by_rule(question, previous)
        line = next((x.strip() for x in rewritten.splitlines() if x.strip()), "")
        line = re.sub(r"^(stand-alone question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip(" \"'")
        return line if 3 <= len(line) <= 500 else condense_by_rule(question, previous)

    def add(self, question: str, standalone: str, answer: str) -> None:
        self.turns.append(Turn(question, standalone, answer))
        del self.turns[: -self.max_turns]
