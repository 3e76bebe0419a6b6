"""Users' own documents: PDF text, and unreadable files reported by name without stopping the rest."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from advisor.config import Settings
from advisor.corpus import Document, read_lines
from advisor.errors import DocumentError
from advisor.index import corpus_passages
from advisor.passages import parse_document


def make_pdf(path: Path, lines: list[str], pages: int = 1) -> None:
    """A minimal PDF whose every page shows the lines in Helvetica, written by hand (no PDF library needed)."""
    text = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) Tj T*" for line in lines) + " ET"
    page = (
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"
    )
    kids = " ".join(f"{5 + n} 0 R" for n in range(pages))
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *[page] * pages,
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


def test_pdf_text_is_read_and_split_by_its_headings(tmp_path):
    path = tmp_path / "nevada.pdf"
    make_pdf(path, ["Nevada Competency Guide", "", "Districts may award credit for demonstrated mastery."])
    assert any("demonstrated mastery" in line for line in read_lines(path))
    passages = parse_document(Document(id="nevada", path=path, title="Nevada"))
    assert passages and passages[0].heading == "Nevada Competency Guide"
    assert "Districts may award credit for demonstrated mastery." in passages[0].text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.md", b"\n   \n\t\n", "the file has no text"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "the PDF could not be read"),
    ],
)
def test_unreadable_files_name_the_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=reason) as info:
        read_lines(path)
    assert name in str(info.value)


def test_a_bad_file_does_not_stop_the_other_documents(corpus_copy):
    (corpus_copy / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    passages, problems = corpus_passages(replace(Settings(), corpus_dir=corpus_copy))
    assert len(problems) == 1 and "broken.pdf" in problems[0]
    assert {p.doc_id for p in passages} >= {"framework", "rfa-study"}


def test_windows_1252_text_is_read(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Caf\xe9 policy \x93quotes\x94 here.".encode("latin-1"))
    assert read_lines(path) == ["Café policy “quotes” here."]
