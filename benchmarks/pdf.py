"""A long PDF for the incremental-add figure: ~300 pages of new text that reads like the corpus.

The text comes from a word-pair chain over the shipped corpus (seeded), so its sentences are
new: an index that already holds the corpus cannot reuse a vector for them, as it could for a
copy. Every page opens with a section heading. The PDF is written by hand (Helvetica, one text
object per page, the standard cross-reference table): no PDF library is installed that writes
text, and pypdf, which the advisor reads PDFs with, reads this one.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from pathlib import Path

LINES_PER_PAGE = 46
CHARS_PER_LINE = 95
WORDS_PER_SENTENCE = (12, 30)
SENTENCES_PER_PARAGRAPH = (3, 6)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


class Chain:
    """Which word follows which in the corpus; walks from it make new sentences in its vocabulary."""

    def __init__(self, corpus_dir: Path) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)
        for path in sorted(corpus_dir.glob("*.txt")):
            words = _WORD.findall(path.read_text(encoding="utf-8"))
            for a, b in zip(words, words[1:]):
                self.next[a.lower()].append(b.lower())
        self.words = sorted(self.next)

    def sentence(self, rng: random.Random) -> str:
        word = rng.choice(self.words)
        out = [word]
        for _ in range(rng.randint(*WORDS_PER_SENTENCE) - 1):
            word = rng.choice(self.next.get(word) or self.words)
            out.append(word)
        return " ".join(out).capitalize() + "."

    def heading(self, rng: random.Random, number: int) -> str:
        return f"Section {number}: " + " ".join(rng.choice(self.words) for _ in range(3)).title()


def _wrap(text: str) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > CHARS_PER_LINE:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def page_lines(chain: Chain, rng: random.Random, number: int) -> list[str]:
    """One page: a heading, then paragraphs (a blank line between) until the page is full."""
    lines = [chain.heading(rng, number), ""]
    while len(lines) < LINES_PER_PAGE:
        paragraph = " ".join(chain.sentence(rng) for _ in range(rng.randint(*SENTENCES_PER_PARAGRAPH)))
        lines += _wrap(paragraph) + [""]
    return lines[:LINES_PER_PAGE]


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, pages: list[list[str]], title: str) -> None:
    """A PDF with one page per list of lines (ASCII), 10-point Helvetica, and ``title`` in its metadata."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the pages' numbers are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({_escape(title)}) /Producer (advisor benchmark) >>".encode("ascii"),
    ]
    kids = []
    for lines in pages:
        text = "BT /F1 10 Tf 14 TL 56 750 Td " + " ".join(f"({_escape(line)}) Tj T*" for line in lines) + " ET"
        stream = text.encode("ascii", "replace")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % (len(objects))
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        " ".join(f"{k} 0 R" for k in kids).encode(),
        len(kids),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))


def make_pdf(corpus_dir: Path, path: Path, pages: int, seed: int = 0) -> Path:
    """``pages`` pages of new corpus-like text as a PDF at ``path``."""
    chain, rng = Chain(corpus_dir), random.Random(seed)
    write_pdf(path, [page_lines(chain, rng, n) for n in range(1, pages + 1)], "State Education Code (benchmark)")
    return path
