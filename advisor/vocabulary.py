"""What the corpus mentions at all: its words, its names (and their acronyms), by passage.

Built from the opened index's passages the first time a question needs it (about 20 ms for the
shipped corpus) and kept for that index. The coverage decision asks it whether a concept, a
state or a named program exists anywhere in the sources before trusting a loose match.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from advisor.lexicon import stem, words
from advisor.passages import Passage

_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:of|and|for|the|on|in|&)?\s*[A-Z][\w'’-]*)+")
_SMALL = {"of", "and", "for", "the", "on", "in", "&"}


def normalise(text: str) -> str:
    """Lower case, words only, single spaces: the form phrases are compared in."""
    return " ".join(words(text))


@dataclass
class Vocabulary:
    words: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    text: str = ""  # every passage, normalised and joined, for phrase look-ups
    acronyms: set[str] = field(default_factory=set)  # "wioa" for "Workforce Innovation and Opportunity Act"
    chunks: list[str] = field(default_factory=list)  # each passage, normalised
    parts: set[str] = field(default_factory=set)  # headings, conditions and titles, normalised
    stem_text: str = ""  # the same, each word stemmed, for plural- and tense-blind look-ups

    @classmethod
    def of(cls, passages: Iterable[Passage]) -> Vocabulary:
        vocabulary = cls()
        chunks = vocabulary.chunks
        for p in passages:
            body = " ".join(x for x in (p.text, p.heading, p.condition, p.source) if x)
            tokens = words(body)
            vocabulary.parts.update(normalise(x) for x in (p.heading, p.condition, p.source) if x)
            vocabulary.words.update(tokens)
            chunks.append(" ".join(tokens))
            for run in _CAPITALISED_RUN.findall(body):
                initials = "".join(w[0] for w in run.split() if w.lower() not in _SMALL)
                if len(initials) >= 2:
                    vocabulary.acronyms.add(initials.lower())
        vocabulary.stems = {stem(w) for w in vocabulary.words}
        vocabulary.text = " " + " | ".join(chunks) + " "
        vocabulary.stem_text = " " + " | ".join(" ".join(stem(w) for w in c.split()) for c in chunks) + " "
        return vocabulary

    def has_word(self, word: str) -> bool:
        w = word.lower()
        return w in self.words or stem(w) in self.stems or w in self.acronyms

    def has_phrase(self, phrase: str) -> bool:
        """True when the phrase's words occur in this order, as whole words, in some passage."""
        key = normalise(phrase)
        return bool(key) and f" {key} " in self.text

    def has_stemmed(self, phrase: str) -> bool:
        """Like ``has_phrase``, with every word stemmed ('charter schools' finds 'charter school')."""
        key = " ".join(stem(w) for w in words(phrase))
        return bool(key) and f" {key} " in self.stem_text

    def names_a_part(self, name: str) -> bool:
        """True when the name is (part of) a heading, condition or title: the corpus is organised by it."""
        key = normalise(name)
        return any(key == part or f" {key} " in f" {part} " for part in self.parts)

    def passages_with(self, phrase: str) -> int:
        key = f" {normalise(phrase)} "
        return sum(1 for chunk in self.chunks if key in f" {chunk} ")


_BY_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def vocabulary_of(index) -> Vocabulary:  # index: advisor.index.Index
    """The vocabulary of an opened index, built once per index object."""
    found = _BY_INDEX.get(index)
    if found is None:
        found = _BY_INDEX[index] = Vocabulary.of(index.passages.values())
    return found
