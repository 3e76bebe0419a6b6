"""Do the sources cover this question? The one answerability decision every backend calls.

``assess`` returns one of three outcomes, before any model is called:

- **answered**: the retrieved sentences address the question;
- **partial**: they address part of it, and ``missing`` names what they don't cover (a state the
  corpus never describes, a figure or a year it never gives, a concept it never discusses, a
  premise it does not state); the answer says so first and labels its passages as related;
- **not covered**: nothing to cite; the advisor says so plainly.

Evidence, in order:

1. the request itself (``intent.role_refusal``): injections and out-of-role requests;
2. relevance: the best cosine similarity between the question and a retrieved sentence
   (``ADVISOR_REFUSAL_THRESHOLD``); below it nothing in the sources is close;
3. the question's specifics: each named entity (a state, a program, an acronym) must exist in
   the corpus and, when it is rare there, appear in a relevant retrieved sentence; a request for
   a figure (an amount, a count, a year, a percentage) needs a relevant sentence that states one;
4. the question's topics: a distinct area of education policy (``topics.py``: vouchers, charter
   schools, collective bargaining…) that no document uses any name of is missing. (Judging loose
   concepts by embedding alone was measured and dropped: on the dev split it marked paraphrases such
   as "rollout support" or "fairness" missing as often as it caught absent topics.)
5. premises: "why does the framework recommend abolishing X?" states a claim; a claim whose words
   the corpus never uses, or whose verb reverses a policy (abolish, ban, eliminate…), is corrected.

When something is missing, what is left of the question decides between partial and not covered:
its remaining content words (no framing or generic words) must still be close to some sentence.
Thresholds were set on the dev split of evals/ and are reported per split by ``advisor eval``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from advisor.intent import role_refusal
from advisor.text import STOPWORDS, stem, words
from advisor.topics import named_topics
from advisor.vocabulary import Vocabulary, normalise

ANSWERED, PARTIAL, NOT_COVERED = "answered", "partial", "not covered"
OUTCOMES = (ANSWERED, PARTIAL, NOT_COVERED)

# Tuned on the dev split (see module docstring).
RESIDUAL_MATCH = 0.50  # what is left of a question, without its missing parts, must be this close to a sentence
RELEVANT_MARGIN = 0.15  # relevant sentences: within this of the best one (and above the threshold)

# Words that frame a question rather than say what it is about.
SCAFFOLD = frozenset(
    """what whats how why when where who whom which whose does do did is are was were can could should would will
    shall may might must framework frameworks source sources document documents guide guides study studies research
    report reports paper text say says said tell explain describe mention mentions mentioned discuss discusses cover
    covers address addresses talk talks know need needs want wants give gives show shows help think anything something
    everything please kind kinds sort type types way ways thing things idea ideas point points talking answer question
    questions example examples mean means matter matters actually really basically exactly specifically generally
    overall big picture short summary summarize briefly quick quickly plain english one sentence two three version
    i'm i've we're we've let's lets look looking find get got make makes made use used using go goes going take
    takes like also just even still much many lot lots us our we i me my you your they them their""".split()
)
# Concepts so general that, left alone, they are no topic of their own.
GENERIC = frozenset(
    """state states policy policies approach approaches best good better new education educational school schools
    student students system systems k 12 k-12 public local district districts level levels work working issue issues
    area areas role roles rule rules law laws""".split()
)

_FACTS: tuple[tuple[str, re.Pattern, re.Pattern], ...] = (
    (
        "amount",
        re.compile(
            r"(?:^|[,;:]\s*|\band\s+|\bor\s+|\bso\s+)how\s+much\s+(?:money|funding|does|do|did|is|are|was|were|will|"
            r"would|should|can|per)\b|\b(?:dollar|funding|spending|per[-\s]pupil)\s+(?:amount|figure|level)s?\b|"
            r"\bwhat\s+(?:is|was|are)\s+the\s+(?:\w+\s+){0,3}(?:amount|cost|budget|price|salary|appropriation)\b|"
            r"\bhow\s+(?:big|large)\s+(?:is|was|a|an)\b.{0,30}\b(?:budget|grant|appropriation|fund)\b",
            re.I,
        ),
        re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:million|billion|thousand|dollars|percent|%)"),
    ),
    (
        "count",
        re.compile(
            r"(?:^|[,;:]\s*|\band\s+|\bor\s+)how\s+many\b|\bwhat\s+(?:is|was)\s+the\s+number\s+of\b|\bnumber\s+of\s+\w+\s+(?:that|who)\b",
            re.I,
        ),
        re.compile(
            r"\b\d+\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|twenty|thirty|"
            r"hundred|hundreds)\b",
            re.I,
        ),
    ),
    (
        "year",
        re.compile(
            r"\bwhat\s+year\b|\bwhich\s+year\b|\bin\s+what\s+year\b|\bwhen\s+(?:did|was|were|will|does)\b|"
            r"\bwhat\s+date\b|\bby\s+when\b|\bdeadline\b|\bhow\s+long\s+ago\b",
            re.I,
        ),
        re.compile(
            r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october|"
            r"november|december)\b",
            re.I,
        ),
    ),
    (
        "percentage",
        re.compile(
            r"\bwhat\s+(?:percent|percentage|share|proportion|fraction)\b|\bhow\s+many\s+percent\b|\brate\s+of\b", re.I
        ),
        re.compile(r"%|\bpercent\b|\bhalf\b|\bthird\b|\bquarter\b|\bmajority\b", re.I),
    ),
)
_FACT_WORDS = frozenset(
    """much many amount cost budget price salary appropriation year date deadline percent percentage share
    proportion fraction rate number figure""".split()
)

# A question that states what the sources say, then asks about it.
_PREMISE = re.compile(
    r"\b(?:why|how)\s+(?:does|did|do|is|was)\s+(?:the\s+)?(?:framework|study|research|report|guide|rfa|"
    r"knowledgeworks|sources?)\s+(?:\w+\s+){0,2}(?:recommend|recommends|say|says|require|requires|call\s+for|calls\s+for|"
    r"want|wants|suggest|suggests|propose|proposes|support|supports|endorse|endorses|favor|favors|favour|favours|"
    r"argue|argues|insist|insists|push|pushes|advocate|advocates|conclude|concludes|find|finds|found|claim|claims|"
    r"justify|defend|oppose|opposes|reject|rejects)\s+(?:that\s+|for\s+)?(?P<claim>[^?.!]+)|"
    r"\b(?:since|given\s+that|because|now\s+that)\s+(?:the\s+)?(?:framework|study|research|report|guide|rfa|"
    r"knowledgeworks|sources?)\s+(?:\w+\s+){0,2}(?:says|recommends|requires|calls\s+for|found|finds|shows|showed|"
    r"proves|proved|wants|supports)\s+(?:that\s+)?(?P<claim2>[^?.!,]+)|"
    r"\b(?:framework|study|report|guide|rfa)'?s?\s+(?:recommendation|call|proposal|plan|finding|requirement|"
    r"mandate|push)\s+(?:to|that|for)\s+(?P<claim3>[^?.!,]+)",
    re.I,
)
_REVERSALS = frozenset(
    """abolish abolishing abolished abolition eliminate eliminating eliminated elimination ban banning banned scrap
    scrapping repeal repealing prohibit prohibiting defund defunding privatize privatizing privatise abandon abandoning
    dismantle dismantling outlaw outlawing end ending stop stopping cut cutting slash slashing remove removing
    replace replacing""".split()
)

_STATES = (
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois "
    "indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri "
    "montana nebraska nevada new_hampshire new_jersey new_mexico new_york north_carolina north_dakota ohio oklahoma "
    "oregon pennsylvania rhode_island south_carolina south_dakota tennessee texas utah vermont virginia "
    "washington west_virginia wisconsin wyoming puerto_rico district_of_columbia"
).split()
_STATE_NAMES = sorted((s.replace("_", " ") for s in _STATES), key=len, reverse=True)
US_STATE = _STATE = re.compile(r"\b(" + "|".join(re.escape(s) for s in _STATE_NAMES) + r")\b", re.I)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z][\w'’-]*(?:\s+(?:of|for|the|and|on)?\s*[A-Z][\w'’-]+)*)")
_NOT_NAMES = frozenset(
    """i i'm i've is are what how why when where who which can could should would does do english spanish american
    americans internet web monday tuesday wednesday thursday friday saturday sunday god""".split()
)


@dataclass(frozen=True)
class Coverage:
    """The decision, with what it rests on. ``reply`` replaces the answer for role refusals."""

    outcome: str
    relevance: float
    missing: tuple[str, ...] = ()
    kind: str | None = None  # why not (fully) covered: injection, out of role, off topic, absent topic, ...
    reason: str | None = None
    reply: str | None = None
    premise: str | None = None  # a claim the question attributes to the sources that they don't make
    residual: str | None = None  # for a partial answer: the question without its missing parts, to search for
    signals: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def covered(self) -> bool:
        return self.outcome != NOT_COVERED

    def to_json(self) -> dict:
        return {"coverage": self.outcome, "missing": list(self.missing)}


@dataclass(frozen=True)
class Evidence:
    """What retrieval found: each retrieved passage's sentences and their similarity to the question."""

    sentences: Sequence[Sequence[str]]
    similarities: Sequence[np.ndarray]

    @property
    def relevance(self) -> float:
        return max((float(s.max()) for s in self.similarities if len(s)), default=0.0)

    def relevant(self, floor: float) -> list[str]:
        return [t for texts, sims in zip(self.sentences, self.similarities) for t, s in zip(texts, sims) if s >= floor]


Encode = Callable[[list[str]], np.ndarray]  # texts → L2-normalised rows
NearestSentence = Callable[[np.ndarray], float]  # a vector → the best cosine with any corpus sentence


def refuse_request(question: str) -> Coverage | None:
    """The role check alone (no retrieval needed): injections and out-of-role requests."""
    refusal = role_refusal(question)
    if refusal is None:
        return None
    kind, reply = refusal
    return Coverage(NOT_COVERED, 0.0, (), kind, f"not a question for the sources ({kind})", reply)


def assess(
    question: str,
    evidence: Evidence,
    vocabulary: Vocabulary,
    encode: Encode,
    nearest: NearestSentence,
    threshold: float,
) -> Coverage:
    """The coverage decision for one question and what retrieval found for it."""
    refused = refuse_request(question)
    if refused is not None:
        return refused
    relevance = evidence.relevance
    floor = max(threshold, relevance - RELEVANT_MARGIN)
    relevant_raw = evidence.relevant(floor)
    relevant = [normalise(s) for s in relevant_raw]
    premise = _premise(question, vocabulary, relevant)
    if relevance < threshold:
        reason = f"no retrieved sentence is relevant enough ({relevance:.2f} < {threshold:.2f})"
        kind = "false premise" if premise else "off topic"
        return Coverage(NOT_COVERED, relevance, (premise,) if premise else (), kind, reason, premise=premise)

    found: list[tuple[str, str, list[str]]] = []  # (what is missing, kind, the question's words for it)
    if premise:
        found.append((premise, "false premise", words(premise)))
    entities = _entities(question)
    for name in entities:
        if not _known(name, vocabulary):
            found.append((name, "absent entity", words(name)))
        elif _STATE.fullmatch(name) and not any(f" {normalise(name)} " in f" {s} " for s in relevant):
            found.append((f"{name} specifics", "entity not described", words(name)))
    for label, asks, states in _FACTS:
        if asks.search(question) and not any(states.search(s) for s in relevant_raw):
            phrase = _fact_phrase(question, label)
            found.append((phrase, "absent fact", [w for w in words(phrase) if w in _FACT_WORDS]))
            break
    question_stems = [stem(w) for w in words(question)]
    for topic in named_topics(question_stems):
        if not any(vocabulary.has_stemmed(name) for name in topic):
            name = next(
                n for n in topic if f" {' '.join(stem(w) for w in words(n))} " in f" {' '.join(question_stems)} "
            )
            found.append((name, "absent topic", words(name)))

    signals: dict[str, float] = {"relevance": round(relevance, 3)}
    if not found:
        return Coverage(ANSWERED, relevance, signals=signals)
    missing = tuple(dict.fromkeys(f[0] for f in found))
    # What is left of the question once the missing parts are taken out: is it still a question the
    # sources answer? "Ohio's per-pupil amount" leaves per-pupil funding (partial); "the cap on charter
    # schools" or "teacher strikes" leave nothing they discuss (not covered).
    gone = {w for f in found for w in f[2]} | {w for e in entities for w in words(e)}
    left = [w for r in _runs(question) for w in r if w not in gone and w not in GENERIC and w not in _FACT_WORDS]
    residual = nearest(encode([" ".join(left)])[0]) if left else 0.0
    signals["residual"] = round(residual, 3)
    kind = found[0][1]
    if residual < RESIDUAL_MATCH:
        reason = "the question's subject is not in the sources: " + ", ".join(missing)
        return Coverage(NOT_COVERED, relevance, missing, kind, reason, premise=premise, signals=signals)
    reason = "the sources cover part of the question; not: " + ", ".join(missing)
    return Coverage(
        PARTIAL, relevance, missing, kind, reason, premise=premise, residual=" ".join(left), signals=signals
    )


# ------------------------------------------------------------------------------ the question's parts


def _runs(question: str) -> list[list[str]]:
    """Maximal runs of content words (no stop or framing words, no punctuation in between)."""
    runs: list[list[str]] = []
    for piece in re.split(r"[^\w\s'’-]+", question.lower().replace("’", "'")):
        run: list[str] = []
        for w in re.findall(r"[a-z0-9][a-z0-9'-]*", piece):
            w = w.strip("'-")
            if w.endswith("'s"):
                w = w[:-2]
            if not w or w in STOPWORDS or w in SCAFFOLD:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(w)
        if run:
            runs.append(run)
    return runs


def _entities(question: str) -> list[str]:
    """States, acronyms and capitalised names, as written in the question."""
    found: list[str] = [m.group(1) for m in _STATE.finditer(question)]
    for m in _ACRONYM.finditer(question):
        token = m.group(0)[:-1] if m.group(0).endswith("s") and len(m.group(0)) > 3 else m.group(0)
        if len(token) >= 3 and token not in ("USA", "AND", "THE", "FOR") and token.lower() not in _NOT_NAMES:
            found.append(token)  # two-letter acronyms (PD, IT, AI) are too ambiguous to call missing
    for m in _NAME.finditer(question):
        name = re.sub(r"['’]s$", "", m.group(1).strip())
        first = name.split()[0].lower()
        if first in _NOT_NAMES:
            continue
        if not any(normalise(name) in normalise(f) or normalise(f) in normalise(name) for f in found):
            found.append(name)
    return list(dict.fromkeys(found))


def _known(name: str, vocabulary: Vocabulary) -> bool:
    if vocabulary.has_phrase(name):
        return True
    key = normalise(name)
    return " " not in key and key in vocabulary.acronyms


def _fact_phrase(question: str, label: str) -> str:
    """'the per-pupil amount', 'the year', …: the figure the question asks for."""
    m = re.search(
        r"\b((?:[\w-]+\s+){0,2}?(?:amount|cost|budget|price|salary|figure|number|year|date|deadline|percentage|rate))\b",
        question,
        re.I,
    )
    if m:
        words_ = [w for w in re.findall(r"[\w-]+", m.group(1).lower()) if w not in STOPWORDS and w not in SCAFFOLD]
        words_ = words_[next((i for i, w in enumerate(words_) if len(w) > 1), 0) :]
        if words_:
            return " ".join(words_)
    return {"amount": "the amount", "count": "the number", "year": "the year or date", "percentage": "the percentage"}[
        label
    ]


def _premise(question: str, vocabulary: Vocabulary, relevant: list[str]) -> str | None:
    """The claim a question attributes to the sources, when the sources don't make it: it reverses a
    policy (abolish, ban, eliminate…) in words no relevant sentence uses, or the corpus lacks its words."""
    m = _PREMISE.search(question)
    if not m:
        return None
    claim = next(g for g in (m.group("claim"), m.group("claim2"), m.group("claim3")) if g).strip()
    claim_words = [w for w in words(claim) if w not in STOPWORDS]
    said = {stem(w) for s in relevant for w in s.split()}
    reversal = [w for w in claim_words if w in _REVERSALS and stem(w) not in said]
    unknown = [w for w in claim_words if not vocabulary.has_word(w) and stem(w) not in vocabulary.stems]
    if reversal or (unknown and len(unknown) * 3 >= len(claim_words)):
        return " ".join(claim.split())
    return None
