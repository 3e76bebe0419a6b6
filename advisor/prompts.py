"""Prompt templates, kept as files in prompts/ and loaded by name.

Templates use ``$name`` placeholders (``string.Template``), so braces in passages or questions
are never mistaken for placeholders.
"""

from __future__ import annotations

from functools import cache
from string import Template

from advisor.config import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@cache
def _template(name: str) -> Template:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.exists():
        raise FileNotFoundError(f"No prompt named {name!r} in {PROMPTS_DIR}")
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The named prompt with its placeholders filled; a missing value is an error, not a blank."""
    return _template(name).substitute(**values).strip()
