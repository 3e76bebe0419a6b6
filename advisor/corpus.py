"""The corpus folder: its manifest of document metadata, and each document read as plain text.

Text, Markdown, HTML, PDF and Word (.docx) files all come out as Markdown-flavoured lines
(headings as ``#`` lines), so one structure parser serves every format. Reading is defensive: a
file that cannot be used raises DocumentError naming it and saying why.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from advisor.errors import DocumentError, UserError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
MANIFEST_NAME = "manifest.toml"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
# Work per file is bounded whatever the file holds: a document's text (about 1,000 pages; indexing
# that much takes minutes), a PDF's pages, and what any zip member of a .docx may unpack to.
MAX_TEXT_CHARS = 2_000_000
MAX_PDF_PAGES = 2_000
MAX_DOCX_XML_BYTES = 40 * 1024 * 1024
MAX_DOCX_PROPERTIES_BYTES = 1024 * 1024


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

    def info(self) -> DocumentInfo:
        return DocumentInfo(
            self.id, self.title, self.path.name, self.short_title, self.publisher, self.date, self.edition, self.authors
        )


@dataclass(frozen=True)
class DocumentInfo:
    """What a citation says about its document, as the manifest states it (None where it doesn't).

    The index state keeps one per document, so citations carry it without a field on ``Passage``
    (whose id hashes its metadata) and an app serving a shared index needs no corpus/ of its own."""

    id: str
    title: str
    file: str | None = None
    short_title: str | None = None
    publisher: str | None = None
    date: str | None = None
    edition: str | None = None
    authors: tuple[str, ...] = ()

    def to_state(self) -> dict[str, str | list[str] | None]:
        return {
            "title": self.title,
            "file": self.file,
            "short_title": self.short_title,
            "publisher": self.publisher,
            "date": self.date,
            "edition": self.edition,
            "authors": list(self.authors),
        }

    @classmethod
    def from_state(cls, doc_id: str, state: Mapping[str, object]) -> DocumentInfo:
        """From an index state's document entry; an entry written before these fields existed gives None."""

        def text(key: str) -> str | None:
            value = state.get(key)
            return value if isinstance(value, str) else None

        authors = state.get("authors")
        names = tuple(a for a in authors if isinstance(a, str)) if isinstance(authors, list) else ()
        title = text("title") or doc_id
        return cls(
            doc_id, title, text("file"), text("short_title"), text("publisher"), text("date"), text("edition"), names
        )


def load_documents(corpus_dir: Path) -> list[Document]:
    """The manifest's documents in manifest order, then any other supported file in the folder.

    corpus/ is the only place documents come from: a manifest entry must name a file inside it, and
    a link that leads out of it is not followed. A listed file that is missing is still returned
    (indexing reports it, with the way out); every other manifest mistake is a UserError naming
    the entry and the field.
    """
    if not corpus_dir.is_dir():
        raise UserError(f"The corpus folder {corpus_dir} does not exist (set ADVISOR_CORPUS_DIR).")
    manifest_path = corpus_dir / MANIFEST_NAME
    entries: list = []
    if manifest_path.exists():
        try:
            entries = tomllib.loads(manifest_path.read_text(encoding="utf-8")).get("document", [])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UserError(f"{manifest_path} is not valid TOML: {exc}") from None
        if not isinstance(entries, list):
            raise UserError(f"{manifest_path}: documents are [[document]] tables, not a single 'document' value.")
    documents = [_manifest_entry(corpus_dir, manifest_path, n, entry) for n, entry in enumerate(entries, start=1)]
    listed = {d.path.resolve() for d in documents}
    for path in corpus_files(corpus_dir):
        if path.resolve() not in listed and path.suffix.lower() in SUPPORTED_SUFFIXES:
            documents.append(Document(id=path.stem, path=path, title=document_title(path)))
    ids = [d.id for d in documents]
    if len(set(ids)) != len(ids):
        raise UserError(f"Two corpus documents share an id: {sorted(i for i in ids if ids.count(i) > 1)}")
    return documents


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The regular files directly in corpus/, hidden ones (an add in progress) and links out of it left out."""
    if not corpus_dir.is_dir():
        return []
    return [p for p in sorted(corpus_dir.iterdir()) if not p.name.startswith(".") and inside(corpus_dir, p)]


def inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, links followed, is a regular file within ``folder`` (or missing but named within it)."""
    try:
        target = path.resolve()
        within = target.is_relative_to(folder.resolve()) and target != folder.resolve()
    except (OSError, RuntimeError):  # a link loop
        return False
    return within and (target.is_file() or not target.exists())


_TEXT_FIELDS = ("title", "kind", "layout", "short_title", "publisher", "edition")


def _manifest_entry(corpus_dir: Path, manifest_path: Path, n: int, entry: object) -> Document:
    """One [[document]] table checked field by field, so a hand-edit mistake is named, not a traceback."""
    where = f"{manifest_path}: document {n}"
    if not isinstance(entry, dict):
        raise UserError(f"{where} is not a [[document]] table.")

    def wrong(field: str, must: str) -> UserError:
        return UserError(f"{where}: {field} must be {must}, not {entry[field]!r}.")

    for required in ("id", "file"):
        if required not in entry:
            raise UserError(f"{where}: every [[document]] needs an id and a file (this one has no {required}).")
        if not isinstance(entry[required], str) or not entry[required].strip():
            raise wrong(required, "non-empty text in quotes")
        if required == "id":
            where = f"{where} ({entry['id']!r})"
    for name in _TEXT_FIELDS:
        if name in entry and not isinstance(entry[name], str):
            raise wrong(name, "text in quotes")
    authors = entry.get("authors", [])
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise wrong("authors", 'a list of names in quotes, e.g. ["A. Author"]')
    if "date" in entry and isinstance(entry["date"], (dict, list)):
        raise wrong("date", 'a date such as 2024-05-01 or "May 2024"')
    relative = Path(entry["file"])
    path = corpus_dir / relative
    if relative.is_absolute() or ".." in relative.parts or not inside(corpus_dir, path):
        raise wrong("file", f"the name of a file in {corpus_dir} (advisor add copies documents there)")
    return Document(
        id=entry["id"],
        path=path,
        title=entry.get("title") or path.stem,
        kind=entry.get("kind", "document"),
        layout=entry.get("layout", "auto"),
        short_title=entry.get("short_title"),
        publisher=entry.get("publisher"),
        authors=tuple(authors),
        date=str(entry["date"]) if "date" in entry else None,
        edition=entry.get("edition"),
    )


def missing_file(document: Document) -> str:
    """Why a listed document cannot be read when its file is gone, and the two ways out."""
    return (
        f"{MANIFEST_NAME} lists {document.path.name} (id {document.id!r}), which is not in "
        f"{document.path.parent}: put the file back, or take the entry out with `advisor remove {document.id}` "
        f"(or by editing {MANIFEST_NAME})"
    )


def document_title(path: Path, name: str | None = None) -> str:
    """The title a PDF or Word file declares, else the document's first heading or line, else its file
    name (``name``, when ``path`` is a temporary copy)."""
    declared = _declared_title(path)
    if declared:
        return declared
    try:
        for line in read_lines(path):
            stripped = line.lstrip("#").strip()
            if stripped:
                return one_line(stripped)
    except DocumentError:
        pass
    return (name or path.stem).replace("-", " ").replace("_", " ")


def one_line(text: str, limit: int = 120) -> str:
    """Text fit for a title: control characters and runs of whitespace become single spaces."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())[:limit]


def _declared_title(path: Path) -> str | None:
    from pypdf.errors import PdfReadError

    suffix = path.suffix.lower()
    try:
        if suffix == ".pdf":
            from pypdf import PdfReader

            reader = PdfReader(path)
            title = reader.metadata.title if not reader.is_encrypted and reader.metadata else None
        elif suffix == ".docx":
            with (
                zipfile.ZipFile(path) as archive,
                _member(path, archive, "docProps/core.xml", MAX_DOCX_PROPERTIES_BYTES) as xml,
            ):
                found = ElementTree.parse(xml).getroot().find(f"{_DC}title")
            title = found.text if found is not None else None
        else:
            return None
    except (PdfReadError, DocumentError, zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError, KeyError):
        return None  # the title is a nicety; reading the document itself reports what is wrong (the same errors)
    title = one_line(str(title or ""))
    return title if title and title.lower() not in ("untitled", "title") else None


def check_file(path: Path) -> None:
    """DocumentError unless ``path`` is a non-empty file of a supported format within the size limit."""
    if not path.exists():
        raise DocumentError(path, "no such file")
    size = path.stat().st_size
    if size == 0:
        raise DocumentError(path, "the file is empty")
    if size > MAX_DOCUMENT_BYTES:
        raise DocumentError(path, f"the file is {size / 1e6:.0f} MB; the limit is {MAX_DOCUMENT_BYTES // 10**6} MB")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            path, f"unknown format {suffix or '(no extension)'}; supported: {', '.join(SUPPORTED_SUFFIXES)}"
        )


def read_lines(path: Path) -> list[str]:
    """The document as lines of text; raises DocumentError naming the file and the reason."""
    check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(path)
    elif suffix == ".docx":
        text = _docx_text(path)
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
        _check_length(path, len(text))
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
        if len(reader.pages) > MAX_PDF_PAGES:
            raise DocumentError(
                path, f"the PDF has {len(reader.pages):,} pages; the limit is {MAX_PDF_PAGES:,}: split it into parts"
            )
        pages: list[str] = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            _check_length(path, sum(map(len, pages)))
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(path, f"the PDF could not be read ({exc})") from None
    return "\n\n".join(pages)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # what an encrypted .docx (or an old binary .doc) starts with


def _check_length(path: Path, characters: int) -> None:
    if characters > MAX_TEXT_CHARS:
        raise DocumentError(
            path,
            f"the document has more than {MAX_TEXT_CHARS:,} characters of text (about 1,000 pages); "
            "split it into parts",
        )


@contextmanager
def _member(path: Path, archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[BinaryIO]:
    """A zip member as a stream, refused when it unpacks to more than ``limit`` bytes. zipfile never
    yields more than the size the header declares (data that runs on fails its CRC check), so a
    bomb that understates its size is stopped too."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise DocumentError(
            path, f"{name} unpacks to more than {limit / 2**20:.0f} MB; the limit is there for zip bombs"
        )
    with archive.open(info) as member:
        yield member


def _docx_text(path: Path) -> str:
    """Word paragraphs as lines, heading styles as '#' lines, list items as '- ' lines (stdlib only).

    The XML is read as a stream, one paragraph at a time, so memory and time stay bounded by the
    limits above however far the file unpacks."""
    with path.open("rb") as head:
        if head.read(4) == _OLE_SIGNATURE:
            raise DocumentError(
                path, "the Word file is encrypted, or an old .doc file; save it as an unprotected .docx"
            )
    lines: list[str] = []
    characters = 0
    try:
        with zipfile.ZipFile(path) as archive, _member(path, archive, "word/document.xml", MAX_DOCX_XML_BYTES) as xml:
            for _, paragraph in ElementTree.iterparse(xml, events=("end",)):
                if paragraph.tag != f"{_W}p":
                    continue
                line = _docx_paragraph(paragraph)
                characters += len(line)
                _check_length(path, characters)
                lines += [line, ""]
                paragraph.clear()
    except KeyError:
        raise DocumentError(path, "not a Word document (it has no word/document.xml)") from None
    except (zipfile.BadZipFile, ElementTree.ParseError, OSError, ValueError) as exc:
        raise DocumentError(path, f"the .docx could not be read ({exc})") from None
    return "\n".join(lines)


def _docx_paragraph(paragraph: ElementTree.Element) -> str:
    pieces = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t":
            pieces.append(node.text or "")
        elif node.tag in (f"{_W}tab", f"{_W}br"):
            pieces.append(" ")
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    name = (style.get(f"{_W}val") or "") if style is not None else ""
    level = re.match(r"(?i)heading\s*(\d)", name)
    if level or name.lower() == "title":
        prefix = "#" * (int(level.group(1)) if level else 1) + " "
    else:
        prefix = "- " if paragraph.find(f"{_W}pPr/{_W}numPr") is not None else ""
    return prefix + "".join(pieces)


class _HtmlToMarkdown(HTMLParser):
    """Headings become '#' lines, paragraphs and list items their own lines; scripts vanish."""

    BLOCKS = {"p", "div", "section", "article", "br", "tr", "table", "ul", "ol", "blockquote"}
    # Struck-through text (<s>, <strike>, <del>) is what an amending bill deletes from the law: not its text.
    SKIP = {"script", "style", "noscript", "template", "head", "nav", "footer", "s", "strike", "del"}
    # A page's header or footer written as a plain <div class="pagefoot"> (or role="contentinfo"):
    # site furniture, like <nav> and <footer>, not the document's text.
    FURNITURE = re.compile(
        r"^(?:page|site)[-_]?(?:head(?:er)?|foot(?:er)?)$|^(?:footer|masthead|contentinfo|banner)$", re.IGNORECASE
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.furniture: list[int] = []  # open <div> depths at which a skipped furniture <div> started
        self.div_depth = 0

    def _is_furniture(self, attrs: list) -> bool:
        words = [w for name, value in attrs if name in ("class", "id", "role") and value for w in value.split()]
        return any(self.FURNITURE.match(w) for w in words)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "div":
            self.div_depth += 1
            if self._is_furniture(attrs):
                self.furniture.append(self.div_depth)
                self.skip_depth += 1
            return self._block() if not self.skip_depth else None
        if tag in self.SKIP:
            self.skip_depth += 1
        elif tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.out.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag == "hr":  # a rule: where a bill's text ends and its fiscal note begins
            self.out.append("\n\n-----\n\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):  # a table row becomes "| cell | cell |", not its cells run together
            self.out.append(" | ")
        elif tag in self.BLOCKS:
            self._block()

    def _block(self) -> None:
        self.out.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div":
            if self.furniture and self.furniture[-1] == self.div_depth:
                self.furniture.pop()
                self.skip_depth = max(0, self.skip_depth - 1)
            self.div_depth = max(0, self.div_depth - 1)
            return self._block()
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "tr":
            self.out.append(" |\n\n")
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
