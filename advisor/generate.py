"""Answers written by a chat model, with every citation verified before the user relies on it.

The model gets the retrieved passages numbered [1]..[k] and must cite them. When the reply is
complete, each sentence's markers are parsed: markers to passages that were not supplied are
removed and counted, and each sentence is checked against the passages it cites by a support
judge. Unsupported sentences are dropped or flagged (the caller chooses); an answer with nothing
left, or a model that fails, falls back to the extractive answer with a note saying why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from advisor.answer import GENERATED, Answer, AnswerStream, CitationList, Sentence
from advisor.conversation import Command
from advisor.coverage import PARTIAL
from advisor.errors import UserError
from advisor.extractive import ExtractiveAnswerer, Gate, gap_sentence
from advisor.llm import ChatModel, Message, ModelError
from advisor.passages import Passage
from advisor.prompts import render
from advisor.retrieve import Filters, Hit
from advisor.support import Support, SupportJudge
from advisor.text import split_sentences

UNSUPPORTED_POLICIES = ("drop", "flag")
_MARKER = re.compile(r"\[(\d+)\]")
_MARKERS_AFTER_END = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_PROMPT_RESIDUE = re.compile(r"›|<<<|>>>")
_MODEL_REFUSAL = re.compile(r"sources (do not|don't|don’t) cover", re.IGNORECASE)


@dataclass
class Claim:
    """A sentence of the model's reply with the passage numbers it cited."""

    text: str
    markers: list[int]


def parse_claims(reply: str) -> list[Claim]:
    """Split a reply into sentences with their [n] markers; 'time. [1]' is read as 'time [1].'."""
    text = _MARKERS_AFTER_END.sub(r"\2\1", reply.replace("\r", ""))
    claims = []
    for sentence in split_sentences(text):
        body = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", sentence)  # list bullets
        markers = [int(n) for n in _MARKER.findall(body)]
        body = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", body)).strip()
        body = re.sub(r"\s{2,}", " ", body)
        if re.search(r"\w", body):
            claims.append(Claim(body, markers))
    return claims


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
        self.extractive = extractive
        self.model = model
        self.judge = judge
        self.settings = extractive.settings
        self.index = extractive.index
        self.retriever = extractive.retriever

    def answer(self, *args: Any, **kwargs: Any) -> Answer:
        """The verified answer, once the whole reply is in (the same arguments as ``stream``)."""
        return self.stream(*args, **kwargs).finish()

    def stream(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> AnswerStream:
        if unsupported not in UNSUPPORTED_POLICIES:
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

    def _run(self, question, mode, k, filters, unsupported, result: AnswerStream) -> Iterator[str]:
        gate = self.extractive.gate(question, mode, k, filters)
        if isinstance(gate, Answer):  # refused before any model call
            gate.backend, gate.model = self.name, self.model.name
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
            if self.settings.strict:
                raise UserError(f"The model at {self.model.where} failed: {exc.reason}.") from None
            result.answer = self._fallback(question, mode, gate, f"The model could not be used ({exc.reason})")
            yield "\n\n" + result.answer.text if reply else result.answer.text
            return
        result.answer = self.verify(question, mode, gate, "".join(reply), unsupported)

    def verify(self, question: str, mode: str, gate: Gate, reply: str, unsupported: str) -> Answer:
        """Check the reply's citations and support; drop or flag what the passages do not back."""
        hits = gate.hits
        claims = parse_claims(reply)
        said_not_covered = [c for c in claims if _MODEL_REFUSAL.search(c.text)]
        claims = [c for c in claims if c not in said_not_covered]
        if said_not_covered and not any(c.markers for c in claims):
            # The model's own "the sources don't cover this", however long: never turned into citations.
            refused = self.extractive.refusal(question, mode, gate.coverage, hits)
            refused.backend, refused.model = self.name, self.model.name
            refused.reason = "the model found nothing in the passages that answers it"
            refused.refusal_text = None
            return refused
        supplied: dict[int, Passage] = {n: h.passage for n, h in enumerate(hits, start=1)}
        citations = CitationList(self.index.documents)
        kept: list[Sentence] = []
        dropped = dangling = 0
        for claim in claims:
            valid = list(dict.fromkeys(n for n in claim.markers if n in supplied))
            dangling += len([n for n in claim.markers if n not in supplied])
            if _PROMPT_RESIDUE.search(claim.text):  # the passages' headers or fences echoed back
                support = Support(False, 0.0, 0.0, 0.0, "repeats the prompt's passage labels, not a claim")
            else:
                support = self.judge.judge(claim.text, [supplied[n] for n in valid])
            if not support.supported and unsupported == "drop":
                dropped += 1
                continue
            numbers = [citations.cite(supplied[n]) for n in valid]
            kept.append(Sentence(claim.text, numbers, GENERATED, support))
        if not any(s.support and s.support.supported for s in kept):
            why = "none of the model's sentences was supported by the passages it cited"
            fallback = self._fallback(question, mode, gate, f"The model's answer was not used ({why})")
            fallback.dropped, fallback.dangling = dropped + len(kept), dangling
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
            citations.items,
            hits,
            model=self.model.name,
            dropped=dropped,
            dangling=dangling,
            coverage=gate.coverage,
        )

    def _fallback(self, question: str, mode: str, gate: Gate, why: str) -> Answer:
        """The extractive answer from the same retrieval (nothing is retrieved twice), with why."""
        answer = self.extractive.answer_from(question, mode, gate)
        answer.model = self.model.name
        answer.note = f"{why}; this is the offline extractive answer."
        return answer
