"""Does a sentence lean on something said before it? Quotes must keep their meaning out of context.

"These programs also focus on expanding teacher diversity" means one thing in its passage, where
"these programs" are alternative certification routes, and another after a bullet about
traditional preparation. A quoted sentence that opens with a pronoun, a demonstrative or a
connective ("This requires…", "At the same time, they must…", "It also studies…") is only
quoted together with the sentence before it in its passage, or not at all (extractive.py decides).
"""

from __future__ import annotations

import re

# An opening that points back: a pronoun or demonstrative subject, a determiner with no noun of
# its own in the sentence, or a connective that continues an argument.
_OPENING = re.compile(
    r"^[\"“‘(]?\s*(?:"
    r"(?:this|that|these|those|such|it|its|they|their|them|both|either|neither|the latter|the former)\b|"
    r"(?:here|there)\s+(?:is|are|was|were)\b|"
    r"(?:at the same time|as a result|as such|in turn|in doing so|by doing so|in this way|to do so|"
    r"however|therefore|thus|hence|instead|otherwise|similarly|likewise|consequently|accordingly|"
    r"meanwhile|still|yet|then|finally|second(?:ly)?|third(?:ly)?|lastly|conversely|nevertheless|"
    r"nonetheless|for (?:example|instance)|in (?:addition|particular|contrast|short)|additionally|"
    r"furthermore|moreover|also|further|each of (?:these|those|them)|all of (?:these|those|them)|"
    r"one of (?:these|those|them)|some of (?:these|those|them)|many of (?:these|those|them)|"
    r"the (?:same|above|following|previous|aforementioned)|other|another|doing so|this is)\b)",
    re.IGNORECASE,
)
# Later in a sentence, a demonstrative noun phrase still points back ("…for these districts", "…provides
# this development directly").
_DEMONSTRATIVE = re.compile(r"\b(?:these|those|such|this)\s+(?!as\b|is\b|was\b|means\b)[a-z]", re.IGNORECASE)
# "It/they/this … also" within the first words: "It also studies…", "The state also…" is fine.
_ALSO_EARLY = re.compile(r"^\W*(?:\w+\W+){0,3}also\b", re.IGNORECASE)
_SUBJECT_PRONOUN = re.compile(r"^\W*(?:it|they|he|she|we|this|these|those)\b", re.IGNORECASE)


def leans_back(sentence: str) -> bool:
    """True when a reader needs the sentence before it to know what it is about."""
    text = re.sub(r"^\s*(?:[-*•●»]|\d+[.)])\s+", "", sentence)  # a list bullet is not a word
    if _OPENING.match(text) or _DEMONSTRATIVE.search(text):
        return True
    return bool(_ALSO_EARLY.match(text) and _SUBJECT_PRONOUN.match(text))


def with_context(sentences: list[str], position: int, quotable, max_back: int = 2) -> list[int] | None:
    """The positions to quote so that ``sentences[position]`` keeps its meaning: itself, preceded by
    the sentences it leans on (at most ``max_back``), or None when that context is not quotable."""
    chosen = [position]
    i = position
    while leans_back(sentences[i]):
        i -= 1
        if i < 0 or len(chosen) > max_back or not quotable(sentences[i]):
            return None
        chosen.insert(0, i)
    return chosen
