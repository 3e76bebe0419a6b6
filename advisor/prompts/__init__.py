"""Prompt templates, kept as files beside this module (``advisor/prompts/*.txt``) and loaded by name.

They are package data, read through ``importlib.resources``, so an installed wheel finds them as
a source checkout does. Templates use ``$name`` placeholders (``string.Template``), so braces in
passages or questions are never mistaken for placeholders.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from string import Template

PROMPTS = files(__name__)


@cache
def _template(name: str) -> Template:
    path = PROMPTS / f"{name}.txt"
    if not path.is_file():
        raise FileNotFoundError(f"No prompt named {name!r} in {PROMPTS}")
    return Template(path.read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    """The named prompt with its placeholders filled; a missing value is an error, not a blank."""
    return _template(name).substitute(**values).strip()
