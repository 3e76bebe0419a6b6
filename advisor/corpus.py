"""The corpus folder: its manifest of document metadata, and each document read as plain text.

Text, Markdown, HTML and PDF files all come out as Markdown-flavoured lines (headings as ``#``
lines), so one structure parser serves every format.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from advisor.errors import DocumentError, UserError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
MANIFEST_NAME = "manifest.toml"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """One corpus document and the metadata a citation shows."""

    id: str
    path: Path
    title: str
    kind: str = "document"
    layout: str = "auto"
    short_title: str | None = None
    publisher: str | None = None
    authors: tuple[str, ...] = field(default_factory=tuple)
    date: str | None = None
    edition: str | None = None

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def load_documents(corpus_dir: Path) -> list[Document]:
    """The manifest's documents in manifest order, then any other supported file in the folder."""
    if not corpus_dir.is_dir():
        raise UserError(f"The corpus folder {corpus_dir} does not exist (set ADVISOR_CORPUS_DIR).")
    manifest_path = corpus_dir / MANIFEST_NAME
    entries: list[dict] = []
    if manifest_path.exists():
        try:
            entries = tomllib.loads(manifest_path.read_text(encoding="utf-8")).get("document", [])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{manifest_path} is not valid TOML: {exc}") from None
    documents: list[Document] = []
    seen_files: set[str] = set()
    for entry in entries:
        if "file" not in entry or "id" not in entry:
            raise UserError(f"{manifest_path}: every [[document]] needs an id and a file: {entry}")
        path = corpus_dir / entry["file"]
        if not path.exists():
            raise UserError(f"{manifest_path} lists {entry['file']}, which is not in {corpus_dir}.")
        seen_files.add(path.name)
        documents.append(
            Document(
                id=entry["id"],
                path=path,
                title=entry.get("title") or path.stem,
                kind=entry.get("kind", "document"),
                layout=entry.get("layout", "auto"),
                short_title=entry.get("short_title"),
                publisher=entry.get("publisher"),
                authors=tuple(entry.get("authors", ())),
                date=str(entry["date"]) if "date" in entry else None,
                edition=entry.get("edition"),
            )
        )
    for path in sorted(corpus_dir.iterdir()):
        if path.name in seen_files or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        documents.append(Document(id=path.stem, path=path, title=_title_from(path)))
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise UserError(f"Two corpus documents share an id: {sorted(i for i in ids if ids.count(i) > 1)}")
    return documents


def _title_from(path: Path) -> str:
    """A document's own first heading or first line, else its file name."""
    try:
        for line in read_lines(path):
            stripped = line.lstrip("#").strip()
            if stripped:
                return stripped[:120]
    except DocumentError:
        pass
    return path.stem.replace("-", " ").replace("_", " ")


def read_lines(path: Path) -> list[str]:
    """The document as lines of text; raises DocumentError naming the file and the reason."""
    if not path.exists():
        raise DocumentError(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(path, "the file is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(path, f"the file is {size / 1e6:.0f} MB; the limit is {MAX_DOCUMENT_BYTES // 10**6} MB")
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(path)
    else:
        raw = path.read_bytes()
        if b"\x00" in raw[:8192]:
            raise DocumentError(path, "the file is binary, not text")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        if suffix in (".html", ".htm"):
            text = _html_to_markdown(text)
        elif suffix not in SUPPORTED_SUFFIXES:
            raise DocumentError(path, f"unsupported format {suffix or '(no extension)'}")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise DocumentError(path, "the file has no text")
    return lines


def _pdf_text(path: Path) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a declared dependency
        raise DocumentError(path, "reading PDF needs the pypdf package (pip install pypdf)") from None
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise DocumentError(path, "the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"the PDF could not be read ({exc})") from None
    return "\n\n".join(pages)


class _HtmlToMarkdown(HTMLParser):
    """Headings become '#' lines, paragraphs and list items their own lines; scripts vanish."""

    BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote"}
    SKIP = {"script", "style", "noscript", "template", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"} or tag in self.BLOCKS:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.out.append(re.sub(r"\s+", " ", data))


def _html_to_markdown(text: str) -> str:
    parser = _HtmlToMarkdown()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)
