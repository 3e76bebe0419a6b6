"""Work bounded by size: files inside the size limit that used to never finish (a quadratic join of
wrapped lines, a zip bomb, a 5,000-page PDF) are read in linear time or refused with the reason;
a pasted paragraph cannot become every passage's heading; a long `add` says what it is doing."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import no_traceback, run_advisor
from test_corpus_formats import make_pdf
from test_library import make_docx

from advisor.corpus import MAX_TEXT_CHARS, Document, document_title, read_lines
from advisor.errors import DocumentError
from advisor.passages import MAX_HEADING_CHARS, MAX_PASSAGE_CHARS, parse_document

WRAPPED = "districts award credit for mastery and then the next line continues it"


def _parse_in_a_subprocess(path: Path) -> dict:
    """parse_document in its own process. The timeout only guards against a hang: this took 257 s
    before the fix (joining wrapped lines was quadratic) and about half a second after."""
    code = (
        "import json, sys; from pathlib import Path; from advisor.corpus import Document; "
        "from advisor.passages import parse_document; "
        "ps = parse_document(Document('big', Path(sys.argv[1]), 'Big')); "
        "print(json.dumps({'n': len(ps), 'text': max(len(p.text) for p in ps), "
        "'heading': max(len(p.heading or '') for p in ps), 'words': sum(len(p.text.split()) for p in ps)}))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_a_hard_wrapped_paragraph_near_the_limit_is_parsed_in_linear_time(tmp_path):
    path = tmp_path / "wrapped.txt"
    count = 1_900_000 // (len(WRAPPED) + 1)
    path.write_text("# Title\n\n" + "\n".join([WRAPPED] * count) + "\n", encoding="utf-8")
    got = _parse_in_a_subprocess(path)
    assert got["text"] <= MAX_PASSAGE_CHARS and got["words"] == count * len(WRAPPED.split())  # nothing lost


@pytest.mark.parametrize("unit", ["districts award credit ", "Districts award credit. ", "x", "<a [ word "])
def test_a_document_that_is_one_huge_line_gets_short_headings(tmp_path, unit):
    """Before: the whole 1.9 MB line became the heading of each of its ~1,600 passages."""
    path = tmp_path / "one-line.txt"
    path.write_text(unit * (1_900_000 // len(unit)), encoding="utf-8")
    got = _parse_in_a_subprocess(path)
    assert got["n"] > 1000 and got["text"] <= MAX_PASSAGE_CHARS
    assert got["heading"] <= MAX_HEADING_CHARS + 1  # the cut, plus "…"


def test_text_beyond_the_limit_is_refused_with_the_reason(small, tmp_path):
    """Before: a 19 MB one-line file ran for over 400 s, then stayed in the corpus."""
    path = tmp_path / "huge.txt"
    path.write_text("districts award credit " * (19_000_000 // 23), encoding="utf-8")
    env = {"ADVISOR_CORPUS_DIR": str(small.corpus_dir), "ADVISOR_INDEX_DIR": str(small.index_dir)}
    corpus = sorted(p.name for p in small.corpus_dir.iterdir())
    result = run_advisor("add", str(path), env=env)
    no_traceback(result)
    assert result.returncode == 2
    assert (
        f"advisor: {path}: the document has more than {MAX_TEXT_CHARS:,} characters of text (about 1,000 pages); "
        "split it into parts" in result.stderr.decode()
    )
    assert sorted(p.name for p in small.corpus_dir.iterdir()) == corpus


def _big_member_docx(path: Path, name: str, head: str, filler_mb: int, tail: str) -> None:
    """A .docx whose member ``name`` unpacks to ``filler_mb`` MB of whitespace between ``head`` and ``tail``,
    written as a stream (the test never holds it in memory); document.xml is a normal small one otherwise."""
    make_docx(path, [("Heading1", "Bomb Heading"), ("", "Districts award credit for demonstrated mastery.")])
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for other, data in members.items():
            if other != name:
                archive.writestr(other, data)
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(head.encode())
            block = b" " * 2**20
            for _ in range(filler_mb):
                member.write(block)
            member.write(tail.encode())


def _understate_sizes(path: Path, name: str) -> None:
    """Rewrite the zip headers so they claim ``name`` unpacks to 1 KB (a bomb that lies about its size)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                data[start + size_at : start + size_at + 4] = struct.pack("<I", 1024)
            start += 4
    path.write_bytes(bytes(data))


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.mark.parametrize("lies", [False, True])
def test_a_docx_whose_document_unpacks_too_far_is_refused(tmp_path, lies):
    """Before: a 322 KB .docx whose document.xml inflates to 95 MB never finished."""
    path = tmp_path / "bomb.docx"
    head = f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>Start'
    _big_member_docx(path, "word/document.xml", head, 48, "</w:t></w:r></w:p></w:body></w:document>")
    if lies:
        _understate_sizes(path, "word/document.xml")
    assert path.stat().st_size < 1_000_000
    # A header that tells the truth is refused by its size; one that lies stops at the size it claims
    # and fails the CRC check: either way nothing like 48 MB is unpacked.
    reason = r"could not be read \(Bad CRC-32" if lies else r"word/document.xml unpacks to more than 40 MB"
    with pytest.raises(DocumentError, match=reason):
        read_lines(path)


def test_docx_properties_beyond_their_limit_are_not_read(tmp_path):
    """Before: a 1 GiB core.xml was read whole (2.1 GB of memory); now only its first megabyte may be."""
    path = tmp_path / "props.docx"
    head = '<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    _big_member_docx(path, "docProps/core.xml", head, 2, "<dc:title>Bomb Title</dc:title></cp:coreProperties>")
    assert document_title(path) == "Bomb Heading"  # the properties were not used; the first heading was
    assert "Districts award credit for demonstrated mastery." in read_lines(path)


def test_a_pdf_with_too_many_pages_is_refused_before_its_pages_are_read(tmp_path):
    """Before: a 5,000-page PDF took 190 s with no output and 1.7 GB of memory."""
    path = tmp_path / "long.pdf"
    make_pdf(path, ["Districts award credit for mastery."], pages=2001)
    with pytest.raises(DocumentError, match=r"the PDF has 2,001 pages; the limit is 2,000: split it into parts"):
        read_lines(path)
    make_pdf(path, ["Districts award credit for mastery."], pages=3)
    assert len(parse_document(Document("ok", path, "OK"))) == 1


def test_a_long_add_says_what_it_is_doing_and_a_pasted_paragraph_stays_out_of_answers(small, tmp_path):
    """A document whose first line is a 60 KB pasted paragraph: before, that paragraph was the heading of
    its passages and every answer citing them repeated it (832 KB answer lines for 200 KB)."""
    pasted = " ".join(f"Ohio district {i} awards credit for demonstrated mastery of standard {i}." for i in range(900))
    sections = "".join(
        f"\n## District {i} practice\n\nDistrict {i} lets students show mastery of standard {i} through projects.\n"
        for i in range(200)
    )
    path = tmp_path / "pasted.md"
    path.write_text(pasted + "\n" + sections + "\n" * 1_100_000, encoding="utf-8")  # over 1 MB on disk
    env = {"ADVISOR_CORPUS_DIR": str(small.corpus_dir), "ADVISOR_INDEX_DIR": str(small.index_dir)}
    added = run_advisor("add", str(path), env=env)
    assert added.returncode == 0, added.stderr.decode()
    progress = added.stderr.decode()
    assert f"Reading {path} (1 MB)…" in progress and "Indexing " in progress and "new passages (" in progress
    answer = run_advisor("ask", "Does Ohio district 412 award credit for demonstrated mastery?", "--json", env=env)
    data = json.loads(answer.stdout)
    assert any(c["doc_id"] == "pasted" for c in data["citations"])
    assert all(len(c["heading"] or "") <= MAX_HEADING_CHARS + 1 for c in data["citations"])
    assert len(data["answer"]) < 5_000, len(data["answer"])
