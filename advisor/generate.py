"""Answers written by a chat model, with every citation verified before the user relies on it.

The model gets the retrieved passages numbered [1]..[k] and must cite them. When the reply is
complete, it goes through the citation check (``citations.py``: markers parsed, dangling ones
removed and counted, each sentence judged against the passages it cites; unsupported sentences
dropped or flagged, as the caller chooses). An answer with nothing supported left, or a model
that fails, falls back to the extractive answer with a note saying why.
"""

from __future__ import annotations

from collections.abc import Iterator

from advisor.answer import Answer, AnswerStream
from advisor.citations import UNSUPPORTED_POLICIES, check_citations, parse_claims
from advisor.conversation import Command
from advisor.coverage import PARTIAL
from advisor.errors import UserError, show_traceback_if_debugging
from advisor.extractive import ExtractiveAnswerer
from advisor.llm import ChatModel, Message, ModelError
from advisor.prompts import render
from advisor.refusal import Gate, declined_by_model, gap_sentence, model_declines
from advisor.retrieve import Filters, Hit
from advisor.support import SupportJudge


def numbered_passages(hits: list[Hit]) -> str:
    """The passages as the model sees them: a number, where the passage sits, then its text."""
    blocks = []
    for n, hit in enumerate(hits, start=1):
        p = hit.passage
        where = " › ".join(x for x in (p.source, p.condition, p.part, p.heading) if x)
        blocks.append(f"[{n}] ({where})\n<<<\n{p.text}\n>>>")
    return "\n\n".join(blocks)


def coverage_instruction(gate: Gate) -> str:
    """The coverage decision, told to the model: what the sources don't cover is not its to fill in."""
    if gate.coverage.outcome != PARTIAL:
        return ""
    missing = "; ".join(gate.coverage.missing)
    return (
        f"The passages do not cover: {missing}. Do not answer that part or guess it; the reader is told so "
        "separately. Answer only what the passages do say that is related, and cite it."
    )


class GenerativeAnswerer:
    """A chat model's answer over the same retrieval and refusal gate as the extractive one."""

    name = "openai"

    def __init__(self, extractive: ExtractiveAnswerer, model: ChatModel, judge: SupportJudge) -> None:
        """Cheap: no connection is made and no client is built until ``warm_up`` or the first question."""
        self.extractive = extractive
        self.model = model
        self.judge = judge
        self.settings = extractive.settings
        self.index = extractive.index
        self.retriever = extractive.retriever
        self.gatekeeper = extractive.gatekeeper  # the same refusal gate as the offline answerer

    def warm_up(self) -> None:
        """The embedding model, and the model's client (its import and connection pool; no request)."""
        self.extractive.warm_up()
        self.model.client()

    def answer(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> Answer:
        """The verified answer, once the whole reply is in."""
        return self.stream(question, mode, k, filters, unsupported).finish()

    def stream(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> AnswerStream:
        if unsupported not in UNSUPPORTED_POLICIES:  # checked now, not when the reply is in
            raise ValueError(f"unsupported must be one of {UNSUPPORTED_POLICIES}")
        result = AnswerStream(iter(()))
        result.deltas = self._run(question, mode, k, filters, unsupported, result)
        return result

    def rework(
        self, question: str, previous: Answer, command: Command, mode: str = "answer", unsupported: str = "drop"
    ) -> AnswerStream:
        """A command about the previous answer, written by the model from that answer's sources."""
        gate = self.extractive.rework_gate(previous, command)
        asked = f"{question} (This is about the earlier question: {previous.question})"
        result = AnswerStream(iter(()))
        result.deltas = self._write(asked, command.mode or mode, gate, unsupported, result)
        return result

    def _run(
        self, question: str, mode: str, k: int | None, filters: Filters, unsupported: str, result: AnswerStream
    ) -> Iterator[str]:
        gate = self.gatekeeper.gate(question, mode, k, filters, self.name)
        if isinstance(gate, Answer):  # refused before any model call
            gate.model = self.model.name
            result.answer = gate
            yield gate.text
            return
        yield from self._write(question, mode, gate, unsupported, result)

    def _write(self, question: str, mode: str, gate: Gate, unsupported: str, result: AnswerStream) -> Iterator[str]:
        """The model's reply over the gate's passages, streamed, then verified into ``result.answer``."""
        prompt = "talking_points" if mode == "talking-points" else "answer"
        messages = [
            Message("system", render("system")),
            Message(
                "user",
                render(
                    prompt,
                    passages=numbered_passages(gate.hits),
                    question=question,
                    coverage=coverage_instruction(gate),
                ),
            ),
        ]
        reply: list[str] = []
        try:
            for delta in self.model.stream(messages):
                reply.append(delta)
                yield delta
            if not "".join(reply).strip():
                raise ModelError("the model's reply could not be read (it was empty)")
        except ModelError as exc:
            show_traceback_if_debugging(exc)  # the user sees the note; ADVISOR_DEBUG=1 shows where it came from
            if self.settings.strict:
                raise UserError(f"The model at {self.model.where} failed: {exc.reason}.") from None
            result.answer = self._fallback(question, mode, gate, f"The model could not be used ({exc.reason})")
            yield "\n\n" + result.answer.text if reply else result.answer.text
            return
        result.answer = self.verify(question, mode, gate, "".join(reply), unsupported)

    def verify(self, question: str, mode: str, gate: Gate, reply: str, unsupported: str) -> Answer:
        """The reply through the citation check (``citations.py``); the offline answer if nothing survives."""
        claims = parse_claims(reply)
        said_not_covered = [c for c in claims if model_declines(c.text)]
        claims = [c for c in claims if c not in said_not_covered]
        if said_not_covered and not any(c.markers for c in claims):
            refused = declined_by_model(question, mode, self.name, gate)
            refused.model = self.model.name
            return refused
        checked = check_citations(claims, gate.hits, self.judge, unsupported, self.index.documents)
        kept = checked.sentences
        if not checked.any_supported:
            why = "none of the model's sentences was supported by the passages it cited"
            fallback = self._fallback(question, mode, gate, f"The model's answer was not used ({why})")
            fallback.dropped, fallback.dangling = checked.dropped + len(kept), checked.dangling
            return fallback
        paragraphs = [[gap_sentence(gate.coverage)], kept] if gate.coverage.outcome == PARTIAL else [kept]
        if mode == "talking-points":  # one point a paragraph, as the extractive answerer lays them out
            paragraphs = paragraphs[:-1] + [[s] for s in kept]
        return Answer(
            question,
            mode,
            False,
            self.name,
            paragraphs,
            checked.citations,
            gate.hits,
            model=self.model.name,
            dropped=checked.dropped,
            dangling=checked.dangling,
            coverage=gate.coverage,
        )

    def _fallback(self, question: str, mode: str, gate: Gate, why: str) -> Answer:
        """The extractive answer from the same retrieval (nothing is retrieved twice), with why."""
        answer = self.extractive.answer_from(question, mode, gate)
        answer.model = self.model.name
        answer.note = f"{why}; this is the offline extractive answer."
        return answer
