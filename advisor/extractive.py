"""Retrieved passages → a cited answer, with no language model.

The extractive answerer quotes the sentences of the retrieved passages that best answer the
question (by embedding similarity, computed at index time for the passages' sentences). Rules
that keep a staffer's memo honest:

- every quoted sentence appears verbatim in the one passage it cites;
- a quoted sentence that leans on the one before it ("These programs…", "At the same time,
  they…") is quoted with it, or not at all (``referents.py``);
- labels (condition, part, heading) carry no citation marker: they are the passages' own
  metadata, not claims; the framework's meaning of "transformative policy" is quoted from the
  framework itself when the question is about what needs legislation;
- what the sources don't cover is said first, without a citation; whether to answer at all is
  decided before (``refusal.py``, the gate every backend goes through).

The answer's shape follows the question (``intent.shape_of``): a list of named things, or
transformative policies (formal state authority) apart from implementation actions.
"""

from __future__ import annotations

import re
from functools import cached_property

from advisor.answer import GAP, LABEL, LIST_ITEMS, QUOTE, Answer, AnswerStream, CitationList, Sentence, join_items
from advisor.config import Settings
from advisor.conversation import Command
from advisor.coverage import ANSWERED, PARTIAL, US_STATE, Coverage
from advisor.embeddings import shared_encoder
from advisor.index import Index
from advisor.intent import LEGISLATION_SPLIT, LIST
from advisor.passages import IMPLEMENTATION_ACTION, TRANSFORMATIVE_POLICY, Passage
from advisor.referents import leans_back, with_context
from advisor.refusal import Gate, Gatekeeper, Scored, gap_sentence, nothing_quotable, quote_floor
from advisor.retrieve import Filters, Hit
from advisor.text import name_key


class ExtractiveAnswerer:
    """Quotes the best sentences of the retrieved passages; needs no model and no network."""

    name = "extractive"
    model: None = None  # no chat model: the answers are the sources' own sentences

    def __init__(self, index: Index, settings: Settings) -> None:
        """Cheap: the embedding model loads in ``warm_up`` or on the first question."""
        self.index = index
        self.settings = settings
        self.gatekeeper = Gatekeeper(index, settings)  # whether to answer: advisor/refusal.py
        self.retriever = self.gatekeeper.retriever

    def warm_up(self) -> None:
        shared_encoder().load()

    def stream(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> AnswerStream:
        """The same interface as a model's stream: here the whole answer arrives at once."""
        answer = self.answer(question, mode, k, filters)
        return AnswerStream(iter([answer.text]), answer)

    def answer(
        self,
        question: str,
        mode: str = "answer",
        k: int | None = None,
        filters: Filters = Filters(),
        unsupported: str = "drop",
    ) -> Answer:
        """``unsupported`` is for generated sentences; every sentence here is a quote, so it is ignored."""
        gate = self.gatekeeper.gate(question, mode, k, filters, self.name)
        return gate if isinstance(gate, Answer) else self.answer_from(question, mode, gate)

    def answer_from(self, question: str, mode: str, gate: Gate, limit: int | None = None) -> Answer:
        """The extractive answer for a question that already passed ``gate``; ``limit`` caps the quotes."""
        if gate.shape.kind == LEGISLATION_SPLIT:
            composed = self._legislation_split(question, mode, gate)
            if composed is not None:
                return composed
        if gate.shape.kind == LIST:
            composed = self._structural_list(question, mode, gate)
            if composed is not None:
                return composed
        scored = gate.scored
        if _NAMES_WANTED.search(question) and not gate.given:
            # "Which states…?": the names often sit in the passage just before a retrieved one.
            seen = {h.passage.id for h in gate.hits}
            extra = [p for p in self.gatekeeper.before(gate.hits) if p.id not in seen]
            if re.search(r"\bstates\b", question, re.I):  # and a state is named where the documents name them
                docs = {h.passage.doc_id for h in gate.hits[:3]}
                extra += [
                    p
                    for p in self.index.passages.values()
                    if p.doc_id in docs
                    and p.id not in seen
                    and p not in extra
                    and any(len(set(US_STATE.findall(x))) >= 2 for x in p.sentences)
                ]
            scored = scored + self.gatekeeper.score(
                question, [Hit(p, 0.0, 0.0, 0.0, 0.0, len(seen) + i + 1) for i, p in enumerate(extra)]
            )
        chosen = self._choose(scored, mode, gate.coverage, question, limit)
        if not chosen:
            return nothing_quotable(question, mode, self.name, gate)
        return self._compose(question, mode, gate, chosen)

    def rework(
        self, question: str, previous: Answer, command: Command, mode: str = "answer", unsupported: str = "drop"
    ) -> AnswerStream:
        """A command about the previous answer ("shorter", "as talking points", "which of these need
        legislation?") answered from that answer's own sources, with no new search."""
        answer = self.answer_from(question, command.mode or mode, self.rework_gate(previous, command), command.limit)
        if command.limit is None and command.name == "shorter":
            answer = self.answer_from(
                question,
                command.mode or mode,
                self.rework_gate(previous, command),
                max(1, len(previous.citations) // 2),
            )
        answer.note = command.note
        return AnswerStream(iter([answer.text]), answer)

    def rework_gate(self, previous: Answer, command: Command) -> Gate:
        definitions = {p.id for p, _ in self.part_definitions.values()}
        cited = [c.passage for c in previous.citations if c.passage.id in self.index.passages]
        passages = [p for p in cited if p.id not in definitions] or cited or [h.passage for h in previous.hits]
        coverage = previous.coverage or Coverage(ANSWERED, self.settings.refusal_threshold)
        return self.gatekeeper.for_passages(previous.question, passages, coverage, command.shape)

    # -- choosing sentences ---------------------------------------------------------------

    def _choose(
        self, scored: Scored, mode: str, coverage: Coverage, question: str = "", limit: int | None = None
    ) -> list[tuple[Hit, list[str]]]:
        """(hit, chosen sentences) in hit order: each relevant passage's sentences closest to the
        question, each with the sentences it leans on."""
        floor = quote_floor(self.settings, coverage, 0.2)
        passages = limit or (5 if mode == "talking-points" else 4)
        names = _NAMES_WANTED.search(question) is not None
        states = names and re.search(r"\bstates\b", question, re.I) is not None
        picked: list[tuple[Hit, list[str]]] = []
        best: dict[str, float] = {}
        for hit, sentences, similarity in scored:
            if len(picked) == passages and not names:
                break
            # "Which states…?": a sentence that names things counts as closer, so the names come forward.
            score = {i: similarity[i] + (_names_bonus(t, states) if names else 0.0) for i, t in enumerate(sentences)}
            usable = [i for i in _quotable_positions(sentences) if score[i] >= floor]
            if not usable:
                continue
            order = sorted(usable, key=lambda i: -score[i])
            take: list[int] = []
            for i in order:
                positions = with_context(sentences, i, _quotable)
                if positions is None or any(p in take for p in positions):
                    continue
                take += positions
                # The best passage may give a second sentence in an answer (not in a capped one).
                if mode != "answer" or picked or limit or len(take) > 1:
                    break
            if take:
                picked.append((hit, [_unbulleted(sentences[i]) for i in sorted(set(take))]))
                best[hit.passage.id] = max(score[i] for i in take)
        if names:  # the sentences that name the most come first
            picked = sorted(picked, key=lambda item: -best[item[0].passage.id])[:passages]
        if not picked:
            # The most relevant sentences were lead-ins or questions: the best plain sentence instead.
            hit, sentences, similarity = max(scored, key=lambda x: x[2].max() if len(x[2]) else -1.0)
            standalone = [i for i in _quotable_positions(sentences) if not leans_back(sentences[i])]
            if standalone:
                picked.append((hit, [sentences[max(standalone, key=lambda i: similarity[i])]]))
        if mode == "talking-points" and 0 < len(picked) < 3 and not limit:
            # Too few relevant passages for three points: take more sentences from the best one.
            hit, taken = picked[0]
            extra = [_unbulleted(x) for x in hit.passage.sentences if _quotable(x) and not leans_back(x)]
            extra = [x for x in extra if x not in taken]
            picked[0] = (hit, taken + extra[: 3 - len(picked)])
        return picked

    # -- composing ------------------------------------------------------------------------

    def _compose(self, question: str, mode: str, gate: Gate, chosen: list[tuple[Hit, list[str]]]) -> Answer:
        citations = CitationList(self.index.documents)
        related = gate.coverage.outcome == PARTIAL
        paragraphs: list[list[Sentence]] = [[gap_sentence(gate.coverage)]] if related else []
        if mode == "talking-points":
            for hit, sentences in chosen:
                n = citations.cite(hit.passage)
                for i, group in enumerate(_context_groups(sentences)):
                    point = [Sentence(s, [n], QUOTE) for s in group]
                    point[0].lead = point_label(hit.passage, related) if i == 0 else ""  # once a passage
                    paragraphs.append(point)
            paragraphs = paragraphs[: 6 if related else 5]
        else:
            for group in _group(chosen):
                paragraph = [Sentence(group_label([h.passage for h, _ in group], related), [], LABEL)]
                for hit, sentences in group:
                    n = citations.cite(hit.passage)
                    paragraph.extend(Sentence(s, [n], QUOTE) for s in sentences)
                paragraphs.append(paragraph)
        return Answer(question, mode, False, self.name, paragraphs, citations.items, gate.hits, coverage=gate.coverage)

    def _legislation_split(self, question: str, mode: str, gate: Gate) -> Answer | None:
        """Transformative policies (formal state authority, in the framework's words) apart from
        implementation actions; None when the passages hold neither."""
        floor = quote_floor(self.settings, gate.coverage, 0.25)
        by_part: dict[str, list[tuple[Hit, str]]] = {TRANSFORMATIVE_POLICY: [], IMPLEMENTATION_ACTION: []}
        scored, given = gate.scored, gate.given
        named = self._named_conditions(question)
        if named and not given:  # "Which Policy Flexibility policies need legislation?": all of them, by structure
            members = sorted(
                (p for p in self.index.passages.values() if p.condition in named and p.part in by_part),
                key=lambda p: p.order,
            )
            scored = self.gatekeeper.score(question, [Hit(p, 0.0, 0.0, 0.0, 0.0, i + 1) for i, p in enumerate(members)])
            given = True
        for hit, sentences, similarity in scored:
            if hit.passage.part not in by_part:
                continue
            usable = [i for i in _quotable_positions(sentences) if not leans_back(sentences[i])]
            if usable and (given or similarity[usable].max() >= floor):
                by_part[hit.passage.part].append((hit, sentences[max(usable, key=lambda i: similarity[i])]))
        if not any(by_part.values()):
            return None
        citations = CitationList(self.index.documents)
        paragraphs: list[list[Sentence]] = [[gap_sentence(gate.coverage)]] if gate.coverage.outcome == PARTIAL else []
        headers = {
            TRANSFORMATIVE_POLICY: "Transformative policies (formal state authority):",
            IMPLEMENTATION_ACTION: "Implementation actions:",
        }
        definitions = self.part_definitions
        for part, items in by_part.items():
            if not items:
                continue
            header = [Sentence(headers[part], [], LABEL)]
            if part in definitions:
                passage, sentence = definitions[part]
                header.append(Sentence(sentence, [citations.cite(passage)], QUOTE, lead="In the framework's words:"))
            paragraphs.append(header)
            for hit, sentence in items:
                n = citations.cite(hit.passage)
                paragraphs.append([Sentence(sentence, [n], QUOTE, lead=point_label(hit.passage, False))])
        if mode == "answer":  # one paragraph per part: its header, then its policies
            merged: list[list[Sentence]] = []
            for para in paragraphs:
                if para[0].kind in (LABEL, GAP) or not merged:
                    merged.append(list(para))
                else:
                    merged[-1].extend(para)
            paragraphs = merged
        return Answer(question, mode, False, self.name, paragraphs, citations.items, gate.hits, coverage=gate.coverage)

    @cached_property
    def part_definitions(self) -> dict[str, tuple[Passage, str]]:
        """The framework's own description of its parts: the sentence that opens with the part's plural name."""
        found: dict[str, tuple[Passage, str]] = {}
        openings = {TRANSFORMATIVE_POLICY: "transformative policies ", IMPLEMENTATION_ACTION: "implementation actions "}
        for passage in self.index.passages.values():
            if passage.part in (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION):
                continue
            for sentence in passage.sentences:
                bare = _unbulleted(sentence)
                for part, opening in openings.items():
                    if part not in found and bare.lower().startswith(opening) and len(bare.split()) >= 5:
                        found[part] = (passage, bare)
        return found

    def _structural_list(self, question: str, mode: str, gate: Gate) -> Answer | None:
        """'What are the eight conditions?', 'List the transformative policies under X': the names,
        from the documents' own structure, each cited; None when the question is not such a list."""
        conditions = self._named_conditions(question)
        wants_policies = re.search(r"\b(polic(?:y|ies)|actions?)\b", question, re.I)
        wants_conditions = re.search(r"\bconditions\b", question, re.I) and not conditions
        citations = CitationList(self.index.documents)
        paragraphs: list[list[Sentence]] = []
        if conditions and wants_policies:
            parts = [p for p in (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION) if p.split()[0] in question.lower()]
            parts = parts or [TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION]
            for condition in conditions:
                for part in parts:
                    members = sorted(
                        (p for p in self.index.passages.values() if p.condition == condition and p.part == part),
                        key=lambda p: p.order,
                    )
                    if not members:
                        continue
                    plural = "transformative policies" if part == TRANSFORMATIVE_POLICY else "implementation actions"
                    paragraph = [Sentence(f"{condition}, {plural}:", [], LABEL)]
                    paragraph += [
                        Sentence(p.heading or p.sentences[0], [citations.cite(p)], LIST_ITEMS) for p in members
                    ]
                    paragraphs.append(paragraph)
        elif wants_conditions:
            listing = self._condition_listing()
            if listing is None:
                return None
            passage, opening, names = listing
            n = citations.cite(passage)
            paragraphs.append([Sentence(opening, [n], QUOTE), Sentence("; ".join(names), [n], LIST_ITEMS)])
        if not paragraphs:
            return None
        if mode == "talking-points":
            paragraphs = [[s] for para in paragraphs for s in para if s.kind != LABEL]
        return Answer(question, mode, False, self.name, paragraphs, citations.items, gate.hits, coverage=gate.coverage)

    def _named_conditions(self, question: str) -> list[str]:
        """The framework conditions a question names (case and plural forgiven)."""
        key = f" {name_key(question)} "
        return [c for c in self.index.conditions if f" {name_key(c)} " in key]

    def _condition_listing(self) -> tuple[Passage, str, list[str]] | None:
        """The passage that lists every condition by name, its opening sentence, and the names."""
        names = {name_key(c) for c in self.index.conditions}
        for passage in sorted(self.index.passages.values(), key=lambda p: (p.doc_id, p.order)):
            lines = [s for s in passage.sentences if name_key(s) in names]
            if names and len({name_key(x) for x in lines}) == len(names):
                opening = next((s for s in passage.sentences if _quotable(s)), None)
                if opening:
                    return passage, opening, lines
        return None


_NAMES_WANTED = re.compile(
    r"^\W*(?:which|who|what)\s+(?:\w+\s+){0,2}(?:states|organi[sz]ations|partners|groups)\b|"
    r"^\W*(?:list|name)\b",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•●»]|\d+[.)])\s+")
_NAMED_ITEM = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\b|\d\)")


def _names_bonus(sentence: str, states: bool) -> float:
    """How much closer a sentence counts for a question that asks for names ("which states…?",
    "who…?"): 0.05 a listed name or numbered item, or 0.1 a US state when states are asked for; at
    most four of them count."""
    rest = sentence.split(" ", 1)[-1]
    if states:
        return 0.1 * min(4, len(set(US_STATE.findall(rest))))
    return 0.05 * min(4, len(_NAMED_ITEM.findall(rest)) // 2)


def _quotable(sentence: str) -> bool:
    """A sentence that can stand in an answer: not a lead-in ('...the following:'), not a
    question, not a title line, name or date (short and unpunctuated)."""
    if sentence.endswith((":", "?")):
        return False
    n_words = len(sentence.split())
    return n_words >= 10 or (n_words >= 5 and sentence.endswith((".", "!", "”", '"', ")")))


def _unbulleted(sentence: str) -> str:
    """A list item quoted without its bullet ("- Credit for…" → "Credit for…"): still verbatim."""
    return _BULLET.sub("", sentence)


def _quotable_positions(sentences: list[str]) -> list[int]:
    return [i for i, text in enumerate(sentences) if _quotable(text)]


def _context_groups(sentences: list[str]) -> list[list[str]]:
    """Chosen sentences of one passage as points: a sentence that leans back joins the one before it."""
    groups: list[list[str]] = []
    for s in sentences:
        if groups and leans_back(s):
            groups[-1].append(s)
        else:
            groups.append([s])
    return groups


def _group(chosen: list[tuple[Hit, list[str]]]) -> list[list[tuple[Hit, list[str]]]]:
    """Group by condition (or by document when a passage has none), in order of best rank."""
    groups: dict[tuple[str, str | None], list[tuple[Hit, list[str]]]] = {}
    for item in chosen:
        p = item[0].passage
        groups.setdefault((p.doc_id, p.condition), []).append(item)
    return list(groups.values())


def group_label(passages: list[Passage], related: bool = False) -> str:
    """'Policy Flexibility — transformative policy “Proficiency-based Credit”:' names, no claims, no marker."""
    first = passages[0]
    by_part: dict[str, list[str]] = {}
    for p in passages:
        by_part.setdefault(p.part or "section", []).append(f"“{p.heading}”" if p.heading else "")
    clauses = []
    for part, headings in by_part.items():
        named = list(dict.fromkeys(h for h in headings if h))
        if part == TRANSFORMATIVE_POLICY:
            clauses.append(f"transformative {'policies' if len(named) > 1 else 'policy'} {join_items(named)}".strip())
        elif part == IMPLEMENTATION_ACTION:
            clauses.append(f"implementation {'actions' if len(named) > 1 else 'action'} {join_items(named)}".strip())
        elif named:
            clauses.append(f"{part} {join_items(named)}")
        else:
            clauses.append(f"“{part.capitalize()}” section")
    where = first.condition or f"“{short_title(first.source)}”"
    return f"{'Related — ' if related else ''}{where} — {'; '.join(clauses)}:"


def point_label(passage: Passage, related: bool = False) -> str:
    """A talking point's label: '“Proficiency-based Credit” (Policy Flexibility, transformative policy):'."""
    where = ", ".join(x for x in (passage.condition or short_title(passage.source), passage.part) if x)
    name = f"“{passage.heading}” ({where})" if passage.heading else f"({where})"
    return f"{'Related: ' if related else ''}{name}:"


def short_title(title: str) -> str:
    """A long title's main part: 'From State Commitment to District Implementation: Approaches…' → before the colon."""
    return title.split(":")[0].strip() if len(title) > 60 and ":" in title else title
