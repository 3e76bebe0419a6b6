"""Document text is untrusted: citation-shaped markers in it are defused, and what it carries into an
export (Markdown) cannot become live HTML."""

from __future__ import annotations

import re

import pytest

from advisor.corpus import Document
from advisor.passages import parse_document
from advisor.text import clean_line

# Every form a reader could take for one of the advisor's citations.
CITATION_FORMS = ["[1,2]", "[ 3 ]", "[1-4]", "[1–4]", "［1］", "[１]", "【2】", "[1, 2, 3]", "[7]", "〔5〕"]


@pytest.mark.parametrize("form", CITATION_FORMS)
def test_every_bracketed_number_form_in_a_document_is_defused(form):
    cleaned = clean_line(f"States may award credit for mastery {form}.")
    inner = re.sub(r"^\W|\W$", "", form)
    assert cleaned == f"States may award credit for mastery ({inner})."


def test_brackets_that_are_not_numbers_stay_as_written():
    assert clean_line("See [a] and [12a] and [note].") == "See [a] and [12a] and [note]."


def test_a_document_with_citation_forms_yields_passages_without_them(tmp_path):
    path = tmp_path / "forms.md"
    path.write_text(
        "# Forms\n\n" + " ".join(f"Claim number {i} {form}." for i, form in enumerate(CITATION_FORMS)) + "\n",
        encoding="utf-8",
    )
    text = " ".join(p.text for p in parse_document(Document("forms", path, "Forms")))
    assert not re.search(r"[\[［【〔]\s*\d", text), text
