"""What shapes passages: cleaning residue from source lines, splitting sentences, matching names.

The answerer's grounding guarantee rests on these: a passage's sentences are exactly what
``split_sentences`` returns for its text, so an answer built from them quotes the passage.
This file is hashed into the index fingerprint (``index.PARSER_MODULES``): a change here re-syncs
every install, so only code that shapes passages belongs here (words and stems for comparing
texts are in ``lexicon.py``, question validation in ``questions.py``).
"""

from __future__ import annotations

import html
import re

# Every pattern here runs on whole lines of users' files (one line can be megabytes long), so each
# must run in linear time: no pattern may scan past the next place it could start again.
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\([^()]*\)")
_LEARN_MORE = re.compile(r"Learn more\s*»")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_DOUBLE_BULLET = re.compile(r"^\s*[-*•●]\s*»\s*")
# Document text is data. A "[3]" in it would read as one of the advisor's citation markers, and
# "<<<"/">>>" as the fences around passages in a model's prompt, so both are defused as text is read.
# Every bracketed-number form a reader could take for a citation is: "[1,2]", "[ 3 ]", "[1-4]",
# "[1–4]", fullwidth "［1］" or "[１]", "【2】"; it becomes "(1,2)", "( 3 )", "(1-4)"...
_OPEN, _CLOSE = "[［【〔〖〘〚⟦", "]］】〕〗〙〛⟧"
_NUMBER_LIST_SEPARATORS = r"\s,;，、\-‐‑‒–—−~〜"
_FAKE_CITATION = re.compile(
    rf"[{re.escape(_OPEN)}](\s*+\d++(?:[{_NUMBER_LIST_SEPARATORS}]++\d++)*+\s*+)[{re.escape(_CLOSE)}]"
)
_FAKE_FENCE = re.compile(r"([<>])\1{2,}")


def clean_line(line: str) -> str:
    """Strip web/markdown residue from one line of source text, keeping its words verbatim."""
    line = _DOUBLE_BULLET.sub("- ", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _LEARN_MORE.sub(" ", line)
    line = _HTML_TAG.sub(" ", line)
    line = html.unescape(line)
    line = _BOLD.sub(r"\1", line)
    line = _ITALIC.sub(r"\1", line)
    line = _FAKE_CITATION.sub(r"(\1)", line)
    line = _FAKE_FENCE.sub(r"\1\1", line)
    return _SPACES.sub(" ", line).strip()


# A sentence ends at . ! ? (optionally followed by a closing quote or bracket, which stays with it:
# 'definitions like “student count.”') when the next sentence starts with a capital, digit, quote or
# bracket. Abbreviations that end in a period mid-sentence are protected first.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Ms.", "Mrs.", "St.", "No.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])(?P<close>[\"”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences; a line break always ends a sentence (bullets, headings)."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        protected = line
        for i, abbr in enumerate(_ABBREVIATIONS):
            protected = protected.replace(abbr, abbr.replace(".", f"\x00{i}\x00"))
        start = 0
        for match in _SENTENCE_END.finditer(protected):
            sentences.append(_unprotect(protected[start : match.end("close")]).strip())
            start = match.end()
        sentences.append(_unprotect(protected[start:]).strip())
    return [s for s in sentences if s]


def _unprotect(text: str) -> str:
    return re.sub(r"\x00\d+\x00", ".", text)


def name_key(name: str) -> str:
    """A name compared the forgiving way: case, punctuation and plural 's' ignored, so that
    'Holistic Student Support', 'HOLISTIC STUDENT SUPPORTS' and 'holistic-student-supports' match."""
    return " ".join(re.sub(r"s$", "", w) for w in re.findall(r"[a-z0-9]+", name.lower()))
