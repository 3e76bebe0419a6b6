"""The citation check: a model's reply turned into sentences whose every citation was verified.

In order:

1. parse (``parse_claims``): the reply split into sentences, each with the ``[n]`` markers it
   carries ("time. [1]" is read as "time [1].");
2. dangling markers: a marker to a passage that was not supplied is removed and counted;
3. support: each sentence is judged against the passages it cites by a support judge
   (``support.py``); a sentence that echoes the prompt's passage labels or fences is unsupported;
4. the caller's policy (``UNSUPPORTED_POLICIES``): an unsupported sentence is dropped (and counted)
   or kept and flagged.

``check_citations`` does all four. The generative answerer (``generate.py``) calls it once the
reply is complete; what follows when nothing is supported (the offline answer instead) is its
decision, and a reply that only says the sources don't cover the question is a refusal
(``refusal.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from advisor.answer import GENERATED, Citation, CitationList, Sentence
from advisor.corpus import DocumentInfo
from advisor.passages import Passage
from advisor.retrieve import Hit
from advisor.support import Support, SupportJudge
from advisor.text import split_sentences

UNSUPPORTED_POLICIES = ("drop", "flag")
_MARKER = re.compile(r"\[(\d+)\]")
_MARKERS_AFTER_END = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
_PROMPT_RESIDUE = re.compile(r"›|<<<|>>>")


@dataclass
class Claim:
    """A sentence of the model's reply with the passage numbers it cited."""

    text: str
    markers: list[int]


def parse_claims(reply: str) -> list[Claim]:
    """Split a reply into sentences with their [n] markers; 'time. [1]' is read as 'time [1].'."""
    text = _MARKERS_AFTER_END.sub(r"\2\1", reply.replace("\r", ""))
    claims = []
    for sentence in split_sentences(text):
        body = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", sentence)  # list bullets
        markers = [int(n) for n in _MARKER.findall(body)]
        body = re.sub(r"\s+([.,;:!?])", r"\1", _MARKER.sub("", body)).strip()
        body = re.sub(r"\s{2,}", " ", body)
        if re.search(r"\w", body):
            claims.append(Claim(body, markers))
    return claims


@dataclass
class Checked:
    """The sentences kept, each with the judge's verdict, and their citations numbered 1, 2, ..."""

    sentences: list[Sentence]
    citations: list[Citation]
    dropped: int  # unsupported sentences removed (with the "drop" policy)
    dangling: int  # markers that pointed at no supplied passage

    @property
    def any_supported(self) -> bool:
        return any(s.support and s.support.supported for s in self.sentences)


def check_citations(
    claims: list[Claim],
    hits: list[Hit],
    judge: SupportJudge,
    unsupported: str,
    documents: Mapping[str, DocumentInfo] | None = None,
) -> Checked:
    """Each claim's markers resolved against the supplied passages (``hits``, numbered from 1) and
    its support judged; unsupported claims dropped or flagged as ``unsupported`` says."""
    if unsupported not in UNSUPPORTED_POLICIES:
        raise ValueError(f"unsupported must be one of {UNSUPPORTED_POLICIES}")
    supplied: dict[int, Passage] = {n: h.passage for n, h in enumerate(hits, start=1)}
    citations = CitationList(documents)
    kept: list[Sentence] = []
    dropped = dangling = 0
    for claim in claims:
        valid = list(dict.fromkeys(n for n in claim.markers if n in supplied))
        dangling += len([n for n in claim.markers if n not in supplied])
        if _PROMPT_RESIDUE.search(claim.text):  # the passages' headers or fences echoed back
            support = Support(False, 0.0, 0.0, 0.0, "repeats the prompt's passage labels, not a claim")
        else:
            support = judge.judge(claim.text, [supplied[n] for n in valid])
        if not support.supported and unsupported == "drop":
            dropped += 1
            continue
        numbers = [citations.cite(supplied[n]) for n in valid]
        kept.append(Sentence(claim.text, numbers, GENERATED, support))
    return Checked(kept, citations.items, dropped, dangling)
