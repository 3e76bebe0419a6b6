"""Splitting a bill into provisions: each heading style bills use, documents without any, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from advisor.config import PROJECT_ROOT
from advisor.errors import UserError
from advisor.provisions import bill_from_bytes, bill_from_text, read_bill, split_bill

BILLS = PROJECT_ROOT / "evals" / "bills"
LIMIT = 500_000


def _split(text: str):
    return bill_from_text(text, LIMIT)


def _ids(bill) -> list[str]:
    return [p.id for p in bill.provisions]


def test_section_headings_run_in_with_subsections_kept():
    bill = _split(
        "AN ACT relating to credit.\n\n"
        "Section 1. Short title. This act may be cited as the Credit Act.\n\n"
        "Section 2. Credit for demonstrated mastery. (a) A board shall award credit on mastery.\n"
        "(b) The department shall adopt rules.\n"
        "  (1) The rules shall name the evidence.\n\n"
        "Section 3. This act takes effect July 1, 2026.\n"
    )
    assert bill.title == "AN ACT relating to credit." and bill.structure == "numbered sections"
    assert _ids(bill) == ["1", "2", "3"]
    one, two, three = bill.provisions
    assert (one.heading, one.text) == ("Short title", "This act may be cited as the Credit Act.")
    assert two.heading == "Credit for demonstrated mastery"
    assert two.text.splitlines() == [
        "(a) A board shall award credit on mastery.",
        "(b) The department shall adopt rules.",
        "(1) The rules shall name the evidence.",
    ]
    assert (three.heading, three.text) == (None, "This act takes effect July 1, 2026.")  # a sentence, not a heading
    assert two.cite == "B§2" and two.label == "Section 2"


@pytest.mark.parametrize(
    ("text", "ids", "headings"),
    [
        (  # upper case, heading alone on its line
            "HOUSE BILL 3305\nAN ACT concerning tests.\n\nSECTION 1. FINDINGS\nThe legislature finds that tests "
            "take time.\n\nSECTION 2. PILOT\n(a) The department shall run a pilot.\n",
            ["1", "2"],
            ["FINDINGS", "PILOT"],
        ),
        (  # "Sec." with the heading on its own line
            "Sec. 1. Short title.\nThis act may be cited as the Ready Act.\n\nSec. 2. Profile of a graduate.\n"
            "(a) The board shall adopt a profile.\n",
            ["1", "2"],
            ["Short title", "Profile of a graduate"],
        ),
        (  # section sign, with and without a period, and numbers as statutes write them
            "§ 4. Licensure. An applicant shall show skill.\n\n§ 16.001 Renewal\nA teacher shall renew every five "
            "years.\n\n§§ 17 — Repeal\nSection 12 of the old act is repealed in full.\n",
            ["4", "16.001", "17"],
            ["Licensure", "Renewal", "Repeal"],
        ),
        (  # Markdown headings and bold run-in headings
            "# HB 1\n\n## SECTION 1. PURPOSE\n\nThe purpose is to help schools.\n\n**Section 2. Waivers.** A "
            "district may apply for a waiver.\n",
            ["1", "2"],
            ["PURPOSE", "Waivers"],
        ),
    ],
)
def test_each_numbered_heading_style(text, ids, headings):
    bill = _split(text)
    assert _ids(bill) == ids
    assert [p.heading for p in bill.provisions] == headings
    assert all(p.kind == "section" for p in bill.provisions)


def test_a_budget_bills_line_items():
    bill = _split(
        "HOUSE BILL 1400\nGENERAL APPROPRIATION ACT\n\n                    First Year    Second Year\n\n"
        "Item 240. Department of Education, Central Office Operations, Procurement and Contracting Controls "
        "(18100) ..... $21,486,000 $21,902,000\nFund Sources: General ..... $16,204,000\n"
        "A. Out of this appropriation, $340,000 is provided for an audit.\n\n"
        "Item 241. Direct Aid, Basic Aid (19700) ..... $4,126,550,000\nA. The state share of basic aid is provided.\n"
    )
    assert _ids(bill) == ["240", "241"] and bill.provisions[0].cite == "B Item 240"
    assert bill.provisions[0].heading == (
        "Department of Education, Central Office Operations, Procurement and Contracting Controls (18100) "
        "… $21,486,000 $21,902,000"
    )  # a long line, still the item's name and amounts
    assert bill.provisions[0].text.startswith("Fund Sources: General ..... $16,204,000\nA. Out of")  # text verbatim


def test_a_strategic_plans_strategies_under_its_goals():
    bill = _split(
        "STATE BOARD OF EDUCATION\nStrategic Plan 2027-2031: Every Learner\n\nAbout This Plan\nThe Board adopts "
        "this plan.\n\nGoal 1. Clear Expectations\nEvery student masters demanding content.\n\n"
        "Strategy 1.1 Revise the academic standards on a six-year cycle with teachers and employers\nThe Board will "
        "revise the standards.\n\n## Priority 2. Strong Schools\n\n### Action 2.1 Review every school\n"
        "The Department will review each school.\n"
    )
    assert _ids(bill) == ["1.1", "2.1"] and bill.title == "Strategic Plan 2027-2031: Every Learner"
    first, second = bill.provisions
    assert first.heading == "Revise the academic standards on a six-year cycle with teachers and employers"
    assert first.context == "Goal 1. Clear Expectations" and first.cite == "B Strategy 1.1"
    assert second.context == "Priority 2. Strong Schools" and second.text == "The Department will review each school."


def test_titles_group_sections_without_joining_them():
    bill = _split(
        "TITLE I—GENERAL PROVISIONS\n\nSec. 101. Short title. This Act is the Opportunity Act.\n\n"
        "TITLE II—PATHWAYS\n\nSec. 201. Dual enrollment. (a) A district shall pay tuition.\n"
    )
    assert _ids(bill) == ["101", "201"]
    assert bill.provisions[0].text == "This Act is the Opportunity Act."  # the next title is not its last line
    assert bill.provisions[1].context == "Title II. PATHWAYS"


def test_numbers_without_a_word_when_they_are_the_documents_structure():
    rule = _split(
        "1 CCR 301-114\nRULES FOR THE PUPIL COUNT\n\n2.01 Authority.\nThese rules are adopted under the act.\n\n"
        "2.02 Funded pupil count for learning outside the classroom\n(A) A pupil shall be counted in full.\n\n"
        "_______________\n\nEditor's Notes\nHistory: Entire rule eff. 09/30/2027.\n"
    )
    assert _ids(rule) == ["2.01", "2.02"] and rule.title == "1 CCR 301-114: RULES FOR THE PUPIL COUNT"
    assert rule.provisions[1].text == "(A) A pupil shall be counted in full."  # the editor's note is not in it
    faq = _split(
        "GUIDANCE MEMORANDUM 2027-06\n\nTO: Superintendents\nFROM: Deputy Superintendent\n"
        "SUBJECT: Credit flexibility\n\nThis memorandum answers common questions.\n\n"
        "Q1. May a district award credit without a minimum number of hours?\nA. Yes, on demonstrated mastery.\n\n"
        "Q2. How do we count a student?\nA. For every hour of an approved plan.\n"
    )
    assert _ids(faq) == ["1", "2"] and faq.provisions[1].cite == "B Q2" and faq.provisions[1].heading is None
    assert faq.provisions[1].text == "How do we count a student?\nA. For every hour of an approved plan."
    assert faq.title == "GUIDANCE MEMORANDUM 2027-06: Credit flexibility"


def test_an_executive_orders_numbered_paragraphs():
    order = _split(
        "[GREAT SEAL]\n\nEXECUTIVE ORDER 2027-04\n\nESTABLISHING A COUNCIL ON LEARNING\n\n"
        "WHEREAS, schools ask for support; and\n\nWHEREAS, rules are old;\n\n"
        "NOW, THEREFORE, I, the Governor, do hereby order:\n\n"
        "1. There is established a Council on Learning.\n   a. The Council has twenty-one members.\n\n"
        "2. Schools Network.\n   a. The Department shall convene a network of schools.\n\n"
        "3. This Order is effective immediately.\n\nIN WITNESS WHEREOF, I have set my hand this day.\n\n"
        "TERESA ODUYA\nGOVERNOR\n\nATTEST:\n\nDANIEL LUSK\nSECRETARY OF STATE\n"
    )
    assert _ids(order) == ["1", "2", "3"] and order.provisions[0].cite == "B¶1"
    assert order.title == "EXECUTIVE ORDER 2027-04: ESTABLISHING A COUNCIL ON LEARNING"
    assert order.provisions[1].heading == "Schools Network"
    assert order.provisions[2].text == "This Order is effective immediately."  # the signature block is not in it
    memo = _split(  # a numbered list inside one part of a memo does not make the memo numbered paragraphs
        "CREDIT\nDistricts may award credit.\n\n1. Adopt a policy.\n\n2. Train teachers.\n\n"
        "3. Report results.\n\nFIELD TRIPS\nAn overnight trip needs approval.\n\nBUSES\nBuses run on time.\n\n"
        "CALENDAR\nThe year has 180 days.\n"
    )
    assert memo.structure == "headings"


def test_a_resolutions_long_title_is_not_a_provision():
    bill = _split(
        "SENATE JOINT RESOLUTION 12\n\nA JOINT RESOLUTION establishing a task force on learning.\n\n"
        "WHEREAS, students learn in many places; and\n\n"
        "NOW, THEREFORE, BE IT RESOLVED that a task force shall be convened.\n"
    )
    assert bill.title == "SENATE JOINT RESOLUTION 12: A JOINT RESOLUTION establishing a task force on learning."
    assert [p.text[:8] for p in bill.provisions] == ["WHEREAS,", "NOW, THE"]


def test_a_heading_below_a_bare_number_in_sentence_case_and_a_lead_in_that_is_not_a_heading():
    bill = _split(
        "Section 1.\nLearner and employment record\n\n(a) The department shall build a record.\n\n"
        "Section 2.\nStudents learn at different rates in different places.\nThe board shall act.\n\n"
        "SEC. 3. The Legislature finds and declares all of the following:\n(a) Schools matter.\n"
    )
    one, two, three = bill.provisions
    assert (one.heading, one.text) == ("Learner and employment record", "(a) The department shall build a record.")
    assert two.heading is None  # a sentence with text right below it is text
    assert three.heading is None and three.text.startswith("The Legislature finds and declares")


def test_an_html_tables_cells_stay_apart():
    bill = _split(
        "<html><body><h2>Section 3. Stipends</h2><p>(a) The state shall pay stipends:</p><table>"
        "<tr><th>Tier</th><th>Stipend</th></tr><tr><td>Advanced Teacher</td><td>$1,500</td></tr></table>"
        "</body></html>"
    )
    assert "| Tier | Stipend |" in bill.provisions[0].text
    assert "| Advanced Teacher | $1,500 |" in bill.provisions[0].text


def test_em_dash_run_in_headings_as_federal_bills_write_them():
    bill = _split(
        "AN ACT relating to schools.\n\nSEC. 1. SHORT TITLE.\u2014This Act may be cited as the Test Act.\n"
        "SEC. 2. CREDIT FOR MASTERY.\u2014(a) A district shall award credit for mastery.\n(b) The board shall adopt "
        "rules.\nSec. 3. Reports.--The department shall report each year.\n"
    )
    assert [(p.id, p.heading) for p in bill.provisions] == [
        ("1", "SHORT TITLE"),
        ("2", "CREDIT FOR MASTERY"),
        ("3", "Reports"),
    ]
    assert bill.provisions[1].text == "(a) A district shall award credit for mastery.\n(b) The board shall adopt rules."
    assert bill.provisions[2].text == "The department shall report each year."


def test_rules_an_em_dash_before_a_lead_in_and_a_heading_on_the_next_line():
    rules = _split(
        "STATE BOARD RULES\n\nRule 1.01 Authority.\nThe board adopts this chapter under law.\n\n"
        "RULE 1.02 PILOT.\n(1) The department shall run a pilot.\n"
    )
    assert [(p.id, p.heading) for p in rules.provisions] == [("1.01", "Authority"), ("1.02", "PILOT")]
    lead_in = _split('SEC. 2. DEFINITIONS.\u2014In this Act:\n(1) "Record" means a learning record.\n')
    assert (lead_in.provisions[0].heading, lead_in.provisions[0].text) == (
        "DEFINITIONS",
        'In this Act:\n(1) "Record" means a learning record.',
    )
    below = _split(
        "SECTION 1.\nSHORT TITLE\nThis act may be cited as the Paths Act.\n\nSECTION 2.\nDual Enrollment\n"
        "(1) A student may enroll in college courses.\n\nSECTION 3.\nEvery student in grade 9\nshall have a plan.\n"
    )
    assert [p.heading for p in below.provisions] == ["SHORT TITLE", "Dual Enrollment", None]
    assert below.provisions[2].text == "Every student in grade 9\nshall have a plan."  # a sentence, not a heading


def test_a_bill_number_takes_the_bills_name_not_its_sponsors():
    bill = _split(
        "HOUSE BILL NO. 2318\nSECOND REGULAR SESSION\nINTRODUCED BY REPRESENTATIVES OKAFOR AND BARRERA\n"
        "REFERRED TO THE COMMITTEE ON EDUCATION\n\nA BILL FOR AN ACT\n\nENTITLED AN ACT CONCERNING PATHWAYS.\n\n"
        "SECTION 1. SHORT TITLE. This act may be cited as the Paths Act.\n"
    )
    assert bill.title == "HOUSE BILL NO. 2318: AN ACT CONCERNING PATHWAYS."


def test_a_signature_under_a_heading_is_not_a_provision():
    bill = _split(
        "Plan for Learning\n\nCredit\nDistricts may award credit for demonstrated mastery.\n\n"
        "Pathways\nEvery student will have access to a career pathway.\n\nJANE DOE\nGOVERNOR\n"
    )
    assert [p.heading for p in bill.provisions] == ["Credit", "Pathways"]


def test_a_memorandum_header_is_not_a_provision():
    memo = (
        "MEMORANDUM\nTO: District superintendents\nFROM: Commissioner of Education\nDATE: March 3, 2027\n"
        "RE: Credit flexibility\n\nCREDIT FOR DEMONSTRATED LEARNING\nA district may award credit when a student "
        "shows mastery.\n\nFIELD TRIPS\nAn overnight field trip requires written approval of the board.\n"
    )
    bill = _split(memo)
    assert bill.title == "Memorandum: Credit flexibility"
    assert [p.heading for p in bill.provisions] == ["CREDIT FOR DEMONSTRATED LEARNING", "FIELD TRIPS"]
    paragraphs = _split("To: Principals\nFrom: The department\n\nSchools may award credit for mastery of skills.\n")
    assert [p.text for p in paragraphs.provisions] == ["Schools may award credit for mastery of skills."]
    dated = _split("Date: March 3\n\nSchools may award credit for mastery of skills.\n")  # one field: no header
    assert [p.text for p in dated.provisions][-1] == "Schools may award credit for mastery of skills."


def test_list_items_that_carry_their_own_numbers_lose_the_bullet():
    bill = _split(
        "<html><body><h2>Section 2. Tutoring</h2><ol><li>(1) The department shall make grants.</li>"
        "<li>(2) A district shall report.</li></ol><h2>Section 3. Other</h2><ul><li>A district shall serve every "
        "grade.</li></ul></body></html>"
    )
    assert bill.provisions[0].text == "(1) The department shall make grants.\n(2) A district shall report."
    assert bill.provisions[1].text == "- A district shall serve every grade."  # a plain bullet keeps its dash


def test_references_and_amending_clauses_are_not_headings():
    bill = _split(
        "Section 1. Amendment.\n"
        "Section 22-7-1013, Revised Statutes, is amended to read as follows.\n"
        "Section 5 of this act applies to every district.\n\n"
        "Section 2. Effective date. This act takes effect on passage.\n"
    )
    assert _ids(bill) == ["1", "2"]
    assert "Section 22-7-1013, Revised Statutes" in bill.provisions[0].text
    assert "Section 5 of this act applies" in bill.provisions[0].text


def test_articles_are_provisions_unless_they_hold_sections():
    articles = _split(
        "A BILL\n\nARTICLE I. COMMUNITY SCHOOLS\n(a) The department shall award grants.\n(b) A school shall:\n"
        "  (1) employ a coordinator; and\n  (2) offer summer programs.\n\nArticle II - Broadband\n"
        "The department shall survey home internet access.\n"
    )
    assert articles.structure == "articles" and _ids(articles) == ["I", "II"]
    assert articles.provisions[0].cite == "B Art. I" and "(2) offer summer programs." in articles.provisions[0].text
    nested = _split(
        "ARTICLE 1. FUNDING\n\nSection 101. Grants. The state shall fund grants to districts.\n\n"
        "Section 102. Reports. Each district shall report on its grant.\n\nARTICLE 2. EDUCATORS\n\n"
        "Section 201. Licensure. Applicants shall show mastery of practice.\n"
    )
    assert _ids(nested) == ["101", "102", "201"]
    assert [p.context for p in nested.provisions] == [
        "Article 1. FUNDING",
        "Article 1. FUNDING",
        "Article 2. EDUCATORS",
    ]


def test_a_document_with_headings_but_no_numbers_splits_by_its_headings():
    bill = _split(
        "State Plan for Personalized Learning\n\nOur Vision\nEvery student graduates ready for life.\n\n"
        "Assessment Pilot\nTen districts will pilot performance assessments.\n"
    )
    assert bill.structure == "headings" and bill.title == "State Plan for Personalized Learning"
    assert [(p.id, p.heading) for p in bill.provisions] == [("1", "Our Vision"), ("2", "Assessment Pilot")]
    assert bill.provisions[1].cite == "B¶2"


def test_a_document_with_no_headings_splits_by_paragraphs():
    bill = _split(
        "RESOLUTION ON LEARNING\n\nWHEREAS, the Board believes every student can learn; and\n\n"
        "BE IT RESOLVED that districts may award credit on the basis of demonstrated\n"
        "proficiency, and the Department shall issue guidance.\n\nSigned\n"
    )
    assert bill.structure == "paragraphs" and bill.title == "RESOLUTION ON LEARNING"
    assert _ids(bill) == ["1", "2"]  # "Signed" is too short to be a provision
    assert bill.provisions[1].text == (
        "BE IT RESOLVED that districts may award credit on the basis of demonstrated proficiency, and the "
        "Department shall issue guidance."
    )  # a hard-wrapped paragraph joined back up
    assert all(p.heading is None and p.kind == "paragraph" for p in bill.provisions)


def test_pasted_html_is_read_as_html():
    bill = _split("<html><body><h1>Act</h1><h2>&sect; 1. Stipends</h2><p>A teacher shall get $2,000.</p></body></html>")
    assert [(p.id, p.heading, p.text) for p in bill.provisions] == [("1", "Stipends", "A teacher shall get $2,000.")]


def test_citation_markers_in_a_bill_are_defused():
    bill = _split("Section 1. Credit. A board shall award credit [3] as in [12].\n")
    assert bill.provisions[0].text == "A board shall award credit (3) as in (12)."


def test_every_labelled_bill_splits_as_labelled():
    """The evaluation's bills in every format (.txt .md .html .docx) give exactly the labelled provisions."""
    labels = [json.loads(line) for line in (BILLS / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    by_bill: dict[str, list[dict]] = {}
    for label in labels:
        by_bill.setdefault(label["bill"], []).append(label)
    assert {Path(b).suffix for b in by_bill} == {".txt", ".md", ".html", ".docx"}
    for name, rows in by_bill.items():
        bill = read_bill(BILLS / name, LIMIT)
        assert _ids(bill) == [r["provision"] for r in rows], name
        for provision, row in zip(bill.provisions, rows):
            assert provision.text.startswith(row["starts"]), (name, provision.id, provision.text[:80])
    docx = read_bill(BILLS / "dev" / "learner-records-act.docx", LIMIT)
    assert docx.title == "Learner Records and Pathways Act" and docx.provisions[1].heading == "Learner records"


def test_the_word_bill_is_what_its_script_writes(tmp_path):
    sys.path.insert(0, str(BILLS))
    try:
        import make_docx
    finally:
        sys.path.remove(str(BILLS))
    target = tmp_path / "again.docx"
    make_docx.write_docx(target, make_docx.PARAGRAPHS, make_docx.TITLE)
    assert target.read_bytes() == (BILLS / "dev" / "learner-records-act.docx").read_bytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "standard input is empty"),
        (b"  \n\t\n", "standard input is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "standard input is binary"),
        (b"Hello there.", "no provisions found; tried numbered sections"),
        (b"# Title only\n\n## Another heading\n", "no provisions found"),
    ],
)
def test_bad_input_says_what_is_wrong(data, message):
    with pytest.raises(UserError, match=message):
        bill_from_bytes(data, LIMIT)


def test_over_the_size_limit():
    with pytest.raises(UserError, match=r"has 2,001 characters of text; the limit is 2,000"):
        bill_from_text("x" * 2001, 2000)


def test_a_scanned_pdf_without_text_says_so(tmp_path):
    from test_corpus_formats import make_pdf

    scan = tmp_path / "scan.pdf"
    make_pdf(scan, [])
    with pytest.raises(UserError, match="the PDF has no text layer"):
        read_bill(scan, LIMIT)


def test_a_pdf_bill_is_split(tmp_path):
    from test_corpus_formats import make_pdf

    pdf = tmp_path / "bill.pdf"
    make_pdf(
        pdf,
        [
            "SENATE BILL 9",
            "Section 1. Credit. A district may award credit for mastery.",
            "Section 2. Effective date. This act takes effect on passage.",
        ],
    )
    bill = read_bill(pdf, LIMIT)
    assert [(p.id, p.heading) for p in bill.provisions] == [("1", "Credit"), ("2", "Effective date")]


def test_split_bill_takes_lines():
    bill = split_bill(["Section 1. Grants. The state shall fund grants for planning."], file="x.txt")
    assert bill.file == "x.txt" and bill.title == "Untitled"


def test_a_code_section_number_with_a_decimal_is_not_a_heading():
    bill = _split(
        "SEC. 1.\nSection 46010.7 of the Education Code is amended to read:\n46010.7. (a) A pupil counts as "
        "present when the pupil shows progress.\n\nSEC. 2.\nSection 41372 of the Education Code is amended to read:"
        "\n41372. (a) A district shall spend sixty percent on instruction.\n"
    )
    assert _ids(bill) == ["1", "2"]
    assert bill.provisions[0].text.startswith("Section 46010.7 of the Education Code is amended to read:")


def test_a_memorandum_under_a_two_line_letterhead():
    bill = _split(
        "STATE DEPARTMENT OF EDUCATION\nDivision of School Quality\n\nTO: Superintendents\nFROM: The Commissioner\n"
        "SUBJECT: Reviews\n\nSCHOOL QUALITY REVIEWS\nEvery school takes part in a review every three years.\n\n"
        "BUS CAMERAS\nDistricts may equip buses with stop-arm cameras.\n"
    )
    assert [p.heading for p in bill.provisions] == ["SCHOOL QUALITY REVIEWS", "BUS CAMERAS"]
    assert bill.title == "State Department Of Education: Reviews"


def test_codified_rule_numbers_with_their_titles_letter():
    bill = _split(
        "STATE BOARD OF EDUCATION\n\nR614. Education, Administration.\nRule R614-330. Mastery-Based Courses.\n\n"
        "R614-330-1. Authority and Purpose.\n(1) This rule is authorized by Section 53G-9-411.\n\n"
        "R614-330-2. Awarding Credit Through Mastery.\n(1) An LEA may award credit when a student shows mastery, as "
        "Section R614-330-1 allows.\n\nKEY: mastery, credit\nDate of Last Change: September 8, 2028\n"
    )
    assert _ids(bill) == ["R614-330-1", "R614-330-2"]
    assert bill.provisions[1].heading == "Awarding Credit Through Mastery"
    assert "KEY" not in bill.provisions[1].text  # the code's closing key and dates are not the last rule's text


def test_a_resolution_is_its_clauses_without_letterhead_or_vote():
    bill = _split(
        "CEDAR FORKS SCHOOL DISTRICT\nBOARD OF EDUCATION\n\nRESOLUTION NO. 2028-14\n\nA RESOLUTION ADOPTING A "
        "GRADUATE PROFILE\n\nWHEREAS, the Board adopted a strategic plan in 2026;\n\nNOW, THEREFORE, BE IT RESOLVED "
        "that a student may earn credit by showing mastery.\n\nBE IT FURTHER RESOLVED that this resolution takes "
        "effect upon adoption.\n\nPASSED AND ADOPTED on March 14, 2028, by the following vote:\n\nAYES: Members "
        "Alvarez, Brennan\nNOES: None\n\n____________\nTeresa Okafor, President\n"
    )
    assert bill.structure == "paragraphs"
    assert [p.text.split()[0] for p in bill.provisions] == ["WHEREAS,", "NOW,", "BE"]
    assert bill.title.startswith("RESOLUTION NO. 2028-14")


def test_an_html_page_header_and_footer_in_plain_divs_are_not_text():
    bill = _split(
        '<html><body><div class="pagehead"><p>Legislative Services · Page 1 of 4</p></div><h1>SENATE BILL 342</h1>'
        "<h2>SECTION 1. SHORT TITLE</h2><p>This act is the Readiness Act.</p><h2>SECTION 2. EFFECTIVE DATE</h2>"
        '<p>This act takes effect July 1, 2028.</p><div class="pagefoot"><div><p>© 2028 Legislative Services</p>'
        "</div><p>Enrolled</p></div></body></html>"
    )
    assert bill.provisions[-1].text == "This act takes effect July 1, 2028."
    assert bill.title == "SENATE BILL 342"


def test_bare_numbers_before_run_in_headings_are_sections_and_a_fiscal_note_is_not_text():
    bill = _split(
        "<html><body><table><tr><td>HOUSE BILL</td><td>1147-FN</td></tr></table>"
        "<p><b>1 Short Title.</b> This act shall be known as the Learning Beyond the Bell Act.</p>"
        "<p><b>2 Dual Enrollment Tuition.</b> The department shall pay the tuition for 2 courses.</p>"
        "<p><b>3 Effective Date.</b> This act shall take effect July 1, 2027.</p><hr>"
        "<p>LBA 27-0412</p><p><b>HB 1147-FN- FISCAL NOTE</b></p><p>The bill costs $2,450,000.</p></body></html>"
    )
    assert _ids(bill) == ["1", "2", "3"] and bill.provisions[1].heading == "Dual Enrollment Tuition"
    assert bill.provisions[-1].text == "This act shall take effect July 1, 2027."
    assert bill.title == "HOUSE BILL 1147-FN"  # table cells, not their pipes


def test_a_section_quoted_after_is_added_to_read_belongs_to_the_bill_section():
    bill = _split(
        "Sec. 4. 16 V.S.A. § 945 is added to read:\n\n§ 945. CAREER PATHWAYS\n\n(a) Each district shall offer "
        "three career pathways.\n\nSec. 5. HOME BROADBAND ACCESS GRANTS\n\n(a) The Agency shall award grants.\n"
    )
    assert _ids(bill) == ["4", "5"]
    assert "§ 945. CAREER PATHWAYS" in bill.provisions[0].text


def test_a_resolutions_adoption_line_and_a_statutes_history_note_end_the_last_provision():
    resolution = _split(
        "WHEREAS, students learn everywhere;\n\nNOW, THEREFORE, BE IT RESOLVED:\n\n1. Profile. The Board adopts "
        "a profile of a graduate.\n\n2. Advisory. Each school shall offer advisory.\n\n3. Effective Date. This "
        "resolution takes effect upon adoption.\nADOPTED this 9th day of March, 2027.\n"
    )
    assert resolution.provisions[-1].text == "This resolution takes effect upon adoption."
    statute = _split(
        "§ 15-48-112. Facilities. (1) A board may issue bonds.\n\n§ 15-48-113. Rules. The board may make "
        "rules.\n\nHistory. Source: L. 2027, ch. 214, § 1.\n"
    )
    assert statute.provisions[-1].text == "The board may make rules."


def test_a_budget_bills_provisos_under_their_section():
    bill = _split(
        "SECTION 1 - H630 - DEPARTMENT OF EDUCATION\n\nPROVISOS\n\n1.1. (SDE: Base Student Cost) The base student "
        "cost is\nestablished at $7,488 per weighted pupil.\n\n1.2. (SDE: Mastery Pilot) Of the funds appropriated, "
        "$4,500,000 shall be used for a pilot.\n"
    )
    assert bill.structure == "provisos" and _ids(bill) == ["1.1", "1.2"]
    assert bill.provisions[1].heading == "Mastery Pilot" and bill.provisions[1].cite == "B Proviso 1.2"
    assert bill.provisions[0].text.startswith("The base student cost") and bill.provisions[0].context


def test_questions_written_out_in_full_take_their_answers():
    bill = _split(
        "MEMORANDUM 2026-41\n\nTO: Superintendents\nFROM: The Deputy Commissioner\nRE: Guidance\n\nThis memo answers "
        "questions.\n\nQuestion 1. May a district award credit without\nminimum hours?\n\nYes, when the student "
        "shows proficiency.\n\nQuestion 2. Who may supervise an internship?\n\nA certified educator.\n"
    )
    assert bill.structure == "questions" and _ids(bill) == ["1", "2"]
    assert bill.provisions[0].text.endswith("Yes, when the student shows proficiency.")


def test_a_chapter_quoted_under_an_indiana_section_stays_in_it_but_ohio_sections_enacted_by_name_are_provisions():
    indiana = _split(
        "SECTION 1. IC 20-43-17 IS ADDED TO THE CODE AS A NEW CHAPTER TO READ AS FOLLOWS [EFFECTIVE JULY 1, "
        "2027]:\nChapter 17. Funding Pilot\nSec. 1. (a) The department may count course completions.\nSec. 2. A "
        "district shall report.\nSECTION 2. An emergency is declared for this act.\n"
        "| ______________ | ______________ |\n| President of the Senate | Governor |\n"
    )
    assert _ids(indiana) == ["1", "2"] and "Sec. 2. A district shall report." in indiana.provisions[0].text
    assert indiana.provisions[1].text == "An emergency is declared for this act."
    ohio = _split(
        "Section 1. That sections 3301.0731 and 3301.0732 of the Revised Code be enacted to read as\nfollows:\n\n"
        'Sec. 3301.0731. As used in sections 3301.0731 to 3301.0732 of the Revised\nCode: (A) "Mastery" means '
        "progress on demonstrated learning.\n\nSec. 3301.0732. (A) A board may award credit for mastery.\n\n"
        "Section 2. This act takes effect in ninety days.\n"
    )
    assert _ids(ohio) == ["1", "3301.0731", "3301.0732", "2"]
    assert ohio.provisions[1].heading is None and ohio.provisions[1].text.startswith("As used in sections")


def test_a_sentence_wrapped_onto_the_next_line_is_not_a_heading():
    bill = _split(
        "SECTION 12. This Act applies beginning with the 2026-2027 school year.\n\nSECTION 13. This Act takes "
        "effect immediately if it receives a vote of\ntwo-thirds of all the members elected to each house.\n"
    )
    assert bill.provisions[1].heading is None
    assert bill.provisions[1].text.startswith("This Act takes effect immediately if it receives a vote of")


def test_georgia_rule_numbers():
    bill = _split(
        "<h2>Rules Adopted</h2><h3>Rule 160-3-1-.07 Testing Programs</h3><p>(1) Each LEA shall test.</p>"
        "<h3>Rule 160-4-2-.47 Course Credit</h3><p>(1) An LEA may award credit for proficiency.</p>"
        "<p>Effective Date: These rules take effect twenty days after filing.</p>"
    )
    assert _ids(bill) == ["160-3-1-.07", "160-4-2-.47"]
    assert bill.provisions[1].text == "(1) An LEA may award credit for proficiency."


def test_a_bill_that_writes_its_first_section_out_in_full_and_the_rest_short():
    """Minnesota ("Section 1." then "Sec. 2.") and New York ("Section 1." then "§ 2."): the next number is the
    bill's own section, not law quoted under the first; a quoted section the clause names stays quoted."""
    minnesota = _split(
        "Section 1. Minnesota Statutes 2024, section 120B.024, subdivision 2, is amended to read:\n"
        "Subd. 2. Credit. A district may award credit for demonstrated proficiency.\n\n"
        "Sec. 2. [120B.0245] EXTENDED LEARNING OPPORTUNITIES.\nSubdivision 1. A district may approve learning.\n\n"
        "Sec. 3. EFFECTIVE DATE. This act is effective July 1, 2026.\n"
    )
    assert _ids(minnesota) == ["1", "2", "3"]
    new_york = _split(
        "Section 1. The education law is amended by adding a new section 3012-e\nto read as follows:\n"
        "§ 3012-e. Teacher residencies. 1. The commissioner shall fund residencies.\n"
        "§ 2. This act shall take effect immediately.\n"
    )
    assert _ids(new_york) == ["1", "2"] and "§ 3012-e." in new_york.provisions[0].text
    indiana = _split(
        "SECTION 3. Foundation program. IC 20-43-3-4 is amended to read as follows: \nSec. 4. (a) The foundation "
        "amount is $7,410.\n\nSECTION 4. Community school grants. (a) The department shall award grants.\n"
    )
    assert _ids(indiana) == ["3", "4"] and "Sec. 4. (a) The foundation amount" in indiana.provisions[0].text


def test_new_jersey_amended_sections_keep_the_numbers_they_quote_and_the_statement_is_not_text():
    bill = _split(
        "1. (New section) The Legislature finds that learning happens everywhere.\n\n"
        "2. Section 2 of P.L.2011, c.202 (C.18A:7E-3.1) is amended to read as follows:\n"
        "2. a. The commissioner shall publish a report card.\n\n"
        "3. This act shall take effect immediately.\n\nSTATEMENT\n\nThis bill establishes innovation zones.\n"
    )
    assert _ids(bill) == ["1", "2", "3"] and "2. a. The commissioner" in bill.provisions[1].text
    assert bill.provisions[2].text == "This act shall take effect immediately."


def test_code_sections_quoted_by_full_number_under_a_clause_that_adds_a_part_are_provisions():
    """Colorado adds a part whose sections carry their full numbers: each is a provision (before, the part was
    lost as the heading of a group); a clause wrapped over two lines still quotes (Oklahoma)."""
    colorado = _split(
        "SECTION 1. In Colorado Revised Statutes, add part 12 to article 7 of title 22 as follows:\n\nPART 12\n"
        "LEARNER PATHWAYS PROGRAM\n\n22-7-1201. Short title. (1) This part 12 is the Learner Pathways Act.\n\n"
        "22-7-1202. Definitions. As used in this part 12, a navigator means an adviser.\n\n"
        "SECTION 2. Safety clause. The general assembly finds that this act is necessary.\n"
    )
    assert _ids(colorado) == ["1", "22-7-1201", "22-7-1202", "2"]
    assert colorado.provisions[2].text.startswith("As used in this part 12")
    oklahoma = _split(
        "SECTION 4. AMENDATORY 70 O.S. 2021, Section 1210.545, is amended to\nread as follows:\n\n"
        "Section 1210.545. A. The State Board of Education shall publish a report card.\n\n"
        "SECTION 5. NEW LAW A new section of law to be codified in the\nOklahoma Statutes as Section 1210.570 "
        "reads: A district may award credit.\n"
    )
    assert _ids(oklahoma) == ["4", "5"] and oklahoma.provisions[1].heading is None


def test_washington_virginia_michigan_and_massachusetts_numbering():
    washington = _split(
        "NEW SECTION. Sec. 1. The legislature finds that students learn in many places.\n\n"
        "Sec. 2. RCW 28A.230.090 and 2021 c 7 s 2 are each amended to read as follows:\n(1) A district shall "
        "award credit.\n\nNEW SECTION. Sec. 3. This act takes effect September 1, 2026.\n\n--- END ---\n"
    )
    assert _ids(washington) == ["1", "2", "3"] and "END" not in washington.provisions[-1].text
    virginia = _split(
        "1. That §§ 22.1-79.1 and 22.1-253.13:1 of the Code of Virginia are amended and reenacted as follows:\n\n"
        "§ 22.1-79.1. Opening of the school year.\nA. Each school board shall set the calendar.\n\n"
        "§ 22.1-253.13:1. Standard 1.\nD. Local school boards shall implement plans.\n\n"
        "2. That the Board of Education shall establish a pilot program of performance assessments.\n"
    )
    assert _ids(virginia) == ["1", "22.1-79.1", "22.1-253.13:1", "2"]
    michigan = _split(
        "Sec. 1278b. (1) A school district may award credit for mastery.\n\n"
        "Enacting section 1. Sections 1240c and 1280h take effect July 1, 2027.\n"
    )
    assert _ids(michigan) == ["1278b", "Enacting section 1"]
    massachusetts = _split(
        "SECTION 1. Chapter 69 of the General Laws is hereby amended by inserting after section 1Q the following "
        "section:-\n\nSection 1R. (a) The board shall establish a competency-based diploma.\n\n"
        "SECTION 2. This act shall take effect on July 1, 2026.\n"
    )
    assert _ids(massachusetts) == ["1", "2"] and "Section 1R." in massachusetts.provisions[0].text


def test_struck_text_in_an_html_bill_is_deleted_law_not_text():
    bill = _split(
        "<p><b>Sec. 1.</b> A unit shall <s>require 4 years of English</s><u>award credit for proficiency</u>.</p>"
        "<p><b>Sec. 2.</b> This act takes effect July 1, 2026.</p><h2>SUMMARY</h2><p>This bill changes credit.</p>"
    )
    assert "English" not in bill.provisions[0].text and "award credit for proficiency" in bill.provisions[0].text
    assert "SUMMARY" not in bill.provisions[1].text


def test_a_title_from_the_line_that_gives_the_documents_number():
    rule = _split(
        "EDUCATION AND LABOR CABINET\nKentucky Board of Education\n\n703 KAR 5:290. Locally designed assessment "
        "pilot.\n\nRELATES TO: KRS 158.6453\nNECESSITY, FUNCTION, AND CONFORMITY: KRS 160.107 authorizes the "
        "board.\n\nSection 1. Definitions. (1) A pilot means a district in the program.\n"
    )
    assert rule.title == "703 KAR 5:290. Locally designed assessment pilot."
    bill = _split(
        "H.F. No. 3318, as introduced - 94th Legislative Session (2025-2026)\n\nA bill for an act\nrelating to "
        "education; amending Minnesota Statutes 2024, section 120B.024.\n\n"
        "Section 1. Minnesota Statutes 2024, section 120B.024, subdivision 1, is amended to read:\n"
        "Subd. 1. A district may award credit.\n"
    )
    assert bill.title.startswith("H.F. No. 3318")
