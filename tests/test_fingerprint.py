"""Only code that shapes passages is hashed into the index fingerprint (issue 16).

A change to a fingerprinted file re-syncs every install's index, so a stop-word, the support
judge's lexicon or the question check must live elsewhere, and the parsing code must not reach
for unhashed modules (its passages would change without a re-sync).
"""

from __future__ import annotations

import ast
from pathlib import Path

from advisor import index

NOT_SHAPING = {"advisor.errors"}  # exception types and their messages


def _advisor_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("advisor"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("advisor")}
    return found


def test_the_fingerprinted_modules_are_the_parsing_code_and_what_it_imports() -> None:
    fingerprinted = {m.__name__ for m in index.PARSER_MODULES}
    assert fingerprinted == {"advisor.corpus", "advisor.passages", "advisor.text"}
    for module in index.PARSER_MODULES:
        assert _advisor_imports(Path(module.__file__)) <= fingerprinted | NOT_SHAPING, module.__name__


def test_comparing_words_and_checking_questions_are_not_fingerprinted() -> None:
    from advisor import lexicon, questions, text

    assert lexicon not in index.PARSER_MODULES and questions not in index.PARSER_MODULES
    assert not hasattr(text, "STOPWORDS") and not hasattr(text, "check_question")
