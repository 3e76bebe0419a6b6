"""One bill provision → the framework policies it addresses, or is merely related to.

This is the crosswalk's one decision, kept small behind ``Matcher.match(provision) -> list[Match]``
so that a stronger model can replace it. The offline matcher scores every (provision, policy)
pair from evidence the index already holds:

- dense: the provision's vector (the mean of its sentences') against the policy passage's, and its best
  sentence against the policy's best sentence (the pair is the match's quoted evidence);
- lexical: BM25 of the provision over the policy passages, and the rarer content words the two
  share (weighted by how few policies use them: "equalization" counts, "state" does not);
- distinctiveness: how far each of those stands above the provision's average over all policies,
  so that a provision that is vaguely like every funding policy does not address any of them.

- a second encoder: multilingual-e5-small's provision-to-policy cosine (``advisor/e5_embeddings.py``),
  a stronger view of two texts that say the same thing in different words;
- precedents (``advisor/precedents.py``): how close the provision comes to a provision already labelled
  as addressing the policy (the dev bills'), which carries the ways bills word a policy that its own
  text does not.

Three small logistic models, fitted on the dev bills only (``advisor/crosswalk_eval.py``, "calibrate",
which writes them to crosswalk_calibration.json), make the decision. The pair model gives each
(provision, policy) pair a probability of "addresses". The topic model reads the provision's own e5
vector: is a provision about this in the framework at all? The gate then asks of the provision as a
whole whether it addresses anything: from how strong its best pair is, how far that stands above the
runner-up, how close the provision's vector is to that policy's, and the topic model. A provision
addresses its best policy when the gate passes and the provision is operative: findings, purpose
clauses, background, recitals, short titles, effective dates and severability clauses enact nothing,
however on-topic; a definitions section can address only a policy about definitions; a second or
third policy needs a high pair probability of its own. Precision comes first: a provision outside the framework gets no
"addresses" match. Related matches are the next-best policies above a lower bar, and the RFA
roadmap's decision points and recommendations, which a bill can only relate to.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from advisor.e5_embeddings import encode_passages, encode_queries
from advisor.embeddings import shared_encoder
from advisor.errors import UserError
from advisor.index import Index
from advisor.lexicon import content_terms
from advisor.passages import DECISION_POINT, IMPLEMENTATION_ACTION, RECOMMENDATION, TRANSFORMATIVE_POLICY, Passage
from advisor.precedents import PRECEDENTS_FILE, Precedents
from advisor.provisions import Provision
from advisor.retrieve import Filters, HybridRetriever
from advisor.text import split_sentences

POLICY_PARTS = (TRANSFORMATIVE_POLICY, IMPLEMENTATION_ACTION)
ROADMAP_PARTS = (DECISION_POINT, RECOMMENDATION)
ADDRESSES = "addresses"
RELATED = "related"
COMMON_TERM_SHARE = 0.25  # a word in more than this share of the policies says nothing about which one


GATE_FEATURES = ("best_logit", "logit_gap", "best_dense", "topic_logit")
CALIBRATION_FILE = Path(__file__).with_name("crosswalk_calibration.json")


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic model over standardised features."""

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def probability(self, values: np.ndarray) -> np.ndarray:
        """values: one row per case, one column per feature."""
        z = (values - np.asarray(self.mean)) / np.asarray(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.weights) + self.bias)))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        return cls(tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]), float(data["bias"]))


@dataclass(frozen=True)
class Calibration:
    """The fitted models and thresholds (``crosswalk_eval.calibrate`` writes them to CALIBRATION_FILE);
    replaceable for experiments."""

    features: tuple[str, ...]  # the pair model's, in its column order
    pair: Logistic  # P(the provision addresses the policy), per (provision, policy) pair
    gate: Logistic  # P(the provision addresses anything), over GATE_FEATURES
    topic: Logistic  # P(the provision addresses anything) from what it is about: its e5 vector alone
    addresses: float  # the gate probability a provision's strongest match needs
    also_addresses: float  # P(addresses) a second or third match needs
    min_dense: float  # and the provision-to-policy cosine every "addresses" match needs
    related: float  # P(addresses) above which a policy not addressed is shown as related (not scored: set on dev
    # so that about a third of related marks are labelled addressed-or-related; 0.05 gave one a provision)
    roadmap_related: float  # best-sentence cosine an RFA decision point or recommendation needs
    max_matches: int = 3

    def probability(self, values: np.ndarray) -> np.ndarray:
        """values: one row per policy, one column per feature in ``features`` order."""
        return self.pair.probability(values)

    def admits(
        self, probability: np.ndarray, addressable: np.ndarray, dense: np.ndarray, e5_vector: np.ndarray
    ) -> float:
        """The gate's probability that a provision with these pair probabilities (over the policies it can
        address) and this e5 vector addresses anything."""
        row = gate_row(probability, addressable, dense, e5_vector, self.topic)
        return float(self.gate.probability(row[None, :])[0])

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        models = {name: Logistic.from_json(data[name]) for name in ("pair", "gate", "topic")}
        rest = {k: v for k, v in data.items() if k not in models and k != "features"}
        return cls(features=tuple(data["features"]), **models, **rest)

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def gate_features(probability: np.ndarray, dense: np.ndarray, topic: float) -> np.ndarray:
    """GATE_FEATURES of one provision: its best pair's log-odds, the margin over the runner-up's, the
    provision-to-policy cosine of the best pair, and the topic model's log-odds that a provision about
    what this one is about addresses a policy (bus routes and phone bans do not, however worded)."""
    logit = _logit(probability)
    first, second = np.argsort(-logit, kind="stable")[:2]
    return np.array([logit[first], logit[first] - logit[second], dense[first], float(_logit(np.array(topic)))])


def gate_row(
    probability: np.ndarray, addressable: np.ndarray, dense: np.ndarray, e5_vector: np.ndarray, topic: Logistic
) -> np.ndarray:
    """What the gate reads of one provision, in ``decide`` and when calibrate fits it: the GATE_FEATURES of
    the pair probabilities of the policies it can address, and of the topic model's view of its vector."""
    about = float(topic.probability(e5_vector[None, :])[0])
    return gate_features(np.where(addressable, probability, 0.0), dense, about)


def _logit(probability: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probability, 1e-9, 1 - 1e-9) / np.clip(1 - probability, 1e-9, 1))


# Fitted on the dev bills (evals/bills/dev) by `python -m advisor.crosswalk_eval calibrate --write`;
# the held-out bills were not used.
CALIBRATION = Calibration.load()
PRECEDENTS = Precedents.load(PRECEDENTS_FILE)


@dataclass(frozen=True)
class Evidence:
    """The bill sentence and the framework sentence that carry a match, both verbatim."""

    bill_sentence: str
    framework_sentence: str
    similarity: float
    shared_terms: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    policy: Passage  # a framework policy, or an RFA decision point or recommendation
    status: str  # ADDRESSES or RELATED
    score: float  # the model's probability that the provision addresses the policy (RFA items: similarity)
    evidence: Evidence

    @property
    def key(self) -> str:
        return policy_key(self.policy)


class Matcher(Protocol):
    """What the crosswalk needs from a matcher; a stronger model can take this place."""

    def match(self, provision: Provision) -> list[Match]: ...

    def match_all(self, provisions: Sequence[Provision]) -> list[list[Match]]: ...


def policy_key(passage: Passage) -> str:
    """'Condition › Heading', how the framework names a policy (and how evals/bills labels them)."""
    return f"{passage.condition} › {passage.heading}" if passage.condition else str(passage.heading)


# --------------------------------------------------------------------------------- operative or not

_NON_OPERATIVE_HEADING = re.compile(
    r"^(?:short title|title|citation|(?:legislative )?findings?|(?:statement of )?purpose|(?:legislative )?intent|"
    r"declaration of policy|background|preamble|recitals?|effective dates?|severability|savings clause|repealer)\b",
    re.IGNORECASE,
)
_NON_OPERATIVE_TEXT = re.compile(
    r"^(?:(?:now,? therefore,? )?be it (?:further )?resolved,? that )?(?:"
    r"this (?:act|resolution|chapter|article|title|law) (?:may|shall) be (?:cited|known)|"
    r"the (?:general assembly|legislature|board|congress|council|state board) (?:hereby )?"
    r"(?:finds|declares|recognizes|believes|commends|intends)|"
    r"the (?:purpose|intent) of this|whereas\b|"
    r"this (?:act|resolution|section|chapter|law) (?:takes|shall take|is|becomes|shall become) (?:effect|effective)|"
    r"if any (?:provision|part|section|clause|portion)|the provisions of this (?:act|resolution) are severable)",
    re.IGNORECASE,
)
_OPERATIVE = re.compile(
    r"\b(?:shall|must|may|will|means|require[sd]?|establish(?:es|ed)?|authori[sz]e[sd]?|fund(?:s|ed)?|"
    r"appropriated?|created?|designated?|award(?:s|ed)?|"
    # a code amendment enacts the section's new text, which states the law in the present tense
    r"(?:is|are) (?:hereby )?(?:amended|added|enacted|repealed and reenacted))\b",
    re.IGNORECASE,
)


def non_operative(provision: Provision) -> str | None:
    """Why a provision enacts nothing ("findings or purpose", "short title or effective date"...), else None."""
    heading = provision.heading or ""
    if _NON_OPERATIVE_HEADING.match(heading) or _NON_OPERATIVE_TEXT.match(provision.text.strip()):
        return "a findings, purpose, title, effective-date or severability clause"
    if not _OPERATIVE.search(provision.text):
        return "no operative verb (shall, must, may, requires, establishes, authorizes, funds...)"
    return None


# A definitions section ("Definitions. As used in this act: ...") defines terms; it can address only a
# framework policy that is itself about definitions ("System Purpose › Definitions").
_DEFINITIONS_HEADING = re.compile(r"^(?:definitions?|terms defined|meaning of terms)\b", re.IGNORECASE)
_DEFINITIONS_LEAD_IN = re.compile(
    r"^(?:as used in|in|for (?:the )?purposes? of) (?:this|these) (?:acts?|chapters?|articles?|sections?|parts?|"
    r"rules?|regulations?|titles?|subchapters?|agreements?|compacts?|orders?|resolutions?|polic(?:y|ies)|subsections?)"
    r"\b(?:, unless[^:]*)?(?::|,?\s+[“\"])",
    re.IGNORECASE,
)
_ABOUT_DEFINITIONS = re.compile(r"\bdefinitions?\b", re.IGNORECASE)


def defines_terms(provision: Provision) -> bool:
    """A definitions section, by its heading or its lead-in ("As used in this act:", "In this Act:")."""
    return bool(
        _DEFINITIONS_HEADING.match(provision.heading or "") or _DEFINITIONS_LEAD_IN.match(provision.text.strip())
    )


# --------------------------------------------------------------------------------- the offline matcher


@dataclass
class _Scored:
    """Every policy's features and evidence for one provision."""

    values: np.ndarray  # (policies, features)
    dense: np.ndarray
    e5_vector: np.ndarray  # the provision's own e5 vector (the topic model reads it)
    evidence: list[Evidence]
    sentences: list[str]  # the provision's sentences
    sentence_vectors: np.ndarray


def framework_policies(passages: Iterable[Passage]) -> list[Passage]:
    """The framework's policies among ``passages`` (none in a corpus without the framework)."""
    return [p for p in passages if p.part in POLICY_PARTS and p.condition]


class EvidenceMatcher:
    """Scores a provision against every framework policy from the index's vectors and BM25."""

    def __init__(
        self,
        index: Index,
        retriever: HybridRetriever,
        calibration: Calibration = CALIBRATION,
        precedents: Precedents = PRECEDENTS,
    ) -> None:
        self.index = index
        self.retriever = retriever
        self.calibration = calibration
        self.precedents = precedents
        ordered = sorted(index.passages.values(), key=lambda p: (p.doc_id, p.order))
        self.policies = framework_policies(ordered)
        self.keys = [policy_key(p) for p in self.policies]
        self.roadmap = [p for p in ordered if p.part in ROADMAP_PARTS and len(p.sentences) > 1]
        if not self.policies:
            raise UserError(
                "The index holds no framework policies to check a bill against (the framework document is not "
                "in corpus/); restore it and run `advisor index`."
            )
        self._filters = Filters(parts=POLICY_PARTS)
        self._sentences = index.sentence_vectors([p.id for p in self.policies + self.roadmap])
        self._passage_vectors = index.passage_search.vectors([p.id for p in self.policies])
        self._terms = [content_terms(f"{p.heading} {p.text}") for p in self.policies]
        counts: dict[str, int] = {}
        for terms in self._terms:
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
        n = len(self.policies)
        self._idf = {t: math.log(n / c) for t, c in counts.items() if c <= max(1, COMMON_TERM_SHARE * n)}
        self._definitions_policies = np.array([bool(_ABOUT_DEFINITIONS.search(p.heading or "")) for p in self.policies])

    @cached_property
    def _e5_policies(self) -> np.ndarray:
        """The policies' e5 vectors (kept in ADVISOR_CACHE_DIR: ~4 s to encode, once per framework text)."""
        settings = getattr(self.retriever, "settings", None)
        cache = Path(settings.cache_dir) if settings is not None else None
        return encode_passages([_policy_text(p) for p in self.policies], cache)

    def excluding(self, batches: Sequence[str]) -> EvidenceMatcher:
        """This matcher without the precedents of these batches: a dev bill is scored so, as a new bill would be."""
        other = copy.copy(self)
        other.precedents = self.precedents.excluding(batches)
        return other

    def warm_up(self) -> None:
        """Load both encoders and the policies' e5 vectors now, so the first bill is checked at full speed."""
        self.score_all([Provision("0", "section", None, "A district shall award credit for mastery.")])

    # -- the Matcher protocol

    def match(self, provision: Provision) -> list[Match]:
        return self.match_all([provision])[0]

    def match_all(self, provisions: Sequence[Provision]) -> list[list[Match]]:
        """All provisions at once: their texts and sentences are embedded in one batch."""
        return [self.decide(p, scored) for p, scored in zip(provisions, self.score_all(provisions))]

    # -- features (also what calibration fits on)

    def score_all(self, provisions: Sequence[Provision], features: Sequence[str] | None = None) -> list[_Scored]:
        """Each provision's features against every policy (``features``: these columns, not the calibration's)."""
        names = tuple(features or self.calibration.features)
        texts = [_query(p) for p in provisions]
        sentences = [split_sentences(p.text) or [p.text] for p in provisions]
        sentence_vectors = shared_encoder().encode([s for group in sentences for s in group])
        provision_vectors = _means(sentence_vectors, [len(group) for group in sentences])
        queries = encode_queries(texts)
        out, start = [], 0
        for text, vector, group, query in zip(texts, provision_vectors, sentences, queries):
            scored = self._score(text, vector, group, sentence_vectors[start : start + len(group)], query, names)
            out.append(scored)
            start += len(group)
        return out

    def _score(
        self,
        text: str,
        vector: np.ndarray,
        sentences: list[str],
        sentence_vectors: np.ndarray,
        e5_vector: np.ndarray,
        names: tuple[str, ...],
    ) -> _Scored:
        e5 = self._e5_policies @ e5_vector
        dense = np.array([float(self._passage_vectors[p.id] @ vector) for p in self.policies])
        bm25 = dict(self.retriever.sparse(text, self._filters, len(self.policies)))
        terms = content_terms(text)
        best, evidence = np.zeros(len(self.policies)), []
        shared_weight = np.zeros(len(self.policies))
        for i, policy in enumerate(self.policies):
            policy_sentences, policy_vectors = self._sentences[policy.id]
            similarity = sentence_vectors @ policy_vectors.T
            row, col = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
            best[i] = similarity[row, col]
            shared = sorted((t for t in terms & self._terms[i] if t in self._idf), key=lambda t: -self._idf[t])
            shared_weight[i] = sum(self._idf[t] for t in shared)
            evidence.append(Evidence(sentences[row], policy_sentences[col], float(best[i]), tuple(shared[:6])))
        bm = np.array([bm25.get(p.id, 0.0) for p in self.policies])
        features = {
            "dense": dense,
            "sentence": best,
            "bm25": np.log1p(bm),
            "shared": np.log1p(shared_weight),
            "z_dense": _standard(dense),
            "z_sentence": _standard(best),
            "z_bm25": _standard(bm),
            "e5": e5,
            "z_e5": _standard(e5),
            **self.precedents.features(e5_vector, self.keys),
        }
        values = np.stack([features[name] for name in names], axis=1)
        return _Scored(values, dense, e5_vector, evidence, sentences, sentence_vectors)

    # -- the decision

    def decide(self, provision: Provision, scored: _Scored, calibration: Calibration | None = None) -> list[Match]:
        """The matches of one scored provision, strongest first; "addresses" before "related"."""
        c = calibration or self.calibration
        probability = c.probability(scored.values)
        order = [int(i) for i in np.argsort(-probability, kind="stable")]
        addressable = self.addressable(provision)
        admitted = (
            non_operative(provision) is None
            and c.admits(probability, addressable, scored.dense, scored.e5_vector) >= c.addresses
        )
        chosen: list[int] = []
        for i in (i for i in order if admitted and addressable[i]):
            if len(chosen) == c.max_matches or (chosen and probability[i] < c.also_addresses):
                break
            if scored.dense[i] < c.min_dense:
                break
            chosen.append(i)
        related = [i for i in order if i not in chosen and probability[i] >= c.related][: c.max_matches]
        matches = [
            Match(self.policies[i], status, round(float(probability[i]), 4), scored.evidence[i])
            for status, group in ((ADDRESSES, chosen), (RELATED, related))
            for i in group
        ]
        return matches + (self._roadmap(scored, c) if chosen else [])

    def addressable(self, provision: Provision) -> np.ndarray:
        """Which policies the provision could address: all of them, except that a definitions section
        (which defines terms and enacts nothing else) can address only a policy about definitions."""
        if defines_terms(provision):
            return self._definitions_policies
        return np.ones(len(self.policies), dtype=bool)

    def _roadmap(self, scored: _Scored, c: Calibration) -> list[Match]:
        """The RFA roadmap item closest to a provision that addresses a policy, as related reading."""
        sentences, vectors = scored.sentences, scored.sentence_vectors
        best: tuple[float, Passage, int, int] | None = None
        for passage in self.roadmap:
            passage_sentences, passage_vectors = self._sentences[passage.id]
            similarity = vectors @ passage_vectors.T
            row, col = np.unravel_index(int(np.argmax(similarity)), similarity.shape)
            if best is None or similarity[row, col] > best[0]:
                best = (float(similarity[row, col]), passage, int(row), int(col))
        if best is None or best[0] < c.roadmap_related:
            return []
        score, passage, row, col = best
        evidence = Evidence(sentences[row], self._sentences[passage.id][0][col], score, ())
        return [Match(passage, RELATED, round(score, 4), evidence)]


def _query(provision: Provision) -> str:
    return f"{provision.heading}. {provision.text}" if provision.heading else provision.text


def _policy_text(policy: Passage) -> str:
    return f"{policy.heading}. {policy.text}"


def _means(vectors: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Each group's unit mean vector: a provision's MiniLM vector is the mean of its sentences'. Encoding
    the whole text would read only its first 256 tokens (a long section's later subsections were lost)
    and nearly double MiniLM's time (30 provisions: 1.14 s with their texts, 0.61 s for the sentences
    alone); on the dev bills (nested) it also matched less precisely."""
    ends = np.cumsum(sizes)
    means = np.array([vectors[end - size : end].mean(axis=0) for end, size in zip(ends, sizes)])
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def _standard(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / (values.std() + 1e-9)
