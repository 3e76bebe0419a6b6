"""A bill (or statute, regulation, state policy document) → its provisions, by its own structure.

A provision is what a staffer cites: "Section 4", "§ 2", "Article III". Numbered headings are found
at the start of a line in the forms bills use: ``Section 1.``, ``SECTION 2``, ``Sec. 3.``, ``§ 4``,
``Article II`` (Markdown ``#``, HTML ``<h2>`` and Word heading styles arrive as ``#`` lines, bold
run-in headings as plain text). Subsections (a), (b), (1)... stay with their section. When a
document has both articles and sections, the sections are the provisions. A document without
numbered headings falls back to its own headings, then to its paragraphs.

Nothing here touches the corpus or the index: a bill is read, split and forgotten.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from advisor.corpus import _html_to_markdown, document_title, one_line, read_lines
from advisor.errors import DocumentError, UserError
from advisor.passages import _looks_like_heading
from advisor.text import clean_line

MIN_PROVISION_WORDS = 4  # shorter blocks are headings, signatures or residue, not provisions
TRIED = (
    "numbered sections (Section 1., SECTION 1, Sec. 1., § 1, Rule 1.01), articles (Article I), "
    f"headings, and paragraphs of at least {MIN_PROVISION_WORDS} words"
)

# A number as bills write them: 4, 4a, 16.001, 22-7-1013, 160-3-1-.07, 22.1-253.13:1; articles also in Roman numerals.
_NUMBER = r"\d+[A-Za-z]?(?:[.:-]\d+|-\.\d+)*"
# After the number: a period, colon or dash, the end of the line, or a capitalised heading or "(a)".
# "Section 5 of this act ..." and "Section 22-7-1013, Revised Statutes, is amended" are text, not headings;
# a period followed by a digit is inside the number: "Section 46010.7 of the Education Code is amended".
_TAIL = r"(?:\s*[.:](?!\d)\s*|\s+[—–-]\s+|\s*[—–]\s*|\s*$|\s+(?=[A-Z(\"“]))(?P<rest>.*)$"
# Regulations number their sections as rules: "Rule 1.01 Authority."
# Washington marks a section its bill adds: "NEW SECTION. Sec. 4. A new section is added to chapter 28A.320 RCW".
_SECTION = re.compile(
    rf"^(?:NEW SECTION\.\s+)?(?:Section|SECTION|Sec\.|SEC\.|Sect\.|Rule|RULE)\s*(?P<number>{_NUMBER}){_TAIL}"
)
# Michigan's sections of the bill itself, after the code's sections it amends: "Enacting section 1. This ..."
_ENACTING = re.compile(r"^(?P<number>(?:Enacting|ENACTING) (?:section|SECTION) \d+)\.\s*(?P<rest>.*)$")
# Virginia's numbered enactments: "1. That § 22.1-253.13:1 of the Code ... is amended ...", "2. That the Board ..."
_ENACTMENT = re.compile(r"^(?P<number>\d{1,2})\.\s+(?P<rest>That\s.*)$")
# A code's section quoted by its full number under the clause that adds it: "22-7-1201. Short title. (1) ..."
_CODE_SECTION = re.compile(r"^(?P<number>\d{1,3}(?:-\d{1,4}){2,3})\.\s+(?P<rest>[A-Z(].*)$")
_PARAGRAPH_SIGN = re.compile(rf"^§§?\s*(?P<number>{_NUMBER}){_TAIL}")
# An administrative code's rule numbers carry their title's letter: "R614-330-3. Credit Through Mastery."
_CODIFIED_RULE = re.compile(r"^(?:(?:Rule|RULE|§)\s*)?(?P<number>[A-Z]{1,3}\d+(?:-\d+){2,3})\.(?!\d)\s*(?P<rest>.*)$")
_ARTICLE = re.compile(rf"^(?:Article|ARTICLE|Art\.)\s+(?P<number>[IVXLC]+|\d+)\b{_TAIL}")
# A budget bill's provisos, numbered under their section, with the agency and a heading in brackets:
# "1.2. (SDE: Mastery-Based Progression Funding Pilot) Of the funds appropriated in Program II, ...".
_PROVISO = re.compile(r"^(?P<number>\d{1,3}\.\d{1,3})\.\s+(?P<rest>\([A-Z][A-Za-z]{1,8}:\s*[^)]{2,120}\)\s*\S.*)$")
_PROVISO_HEADING = re.compile(r"^\([A-Z][A-Za-z]{1,8}:\s*(?P<heading>[^)]+)\)\s*(?P<text>.*)$")
# A budget bill's line items ("Item 240. Department of Education ..... $21,486,000") and a plan's strategies.
_ITEM = re.compile(rf"^(?:Item|ITEM)\s+(?P<number>{_NUMBER}){_TAIL}")
_STRATEGY = re.compile(rf"^(?:Strategy|STRATEGY|Action|ACTION|Objective|OBJECTIVE)\s+(?P<number>{_NUMBER}){_TAIL}")
# Groupings above the provisions, kept as their context: "TITLE II—PATHWAYS", "Goal 1. Clear expectations".
_GROUP = re.compile(
    rf"^(?:Title|TITLE|Chapter|CHAPTER|Part|PART|Goal|GOAL|Priority|PRIORITY)\s+(?P<number>[IVXLC]+|\d+)\b{_TAIL}"
)
# Numbers without a word, read only when a document has no worded ones: a regulation's "2.03 Heading.",
# guidance's "Q3. Question?", an executive order's "4. The Commissioner shall ...".
_DECIMAL = re.compile(r"^(?P<number>\d{1,3}\.\d{1,3}[A-Za-z]?)\s+(?=[A-Z])(?P<rest>.*)$")
_QUESTION = re.compile(r"^(?:Q|Question)\.?\s?(?P<number>\d{1,3})[.:)]\s+(?P<rest>\S.*)$")
_NUMBERED_PARAGRAPH = re.compile(r"^(?P<number>\d{1,3})\.\s+(?P<rest>\S.*)$")
# A bill that numbers its sections with a bare number before a run-in heading: "1 Short Title. This act ...".
_NUMBERED_HEADING = re.compile(r"^(?P<number>\d{1,3})\s+(?P<rest>[A-Z][^.]{1,100}\.(?:\s+\S.*)?)$")
_SUB_ITEM = re.compile(r"^(?:[a-z]{1,3}[.)]|\((?:\d{1,3}|[a-z]{1,4}|[A-Z])\))\s")
_LEADER = re.compile(r"\s*\.{4,}\s*")  # "Central Office Operations ..... $21,486,000"
# Where a document's last provision ends: a signature block, an editor's note, a long rule.
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# A bill's closing STATEMENT or SUMMARY (New Jersey, Maine) explains it and enacts nothing; "--- END ---" (Washington).
_TRAILING_MATTER = re.compile(
    r"^(?:in witness whereof|given under my hand|editor'?s notes?\b|history[:.]|source:|key:|date of last change\b|"
    r"(?:passed and )?adopted (?:this|on|by)\b|approved(?: by\b|:|\s+(?:" + _MONTHS + r")\b)|.*\bfiscal note\b|"
    r"[_*=-]{5,}\s*$|-{2,}\s*end\s*-{2,}\s*$|(?-i:STATEMENT|SUMMARY)\s*$|"
    r"\|?\s*_{5,}|(?:president of the senate|speaker of the house)\b|effective date:)",
    re.IGNORECASE,
)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")
_LEAD_IN = re.compile(r"^(?:as used in|for (?:the )?purposes? of)\b", re.IGNORECASE)  # a definitions lead-in
_MODAL = re.compile(r"\b(?:shall|may|must|will|means|is|are|does|do|has|have)\b", re.IGNORECASE)
# A heading does not end on one of these: "NEW LAW A new section of law to be codified in the" is a cut sentence.
_FUNCTION_WORDS = frozenset("a an the of in to and or for by with on at from as that".split())
_UNNUMBERED = ("heading", "paragraph")  # kinds found without a number, so a short one may be residue
# Lines between a bill's number and its name that are not its name: sponsors, referral, enacting boilerplate.
_NOT_THE_NAME = re.compile(
    r"^(?:(?:introduced|sponsored|offered|requested|prefiled) by|by:|by (?:senators?|representatives?)|"
    r"referred to|(?:a )?bill for an act$|(?:a )?bill$|an act$|prime sponsor|.*\bsession\b|.*\blegislature$|"
    r".*\bgeneral assembly$|\(|(?:co-?)?sponsors?:|(?:introduced|filed|dated|passed)?,?\s*"
    r"(?:" + _MONTHS + r")\s+\d)",
    re.IGNORECASE,
)
# A bill's or resolution's long title, which describes it and enacts nothing: "AN ACT relating to ...".
_LONG_TITLE = re.compile(
    r"^(?:(?:A|AN)\s+(?:(?:JOINT|CONCURRENT|SENATE|HOUSE)\s+)*(?:RESOLUTION|ACT|BILL)\b|"
    r"An?\s+(?:(?:Joint|Concurrent|Senate|House)\s+)*(?:Resolution|Act|Bill|resolution|act|bill)\s+"
    r"(?:relating|concerning|establishing|to|for|providing|making|amending|directing|urging|requesting)\b)"
)
# A resolution's clauses, and what follows its last one: the vote, the attestation, the signatures.
_CLAUSE = re.compile(
    r"^(?:WHEREAS|(?:NOW,?\s+)?(?:THEREFORE,?\s+)?(?:BE\s+IT\s+)?(?:FURTHER\s+)?RESOLVED)\b", re.IGNORECASE
)
_ADOPTION = re.compile(
    r"^(?:(?:passed|adopted|approved|signed|dated)\b|ayes\b|nays\b|noes\b|attest\b|in witness whereof|[_*=-]{5,})",
    re.IGNORECASE,
)
_TABLE_CELLS = re.compile(r"\s*\|\s*")
_DOTS = re.compile(r"(?:\s*\.){3,}\s*")
_BRACKETED = re.compile(r"^\[.*\]$")  # "[GREAT SEAL OF THE STATE]": a picture's caption, not a name
_DOCUMENT_NAME = re.compile(
    r"\b(?:bill|act|resolution|order|rules?|regulations?|memorandum|plan|code|ccr|guidance|ordinance|compact|"
    r"agreement|statutes?|house|senate|assembly)\b",
    re.IGNORECASE,
)
# A line that gives the document's number: "H.F. No. 3318", "Legislative Document No. 1733", "703 KAR 5:290.".
_NUMBERED_NAME = re.compile(
    r"\bNo\.\s*\d|^\d+\s+[A-Z]{2,5}\s+\d+[:.-]\d",
)
_SPONSOR = re.compile(r"^(?:(?:introduced|sponsored|offered|requested|prefiled)\s+)?by\b", re.IGNORECASE)
_ENTITLED = re.compile(r"^entitled\s+", re.IGNORECASE)
_SHORT_TITLE_LINE = 6  # a first line this short ("SENATE BILL 77") is joined with the next for the title
# A memorandum's header fields ("TO: Superintendents", "RE: Credit flexibility") head the document, not a provision.
_MEMO_FIELD = re.compile(r"^(?:to|from|date|re|subject|cc|bcc|attn|attention)\s*:", re.IGNORECASE)
_LETTERHEAD_LINES = 3
_MEMO_SUBJECT = re.compile(r"^(?:re|subject)\s*:\s*(?P<subject>\S.*)$", re.IGNORECASE)
# A list item that carries its own enumerator ("- (1) The department ...", from HTML <li>): the dash is markup.
_BULLETED_ENUMERATOR = re.compile(r"^[-*•]\s+(?=\((?:\d{1,3}|[a-z]{1,4}|[A-Z])\)\s)")


@dataclass(frozen=True)
class Provision:
    """One citable unit of a bill: its number as written, its heading (if any) and its exact text."""

    id: str
    kind: str  # one of KINDS: "section", "article", "item", "strategy", "question", "heading", "paragraph"
    heading: str | None
    text: str
    context: str | None = None  # the article, title or goal a provision sits in, when there is one

    @property
    def label(self) -> str:
        """How a person names it: "Section 4", "Article II", "Item 240", "Paragraph 3"."""
        return f"{KINDS[self.kind]} {self.id}"

    @property
    def cite(self) -> str:
        """The bill-side citation marker: [B§4], [B Art. II], [B Item 240], [B Q3], [B¶3]."""
        if self.kind == "section":
            return f"B§{self.id}"
        if self.kind == "article":
            return f"B Art. {self.id}"
        if self.kind in ("item", "strategy", "proviso"):
            return f"B {KINDS[self.kind]} {self.id}"
        if self.kind == "question":
            return f"B Q{self.id}"
        return f"B¶{self.id}"


KINDS = {  # a provision's kind -> how a person names it
    "section": "Section",
    "article": "Article",
    "item": "Item",  # a budget bill's line item
    "proviso": "Proviso",  # a budget bill's numbered proviso
    "strategy": "Strategy",  # a strategic plan's strategy or action under its goals
    "question": "Question",  # guidance written as questions and answers
    "heading": "Part",  # a section found by its unnumbered heading
    "paragraph": "Paragraph",
}


@dataclass(frozen=True)
class Bill:
    """A document split into provisions; ``structure`` says which kind of split was used."""

    title: str
    file: str | None
    provisions: tuple[Provision, ...]
    structure: str


# ------------------------------------------------------------------------------ reading


def read_bill(path: Path, max_chars: int) -> Bill:
    """A bill from a file (.txt .md .html .pdf .docx); every problem is a DocumentError naming the file."""
    try:
        lines = read_lines(path)
    except DocumentError as exc:
        if path.suffix.lower() == ".pdf" and exc.reason == "the file has no text":
            raise DocumentError(
                path, "the PDF has no text layer (a scanned image?); run it through OCR first, or paste its text"
            ) from None
        raise
    _check_size(sum(len(line) + 1 for line in lines), max_chars, str(path))
    declared = document_title(path) if path.suffix.lower() in (".pdf", ".docx") else None
    return split_bill(lines, file=str(path), title=declared, fallback_title=path.stem)


def bill_from_bytes(data: bytes, max_chars: int, name: str = "standard input") -> Bill:
    """A bill pasted or piped in: plain text, Markdown or HTML."""
    if not data.strip():
        raise UserError(f"{name} is empty: give a bill's text, or a file.")
    if b"\x00" in data[:8192]:
        raise UserError(f"{name} is binary, not text: give a .pdf or .docx as a file, not on standard input.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return bill_from_text(text, max_chars, name)


def bill_from_text(text: str, max_chars: int, name: str = "the pasted text") -> Bill:
    text = unicodedata.normalize("NFC", text)
    if not text.strip():
        raise UserError(f"{name} is empty: give a bill's text, or a file.")
    _check_size(len(text), max_chars, name)
    if re.search(r"<(?:html|body|p|h[1-6]|div)\b", text[:5000], re.IGNORECASE):
        text = _html_to_markdown(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return split_bill(lines, file=None, fallback_title="Pasted text")


def _check_size(chars: int, max_chars: int, name: str) -> None:
    if chars > max_chars:
        raise UserError(
            f"{name} has {chars:,} characters of text; the limit is {max_chars:,} "
            "(ADVISOR_MAX_BILL_CHARS). Check the bill in parts."
        )


# ------------------------------------------------------------------------------ splitting


@dataclass
class _Line:
    text: str  # cleaned: markup gone, citation-like markers defused
    markdown_heading: bool


def _clean(lines: list[str]) -> list[_Line]:
    out = []
    for raw in lines:
        heading = bool(_MARKDOWN_HEADING.match(raw.strip()))
        text = clean_line(_MARKDOWN_HEADING.sub("", raw.strip()))
        out.append(_Line(_BULLETED_ENUMERATOR.sub("", text), heading))
    return out


def split_bill(
    lines: list[str], file: str | None = None, title: str | None = None, fallback_title: str = "Untitled"
) -> Bill:
    """Provisions by numbered sections or articles, else by headings, else by paragraphs."""
    cleaned = _clean(lines)
    for splitter, structure in (
        (_numbered, "numbered sections"),
        (_by_clauses, "paragraphs"),
        (_by_headings, "headings"),
        (_by_paragraphs, "paragraphs"),
    ):
        found = splitter(cleaned)
        if found is not None:
            preamble, provisions = found
            # a short block under a heading is a signature ("GOVERNOR" under the governor's name), not a provision
            provisions = [
                p for p in provisions if len(p.text.split()) >= MIN_PROVISION_WORDS or p.kind not in _UNNUMBERED
            ]
            provisions = [p for p in provisions if p.text.strip()]
            if provisions:
                if structure == "numbered sections":
                    structure = _STRUCTURE.get(provisions[0].kind, structure)
                name = title or _title(preamble) or fallback_title
                return Bill(name, file, tuple(provisions), structure)
    raise UserError(f"{file or 'The text'}: no provisions found; tried {TRIED}.")


_STRUCTURE = {  # a numbered document's structure, named for its provisions
    "article": "articles",
    "item": "line items",
    "proviso": "provisos",
    "strategy": "strategies",
    "question": "questions",
    "paragraph": "numbered paragraphs",
}
# Worded numbers, tried in this order on each line; the first of _UNITS a document has makes its provisions.
_WORDED = (
    ("section", _SECTION),
    ("section", _ENACTING),
    ("section", _ENACTMENT),
    ("section", _CODE_SECTION),
    ("section", _PARAGRAPH_SIGN),
    ("section", _CODIFIED_RULE),
    ("proviso", _PROVISO),
    ("item", _ITEM),
    ("strategy", _STRATEGY),
    ("article", _ARTICLE),
    ("group", _GROUP),
)
_UNITS = ("proviso", "section", "item", "strategy", "article")
_BARE = (
    ("section", _DECIMAL),
    ("question", _QUESTION),
    ("paragraph", _NUMBERED_PARAGRAPH),
    ("section", _NUMBERED_HEADING),
)
# A clause that introduces an amended or added section's text ("is added to read:", "IS AMENDED TO READ AS
# FOLLOWS [EFFECTIVE JULY 1, 2027]:", "is amended by changing Section 27-22 as follows:", "by inserting after
# section 1Q the following section:-"), possibly wrapped over lines; the numbers in the text it quotes are the
# law's, not the bill's.
_TO_READ = re.compile(
    r"\b(?:to\s+read|as\s+follows|the\s+following\s+(?:new\s+)?(?:sections?|subsections?|subdivisions?|parts?|"
    r"chapters?|articles?|paragraphs?))\b[^.]*:-?$",
    re.IGNORECASE,
)
_SECTION_NUMBERS = re.compile(r"\d+[A-Za-z]?(?:[.:-]\d+)*")
# Words before a number that is not a section's: "subdivision 2", "c.202", "part 12", "Laws 2021".
_NOT_A_SECTION = re.compile(
    r"\b(?:subdivisions?|subds?\.|subsections?|paragraphs?|clauses?|items?|lines?|pages?|chapters?|c\.|articles?|"
    r"parts?|titles?|laws|statutes)\s*$",
    re.IGNORECASE,
)
# A code section's full number, which no other section of the bill shares: 22-7-1201, 22.1-206.3, 3301.0731.
_FULL_NUMBER = re.compile(r"^\d+(?:[.:-]\d+){1,3}$")


@dataclass(frozen=True)
class _Mark:
    line: int
    kind: str
    number: str
    rest: str  # the rest of the numbered line
    form: str  # how it is written: its first word ("SECTION", "Sec.", "§"), or "#" for a bare number


def _numbered(lines: list[_Line]) -> tuple[list[_Line], list[Provision]] | None:
    """Provisions found by their numbered headings. Articles, titles, parts and goals that hold sections
    (or items, strategies) are their context; numbers without a word count only in a document without
    worded ones."""
    marks = _marks(lines, _WORDED)
    unit = next((kind for kind in _UNITS if any(m.kind == kind for m in marks)), None)
    if unit is None:
        marks = _bare_marks(lines)
        if not marks:
            return None
        unit = marks[0].kind
    context_kinds = ("article", "group", "section") if unit == "proviso" else ("article", "group")
    marks = [m for m in marks if m.kind == unit or m.kind in context_kinds]
    provisions: list[Provision] = []
    context: str | None = None
    for n, mark in enumerate(marks):
        end = marks[n + 1].line if n + 1 < len(marks) else _end_of_text(lines, mark.line)
        body = [line.text for line in lines[mark.line + 1 : end]]
        if mark.kind != unit:  # an article, title or goal above the provisions: their context
            heading = mark.rest.rstrip(".:").strip()
            word = lines[mark.line].text.split()[0].rstrip(".").title()
            context = f"{word} {mark.number}" + (f". {heading}" if _is_heading(heading) else "")
            continue
        proviso = _PROVISO_HEADING.match(mark.rest) if unit == "proviso" else None
        if proviso:  # "(SDE: Base Student Cost) The base student cost ..."
            heading, text = proviso.group("heading").strip(), "\n".join(x for x in (proviso.group("text"), *body) if x)
        elif unit == "question":  # the question is what the answer answers: text, not a heading
            heading, text = None, "\n".join(x for x in (mark.rest, *body) if x.strip())
        elif unit in ("item", "strategy") and any(x.strip() for x in body):
            # a budget item's line names what it funds, and how much; a strategy's line is its heading, however long
            heading, text = _LEADER.sub(" … ", mark.rest) or None, "\n".join(x for x in body if x.strip())
        else:
            heading, text = _heading_and_text(mark.rest, body)
        provisions.append(Provision(mark.number, unit, heading, text, context))
    return lines[: marks[0].line], provisions


def _marks(lines: list[_Line], patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> list[_Mark]:
    """The numbered lines. A section that amends or adds law quotes it, numbers and all ("Sec. 4. 16 V.S.A.
    § 945 is added to read:" above "§ 945. CAREER PATHWAYS"; "SECTION 1. IC 20-43-17 IS ADDED ... TO READ AS
    FOLLOWS:" above "Sec. 1.", "Sec. 2."): after such a clause, a numbered line is the quoted law's unless it
    is the bill's next section (written as the bill's own are, or numbered next: Minnesota's "Section 1." is
    followed by "Sec. 2.", New York's by "§ 2.") and not the section the clause names (New Jersey's "6. Section
    2 of P.L.2011 ... is amended to read as follows:" above "2. a. The commissioner ..."). The quoted sections
    are provisions when the clause enacts two or more by name ("Section 1. That sections 3301.0731 and
    3301.0732 be enacted to read as follows:"), or quotes two or more by their full code numbers (Colorado's
    "add part 12 to article 7 of title 22 as follows:" above "22-7-1201.", "22-7-1202.")."""
    marks: list[_Mark] = []
    quoted: list[_Mark] = []  # numbered lines inside the law a section quotes
    quoting: str | None = None  # the form of the bill's own marks, while it quotes law
    named: set[str] = set()  # the section numbers the quoting clause names

    def close() -> None:
        sections = [m for m in quoted if m.kind not in ("group", "article")]
        enacted = [m for m in sections if m.number in named]
        if len(enacted) < 2:
            enacted = [m for m in sections if _FULL_NUMBER.match(m.number)]
        marks.extend(m for m in quoted if len(enacted) >= 2 and (m in enacted or m.kind == "group"))
        quoted.clear()

    def own(mark: _Mark) -> bool:
        """Is this numbered line, inside quoted law, the bill's own next one?"""
        previous = [m for m in marks if m.kind == mark.kind]
        following = (
            bool(previous) and previous[-1].number.isdigit() and mark.number == str(int(previous[-1].number) + 1)
        )
        continued = any(
            m.form == mark.form and m.number.isdigit() and int(m.number) + 1 == int(mark.number)
            for m in quoted
            if mark.number.isdigit()
        )
        if mark.form == quoting:
            return following or mark.number not in named
        return following and not continued and mark.number not in named

    for i, line in enumerate(lines):
        for kind, pattern in patterns:
            m = pattern.match(line.text)
            if m:
                mark = _Mark(i, kind, m.group("number"), m.group("rest").strip(), _form(line.text, m))
                if quoting is None or own(mark):
                    close()
                    quoting = None
                    marks.append(mark)
                else:
                    quoted.append(mark)
                break
        if marks and quoting is None and line.text.rstrip().endswith((":", ":-")):
            clause = " ".join(x.text for x in lines[max(marks[-1].line, i - 2) : i + 1])
            if _TO_READ.search(clause):
                quoting = marks[-1].form
                named = _named_sections(" ".join(x.text for x in lines[marks[-1].line : i + 1]))
    close()
    return marks


def _named_sections(clause: str) -> set[str]:
    """The section numbers an amending clause names: "Section 2 of P.L.2011" names 2, Indiana's "IC 20-43-3-4"
    names 20-43-3-4 and its "Sec. 4."; "section 120B.024, subdivision 2" names 120B.024, not 2."""
    named = set()
    for m in _SECTION_NUMBERS.finditer(clause):
        if _NOT_A_SECTION.search(clause[: m.start()]):
            continue
        named.add(m.group())
        if "-" in m.group():
            named.add(m.group().rsplit("-", 1)[1])
    return named


def _form(text: str, match: re.Match[str]) -> str:
    """How a numbered line is written: its first word ("SECTION", "Sec.", "§"), or "#" for a bare number."""
    words = text.removeprefix("NEW SECTION.").split()
    return "#" if words[0].rstrip(".:") == match.group("number").split()[0] else words[0]


def _bare_marks(lines: list[_Line]) -> list[_Mark]:
    """Numbers without a word, when they are the document's structure: at least two of them, in order;
    numbered paragraphs and bare-numbered headings ("1 Short Title.") must run 1, 2, 3..., and numbered
    paragraphs be nearly every block of text from the first to the end."""
    for kind, pattern in _BARE:
        marks = _marks(lines, ((kind, pattern),))
        numbers = [tuple(int(x) for x in re.findall(r"\d+", m.number)) for m in marks]
        if len(marks) < 2 or numbers != sorted(set(numbers)):
            continue
        counted = [n[0] for n in numbers] == list(range(1, len(marks) + 1))
        if pattern in (_NUMBERED_PARAGRAPH, _NUMBERED_HEADING) and (len(marks) < 3 or not counted):
            continue
        if kind == "paragraph":
            starts = {m.line for m in marks}
            end = _end_of_text(lines, marks[-1].line)
            blocks = [i for i in range(marks[0].line, end) if lines[i].text and (i == 0 or not lines[i - 1].text)]
            stray = [i for i in blocks if i not in starts and not _continues(lines[i].text)]
            if len(stray) * 4 > len(marks):
                continue
        return marks
    return []


def _continues(text: str) -> bool:
    """A block that carries on the paragraph above it: a lettered sub-item, or text in lower case."""
    return bool(_SUB_ITEM.match(text)) or text[:1].islower()


def _end_of_text(lines: list[_Line], last: int) -> int:
    """Where the last provision's text ends: at a signature block, an editor's note or a long rule."""
    for i in range(last + 1, len(lines)):
        if _TRAILING_MATTER.match(lines[i].text):
            return i
    return len(lines)


def _heading_and_text(rest: str, body: list[str]) -> tuple[str | None, str]:
    """Split "Credit for mastery. (a) A board shall ..." into its heading and its text.

    The rest of the heading line is a heading when it is short and says nothing (no "shall",
    "may", "means"...), either alone on its line with text below it, or run in before the text
    (after a full stop, or the em dash of federal and many state bills: "CREDIT.—(a) Text"). A bare
    "SECTION 3." takes the heading on the line below it.
    """
    if not rest and _heading_below(body):
        first = next(i for i, line in enumerate(body) if line.strip())
        rest, body = body[first], body[first + 1 :]  # "SECTION 3." with its heading alone on the next line
    body = [line for line in body if line.strip()]
    body_text = "\n".join(body).strip()
    em_dash = re.match(r"^(?P<heading>[^.]{2,120}?)[.:]\s*(?:[—–]|--)\s*(?P<text>\S.*)$", rest)
    if em_dash and _is_heading(em_dash.group("heading")):  # "DEFINITIONS.—In this Act:", text after the dash
        return em_dash.group("heading").strip(), "\n".join(x for x in (em_dash.group("text"), body_text) if x)
    lead_in = rest.endswith(":") and len(rest.split()) > 3  # "The Legislature finds all of the following:"
    # a sentence wrapped onto the next line ("... a vote of" / "two-thirds of all", "... and sections" / "3301.0731,")
    below = body[0].strip() if body else ""
    # or "... thousand dollars" / "($18,500,000), or so much ...": a parenthesis that is not an "(a)" or "(1)"
    wrapped = not rest.endswith((".", ":")) and bool(
        re.match(r"[a-z]|\d[\d.,-]*\d[,;]?\s|\((?!(?:\d{1,3}|[a-z]{1,4}|[A-Z])\)\s)", below)
    )
    if (
        rest
        and body_text
        and not (lead_in or wrapped)
        and not re.search(r"[.:]\s+\S", rest)
        and _is_heading(rest.rstrip(".:"))
    ):
        return rest.rstrip(".:").strip(), body_text
    run_in = re.match(r"^(?P<heading>[^.]{2,120}?)[.:]\s+(?P<text>\S.*)$", rest)
    if run_in and _is_heading(run_in.group("heading")):
        text = "\n".join(x for x in (run_in.group("text"), body_text) if x)
        return run_in.group("heading").strip(), text
    return None, "\n".join(x for x in (rest, body_text) if x).strip()


def _heading_below(body: list[str]) -> bool:
    """A bare "SECTION 3." line's next line is its heading when it reads as one: in capitals or title
    case, or in sentence case with a blank line or a "(a)" below it; and there must be text after it."""
    lines = [line.strip() for line in body]
    filled = [i for i, line in enumerate(lines) if line]
    if len(filled) < 2:
        return False
    line, after = lines[filled[0]], lines[filled[0] + 1]
    words = [w for w in line.split() if len(w) >= 4]
    title_case = bool(words) and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)
    set_apart = not after or bool(re.match(r"^\((?:\d{1,3}|[a-z]{1,4})\)\s", after))
    return (
        _is_heading(line.rstrip(".:"))
        and not re.search(r"[.:]\s+\S", line)
        and (line.isupper() or title_case or (set_apart and len(line.split()) <= 8))
    )


def _is_heading(candidate: str) -> bool:
    """Short, saying nothing (no "shall", "may", "means"), capitalised, and not cut off mid-phrase ("NEW LAW A new
    section of law to be codified in the")."""
    candidate = candidate.strip()
    words = [w for w in candidate.split() if any(c.isalpha() for c in w)]  # "APPROPRIATION - ... - ONE-TIME FUNDING"
    return (
        bool(candidate)
        and 0 < len(words) <= 12
        and words[-1].lower() not in _FUNCTION_WORDS
        and not _MODAL.search(candidate)
        and candidate[:1].isupper()
        and not re.search(r"[;,]\s*$", candidate)
        and not _LEAD_IN.match(candidate)
    )


def _groups(lines: list[_Line]) -> list[list[_Line]]:
    """Blank-line separated groups of lines."""
    groups: list[list[_Line]] = [[]]
    for line in lines:
        if line.text:
            groups[-1].append(line)
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _join(lines: list[_Line]) -> str:
    """A group's lines as text: hard-wrapped lines (the next starts in lower case) joined back up."""
    out: list[str] = []
    for line in lines:
        if out and line.text[:1].islower() and not re.search(r"[.;:!?]$", out[-1]):
            out[-1] += " " + line.text
        else:
            out.append(line.text)
    return "\n".join(out)


def _heading_line(line: _Line) -> bool:
    return line.markdown_heading or (_looks_like_heading(line.text) and len(line.text.split()) <= 10)


def _by_headings(lines: list[_Line]) -> tuple[list[_Line], list[Provision]] | None:
    """Sections under the document's own (unnumbered) headings; None unless there are two or more."""
    preamble, groups = _memo_header(_groups(lines))
    if not groups:
        return None
    if _heading_line(groups[0][0]) and not preamble:  # the document's title
        preamble = [groups[0][0]]
        groups[0] = groups[0][1:]
    sections: list[tuple[str, list[_Line]]] = []
    loose: list[_Line] = []  # text before the first heading
    for group in groups:
        body = group
        if group and _heading_line(group[0]):
            sections.append((group[0].text.rstrip(":"), []))
            body = group[1:]
        (sections[-1][1] if sections else loose).extend(body)
    sections = [(h, body) for h, body in sections if body]
    if len(sections) < 2:
        return None
    provisions = [
        Provision(str(n), "heading", heading, _join(body)) for n, (heading, body) in enumerate(sections, start=1)
    ]
    return preamble + loose, provisions


def _by_clauses(lines: list[_Line]) -> tuple[list[_Line], list[Provision]] | None:
    """A resolution's WHEREAS and RESOLVED clauses as its paragraphs: the letterhead, number and long title
    above them are preamble (short capitals lines there are not headings), and the vote and signatures below
    the last clause are not provisions. None unless the document has two such clauses."""
    groups = _groups(lines)
    clauses = [i for i, group in enumerate(groups) if _CLAUSE.match(group[0].text)]
    if len(clauses) < 2:
        return None
    end = next((i for i in range(clauses[-1] + 1, len(groups)) if _ADOPTION.match(groups[i][0].text)), len(groups))
    paragraphs = [_join(g) for g in groups[clauses[0] : end]]
    paragraphs = [p for p in paragraphs if len(p.split()) >= MIN_PROVISION_WORDS]
    preamble = [line for group in groups[: clauses[0]] for line in group]
    return preamble, [Provision(str(n), "paragraph", None, p) for n, p in enumerate(paragraphs, start=1)]


def _by_paragraphs(lines: list[_Line]) -> tuple[list[_Line], list[Provision]] | None:
    preamble, groups = _memo_header(_groups(lines))
    if not groups:
        return None
    if not preamble and len(groups) > 1 and len(groups[0]) == 1 and _heading_line(groups[0][0]):
        preamble = groups.pop(0)
    while len(groups) > 1 and _LONG_TITLE.match(_join(groups[0])):  # "A JOINT RESOLUTION establishing ..."
        preamble = preamble + groups.pop(0)
    paragraphs = [_join(g) for g in groups]
    paragraphs = [p for p in paragraphs if len(p.split()) >= MIN_PROVISION_WORDS]
    return preamble, [Provision(str(n), "paragraph", None, p) for n, p in enumerate(paragraphs, start=1)]


def _memo_header(groups: list[list[_Line]]) -> tuple[list[_Line], list[list[_Line]]]:
    """A memorandum's opening lines (a letterhead, then TO / FROM / DATE / RE fields) as preamble, the rest as
    groups; the subject line becomes the title line. No header: no preamble, the groups unchanged."""
    lines = [line for group in groups for line in group]
    start = 0  # a letterhead of up to three lines: the agency, its division
    while start < min(_LETTERHEAD_LINES, len(lines)) and not _MEMO_FIELD.match(lines[start].text):
        if not _heading_line(lines[start]):
            return [], groups
        start += 1
    end = start
    while end < len(lines) and _MEMO_FIELD.match(lines[end].text):
        end += 1
    if end - start < 2:  # one "Date:" line is not a memo header
        return [], groups
    subject = next((m.group("subject") for line in lines[start:end] if (m := _MEMO_SUBJECT.match(line.text))), None)
    title = [_Line(f"{lines[0].text.title() if start else 'Memorandum'}: {subject}", False)] if subject else []
    rest, skip = [], end
    for group in groups:
        if skip >= len(group):
            skip -= len(group)
            continue
        rest.append(group[skip:])
        skip = 0
    return title + lines[:end], rest


def _title(preamble: list[_Line]) -> str | None:
    """The line that names the document with its number ("EXECUTIVE ORDER 2027-04", "1 CCR 301-114"), else
    the first line; a number alone takes the document's name from the next line, a memo its subject."""
    # table cells ("| HOUSE BILL | 1147-FN |") and dot leaders ("HOUSE . . . . No. 4418") are layout
    texts = [_DOTS.sub(" ", _TABLE_CELLS.sub(" ", line.text)).strip() for line in preamble]
    texts = [t for t in texts if t and not _BRACKETED.match(t)]
    if not texts:
        return None
    named = next((i for i, t in enumerate(texts[:8]) if _NUMBERED_NAME.search(t) and not _SPONSOR.match(t)), None)
    if named is None:
        named = next((i for i, t in enumerate(texts[:8]) if re.search(r"\d", t) and _DOCUMENT_NAME.search(t)), 0)
    title, after = texts[named], texts[named + 1 :]
    subject = next((m.group("subject") for t in after if (m := _MEMO_SUBJECT.match(t))), None)
    if subject and subject not in title:
        title = f"{title}: {subject}"
    elif len(title.split()) <= _SHORT_TITLE_LINE and re.search(r"\d", title) and ":" not in title and after:
        name = next((t for t in after if not _NOT_THE_NAME.match(t) and not _MEMO_FIELD.match(t)), after[0])
        title = f"{title}: {_ENTITLED.sub('', name)}"
    return one_line(title, 200)
