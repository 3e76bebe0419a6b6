"""Writes dev/learner-records-act.docx, the evaluation's Word bill, with the standard library only.

The .docx is committed; this script is how it was made (``python evals/bills/make_docx.py``).
Word opens it: it has the content types, the package relationships and a core-properties title.
Section headings use Word's "Heading2" style, the title "Title", the body plain paragraphs.
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
    target = Path(__file__).parent / "dev" / "learner-records-act.docx"
    write_docx(target, PARAGRAPHS, TITLE)
    print(f"wrote {target}")
