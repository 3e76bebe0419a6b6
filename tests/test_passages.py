"""The structure parser, pinned on the real sources and their quirks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.config import PROJECT_ROOT
from advisor.corpus import Document, load_documents
from advisor.passages import (
    DECISION_POINT,
    IMPLEMENTATION_ACTION,
    MAX_PASSAGE_CHARS,
    OVERVIEW,
    RECOMMENDATION,
    TRANSFORMATIVE_POLICY,
    WHY_IT_MATTERS,
    parse_document,
)

CONDITIONS = [
    "System Purpose",
    "Policy Flexibility",
    "Flexible Learning Environments and Pathways",
    "Accountability and Improvement Structures",
    "Comprehensive State Assessment Systems",
    "Educator Development and Support",
    "Holistic Student Supports",
    "Responsive Funding Systems",
]
# Every policy heading of the framework, read off the source by hand.
POLICY_HEADINGS = """
Student-centered Vision|High-quality Academic Content|Model State-level Competency Frameworks|Definitions|
Implementation Leadership|Technical Assistance for Areas of Greatest Need|Quality Implementation|Statewide Networks|
Intentional Communication|Statutorily-protected Flexibility|Statutorily-protected Innovation Opportunities|
Regular State Policy Audit|Proficiency-based Credit|Higher Education Transitions|Supportive State Department Structures|
Innovation Intermediary|Shared Best Practices|Equitable Access to Existing Pathways|High School Graduation Requirements|
Federal Funding|Innovative Learning Records|Pathway Guidance|Equitable Access|Innovative Learning Record Supports|
Postsecondary and Workforce Partnerships|Navigational Resources|Reciprocal Accountability Structures|
Holistic State Accountability Indicators|Data Governance|Local Accountability Policies|Data Transparency|
Student-centered School Improvement|Local Accountability Support|Capacity for Improvement|
Research and Cycles of Improvement|Supportive Technical Assistance|Purpose of the State Assessment System|
Assessment Content|Federal Flexibility|Funding for Research and Innovation|
Assessments and High School Graduation Requirements|Infrastructure|Feedback Loops|Local Assessment Technical Quality|
Model Resources|Integrating Instruction and Assessment|Licensure and Credentialing|Preparation Programs|
Alternative Certification|Teacher Evaluation|Research and Development|Compensation|Professional Advancement|
Personalized Local Development Systems|Professional Development Offerings|Educator Networks|Educator Diversity|
Additional Educator Training|Whole Child Supports|Academic Interventions|Educator Training|Supportive School Models|
Cross-sector Alignment|Technology Access|Transitional Supports|Academic Intervention Support|Data Systems|
Community Partnerships|Physical Space|State Funding Formula Structure|School Finance Equalization|Categorical Funding|
Definitions Relevant to Funding|Equity Evaluation|Funding Guidance|Federal Funding Opportunities|Economies of Scale|
Philanthropic Partnerships|Utilizing Funding Data""".replace("\n", "").split("|")


@pytest.fixture(scope="module")
def docs() -> dict[str, Document]:
    return {d.id: d for d in load_documents(PROJECT_ROOT / "corpus")}


@pytest.fixture(scope="module")
def framework(docs):
    return parse_document(docs["framework"])


@pytest.fixture(scope="module")
def rfa(docs):
    return parse_document(docs["rfa-study"])


def test_corpus_is_the_shared_sources_verbatim():
    shared = PROJECT_ROOT.parent / "shared" / "corpus-sources"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    for source in shared.iterdir():
        assert (PROJECT_ROOT / "corpus" / source.name).read_bytes() == source.read_bytes()


def test_manifest_has_metadata_for_every_source(docs):
    assert set(docs) == {
        "framework",
        "publication-page",
        "rfa-study",
        "transforming-for-tomorrow",
        "designing-for-all-students",
    }
    assert docs["rfa-study"].authors == ("Mark Duffy", "Mary Eddins")
    assert docs["rfa-study"].publisher == "Research for Action"
    assert docs["framework"].date == "2025-05-12"
    assert {d.kind for d in docs.values()} == {"framework", "publication page", "research study", "policymaker guide"}


def test_every_condition_has_all_four_parts(framework):
    found = {(p.condition, p.part) for p in framework if p.condition}
    assert [c for c in dict.fromkeys(p.condition for p in framework if p.condition)] == CONDITIONS
    for condition in CONDITIONS:
        for part in (OVERVIEW, WHY_IT_MATTERS, TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION):
            assert (condition, part) in found


def test_every_policy_heading_present_exactly_once(framework):
    headings = [p.heading for p in framework if p.part in (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION)]
    assert sorted(headings) == sorted(POLICY_HEADINGS)
    assert len(headings) == len(set(headings)) == 79


def test_heading_split_over_two_lines_is_joined(framework):
    policy = next(p for p in framework if p.heading == "Model State-level Competency Frameworks")
    assert policy.condition == "System Purpose" and policy.part == TRANSFORMATIVE_POLICY
    assert policy.text.startswith("State policy directs the development of a model state-level framework")
    assert not any(p.heading in ("Model State-level", "Competency Frameworks") for p in framework)


def test_condition_named_differently_in_contents_and_heading(framework):
    # Contents: "Holistic Student Support"; heading: "HOLISTIC STUDENT SUPPORTS". One condition, not two.
    names = {p.condition for p in framework if p.condition and "Holistic" in p.condition}
    assert names == {"Holistic Student Supports"}


def test_table_of_contents_leaders_and_page_numbers_are_gone(framework):
    contents = next(p for p in framework if p.heading == "Policy Conditions")
    assert "Holistic Student Support\n" in contents.text
    for p in framework:
        assert "....." not in p.text and "\t" not in p.text
        assert not re.search(r"Systems\s+24$", p.text, re.M)


def test_link_residue_and_boilerplate_are_gone(framework, rfa):
    for p in framework + rfa:
        assert "](#)" not in p.text and "Learn more" not in p.text and "»" not in p.text
        assert "Read current state examples" not in p.text
    definitions = next(p for p in framework if p.heading == "Definitions")
    assert definitions.text.endswith("field-developed 2019 definition.")


def test_rfa_roadmap_decision_points_without_inventing_six(rfa):
    points = [p for p in rfa if p.part == DECISION_POINT]
    assert [p.heading for p in points] == [
        "Decision Point 1: Catalyst",
        "Decision Point 2: State Vision",
        "Decision Point 3: Policy Mechanisms",
        "Decision Point 4: State Leadership",
        "Decision Point 5: Partners",
        "Decision Point 7: Scale-Up",
    ]
    for p in points:
        assert "<p>" not in p.text and "</p>" not in p.text
    assert points[0].text.splitlines()[1].startswith("States identified catalysts")


def test_rfa_recommendations_one_passage_each(rfa):
    recs = [p for p in rfa if p.part == RECOMMENDATION and p.heading != "Recommendations for State Leaders"]
    assert len(recs) == 10
    assert recs[0].heading.startswith("Establish a clear and shared vision")
    assert all("**" not in p.text for p in rfa)
    parts = {p.part for p in rfa}
    assert {"cross-state analysis", "equity considerations", "about", "introduction"} <= parts


def test_no_blank_or_whitespace_lines_in_passages(docs):
    for doc in docs.values():
        for p in parse_document(doc):
            assert p.text == p.text.strip()
            assert all(line.strip() == line and line for line in p.text.splitlines())


def test_passage_sentences_are_verbatim_source_text(docs):
    """Every sentence of every passage occurs in its source once residue is cleaned."""
    from advisor.corpus import read_lines
    from advisor.text import clean_line

    for doc in docs.values():
        source = " ".join(clean_line(line) for line in read_lines(doc.path))
        for p in parse_document(doc):
            for sentence in p.sentences:
                assert sentence.lstrip("- ") in source, (doc.id, sentence)


def test_a_sentence_keeps_its_closing_quotation_mark_or_bracket():
    """'…definitions like “student count.” The…' once lost its closing mark to the split."""
    from advisor.text import split_sentences

    text = "Terms like “instructional hours” and “student count.” The state acts. (See below.) ‘Done.’ Next."
    assert split_sentences(text) == [
        "Terms like “instructional hours” and “student count.”",
        "The state acts.",
        "(See below.)",
        "‘Done.’",
        "Next.",
    ]


def _doc(path: Path) -> Document:
    return Document(id=path.stem, path=path, title=path.stem)


def test_user_markdown_is_split_by_its_headings(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(
        "# Ohio Guide\n\nIntro paragraph about the guide.\n\n## Credit Flexibility\n\n"
        "Ohio lets districts award credit for demonstrated mastery.\n\n## Funding\n\nA sentence on money.\n",
        encoding="utf-8",
    )
    passages = parse_document(_doc(path))
    assert [(p.heading, p.text) for p in passages] == [
        ("Ohio Guide", "Intro paragraph about the guide."),
        ("Credit Flexibility", "Ohio lets districts award credit for demonstrated mastery."),
        ("Funding", "A sentence on money."),
    ]


def test_user_html_drops_scripts_and_keeps_headings(tmp_path):
    path = tmp_path / "guide.html"
    path.write_text(
        "<html><head><title>x</title><script>alert('x')</script></head><body><h1>State Guide</h1>"
        "<p>First <b>paragraph</b> here.</p><h2>Pathways</h2>"
        "<ul><li>One item.</li><li>Two item.</li></ul></body></html>",
        encoding="utf-8",
    )
    passages = parse_document(_doc(path))
    assert passages[0].heading == "State Guide" and passages[0].text == "First paragraph here."
    assert passages[1].heading == "Pathways" and "One item." in passages[1].text
    assert all("alert" not in p.text for p in passages)


def test_long_plain_text_is_split_within_the_size_limit(tmp_path):
    path = tmp_path / "long.txt"
    sentence = "The state supports districts that redesign learning around mastery of skills. "
    path.write_text("A Long Guide\n\n" + "\n\n".join(sentence * 8 for _ in range(10)), encoding="utf-8")
    passages = parse_document(_doc(path))
    assert len(passages) > 5
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert all(p.heading == "A Long Guide" for p in passages)


def test_passage_ids_are_stable_content_hashes(docs):
    first = [p.id for p in parse_document(docs["framework"])]
    assert first == [p.id for p in parse_document(docs["framework"])]
    assert len(set(first)) == len(first)
