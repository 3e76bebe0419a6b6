"""Writes the evaluation's Word bills, with the standard library only.

- dev/learner-records-act.docx: section headings in Word's "Heading2" style;
- dev/educator-workforce-act.docx: articles in "Heading1" paragraphs with their sections,
  numbered 1.01, 1.02..., in "Heading2" paragraphs under them (the sections are the provisions).

The .docx files are committed; this script is how they were made (``python evals/bills/make_docx.py``),
and running it again writes the same bytes. Word opens them: they have the content types, the package
relationships and a core-properties title. The title uses the "Title" style, the body plain paragraphs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

TITLE = "Learner Records and Pathways Act"
PARAGRAPHS: list[tuple[str, str]] = [
    ("Title", TITLE),
    ("", "A bill for an act concerning digital learner records, career planning and industry credentials."),
    ("Heading2", "Section 1. Short title"),
    ("", "This act may be cited as the Learner Records and Pathways Act."),
    ("Heading2", "Section 2. Learner records"),
    (
        "",
        "(a) The department, with the state higher education commission and the department of labor, shall "
        "develop a digital learner record that a student may use to show courses taken, competencies mastered, "
        "credentials earned and work-based learning completed.",
    ),
    ("", "(b) A district may issue the learner record in addition to, or in place of, a traditional transcript."),
    ("Heading2", "Section 3. Protection of student information"),
    (
        "",
        "The learner record belongs to the student, shall be shared only with the consent of the student or, for "
        "a minor, a parent, and shall comply with state and federal student privacy law. The agencies named in "
        "Section 2 shall enter into a data-sharing agreement that sets out who may see which information and for "
        "what purpose.",
    ),
    ("Heading2", "Section 4. Support for districts"),
    (
        "",
        "The department shall provide training, templates and technical help to districts that choose to issue "
        "learner records or competency-based transcripts, directly or through the regional service agencies.",
    ),
    ("Heading2", "Section 5. Individual career and academic plans"),
    (
        "",
        "Beginning in grade seven, each student shall have an individual career and academic plan, reviewed each "
        "year with a school counselor and the student's family, that connects the student's interests to courses, "
        "pathways and postsecondary options. The department shall publish an online guide for families "
        "explaining the pathways available in the state.",
    ),
    ("Heading2", "Section 6. Industry credentials"),
    (
        "",
        "The department, with the state workforce board, shall publish each year a list of industry-recognized "
        "credentials of value, developed with employers, that students may earn in high school, and shall pay "
        "districts $500 for each student who earns one.",
    ),
    ("Heading2", "Section 7. Concussion protocol"),
    (
        "",
        "A student athlete suspected of having a concussion shall be removed from play and may not return until "
        "cleared in writing by a licensed health care provider.",
    ),
    ("Heading2", "Section 8. Retention of paper records"),
    (
        "",
        "A district may destroy paper student records after they have been converted to a secure electronic "
        "format, except that permanent records shall be kept for at least sixty years.",
    ),
    ("Heading2", "Section 9. Effective date"),
    ("", "This act takes effect July 1, 2026."),
]

WORKFORCE_TITLE = "Educator Workforce and Leadership Act"
WORKFORCE_PARAGRAPHS: list[tuple[str, str]] = [
    ("Title", WORKFORCE_TITLE),
    (
        "",
        "A bill for an act concerning the certification, preparation, advancement and pay of teachers and school "
        "leaders.",
    ),
    ("", "Be it enacted by the General Assembly:"),
    ("Heading1", "ARTICLE 1. GENERAL PROVISIONS"),
    ("Heading2", "Section 1.01 Short title"),
    ("", "This act may be cited as the Educator Workforce and Leadership Act."),
    ("Heading2", "Section 1.02 Definitions"),
    ("", "In this act:"),
    (
        "",
        "(1) \u201cHybrid role\u201d means a position in which a teacher keeps at least half of a full teaching load "
        "while also mentoring or coaching colleagues.",
    ),
    ("", "(2) \u201cResidency\u201d means a clinical placement of at least one school year under a mentor teacher."),
    (
        "",
        "(3) \u201cLearner-centered practice\u201d means teaching in which each student moves on when the student "
        "shows mastery and gets help matched to what the student still needs to learn.",
    ),
    ("Heading1", "ARTICLE 2. CERTIFICATION AND PREPARATION"),
    ("Heading2", "Section 2.01 Performance-based certification"),
    (
        "",
        "(a) An applicant for an initial teaching certificate issued after June 30, 2028, shall pass a "
        "performance-based assessment, scored by trained educators, in which the applicant plans and teaches a unit, "
        "adjusts instruction as students show what they have and have not yet learned, and reflects on the results.",
    ),
    (
        "",
        "(b) To renew a professional certificate, a teacher shall submit evidence from the teacher's own classroom of "
        "growth in learner-centered practice, such as a recorded lesson or a set of student work with the teacher's "
        "feedback on it.",
    ),
    ("Heading2", "Section 2.02 Preparation of principals and superintendents"),
    (
        "",
        "The commission shall not approve or renew a program that prepares principals or superintendents, including "
        "a program run by a provider other than a university, unless the program's coursework and its year-long "
        "residency train candidates to lead schools in which students advance by showing mastery and receive "
        "instruction suited to their needs.",
    ),
    ("Heading2", "Section 2.03 Study of residencies and grow-your-own programs"),
    (
        "",
        "The department shall evaluate each teacher residency and each grow-your-own program that receives state "
        "funds, comparing the classroom practice and retention of its completers with those of graduates of "
        "traditional programs, shall publish what it learns, and shall use it to revise the standards that apply to "
        "all preparation programs.",
    ),
    ("Heading2", "Section 2.04 Diversity of the teaching workforce"),
    (
        "",
        "Each year the department shall report, for each district, how the racial, ethnic and language backgrounds of "
        "its teachers compare with those of its students, and shall publish a guide to recruitment and retention "
        "strategies, including partnerships between districts and colleges, that have widened the pool of teacher "
        "candidates.",
    ),
    ("Heading1", "ARTICLE 3. ADVANCEMENT AND PAY"),
    ("Heading2", "Section 3.01 Hybrid roles"),
    (
        "",
        "(a) The department shall award grants to districts to create hybrid roles, mentor-teacher positions and "
        "instructional coach positions that let experienced teachers take on leadership and grow professionally "
        "without leaving the classroom.",
    ),
    ("", "(b) A teacher in a hybrid role shall receive a stipend of at least $3,500 a year."),
    ("Heading2", "Section 3.02 Salaries"),
    (
        "",
        "(a) Every two years the department shall compare the average teacher salary in each region of the state with "
        "the average earnings of workers in the region who hold a bachelor's degree, and the state minimum salary "
        "schedule shall be raised by the amount needed to close at least half of any gap.",
    ),
    (
        "",
        "(b) A teacher who holds the advanced credential under Section 3.03 shall receive a salary supplement of "
        "$2,500 a year.",
    ),
    ("Heading2", "Section 3.03 Advanced credential in learner-centered practice"),
    (
        "",
        "The commission shall create an advanced credential in learner-centered practice, which a teacher earns by "
        "completing a series of stackable micro-credentials, each awarded on evidence from the teacher's classroom, "
        "and shall record the credential on the teacher's certificate.",
    ),
    ("Heading2", "Section 3.04 Statewide educator network"),
    (
        "",
        "The department shall convene a statewide network of teachers and principals working in competency-based "
        "classrooms, with an online community and two gatherings each year, and shall ask the network each year "
        "which state rules and practices affecting educators should change.",
    ),
    ("Heading2", "Section 3.05 Research"),
    (
        "",
        "The state education research center shall study the effects of the certification requirements of Article 2 "
        "on student learning, on the number and diversity of candidates, on teacher retention and on teachers' "
        "satisfaction with their work, and shall report its findings and recommendations to the commission and the "
        "General Assembly by December 1, 2030.",
    ),
    ("Heading1", "ARTICLE 4. MISCELLANEOUS"),
    ("Heading2", "Section 4.01 Retired teachers as substitutes"),
    (
        "",
        "A retired member of the teachers' retirement system may be employed as a substitute teacher for up to ninety "
        "days in a school year without suspension of the member's retirement allowance.",
    ),
    ("Heading2", "Section 4.02 Personal leave"),
    (
        "",
        "Each district shall grant a teacher at least three days of paid personal leave each school year, which may "
        "not be charged against the teacher's sick leave.",
    ),
    ("Heading2", "Section 4.03 Effective date"),
    ("", "This act takes effect July 1, 2027, except that Section 2.01 takes effect July 1, 2028."),
]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    "</Relationships>"
)


def write_docx(path: Path, paragraphs: list[tuple[str, str]], title: str) -> None:
    """(style, text) paragraphs as a Word document; style '' is body text."""

    def paragraph(style: str, text: str) -> str:
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f'<w:p>{props}<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'

    body = "".join(paragraph(style, text) for style, text in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{escape(title)}</dc:title></cp:coreProperties>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("word/document.xml", document),
            ("docProps/core.xml", core),
        ):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # fixed: the same bytes every run
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


if __name__ == "__main__":
    here = Path(__file__).parent
    for target, paragraphs, title in (
        (here / "dev" / "learner-records-act.docx", PARAGRAPHS, TITLE),
        (here / "dev" / "educator-workforce-act.docx", WORKFORCE_PARAGRAPHS, WORKFORCE_TITLE),
    ):
        write_docx(target, paragraphs, title)
        print(f"wrote {target}")
