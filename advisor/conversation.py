"""Conversations: which questions depend on the one before, and commands that rework the last answer.

Three kinds of turn:

- a **stand-alone** question is searched for as asked. Words like "this", "there" or "its" do not
  make a question a follow-up when it names its own subject ("What does the framework say about
  this year's assessment pilots?");
- a **follow-up** leans on the conversation ("what about funding for that?", "does it need a
  statute?", "and for teachers?"). With a model, the model rewrites it (advisor/prompts/condense.txt);
  without one, it is searched for together with the subject of the turn it follows (that turn's own
  words, never a previous rewrite, so rewrites don't nest);
- a **command** about the last answer ("shorter", "summarize that in two sentences", "as talking
  points", "which of these need legislation?", "rewrite them as three bullets") works on that
  answer's sources, with no new search.

Refused turns (injections, out-of-role requests, questions the sources don't cover) are never
context for the next one. ``clear`` forgets everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.intent import LEGISLATION_SPLIT, Shape
from advisor.lexicon import STOPWORDS, words
from advisor.prompts import render

if TYPE_CHECKING:
    from advisor.answer import Answer, Answerer, AnswerStream
    from advisor.llm import ChatModel
    from advisor.retrieve import Filters

NEW, FOLLOW_UP, COMMAND = "stand-alone", "follow-up", "command"

_OPENS_ON_CONTEXT = re.compile(
    r"^\W*(?:what|how)\s+about\b|^\W*(?:and|also|but|so|then|plus)\b|^\W*what\s+if\b|^\W*same\s+(?:for|with)\b|"
    r"^\W*(?:why|how\s+so|really|says\s+who|like\s+what|such\s+as)\W*$|^\W*(?:what|how)\s+else\b|"
    r"^\W*(?:is|are|does|do|did|can|could|would|should|will)\s+(?:it|that|this|they|those|these|there)\b|"
    r"^\W*(?:tell\s+me\s+more|more\s+on|more\s+about|go\s+on|elaborate|expand\s+on|explain\s+(?:that|this|it))\b",
    re.IGNORECASE,
)
# A pronoun, or a demonstrative before a noun, that points back ("does it need a statute?", "which of
# those…", "all four", "ask for one"); "this year's" or "this session" point at the calendar, not back.
_ANAPHOR = re.compile(
    r"\b(?:it|its|they|them|their|theirs|the\s+same|the\s+above|the\s+previous|the\s+latter|the\s+former|such|"
    r"(?:all|both|each|either|neither)\s+(?:two|three|four|five|of\s+(?:them|these|those))|"
    r"(?:that|this)\s+one|(?:for|of|with|about|on|to|do|does|did)\s+(?:that|this|those|these|one)\s*[?.!]?\s*$|"
    r"(?:ask|apply|request|look|call)\s+for\s+one|"
    r"(?:this|that|these|those)\s+(?!(?:year|week|month|session|spring|fall|summer|winter|morning|afternoon|"
    r"semester|term|quarter|time)s?\b|(?:is|was|are|were|means|memo|briefing|question)\b)[a-z]+)\b",
    re.IGNORECASE,
)
# Words that never name a subject on their own: framing, pronouns, generic policy words.
_EMPTY = STOPWORDS | frozenset(
    """what whats how why when where who which does do did is are was were can could should would will framework
    frameworks source sources say says tell explain describe mean means about also more else need needs state states
    policy policies thing things one ones part parts kind kinds way ways work there here answer point points example
    examples like same above previous latter former again please really okay ok yes no sure besides other another
    then now just only look looks looking happen happens make makes get gets""".split()
)

_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "a": 1, "single": 1}
_SHORTER = re.compile(
    r"^\W*(?:(?:make\s+(?:it|that|this)\s+)?(?:shorter|briefer|more\s+concise|less\s+long)|too\s+long|"
    r"(?:can\s+you\s+)?(?:shorten|trim|cut\s+down)\s+(?:it|that|this|them)|tl;?dr|the\s+short\s+version)\W*",
    re.IGNORECASE,
)
_SUMMARIZE = re.compile(
    r"^\W*(?:(?:can\s+you\s+|please\s+)?(?:summari[sz]e|sum\s+up|boil\s+down|condense|recap)"
    r"(?:\s+(?:that|this|it|them|those|these|the\s+(?:answer|above|last\s+answer)))?(?:\s+(?:for\s+me|please))?\W*$|"
    r"(?:can\s+you\s+|please\s+)?(?:summari[sz]e|sum\s+up|boil\s+down|condense|recap)\s+"
    r"(?:that|this|it|them|those|these|the\s+(?:answer|above|last\s+answer))|"
    r"(?:now\s+)?(?:say\s+(?:that|it)|put\s+(?:that|it))\s+in\s+(?:one|two|three|a|a\s+single)\s+sentences?)"
    r"(?:\s+in\s+(?P<n>one|two|three|four|five|a|a\s+single|\d)\s+sentences?)?",
    re.IGNORECASE,
)
_IN_N_SENTENCES = re.compile(r"\bin\s+(?P<n>one|two|three|four|five|a|\d)\s+(?:single\s+)?sentences?\b", re.I)
_AS_POINTS = re.compile(
    r"^\W*(?:now\s+)?"
    r"(?:(?:give\s+(?:me\s+)?(?:that|this|it|them)|put\s+(?:that|this|it|them)|turn\s+(?:that|this|it|them)\s+into|"
    r"make\s+(?:that|this|it|them)(?:\s+into)?|(?:can\s+you\s+)?(?:write|redo|rewrite|reformat|format)\s+"
    r"(?:that|this|it|them)(?:\s+up)?)\s+)?"
    r"(?:as\s+|in\s+|into\s+)?(?:(?P<n>one|two|three|four|five|\d)\s+)?(?:(?:short|persuasive|punchy|quick)\s+)*"
    r"(?:talking\s+points|bullets?|bullet\s+points|points)\b(?!\s+(?:on|about|regarding)\s+\w)",
    re.IGNORECASE,
)
_REWRITE = re.compile(r"\b(?:rewrite|reword|rephrase|persuasive|punchier|more\s+compelling|spin)\b", re.I)
_ABOUT_LAST = re.compile(
    r"\b(?:of|among)\s+(?:these|those|them|the\s+above|that\s+list)\b|\b(?:these|those|them|they)\b", re.I
)


@dataclass(frozen=True)
class Command:
    """A rework of the last answer: its mode, how many quotes it keeps, its shape."""

    name: str  # shorter | summarize | talking points | legislation split | rewrite
    mode: str | None = None
    limit: int | None = None
    shape: Shape = field(default_factory=Shape)
    note: str | None = None


def parse_command(question: str) -> Command | None:
    """The command a turn gives about the last answer, if it is one."""
    from advisor.intent import shape_of

    n_match = _IN_N_SENTENCES.search(question)
    n = _number(n_match.group("n")) if n_match else None
    if _SUMMARIZE.search(question):
        return Command("summarize", limit=n or 2)
    if _SHORTER.search(question):
        return Command("shorter", limit=n)
    points = _AS_POINTS.search(question)
    if points:
        count = _number(points.group("n")) if points.group("n") else None
        if _REWRITE.search(question):
            note = (
                "The offline answerer quotes its sources and does not rewrite them; these are quoted points "
                "from the previous answer's sources."
            )
            return Command("rewrite", "talking-points", count, note=note)
        return Command("talking points", "talking-points", count)
    if shape_of(question).kind == LEGISLATION_SPLIT and _ABOUT_LAST.search(question):
        return Command("legislation split", shape=Shape(LEGISLATION_SPLIT))
    return None


def _number(text: str) -> int:
    text = text.lower().replace("a single", "single")
    return int(text) if text.isdigit() else _NUMBERS.get(text, 2)


def subject_words(question: str) -> list[str]:
    """The words that name what a question is about (no framing, pronouns or generic words)."""
    return [w for w in words(question) if w not in _EMPTY and len(w) > 2]


def is_follow_up(question: str) -> bool:
    """A question that cannot be understood without the conversation before it."""
    subject = subject_words(question)
    if _OPENS_ON_CONTEXT.search(question):
        return len(subject) < 4  # "And what does the framework say about funding equity for rural districts?" stands
    pointing = [m for m in _ANAPHOR.finditer(question) if not _resolved_inside(question, m)]
    if pointing:
        return len(subject) < 5  # a question this specific names its own subject, whatever "it" refers to
    return len(subject) == 0


def _resolved_inside(question: str, match: re.Match) -> bool:
    """'its'/'their' after the question has named its subject ("educator diversity and its pipelines")."""
    return match.group(0).lower() in ("its", "their") and len(subject_words(question[: match.start()])) >= 2


@dataclass
class Turn:
    question: str  # as the user asked it
    standalone: str  # as it was searched for (or, for a command, the turn it reworked)
    answer: Answer
    kind: str = NEW
    subject: str = ""  # the words a follow-up to this turn is searched with


@dataclass
class Plan:
    """How one turn will be answered: its kind, what is searched for, and a command if it is one."""

    kind: str
    standalone: str
    command: Command | None = None


@dataclass
class Conversation:
    """The turns so far. ``ask``/``stream`` answer the next turn; ``clear`` forgets them."""

    model: ChatModel | None = None
    turns: list[Turn] = field(default_factory=list)
    max_turns: int = 6

    def context(self) -> Turn | None:
        """The last turn that can be leaned on: answered, at least in part."""
        return next((t for t in reversed(self.turns) if not t.answer.refused), None)

    def plan(self, question: str) -> Plan:
        previous = self.context()
        if previous is not None:
            command = parse_command(question)
            if command is not None:
                return Plan(COMMAND, previous.standalone, command)
            if is_follow_up(question):
                return Plan(FOLLOW_UP, self._rewrite(question, previous))
        return Plan(NEW, question)

    def _rewrite(self, question: str, previous: Turn) -> str:
        if self.model is not None:
            from advisor.llm import Message, ModelError

            history = "\n".join(
                f"User: {t.question}\nAssistant: {t.answer.text[:400]}" for t in self.turns[-self.max_turns :]
            )
            try:
                reply = self.model.chat([Message("user", render("condense", history=history, question=question))])
            except ModelError:
                reply = ""
            line = next((x.strip() for x in reply.splitlines() if x.strip()), "")
            line = re.sub(r"^(stand-alone question|question)\s*:\s*", "", line, flags=re.IGNORECASE).strip(" \"'")
            if 3 <= len(line) <= 500:
                return line
        return f"{question} ({previous.subject})"

    def stream(
        self,
        answerer: Answerer,
        question: str,
        mode: str = "answer",
        filters: Filters | None = None,
        unsupported: str = "flag",
    ) -> tuple[AnswerStream, Plan]:
        """Answer the next turn (as a stream); call ``add`` with the finished answer."""
        from advisor.answer import Answer, AnswerStream
        from advisor.retrieve import Filters

        plan = self.plan(question)
        if plan.kind == COMMAND:
            previous = self.context()
            assert previous is not None and plan.command is not None
            stream = answerer.rework(question, previous.answer, plan.command, mode, unsupported=unsupported)
            return stream, plan
        if parse_command(question) is not None and not self.turns:
            answer = Answer(
                question,
                mode,
                True,
                answerer.name,
                reason="no earlier answer to rework",
                refusal_text="There is no earlier answer in this conversation to rework; ask a question first.",
            )
            return AnswerStream(iter([answer.text]), answer), plan
        stream = answerer.stream(plan.standalone, mode, filters=filters or Filters(), unsupported=unsupported)
        return stream, plan

    def ask(
        self,
        answerer: Answerer,
        question: str,
        mode: str = "answer",
        filters: Filters | None = None,
        unsupported: str = "drop",
    ) -> tuple[Answer, Plan]:
        """Answer the next turn and remember it."""
        stream, plan = self.stream(answerer, question, mode, filters, unsupported)
        answer = stream.finish()
        self.add(question, plan, answer)
        return answer, plan

    def add(self, question: str, plan: Plan, answer: Answer) -> None:
        previous = self.context()
        if plan.kind == NEW:
            subject = " ".join(subject_words(question))
        else:  # a follow-up or command keeps the subject of the turn it leans on, plus its own words
            base = previous.subject if previous else ""
            subject = " ".join(dict.fromkeys((base + " " + " ".join(subject_words(question))).split()))
        self.turns.append(Turn(question, plan.standalone, answer, plan.kind, subject))
        del self.turns[: -self.max_turns]

    def clear(self) -> None:
        self.turns.clear()
