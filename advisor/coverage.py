"""Do the sources cover this question? The judgement the refusal gate (``refusal.py``) asks for.

``assess`` returns one of three outcomes, before any model is called:

- **answered**: the retrieved sentences address the question;
- **partial**: they address part of it, and ``missing`` names what they don't cover (a state the
  corpus never describes, a figure or a year it never gives, a concept it never discusses, a
  premise it does not state); the answer says so first and labels its passages as related;
- **not covered**: nothing to cite; the advisor says so plainly.

Evidence, in order:

1. the request itself (``intent.role_refusal``): injections and out-of-role requests;
2. relevance: the best cosine similarity between the question and a retrieved sentence
   (``ADVISOR_REFUSAL_THRESHOLD``); below it nothing in the sources is close. A search-box query
   ("seat time") also counts a sentence that names all its words (``keyword_terms``);
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
from advisor.lexicon import STOPWORDS, content_terms, stem, words
from advisor.topics import named_topics
from advisor.vocabulary import Vocabulary, normalise

ANSWERED, PARTIAL, NOT_COVERED = "answered", "partial", "not covered"
OUTCOMES = (ANSWERED, PARTIAL, NOT_COVERED)

# Tuned on the dev split (see module docstring).
RARE_ENTITY_PASSAGES = 2  # a name in at most this many passages must be in a relevant sentence to be described
RESIDUAL_MATCH = 0.43
PREMISE_RESIDUAL_MATCH = 0.35  # what is left of a question, without its missing parts, must be this close to a sentence
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

_STATES = (
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois "
    "indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri "
    "montana nebraska nevada new_hampshire new_jersey new_mexico new_york north_carolina north_dakota ohio oklahoma "
    "oregon pennsylvania rhode_island south_carolina south_dakota tennessee texas utah vermont virginia "
    "washington west_virginia wisconsin wyoming puerto_rico district_of_columbia"
).split()
_STATE_NAMES = sorted((s.replace("_", " ") for s in _STATES), key=len, reverse=True)
US_STATE = _STATE = re.compile(r"\b(" + "|".join(re.escape(s) for s in _STATE_NAMES) + r")\b", re.I)
_MONEY = r"(?:money|funding|funds?|grants?|budget|appropriation|spending|salary|salaries|stipend|allotment|aid)"
# What a question asks for, and what a relevant sentence must contain to give it.
_FACTS: tuple[tuple[str, re.Pattern, re.Pattern], ...] = (
    (
        "amount",
        re.compile(
            r"(?:^|[,;:]\s*|\band\s+|\bor\s+|\bso\s+)how\s+much\s+(?:money|funding|does|do|did|is|are|was|were|will|"
            r"would|should|can|per)\b|\b(?:dollar|funding|spending|per[-\s]pupil)\s+(?:amount|figure|level)s?\b|"
            r"\bwhat\s+(?:is|was|are)\s+the\s+(?:\w+\s+){0,3}(?:amount|cost|budget|price|salary|appropriation)\b|"
            r"\b(?:what|which)\s+(?:[\w-]+\s+){0,2}(?:amount|sum|dollar\s+figure|salary|salaries|stipend|price|"
            r"cost|budget|appropriation)\b|"
            rf"\bhow\s+(?:big|large|small|generous)\s+(?:\w+\s+){{0,4}}{_MONEY}\b|"
            rf"\bhow\s+(?:big|large|small|generous)\s+should\b.{{0,40}}\b{_MONEY}\b|"
            rf"\b{_MONEY}\s+(?:\w+\s+){{0,3}}(?:be|cost)\s+how\s+(?:big|large|much)\b",
            re.I,
        ),
        re.compile(r"[$€£]\s?\d|\b\d[\d,.]*\s*(?:million|billion|thousand|dollars|percent|%)"),
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
            r"\bwhat\s+(?:percent|percentage|share|proportion|fraction)\b|\bhow\s+many\s+percent\b|\brate\s+of\b|"
            r"\b[\w-]+-to-[\w-]+\s+ratio\b|\bwhat\s+(?:\w+\s+){0,2}ratio\b",
            re.I,
        ),
        re.compile(r"%|\bpercent\b|\bhalf\b|\bthird\b|\bquarter\b|\bmajority\b|\b\d+\s*(?::|to)\s*\d+\b", re.I),
    ),
    (
        "frequency",
        re.compile(r"\bhow\s+(?:often|frequently)\b|\bwhat\s+(?:frequency|interval|cycle)\b", re.I),
        re.compile(
            r"\b(?:annual|annually|yearly|monthly|quarterly|biennial|biennially|weekly|daily)\b|"
            r"\bevery\s+(?:\w+\s+)?(?:years?|months?|weeks?|days?|semesters?)\b|\b(?:each|per|a)\s+(?:year|month|semester)\b",
            re.I,
        ),
    ),
    (
        "evidence figures",
        re.compile(
            r"\beffect\s+sizes?\b|\bstatistically\b|\b(?:studies|research|data|evidence)\s+(?:show|shows|prove|proves|"
            r"found|finds)\b|\bevidence\s+(?:that|it|this)\b|\b(?:raise|raises|raised|boost|boosts|improve|improves|"
            r"improved)\s+(?:\w+\s+)?(?:test\s+)?scores\b",
            re.I,
        ),
        re.compile(r"\b\d[\d.,]*\s*(?:%|percent|points?|standard\s+deviations?)|\beffect\s+size", re.I),
    ),
    (
        "names of the states",
        re.compile(
            r"\b(?:which|what)\s+(?:\w+\s+){0,2}states\b|\bname\s+(?:the\s+)?(?:\w+\s+)?states\b|"
            r"\bstate\s+examples\b|\b(?:which|what)\s+state\s+(?:has|have|did|does|is)\b",
            re.I,
        ),
        US_STATE,
    ),
)
_NUMBER_WORDS = {
    w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())
}
_ENUMERATION = re.compile(
    r"\b(?:what|which)\s+(?:are|were)\s+(?:the\s+|its\s+|their\s+)?(?P<n>two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|\d{1,2})\s+(?:[\w-]+\s+){0,2}?(?P<noun>[a-z-]+s)\b|"
    r"\b(?:list|name)\s+(?:the|all|its|their)\s+(?P<n2>two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"\d{1,2})\s+(?:[\w-]+\s+){0,2}?(?P<noun2>[a-z-]+s)\b",
    re.I,
)
_HOW_MANY = re.compile(r"(?:^|[,;:]\s*|\band\s+|\bor\s+)how\s+many\s+(?:\w+\s+){0,2}?(?P<noun>[a-z-]+s)\b", re.I)
_COUNT = re.compile(
    r"(?<![\d.])\b(?:\d[\d,]*(?!\)|\.\s)|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|"
    r"twenty|thirty|forty|fifty|hundreds?)\b",
    re.I,
)
_FACT_WORDS = frozenset(
    """much many amount cost budget price salary appropriation year date deadline percent percentage share
    proportion fraction rate number figure""".split()
)

# A question that states what the sources say, then asks about it.
_SOURCE = (
    r"(?:the\s+)?(?:framework|study|research|report|guide|policymaker\s+guide|rfa(?:\s+study)?|knowledgeworks|sources?)"
)
_PREMISE = re.compile(
    rf"^\W*{_SOURCE}\s+(?:says|wants|recommends|requires|argues|claims|calls\s+for|found|concludes|insists|"
    r"tells\s+states|suggests)\s+(?:that\s+)?(?P<claim0>[^?!]+?)(?:[.?!]|$)|"
    rf"\b(?:why|how)\s+(?:does|did|do|is|was)\s+(?:the\s+)?(?:\w+\s+)?{_SOURCE}\s+(?:\w+\s+){{0,2}}(?:recommend|recommends|say|says|require|requires|call\s+for|calls\s+for|"
    r"tell|tells|ask|asks|urge|urges|expect|expects|direct|directs|"
    r"want|wants|suggest|suggests|propose|proposes|support|supports|endorse|endorses|favor|favors|favour|favours|"
    r"argue|argues|insist|insists|push|pushes|advocate|advocates|conclude|concludes|find|finds|found|claim|claims|"
    r"justify|defend|oppose|opposes|reject|rejects)\s+(?:that\s+|for\s+)?(?P<claim>[^?.!]+)|"
    rf"\b(?:since|given\s+that|because|now\s+that)\s+(?:the\s+)?(?:\w+\s+)?{_SOURCE}\s+(?:\w+\s+){{0,2}}(?:says|recommends|requires|calls\s+for|found|finds|shows|showed|"
    r"proves|proved|wants|supports)\s+(?:that\s+)?(?P<claim2>[^?.!,]+)|"
    r"\b(?:framework|study|report|guide|rfa)'?s?\s+(?:recommendation|call|proposal|plan|finding|requirement|"
    r"mandate|push)\s+(?:to|that|for)\s+(?P<claim3>[^?.!,]+)",
    re.I,
)
_REVERSALS = frozenset(
    """abolish abolishing abolished abolition eliminate eliminating eliminated elimination ban banning banned scrap
    scrapping repeal repealing prohibit prohibiting defund defunding privatize privatizing privatise abandon abandoning
    dismantle dismantling outlaw outlawing end ending stop stopping cut cutting slash slashing remove removing
    replace replacing penalize penalizing punish punishing fail failed fails failure failing harmful harm harms
    hurt hurts worse worsened declined decline lowered""".split()
)
_REVERSAL_PHRASES = ("get rid of", "do away with", "take over", "no longer", "tied to")
_ABSOLUTES = frozenset("only never always solely exclusively shouldn't mustn't needn't".split())

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
    nearby: Sequence[str] = ()  # sentences of the passages beside the retrieved ones (a list's names may sit there)

    @property
    def relevance(self) -> float:
        return max((float(s.max()) for s in self.similarities if len(s)), default=0.0)

    def relevant(self, floor: float) -> list[str]:
        return [t for texts, sims in zip(self.sentences, self.similarities) for t, s in zip(texts, sims) if s >= floor]


Encode = Callable[[list[str]], np.ndarray]  # texts → L2-normalised rows
NearestSentence = Callable[[np.ndarray], float]  # a vector → the best cosine with any corpus sentence


_NOT_TERMS = STOPWORDS | SCAFFOLD | GENERIC  # once, not per word of every question
KEYWORD_TERMS = (2, 4)  # a search-box query ("seat time", "teacher pipeline diversity") has this many content words


def keyword_terms(question: str) -> frozenset[str]:
    """The stemmed content words of a search-box query ("seat time" → seat, time), without framing or
    generic words; empty for a question with more (or fewer) than KEYWORD_TERMS of them.

    MiniLM places a two-word query poorly: "seat time" is 0.34 from the one sentence in the sources that
    says "not seat time", under the refusal threshold, while the same words in a question pass. A
    sentence that names every one of a short query's words is about it, whatever the cosine says."""
    terms = frozenset(stem(w) for w in words(question) if w not in _NOT_TERMS)
    low, high = KEYWORD_TERMS
    return terms if low <= len(terms) <= high else frozenset()


def names_every_term(terms: frozenset[str], sentence: str) -> bool:
    """The sentence uses every one of the query's ``keyword_terms`` (never true of an empty set)."""
    return bool(terms) and terms <= content_terms(sentence)


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
    relevant_raw = evidence.relevant(max(threshold, relevance - RELEVANT_MARGIN))
    relevant = [normalise(s) for s in relevant_raw]
    found: list[tuple[str, str, list[str]]] = []  # (what is missing, kind, the question's words for it)

    premise = _premise(question, vocabulary, relevant)
    if premise:
        found.append((premise[0], "false premise", premise[1]))
    if relevance < threshold and not premise:
        reason = f"no retrieved sentence is relevant enough ({relevance:.2f} < {threshold:.2f})"
        return Coverage(NOT_COVERED, relevance, (), "off topic", reason)

    entities = _entities(question)
    for name in entities:
        if not _known(name, vocabulary):
            found.append((name, "absent entity", words(name)))
        elif (
            _describable(name)
            and not vocabulary.names_a_part(name)
            and (_STATE.fullmatch(name) or vocabulary.passages_with(name) <= RARE_ENTITY_PASSAGES)
            and not any(f" {normalise(name)} " in f" {normalise(s)} " and not _lists_names(s) for s in relevant_raw)
        ):
            found.append((f"{name} specifics", "entity not described", words(name)))
    for number in re.findall(r"(?<![\w.])\d[\d,.]*\b", question):
        if not vocabulary.has_word(number.replace(",", "")) and number.replace(",", "") not in vocabulary.words:
            found.append((_number_phrase(question, number), "absent fact", [number]))
    # A figure may sit in any sentence close enough to count at all, not only the closest ones.
    fact = _missing_fact(question, evidence.relevant(threshold), evidence.nearby, evidence.sentences)
    if fact:
        found.append(fact)
    question_stems = [stem(w) for w in words(question)]
    for topic in named_topics(question_stems):
        if not any(vocabulary.has_stemmed(name) for name in topic):
            key = f" {' '.join(question_stems)} "
            name = next(n for n in topic if f" {' '.join(stem(w) for w in words(n))} " in key)
            found.append((name, "absent topic", words(name)))

    signals: dict[str, float] = {"relevance": round(relevance, 3)}
    if not found:
        return Coverage(ANSWERED, relevance, signals=signals)
    missing = tuple(dict.fromkeys(f[0] for f in found))
    # What is left of the question once the missing parts are taken out: is it still a question the
    # sources answer? "Ohio's per-pupil amount" leaves per-pupil funding (partial); "the cap on charter
    # schools" or "teacher strikes" leave nothing they discuss (not covered).
    gone = {w for f in found for w in f[2]} | {w for e in entities if not _known(e, vocabulary) for w in words(e)}
    left = [w for r in _runs(question) for w in r if w not in gone and w not in GENERIC and w not in _FACT_WORDS]
    residual = nearest(encode([" ".join(left)])[0]) if left else 0.0
    signals["residual"] = round(residual, 3)
    kind = found[0][1]
    # A false premise is corrected whenever its subject is in the sources at all.
    if residual < (PREMISE_RESIDUAL_MATCH if kind == "false premise" else RESIDUAL_MATCH):
        reason = "the question's subject is not in the sources: " + ", ".join(missing)
        return Coverage(NOT_COVERED, relevance, missing, kind, reason, premise=premise and premise[0], signals=signals)
    reason = "the sources cover part of the question; not: " + ", ".join(missing)
    return Coverage(
        PARTIAL,
        relevance,
        missing,
        kind,
        reason,
        premise=premise and premise[0],
        residual=" ".join(left),
        signals=signals,
    )


def _missing_fact(
    question: str, relevant: list[str], nearby: Sequence[str], passages: Sequence[Sequence[str]] = ()
) -> tuple[str, str, list[str]] | None:
    """A figure the question asks for that no relevant sentence gives: (phrase, kind, its words)."""
    listed = _ENUMERATION.search(question)
    if listed:
        count, noun = (listed.group("n") or listed.group("n2")).lower(), (listed.group("noun") or listed.group("noun2"))
        n = _NUMBER_WORDS.get(count) or int(count)
        if not any(_lists(sentences, stem(noun.lower()), n) for sentences in passages):
            phrase = f"the {count} {noun.lower()} themselves"
            return phrase, "absent fact", [noun.lower()]
    m = _HOW_MANY.search(question)
    if m:
        noun = stem(m.group("noun").lower())
        counted = any(
            _COUNT.search(" ".join(ws[max(0, i - 4) : i]))
            for s in relevant
            for ws in [words(s)]
            for i, w in enumerate(ws)
            if stem(w) == noun
        )
        if not counted:
            return f"the number of {m.group('noun').lower()}", "absent fact", ["many", m.group("noun").lower()]
    for label, asks, states in _FACTS:
        if not asks.search(question):
            continue
        pool = list(relevant) + (list(nearby) if label == "names of the states" else [])
        if not any(states.search(s) for s in pool):
            if label in ("names of the states", "evidence figures"):  # name it as the question does
                phrase = "; ".join(dict.fromkeys(" ".join(words(m.group(0))) for m in asks.finditer(question)))
            else:
                phrase = _fact_phrase(question, label)
            return phrase, "absent fact", [w for w in words(phrase) if w in _FACT_WORDS]
        return None
    return None


def _lists(sentences: Sequence[str], noun: str, n: int) -> bool:
    """Does a passage that mentions the noun enumerate at least n things: lines of their own,
    numbered items "1) … 2) …", or a sentence with n comma- or semicolon-separated parts?"""
    if not any(stem(w) == noun for s in sentences for w in words(s)):
        return False
    lines = sum(1 for s in sentences if len(s.split()) <= 12 and not s.endswith(":"))
    numbered = max((len(re.findall(r"\b\d\)", s)) for s in sentences), default=0)
    separated = max((len(re.split(r"[,;]", s)) for s in sentences), default=0)
    return max(lines, numbered, separated) >= n


def _number_phrase(question: str, number: str) -> str:
    """'39 states' for the number 39 in 'Which 39 states…'."""
    m = re.search(rf"{re.escape(number)}\s+([a-z-]+)", question, re.I)
    return f"{number} {m.group(1)}" if m else number


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
    """States, acronyms and capitalised names, as written in the question ("Arizona's Empowerment
    Scholarship Account" gives "Arizona" and "Empowerment Scholarship Account")."""
    found: list[str] = [m.group(1) for m in _STATE.finditer(question)]
    for m in _ACRONYM.finditer(question):
        token = m.group(0)[:-1] if m.group(0).endswith("s") and len(m.group(0)) > 3 else m.group(0)
        if len(token) >= 3 and token not in ("USA", "AND", "THE", "FOR") and token.lower() not in _NOT_NAMES:
            found.append(token)  # two-letter acronyms (PD, IT, AI) are too ambiguous to call missing
    states = {normalise(f) for f in found}
    names = [n for m in _NAME.finditer(question) for n in re.split(r"\s+and\s+", m.group(1))]
    for raw in names:
        name = re.sub(r"['’]s\b", "", raw.strip())
        for state in states:  # a state at the front of a longer name is its own entity
            if normalise(name).startswith(state + " "):
                name = name.split(None, len(state.split()))[-1]
        name = name.strip()
        if not name or name.split()[0].lower() in _NOT_NAMES:
            continue
        key = normalise(name)
        if key not in states and not any(key in normalise(f) for f in found):
            found.append(name)
    return list(dict.fromkeys(found))


_SMALL_WORDS = frozenset("of for and the on in at to".split())


def _lists_names(sentence: str) -> bool:
    """A sentence naming three or more states, or people, lists them; it describes none of them."""
    # "…, Rebecca Wolfe and Gregory Seaton."
    people = re.findall(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b(?=,|\s+and\b|\.$|$)", sentence)
    return len(set(_STATE.findall(sentence))) >= 3 or len(people) >= 2


def _describable(name: str) -> bool:
    """A state, or a person's or program's name ("Rebecca Wolfe"): something a passage would describe.
    Organisation names with small words ("Research for Action") are the sources' own publishers."""
    parts = name.split()
    if _STATE.fullmatch(name):
        return True
    return len(parts) >= 2 and not name.isupper() and not any(w.lower() in _SMALL_WORDS for w in parts)


def _known(name: str, vocabulary: Vocabulary) -> bool:
    if vocabulary.has_phrase(name):
        return True
    key = normalise(name)
    return " " not in key and key in vocabulary.acronyms


def _fact_phrase(question: str, label: str) -> str:
    """'the per-pupil amount', 'the counselor-to-student ratio', …: the figure the question asks for."""
    nouns = r"amount|cost|budget|price|salary|figure|number|year|date|deadline|percentage|rate|ratio"
    m = re.search(rf"\b((?:[\w-]+\s+){{0,2}}?(?:{nouns}))\b", question, re.I)
    if m and label in ("amount", "year", "percentage"):
        words_ = [w for w in re.findall(r"[\w-]+", m.group(1).lower()) if w not in STOPWORDS and w not in SCAFFOLD]
        words_ = words_[next((i for i, w in enumerate(words_) if len(w) > 1), 0) :]
        if words_:  # "the percentage", not "The sources don't cover percentage."
            return "the " + " ".join(words_)
    if label == "amount":
        money = re.search(rf"\b((?:[\w-]+\s+){{0,2}}{_MONEY})\b", question, re.I)
        if money:
            kept = [w for w in money.group(1).lower().split() if w not in STOPWORDS and w not in ("much", "many")]
            return "the amount of " + " ".join(kept)  # "How much money…": not "the size of much money"
    if label == "frequency":
        after = re.split(r"\bhow\s+(?:often|frequently)\b", question, maxsplit=1, flags=re.I)[-1]
        subject = [
            w for w in words(after.split("?")[0]) if w not in STOPWORDS and w not in SCAFFOLD and w not in GENERIC
        ]
        return "how often " + " ".join(subject[:4]) if subject else "how often"
    return {"amount": "the amount", "year": "the year or date", "percentage": "the percentage"}.get(label, label)


def _premise(question: str, vocabulary: Vocabulary, relevant: list[str]) -> tuple[str, list[str]] | None:
    """A claim the question attributes to the sources that they don't make, and its words that show it:
    a reversal (abolish, ban, cut…), a verdict (failed, harmful…) or an absolute (only, never…) that
    no relevant sentence uses, or a claim most of whose words the corpus never uses."""
    m = _PREMISE.search(question)
    if not m:
        return None
    claim = next(g for g in m.groups() if g).strip()
    claim_words = [w for w in words(claim) if w not in STOPWORDS or w in _ABSOLUTES]
    said = {stem(w) for s in relevant for w in s.split()}
    flagged = [w for w in claim_words if (w in _REVERSALS or w in _ABSOLUTES) and stem(w) not in said]
    phrases = [p for p in _REVERSAL_PHRASES if p in " ".join(words(claim)) and p not in " ".join(relevant)]
    unknown = [w for w in claim_words if not vocabulary.has_word(w)]
    if flagged or phrases:
        return " ".join(claim.split()), flagged + [w for p in phrases for w in p.split()]
    if unknown and len(unknown) * 3 >= len(claim_words):
        return " ".join(claim.split()), unknown
    return None
