"""Text utilities shared by the parser and the answerer: cleaning residue, sentences, words.

The answerer's grounding guarantee rests on these: a passage's sentences are exactly what
``split_sentences`` returns for its text, so an answer built from them quotes the passage.
"""

from __future__ import annotations

import html
import re
import unicodedata

from advisor.errors import UserError

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LEARN_MORE = re.compile(r"\s*Learn more\s*»\s*")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b]+")
_DOUBLE_BULLET = re.compile(r"^\s*[-*•●]\s*»\s*")


def clean_line(line: str) -> str:
    """Strip web/markdown residue from one line of source text, keeping its words verbatim."""
    line = _DOUBLE_BULLET.sub("- ", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _LEARN_MORE.sub(" ", line)
    line = _HTML_TAG.sub(" ", line)
    line = html.unescape(line)
    line = _BOLD.sub(r"\1", line)
    line = _ITALIC.sub(r"\1", line)
    return _SPACES.sub(" ", line).strip()


# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) when the next
# sentence starts with a capital, digit, quote or bracket. Abbreviations that end in a period
# mid-sentence are protected first.
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Ms.", "Mrs.", "St.", "No.", "U.S.")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


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
            sentences.append(_unprotect(protected[start : match.start()]).strip())
            start = match.end()
        sentences.append(_unprotect(protected[start:]).strip())
    return [s for s in sentences if s]


def _unprotect(text: str) -> str:
    return re.sub(r"\x00\d+\x00", ".", text)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_question(question: str, max_chars: int) -> str:
    """Return the question tidied, or raise UserError saying plainly what is wrong with it."""
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in question):
        raise UserError("The question contains bytes that are not valid UTF-8 text.")
    if _CONTROL.search(question):
        raise UserError(
            "The question contains control characters (such as escape or NUL); please type it as plain text."
        )
    question = unicodedata.normalize("NFC", question).strip()
    if not question:
        raise UserError("The question is empty: please type a question.")
    if len(question) > max_chars:
        raise UserError(
            f"The question is {len(question):,} characters long; the limit is {max_chars:,}. "
            "Please ask a shorter question (ADVISOR_MAX_QUESTION_CHARS changes the limit)."
        )
    return " ".join(question.split())
