"""Larger corpora for the scaling figures: the shipped documents replicated and perturbed.

Copy 0 is the shipped corpus unchanged; copy c (c >= 1) of each document gets its own id, file
and title and a seeded word-level perturbation of its body lines (synonym swaps), so copies
neither collapse into one passage (ids are content hashes) nor embed to identical vectors.
Headings and markup are left alone, so every copy parses into the same passage structure.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tomllib
from pathlib import Path

from advisor.corpus import MANIFEST_NAME, SUPPORTED_SUFFIXES

# Frequent words in the corpus and a near-synonym for each: enough to make every copy differ.
SYNONYMS = {
    "students": "learners",
    "learners": "students",
    "state": "statewide",
    "states": "jurisdictions",
    "policy": "rule",
    "policies": "rules",
    "districts": "school systems",
    "schools": "campuses",
    "support": "assist",
    "supports": "assists",
    "learning": "education",
    "teachers": "educators",
    "educators": "teachers",
    "develop": "create",
    "ensure": "make sure",
    "provide": "offer",
    "system": "structure",
    "systems": "structures",
    "student": "learner",
    "help": "aid",
    "important": "essential",
    "include": "cover",
    "through": "via",
    "allow": "permit",
    "create": "build",
    "across": "throughout",
    "opportunities": "chances",
    "personalized": "individualized",
}
_WORD = re.compile(r"\b[a-z]+\b")
BODY_MIN_WORDS = 12  # shorter lines may be headings or table cells the parsers key on
KEEP_WORDS = 8  # a line's opening words are left alone: parsers recognise lines by how they start


def perturb(text: str, rng: random.Random, rate: float = 0.35) -> str:
    """Swap a share of the known words of each long line, past its opening words, for their synonym."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return SYNONYMS[word] if word in SYNONYMS and rng.random() < rate else word

    def perturb_line(line: str) -> str:
        words = line.split(" ")
        if len(line.split()) < BODY_MIN_WORDS:
            return line
        head, tail = " ".join(words[:KEEP_WORDS]), " ".join(words[KEEP_WORDS:])
        return f"{head} {_WORD.sub(swap, tail)}"

    return "\n".join(perturb_line(line) for line in text.split("\n"))


def _toml_value(value: object) -> str:
    # JSON strings and lists of strings are valid TOML basic strings and arrays.
    return json.dumps(value, ensure_ascii=False)


def make_corpus(source: Path, target: Path, factor: int, max_bytes: int | None = None, seed: int = 0) -> int:
    """Write ``factor`` copies of ``source``'s documents to ``target``; returns the document count.

    ``max_bytes`` keeps only documents up to that size (a small corpus for the smoke run).
    """
    if factor < 1:
        raise ValueError(f"a corpus size factor must be at least 1, not {factor}")
    manifest = source / MANIFEST_NAME
    entries = tomllib.loads(manifest.read_text(encoding="utf-8")).get("document", []) if manifest.exists() else []
    listed = {e["file"] for e in entries}
    entries += [
        {"id": p.stem, "file": p.name}
        for p in sorted(source.iterdir())
        if p.name not in listed and p.suffix.lower() in SUPPORTED_SUFFIXES and p.suffix.lower() != ".pdf"
    ]
    entries = [e for e in entries if max_bytes is None or (source / e["file"]).stat().st_size <= max_bytes]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    rng = random.Random(seed)
    blocks = []
    for copy in range(factor):
        for entry in entries:
            path = source / entry["file"]
            if copy == 0:
                out = dict(entry)
                shutil.copyfile(path, target / path.name)
            else:
                out = dict(entry, id=f"{entry['id']}-copy{copy}", file=f"{path.stem}-copy{copy}{path.suffix}")
                if "title" in entry:
                    out["title"] = f"{entry['title']} (copy {copy})"
                text = perturb(path.read_text(encoding="utf-8"), rng)
                (target / out["file"]).write_text(text, encoding="utf-8")
            blocks.append("[[document]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in out.items()))
    (target / MANIFEST_NAME).write_text("\n".join(blocks), encoding="utf-8")
    return len(blocks)
