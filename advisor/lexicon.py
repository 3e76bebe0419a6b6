"""Words, stems and function words: how the advisor compares what two texts say.

The support judge (``support.py``), the coverage judgement, the corpus vocabulary, topics, the
crosswalk and follow-up detection compare texts by these. Nothing here shapes a passage, so it is
not in the index fingerprint: editing a stop-word changes answers, never the index.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Function words carry no claim; they are left out when comparing what two texts say.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just may me might more most
    must my no nor not now of off on once only or other our ours out over own same shall she should so
    some such than that the their theirs them then there these they this those through to too under
    until up us very was we were what when where which while who whom why will with would you your""".split()
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits), apostrophes kept inside words."""
    return _WORD.findall(text.lower().replace("’", "'"))


def stem(word: str) -> str:
    """A light suffix stripper, enough to match 'supports'/'support' and 'funded'/'funding'."""
    for suffix in ("ations", "ation", "ments", "ment", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def content_terms(text: str) -> set[str]:
    """The stemmed words of a text that carry meaning (no function words)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS}
