"""Is this a question the advisor can take? Empty, too long, control characters, broken UTF-8.

Every front end (``advisor ask``/``chat``, ``--file`` and ``--conversation`` lines, the web app)
checks each question here before anything else runs, so a bad one gets the same plain message
everywhere (docs/bad-inputs.md).
"""

from __future__ import annotations

import re
import unicodedata

from advisor.errors import UserError

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
