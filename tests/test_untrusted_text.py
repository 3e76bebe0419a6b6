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


ENCODED = """# Ohio Credit Flexibility

Ohio's credit flexibility plan lets high school students earn credit by demonstrating mastery of course content \
instead of logging seat time &lt;script&gt;window.pwned=1&lt;/script&gt; as districts approve.

Districts approve credit flexibility plans &lt;img src=x onerror="window.pwned=2"&gt; for each student.
Students may also see [[the plan]](javascript:window.pwned=3) and &lt;javascript:window.pwned=4&gt;.

[plan]: javascript:window.pwned=5
"""


def test_markdown_export_keeps_document_markup_inert(small, tmp_path):
    """Entity-encoded markup is decoded into passage text; the export must not let it run anywhere."""
    from helpers import run_advisor
    from markdown_it import MarkdownIt

    env = {"ADVISOR_CORPUS_DIR": str(small.corpus_dir), "ADVISOR_INDEX_DIR": str(small.index_dir)}
    note = tmp_path / "ohio.md"
    note.write_text(ENCODED, encoding="utf-8")
    assert run_advisor("add", str(note), env=env).returncode == 0
    question = "Can Ohio students earn credit by demonstrating mastery instead of seat time? [plan]"
    result = run_advisor("ask", question, "--markdown", env=env)
    assert result.returncode == 0, result.stderr.decode()
    markdown = result.stdout.decode()
    assert "window.pwned=1" in markdown and "window.pwned=2" in markdown  # the text is there, as text
    rendered = MarkdownIt("commonmark").render(markdown)  # a renderer that passes HTML through
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered, rendered
    assert "&lt;script&gt;" in rendered  # shown as text, as the web page shows it
    assert re.search(r"\[\d+\]", rendered)  # the advisor's own citation markers are still there
