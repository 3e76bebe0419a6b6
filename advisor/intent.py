"""What is the user asking the advisor to do? Read from the question's wording alone, before retrieval.

- ``injection``: a request about the assistant itself (reveal, repeat or change its instructions).
  Keyed on what such requests need to say, never on single words: "Show me the rules for
  proficiency-based credit" and "Can districts ignore seat-time rules when they award credit?"
  are policy questions, and the trap questions in evals/ hold that.
- ``out of role``: work the advisor does not do from its sources: writing press releases, op-eds
  or speeches, predicting votes, campaign strategy, personal legal or voting advice.
- the answer's **shape**: a list of named things ("which states…", "what are the eight
  conditions", "list the transformative policies of…"), or the split between what needs
  legislation and what an agency can do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INJECTION = "injection"
OUT_OF_ROLE = "out of role"

_ASSISTANT = r"(?:your|the assistant'?s?|the system'?s?|the model'?s?|the ai'?s?|its)"
_INSTRUCTIONS = r"(?:instructions?|system\s+prompt|prompt|rules|guidelines|directives|configuration|programming)"
_INJECTION = re.compile(
    # override verbs aimed at the assistant's own instructions (not at a state's rules)
    rf"\b(?:ignore|disregard|forget|override|bypass|drop)\b\s+(?:all\s+|any\s+)?(?:of\s+)?"
    rf"(?:{_ASSISTANT}\s+|the\s+|previous\s+|prior\s+|above\s+|earlier\s+|these\s+)*"
    rf"(?:previous\s+|prior\s+|above\s+|earlier\s+|original\s+)?{_INSTRUCTIONS}\b|"
    rf"\b(?:ignore|disregard|forget)\b\s+(?:everything|all)\s+(?:above|before|previous|you were told)|"
    rf"\b(?:ignore|disregard|forget|set\s+aside|bypass)\s+(?:all\s+)?(?:your|the)\s+(?:sources|documents|passages|corpus|"
    rf"context|citations?)\b|\banswer\s+(?:from|using|with)\s+(?:your\s+own|general|outside|prior)\s+knowledge\b|"
    rf"</?\s*(?:sources?|system|context|passages?|instructions?|documents?|prompt)\s*>|"
    rf"\b(?:new|updated|additional|revised)\s+(?:developer|system|admin|operator)\s+(?:instructions?|prompt|message|"
    rf"directive)\b|"
    # reveal / repeat the hidden text
    rf"\b(?:reveal|print|show|repeat|output|display|tell me|give me|share|paste|dump|leak|recite)\b.{{0,40}}"
    rf"\b(?:{_ASSISTANT}\s+(?:\w+\s+)?{_INSTRUCTIONS}|(?:system|hidden|initial|secret|developer)\s+"
    rf"(?:prompt|instructions?|message|notes?)|everything\s+(?:above|before)|(?:the\s+)?text\s+above)\b|"
    rf"\b(?:system|hidden|secret|developer)\s+(?:prompt|instructions)\b|"
    rf"\brepeat\s+(?:everything|all|the text|the words)\s+(?:above|before|that came before)\b|"
    # role hijacks
    rf"^\W*(?:system|admin|developer)\s*(?:override|message|note|mode)?\s*:|"
    rf"\(\s*(?:assistant|system|developer|admin|ai)\s*:|"
    rf"\bfrom\s+now\s+on\b.{{0,40}}\b(?:skip|never|always|stop|don't|do\s+not|ignore|only)\b|"
    rf"\b(?:skip|drop|omit|remove|leave\s+out)\s+(?:the\s+|all\s+|your\s+|any\s+)?(?:citations|sources|caveats)\b|"
    rf"\bsystem\s+override\b|\byou\s+are\s+(?:now|no\s+longer)\b|\bfrom\s+now\s+on,?\s+you\b|"
    rf"\bjailbreak|\bDAN\s+mode\b|\bdeveloper\s+mode\b|\bno\s+longer\s+(?:limited|bound|restricted)\b|"
    rf"\b(?:act|behave|respond)\s+as\s+(?:if\s+you\s+(?:were|are)\s+)?(?:an?\s+)?(?:unrestricted|unfiltered|"
    rf"different|new)\s+(?:ai|assistant|model|chatbot)\b|"
    rf"\bpretend\s+(?:that\s+)?you\s+(?:are|have)\s+(?:no|not|an?\s+(?:unrestricted|different))\b",
    re.IGNORECASE,
)

# Artefacts the advisor does not write: its output is cited answers and talking points.
_ARTEFACT = (
    r"(?:press\s+release|op-?ed|opinion\s+piece|editorial|speech|stump\s+speech|tweet|social[-\s]media\s+post|"
    r"facebook\s+post|campaign\s+(?:ad|email|mailer|slogan)|fundraising\s+(?:email|letter|appeal)|"
    r"letter\s+to\s+the\s+editor|poem|song|limerick|story|short\s+story|attack\s+ad|ad\s+script|"
    r"press\s+statement|news\s+article|blog\s+post|sermon|joke|rap)"
)
_OUT_OF_ROLE = re.compile(
    rf"\b(?:write|draft|compose|pen|create|generate|give\s+me|produce)\b.{{0,40}}\b{_ARTEFACT}\b|"
    rf"\b{_ARTEFACT}\b.{{0,30}}\b(?:for|about|arguing|attacking|announcing)\b.{{0,60}}$|"
    r"\b(?:predict|forecast|projection|odds|chances?|likelihood|likely)\b.{0,60}\b(?:vote|pass|passes|fail|"
    r"win|lose|election|veto|survive|elected|re-?elected)\b|"
    r"\bwill\s+(?:the|this|our|my|a|that)\s+(?:[\w-]+\s+){0,4}?(?:bill|measure|legislation|amendment|proposal)\s+"
    r"(?:pass|fail|"
    r"survive|get\s+through|make\s+it)\b|"
    r"\bhow\s+will\s+(?:senator|representative|rep\.?|sen\.?|delegate|the\s+governor|legislators?|the\s+committee|"
    r"[A-Z][a-z]+)\b.{0,30}\bvote\b|"
    r"\b(?:win|lose)\s+(?:the|my|our|a|this)\s+(?:election|race|primary|seat|campaign)\b|"
    r"\b(?:campaign|electoral|re-?election)\s+(?:strategy|plan|message|messaging|tactics)\b|"
    r"\b(?:defeat|beat|unseat|primary)\s+(?:senator|representative|rep\.?|sen\.?|my\s+opponent|the\s+incumbent|"
    r"[A-Z][a-z]+\s+[A-Z][a-z]+)\b|"
    r"\b(?:who|which\s+(?:party|candidate))\s+should\s+i\s+vote\s+for\b|\bwho\s+should\s+win\b|"
    r"\b(?:dig\s+up|opposition\s+research|smear)\b|"
    r"\b(?:should\s+i|can\s+i|do\s+i\s+need\s+to)\s+(?:sue|file\s+a\s+lawsuit|hire\s+a\s+lawyer)\b|"
    r"\b(?:my|our)\s+(?:child|kid|son|daughter)'?s?\b.{0,60}\b(?:sue|lawsuit|legal\s+advice|lawyer)\b|"
    r"\blegal\s+advice\b|\b(?:sue|suing|lawsuit|liable|liability)\b|"
    r"\bhow\s+(?:do|can|could|should)\s+(?:i|we)\s+win\b|\brunning\s+for\s+(?:office|school\s+board|the\s+\w+|"
    r"re-?election|governor|senate|congress)\b|\b(?:donors?|fundraising|fund-raising|ballot\s+campaign|pac|super\s+pac)\b|"
    r"\bhow\s+likely\s+(?:\w+\s+){0,3}(?:to\s+)?(?:support|oppose|vote|back|pass)\b|"
    r"\brank\s+(?:the\s+)?(?:members|legislators|senators|representatives|lawmakers)\b|"
    r"\b(?:make\s+up|invent|fabricate|fake)\s+(?:\w+\s+){0,3}(?:quotes?|statistics?|numbers|testimonials?|endorsements?)\b|"
    r"\b(?:write|draft)\s+(?:\w+\s+){0,3}(?:statutory\s+text|bill\s+text|bill\s+language|legislative\s+language|"
    r"the\s+bill\s+itself)\b",
    re.IGNORECASE,
)

INJECTION_REPLY = (
    "The advisor only answers questions about the policy documents in its corpus; it does not reveal, "
    "repeat or change its instructions. The sources don't cover this request."
)
OUT_OF_ROLE_REPLY = (
    "That is outside what the advisor does: it answers questions from its policy sources with "
    "citations, and drafts cited answers and talking points. It does not write press releases, op-eds "
    "or speeches, predict votes or elections, plan campaigns or give legal advice. Ask what the sources "
    "say about the policy itself, and the answer will be cited."
)


def role_refusal(question: str) -> tuple[str, str] | None:
    """(kind, reply) when the request is not a question for the sources; None when it is one."""
    if _INJECTION.search(question):
        return INJECTION, INJECTION_REPLY
    if _OUT_OF_ROLE.search(question):
        return OUT_OF_ROLE, OUT_OF_ROLE_REPLY
    return None


# ------------------------------------------------------------------------------ shape

LIST = "list"
LEGISLATION_SPLIT = "legislation split"

_LEGISLATION = re.compile(
    r"\b(?:need|needs|require|requires|take|takes|call\s+for|calls\s+for)\s+(?:new\s+|a\s+)?"
    r"(?:legislation|legislative\s+action|a\s+(?:law|statute|bill)|statute|statutory\s+change|law\s+change|"
    r"formal\s+(?:state\s+)?authority|rule-?making|regulation)|"
    r"\b(?:legislat(?:ion|ure|ive)|statute|statutory|lawmakers?)\b.{0,60}\b(?:vs\.?|versus|or|and|compared)\b.{0,60}"
    r"\b(?:agency|department|board|administrat\w+|executive|without\s+(?:a\s+)?(?:law|legislation|statute))\b|"
    r"\b(?:agency|department|state\s+board|executive\s+branch)\b.{0,40}\b(?:on\s+its\s+own|by\s+itself|alone|"
    r"without\s+(?:new\s+)?(?:legislation|a\s+(?:law|statute|bill)|the\s+legislature))\b|"
    r"\bwhat\s+can\s+(?:the|a|our)\s+(?:state\s+)?(?:agency|department|state\s+board)\s+do\b|"
    r"\b(?:transformative\s+polic(?:y|ies))\b.{0,40}\b(?:vs\.?|versus|or|and)\b.{0,20}\bimplementation\s+actions?\b",
    re.IGNORECASE,
)
_LIST = re.compile(
    r"^\W*(?:which|what)\s+(?:\w+\s+){0,2}(?:states|conditions|policies|actions|decision\s+points|"
    r"recommendations|organizations|organisations|partners|catalysts|elements|strategies|mechanisms|"
    r"documents|sources|areas|parts)\b|"
    r"^\W*(?:list|name|enumerate|itemi[sz]e)\b|"
    r"\b(?:what|which)\s+are\s+(?:the\s+)?(?:\w+\s+){0,3}(?:conditions|policies|actions|decision\s+points|"
    r"recommendations|states)\b|"
    r"^\W*who\s+(?:are|were|is|was)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Shape:
    """How the answer should be laid out; ``kind`` is None for an ordinary answer."""

    kind: str | None = None


def shape_of(question: str) -> Shape:
    if _LEGISLATION.search(question):
        return Shape(LEGISLATION_SPLIT)
    if _LIST.search(question):
        return Shape(LIST)
    return Shape()
