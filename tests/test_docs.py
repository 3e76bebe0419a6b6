"""The documentation against the code it describes, so neither can drift without CI saying so.

- README's "Commands" block against the real argparse parser: every command and every option the
  parser has is in the block, and every option the block names exists.
- docs/bad-inputs.md: every test it cites exists, and every `advisor: …` message it quotes is made of
  words the code can print: each lower-case word of the message lies inside a string literal of
  advisor/ or ui/ (or a piece of one between brackets, colons and semicolons) that the message
  contains. Values from the input (quoted, paths, numbers, ids) and "…" elisions are not checked.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from advisor.backends import AUTO, backend_choices
from advisor.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BAD_INPUTS = (ROOT / "docs" / "bad-inputs.md").read_text(encoding="utf-8")


def _commands_block() -> str:
    section = README.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```\n", 2)[1]


def _documented_options() -> dict[str, set[str]]:
    """Command → the options its lines in the block name (a line's indented continuation included)."""
    options: dict[str, set[str]] = {}
    command = None
    for line in _commands_block().splitlines():
        usage = line.split("#", 1)[0]
        if usage.startswith("advisor "):
            command = usage.split()[1]
            options.setdefault(command, set())
        elif not usage.startswith(" ") or command is None:
            continue
        options[command] |= set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", usage))
    return options


def _real_options() -> dict[str, set[str]]:
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {
            flag
            for action in sub._actions
            if action.help != argparse.SUPPRESS  # a hidden option is not part of the interface
            for flag in action.option_strings
            if flag not in ("-h", "--help")
        }
        for name, sub in commands.choices.items()
    }


def test_the_readme_lists_every_command_and_option_the_parser_has():
    documented, real = _documented_options(), _real_options()
    assert set(documented) == set(real)
    for command, flags in real.items():
        long_flags = {f for f in flags if f.startswith("--")}
        missing = long_flags - documented[command]
        assert not missing, f"README's Commands block does not show `advisor {command}` {sorted(missing)}"


def test_every_option_the_readme_shows_exists():
    real = _real_options()
    for command, flags in _documented_options().items():
        unknown = flags - real[command]
        assert not unknown, f"README shows `advisor {command}` {sorted(unknown)}, which the parser does not have"


def _cited_tests() -> set[tuple[str, str]]:
    return set(re.findall(r"`(test_\w+\.py)::(test_\w+)", BAD_INPUTS))


def test_every_test_bad_inputs_cites_exists():
    cited = _cited_tests()
    assert len(cited) > 50
    for file, name in sorted(cited):
        path = ROOT / "tests" / file
        assert path.exists(), f"docs/bad-inputs.md cites {file}, which does not exist"
        assert re.search(rf"^(async )?def {name}\(", path.read_text(encoding="utf-8"), re.M), f"{file}::{name}"


def _code_strings() -> list[str]:
    """Every string literal in the package and the web app, f-strings split at their fields."""
    strings = []
    for path in [*sorted((ROOT / "advisor").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.append(node.value)
    fragments = set()
    for text in strings:  # whole, and cut at the punctuation where a message is often elided or joined
        fragments |= {piece.strip() for piece in [text, *re.split(r"[();:]", text)]}
    return [f for f in fragments if len(f) >= 4]


CODE_STRINGS = _code_strings()
MESSAGES = sorted({a or b for a, b in re.findall(r"``advisor: (.+?)``|`advisor: ([^`]+)`", BAD_INPUTS)})
VALUES = set(backend_choices()) | {AUTO}  # names the code fills in from its registry


def _uncovered_words(message: str) -> list[str]:
    """Lower-case words of the message that no code string it contains covers (values the user typed,
    paths and quoted names are skipped: they come from the input, not the code)."""
    covered = [False] * len(message)
    for fragment in CODE_STRINGS:
        start = message.find(fragment)
        while start != -1:
            covered[start : start + len(fragment)] = [True] * len(fragment)
            start = message.find(fragment, start + 1)
    words = []
    for match in re.finditer(r"[^\s]+", message):
        token = match.group()
        if any(ch in token for ch in "'/…\"-") or re.search(r"\d", token) or token.startswith("."):
            continue  # a value, a path, an id, a file suffix or an elision
        for word in re.finditer(r"\b[a-z]{4,}\b", token):
            position = match.start() + word.start()
            if word.group() not in VALUES and not all(covered[position : position + len(word.group())]):
                words.append(word.group())
    return words


def test_bad_inputs_quotes_many_messages():
    assert len(MESSAGES) > 40


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m[:40])
def test_every_message_bad_inputs_quotes_is_one_the_code_prints(message):
    assert not _uncovered_words(message), f"not in any string of advisor/ or ui/: {_uncovered_words(message)}"


def test_a_drifted_message_is_caught():
    """The negative control: a message with a word the code never prints fails the check above."""
    assert _uncovered_words("The question is empty: please type a question.") == []
    assert _uncovered_words("The question is empty: kindly type a question.") == ["kindly"]


def test_the_readme_module_table_lists_every_module():
    """A newcomer finds each module in the table, and every row names a module that exists."""
    table = README.split("\n| module | stage |\n", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| `((?:advisor|ui)/[\w/]+(?:\.py|/))` \|", table, re.M))
    modules = {
        str(path.relative_to(ROOT))
        for folder in ("advisor", "ui")
        for path in (ROOT / folder).glob("*.py")
        if path.name != "__init__.py"
    }
    packages = {f"advisor/{p.name}/" for p in (ROOT / "advisor").iterdir() if (p / "__init__.py").exists()}
    assert listed == modules | packages
