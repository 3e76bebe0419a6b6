"""The support check, on hand-made cases and against the hand-labelled pairs in evals/."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import no_traceback, run_advisor

from advisor.config import Settings
from advisor.corpus import MANIFEST_NAME
from advisor.evaluate import support_agreement
from advisor.index import corpus_passages
from advisor.passages import Passage
from advisor.prompts import render
from advisor.support import OverlapJudge, unbacked_numbers

CREDIT = Passage(
    doc_id="framework",
    source="State Policy Framework for Personalized Learning",
    heading="Proficiency-based Credit",
    text=(
        "Credit for learning is based on student demonstration of proficiency of clearly defined learning "
        "expectations, not seat time. State policy outlines the process districts must follow when awarding credit "
        "to ensure both quality and equity of implementation while delegating the responsibility for determining "
        "student proficiency to districts."
    ),
)
PAY = Passage(
    doc_id="framework",
    source="x",
    heading="Compensation",
    text="The state ensures that teacher and leader compensation is competitive with other professions.",
)


@pytest.fixture(scope="module")
def judge():
    return OverlapJudge()


@pytest.mark.parametrize(
    "sentence",
    [
        "Credit for learning is based on student demonstration of proficiency, not seat time.",
        "Districts must follow a state process when they award credit.",
        "Students earn credit by demonstrating proficiency in clearly defined learning expectations rather than "
        "seat time.",
    ],
)
def test_supported(judge, sentence):
    verdict = judge.judge(sentence, [CREDIT])
    assert verdict.supported and verdict.reason is None and 0 <= verdict.lexical <= 1


@pytest.mark.parametrize(
    ("sentence", "passages", "reason"),
    [
        ("Teachers should be paid more than doctors.", [CREDIT], "support score"),
        ("Credit for learning requires 120 hours of seat time.", [CREDIT], "states 120"),
        ("Credit is based on proficiency, not seat time.", [], "cites no supplied passage"),
        ("Credit for learning is based on proficiency, not seat time.", [PAY], "support score"),
    ],
)
def test_unsupported(judge, sentence, passages, reason):
    verdict = judge.judge(sentence, passages)
    assert not verdict.supported and reason in verdict.reason


@pytest.mark.parametrize(
    ("sentence", "source", "unbacked"),
    [
        ("12 districts award credit.", "120 districts award credit.", ["12"]),  # a near miss, not a substring
        ("120 districts award credit.", "12 districts award credit.", ["120"]),
        ("1,200 students enrolled.", "1200 students enrolled.", []),  # one number, written two ways
        ("1200 students enrolled.", "1,200 students enrolled.", []),
        ("12% of schools", "12 percent of schools", []),
        ("12 schools", "twelve schools", []),  # the passage's word backs the sentence's digits
        ("twelve schools", "120 schools", []),  # a sentence's words are not checked
        ("2.5 credits by 2027.", "2.50 credits by 2027", []),  # the final period is no decimal
        ("2.5 credits", "25 credits", ["2.5"]),
        ("Grades 1,2,3 and K-12", "grades 1, 2 and 3 of K-12", []),
        ("In 2019 the state", "In 2020 the state", ["2019"]),
    ],
)
def test_numbers_are_compared_whole(sentence, source, unbacked):
    assert unbacked_numbers(sentence, source) == unbacked


def test_a_near_miss_number_is_unsupported(judge):
    passage = Passage(doc_id="d", source="x", heading="h", text="The pilot covered 120 districts in its first year.")
    assert judge.judge("The pilot covered 120 districts in its first year.", [passage]).supported
    verdict = judge.judge("The pilot covered 12 districts in its first year.", [passage])
    assert not verdict.supported and verdict.reason == "states 12, which the passage does not"


def test_support_from_any_of_several_cited_passages(judge):
    assert judge.judge("Teacher compensation is competitive with other professions.", [CREDIT, PAY]).supported


def test_agreement_with_hand_labels(judge, index):
    """At least 60 pairs of both kinds; the threshold was tuned on odd ids, held-out are even."""
    tuning = support_agreement(judge, index.passages, "tuning")
    held_out = support_agreement(judge, index.passages, "held-out")
    everything = support_agreement(judge, index.passages, "all")
    assert everything.pairs >= 60
    assert {"verbatim", "paraphrase", "added-claim", "contradiction", "wrong-passage"} <= set(everything.by_kind)
    assert tuning.accuracy >= 0.90, tuning
    assert held_out.accuracy >= 0.85, held_out


def test_prompts_are_files_loaded_by_name():
    text = render("answer", passages="[1] (x)\n<<<\nbody\n>>>", question="What about {braces} and $money?", coverage="")
    assert "Question: What about {braces} and $money?" in text and "[1] (x)" in text
    assert "sources don't cover this" in render("system")
    with pytest.raises(KeyError):
        render("answer", question="no passages given", coverage="")
    with pytest.raises(FileNotFoundError):
        render("no-such-prompt")


def test_the_labelled_pairs_survive_a_renamed_title(judge, index, corpus_copy):
    """Pairs name their passage by a verbatim quote: renaming the framework's title changes every one
    of its passage ids, and every pair is still found and judged as before."""
    manifest = corpus_copy / MANIFEST_NAME
    title = 'title = "State Policy Framework for Personalized Learning"\n'
    assert title in manifest.read_text(encoding="utf-8")
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(title, 'title = "Our Framework"\n', 1))
    renamed, problems = corpus_passages(replace(Settings(), corpus_dir=corpus_copy))
    assert problems == [] and not set(index.passages) & {p.id for p in renamed if p.source == "Our Framework"}
    before = support_agreement(judge, index.passages, "all")
    after = support_agreement(judge, {p.id: p for p in renamed}, "all")
    assert (after.pairs, after.skipped, after.agree) == (before.pairs, 0, before.agree) and before.skipped == 0


def test_eval_runs_on_a_corpus_without_the_framework(small, tmp_path):
    """A team's own corpus: the pairs whose quote it lacks are skipped and counted in one line, the bills'
    crosswalk is skipped with a line, and there is no traceback."""
    env = {"ADVISOR_CORPUS_DIR": str(small.corpus_dir), "ADVISOR_INDEX_DIR": str(small.index_dir)}
    args = ("eval", "--fast", "--limit", "2", "--split", "dev", "--out", str(tmp_path / "report"))
    result = run_advisor(*args, env=env)
    no_traceback(result)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode()
    skipped = [line for line in out.splitlines() if "labelled pairs skipped" in line]
    assert len(skipped) == 1 and int(skipped[0].split()[0]) > 0
    assert "Crosswalk (evals/bills): skipped; this corpus has no framework policies" in out
    assert "labelled pairs skipped" in (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
