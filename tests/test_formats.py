"""Exports a memo can use: citations with publisher and date, plain-text copies, whole conversations
and notes with one renumbered sources list, talking-points titles, refusals without a quoting claim."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from advisor.answer import Answer, Citation, Sentence
from advisor.corpus import MANIFEST_NAME, DocumentInfo
from advisor.formats import (
    answer_markdown,
    answer_plaintext,
    citation_quote,
    citation_text,
    conversation_markdown,
    conversation_plaintext,
    format_answer,
    notes_markdown,
    notes_plaintext,
    quoted_sentences,
    readable_date,
    renumber,
    topic,
)
from advisor.notes import Note, note_from_answer
from advisor.passages import Passage

MASTERY = "Can a state award credit based on mastery instead of seat time?"
FUNDING_POINTS = "Give me talking points on funding flexibility for innovative schools"
RFA = "What did the Research for Action study recommend to states?"
UNCOVERED = "What is the best recipe for banana bread?"
DAY = date(2026, 12, 3)
_MARKERS = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def answers(answerer) -> dict[str, Answer]:
    return {
        "mastery": answerer.answer(MASTERY),
        "points": answerer.answer(FUNDING_POINTS, mode="talking-points"),
        "rfa": answerer.answer(RFA),
        "refused": answerer.answer(UNCOVERED),
        "fund": answerer.answer("How can states fund student-centered learning?", mode="talking-points"),
    }


def _cited(text: str, citations: list[Citation]) -> list[str]:
    """The passage id each marker of ``text`` points at, in order."""
    by_number = {c.id: c.passage.id for c in citations}
    return [by_number[int(n)] for n in _MARKERS.findall(text)]


def test_citations_carry_the_manifest_metadata(answers):
    framework = answers["mastery"].citations[0]
    assert framework.document == DocumentInfo(
        "framework",
        "State Policy Framework for Personalized Learning",
        "state-policy-framework-for-personalized-learning.txt",
        None,
        "KnowledgeWorks",
        "2025-05-12",
        "3rd edition",
        ("Jon Alfuth",),
    )
    data = framework.to_json()
    assert (data["publisher"], data["date"], data["edition"]) == ("KnowledgeWorks", "2025-05-12", "3rd edition")
    study = next(c for c in answers["rfa"].citations if c.passage.doc_id == "rfa-study")
    data = study.to_json()
    assert (data["publisher"], data["date"], data["edition"]) == ("Research for Action", "2022-06", None)


def test_citation_text_reads_like_a_memo_citation(answers):
    assert citation_text(answers["mastery"].citations[0]) == (
        "State Policy Framework for Personalized Learning (KnowledgeWorks, 3rd edition, May 12, 2025) — "
        "Policy Flexibility › transformative policy › Proficiency-based Credit."
    )
    study = next(c for c in answers["rfa"].citations if c.passage.doc_id == "rfa-study")
    assert citation_text(study).startswith(f"{study.document.title} (Research for Action, June 2022) — ")
    bare = Citation(1, Passage("notes", "My notes", "Some text."))  # no metadata, no place: the title alone
    assert citation_text(bare) == "My notes."
    quoted = quoted_sentences(answers["mastery"], 1)
    assert quoted and all(s in answers["mastery"].citations[0].passage.text for s in quoted)
    assert citation_quote(answers["mastery"].citations[0], quoted) == (
        f"“{' '.join(quoted)}”\n{citation_text(answers['mastery'].citations[0])}"
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [("2025-05-12", "May 12, 2025"), ("2022-06", "June 2022"), ("2022", "2022"), ("May 2024", "May 2024")]
    + [("2022-13", "2022-13"), (None, None)],
)
def test_dates_read_as_words(given, shown):
    assert readable_date(given) == shown


def test_the_plain_text_copy_has_markers_and_sources_and_no_markup(answers):
    answer = answers["points"]
    text = answer_plaintext(answer)
    body, sources = text.split("\n\nSources:\n")
    assert body == answer.text and any(line.startswith("- ") for line in body.splitlines())
    lines = sources.splitlines()
    assert lines[0::2] == [f"[{c.id}] {citation_text(c)}" for c in answer.citations]
    assert lines[1::2] == [f"    “{' '.join(c.passage.text.split())}”" for c in answer.citations]
    assert not re.search(r"<[a-z/]|\*\*|^#|\]\(", text, re.M)
    refused = answers["refused"]
    assert answer_plaintext(refused) == refused.text + "\n" and "Sources" not in answer_plaintext(refused)


def test_a_talking_points_page_has_a_topic_title_and_no_jargon(answers):
    page = answer_markdown(answers["points"], DAY)
    assert page.startswith("# Talking points: Funding flexibility for innovative schools\n")
    assert "KnowledgeWorks, 3rd edition, May 12, 2025" in page
    assert page.count("\n> ") >= len(answers["points"].citations)
    hits = [h.passage.id for h in answers["points"].hits]
    for jargon in ["extractive", "backend", "k=", "offline answerer", *hits]:
        assert jargon not in page
    # A question that names no subject is titled by what its points cite, never by the question.
    fund = answers["fund"]
    assert topic(fund) != fund.question.rstrip("?") and topic(fund) in answer_markdown(fund, DAY).splitlines()[0]


def test_a_refusal_exports_its_text_and_no_claim_about_quotes(answers):
    refused = answers["refused"]
    page = answer_markdown(refused, DAY)
    assert refused.text.split(";")[0] in page and "Sources" not in page
    assert "quoted" not in page.lower() and page.rstrip().endswith("*Policy Advisor, 2026-12-03.*")
    assert page.startswith(f"# {UNCOVERED}\n")  # no "Answer:" or "Talking points:" over a refusal
    by_a_model = replace(refused, backend="openai", model="a-model")  # a model's refusal checked nothing either
    for text in (format_answer(by_a_model), answer_markdown(by_a_model, DAY), answer_plaintext(by_a_model)):
        assert "checked" not in text and "quoted" not in text.lower() and "a-model" not in text


def test_a_conversation_exports_whole_with_one_renumbered_sources_list(answers):
    turns = [(a.question, a) for a in (answers["mastery"], answers["refused"], answers["points"], answers["mastery"])]
    page = conversation_markdown(turns, title="Briefing", today=DAY)
    assert page.startswith("# Briefing\n") and page.count("\n## Sources\n") == 1
    assert [line for line in page.splitlines() if line.startswith("## ")][:4] == [
        f"## {n}. {q}" for n, (q, _) in enumerate(turns, start=1)
    ]
    texts, merged = renumber([(a.text, a.citations) for _, a in turns])
    passages = [c.passage.id for c in merged]
    assert len(passages) == len(set(passages)) == len({c.passage.id for _, a in turns for c in a.citations})
    assert [c.id for c in merged] == list(range(1, len(merged) + 1))
    for (_, answer), text in zip(turns, texts):  # every marker still points at the passage it cited
        assert _cited(text, merged) == _cited(answer.text, answer.citations)
    assert texts[1] == answers["refused"].text  # the refusal is there, as it was said
    assert texts[3] == texts[0]  # the same passage cited again keeps its number
    sources = [line for line in page.splitlines() if line.startswith("**[")]
    assert len(sources) == len(merged)
    plain = conversation_plaintext(turns, title="Briefing")
    assert plain.startswith("Briefing\n\n1. ") and plain.count("\nSources:\n") == 1 and "**" not in plain
    with pytest.raises(ValueError, match="ask a question first"):
        conversation_markdown([])


def test_a_single_talking_point_becomes_a_cited_note(answers):
    points = answers["points"]
    which = next(i for i, para in enumerate(points.paragraphs) if para[0].citations and para[0].citations[0] > 1)
    note = note_from_answer(points, which)
    assert [c.id for c in note.citations] == [1] and set(_MARKERS.findall(note.text)) == {"1"}
    original = points.paragraphs[which][0].citations[0]
    assert note.citations[0].passage == next(c.passage for c in points.citations if c.id == original)
    assert note.made_by and note.question == points.question
    with pytest.raises(IndexError):
        note_from_answer(points, len(points.paragraphs))
    with pytest.raises(IndexError):
        note_from_answer(answers["refused"], 0)


def test_notes_export_as_one_memo_with_one_sources_list(answers):
    points = answers["points"]
    notes = [note_from_answer(points, i) for i in range(len(points.paragraphs))]
    notes += [note_from_answer(answers["mastery"]), note_from_answer(answers["mastery"], 0)]
    memo = notes_markdown(notes, title="Funding memo", today=DAY)
    assert memo.startswith("# Funding memo\n") and memo.count("\n## Sources\n") == 1
    assert memo.count(f"\n## {points.question}\n") == 1 and memo.count(f"\n## {MASTERY}\n") == 1
    texts, merged = renumber([(n.text, n.citations) for n in notes])
    assert len(merged) == len(points.citations) + len(answers["mastery"].citations)
    for note, text in zip(notes, texts):
        assert _cited(text, merged) == _cited(note.text, note.citations)
    assert "Each sentence marked \\[n\\] is quoted word for word from source n." in memo
    plain = notes_plaintext(notes)
    assert plain.count("\nSources:\n") == 1 and "##" not in plain
    with pytest.raises(ValueError, match="pin an answer"):
        notes_markdown([])


def test_a_note_survives_a_round_trip_through_json(answers):
    note = note_from_answer(answers["rfa"])
    assert Note.from_json(note.to_json()) == note
    kept = Note.from_json(note.to_json())
    assert [c.passage.id for c in kept.citations] == [c.passage.id for c in note.citations]


def test_markup_at_the_start_of_an_answer_line_stays_text():
    passage = Passage("doc", "Doc", "# Not a heading. 1. Not a list.")
    paragraphs = [[Sentence("# Not a heading.", [1], "quote")], [Sentence("1. Not a list.", [1], "quote")]]
    answer = Answer("q", "answer", False, "extractive", paragraphs, [Citation(1, passage)])
    page = answer_markdown(answer, DAY)
    assert "\n\\# Not a heading [1].\n" in page and "\n1\\. Not a list [1].\n" in page


def test_a_user_document_is_cited_with_what_its_manifest_entry_says(small, tmp_path):
    from advisor.documents import add_documents
    from advisor.index import open_index

    note = tmp_path / "ohio-notes.md"
    note.write_text("# Ohio Credit Flexibility\n\nOhio lets districts award credit for demonstrated mastery.\n")
    add_documents(small, [note], on_build=lambda message: None)
    assert open_index(small).documents["ohio-notes"] == DocumentInfo(
        "ohio-notes", "Ohio Credit Flexibility", "ohio-notes.md"
    )
    manifest = small.corpus_dir / MANIFEST_NAME
    title = 'title = "Ohio Credit Flexibility"'
    text = manifest.read_text(encoding="utf-8").replace(title, f'{title}\npublisher = "Ohio DEW"\ndate = "2024-09"')
    manifest.write_text(text, encoding="utf-8")
    info = open_index(small, on_build=lambda message: None).documents["ohio-notes"]
    assert (info.publisher, info.date, info.edition) == ("Ohio DEW", "2024-09", None)


def test_an_index_state_from_before_the_metadata_gives_titles_only():
    info = DocumentInfo.from_state("framework", {"title": "Framework", "file": "f.txt", "passages": 3})
    assert info == DocumentInfo("framework", "Framework", "f.txt")
