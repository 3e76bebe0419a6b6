"""The contract every registered backend keeps, run against each of them (as txtai tests its backends).

A new backend registered in ``advisor/backends.py`` (or by a plugin) is picked up here with no new
test: it must return the same answer types, refuse what the sources don't cover, cite only
passages that resolve, stream and then finish, and rework a previous answer. The ``openai``
backend runs against a real HTTP server that speaks OpenAI's protocol (``fake_openai.py``).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest
from fake_openai import FakeOpenAI, Reply
from helpers import run_advisor

from advisor.answer import MODES, Answer, Answerer, AnswerStream
from advisor.backends import backend_choices, backends, make_answerer, register_backend
from advisor.config import ConfigError, Settings
from advisor.conversation import parse_command
from advisor.coverage import NOT_COVERED

MASTERY = "Can a state award credit based on mastery instead of seat time?"
UNCOVERED = "Can you give me a good recipe for banana bread?"
REPLY = (  # what the scripted model says to every request: supported by the mastery passage
    "Credit for learning is based on student demonstration of proficiency of clearly defined learning "
    "expectations, not seat time [1]."
)


@pytest.fixture(scope="module", params=list(backends()))
def backend(request: pytest.FixtureRequest, index, settings: Settings) -> Answerer:
    """Each registered backend, with a model server configured (an offline backend ignores it)."""
    with FakeOpenAI() as fake:
        fake.default = Reply(REPLY)
        configured = replace(settings, openai_base_url=fake.base_url, model="scripted", llm_timeout=10.0)
        answerer = make_answerer(index, configured, request.param)
        answerer.warm_up()
        yield answerer


def _check_citations(answer: Answer, answerer: Answerer) -> None:
    """Numbered 1..n in order, each a passage of the index, and every sentence's markers among them."""
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert all(c.passage.id in answerer.index.passages for c in answer.citations)
    for sentence in answer.sentences():
        assert all(1 <= n <= len(answer.citations) for n in sentence.citations), sentence


def test_answers_with_the_shared_types_and_citations_that_resolve(backend: Answerer) -> None:
    assert backend.name in backends() and (backend.model is None or backend.model.name)
    for mode in MODES:
        answer = backend.answer(MASTERY, mode)
        assert isinstance(answer, Answer) and answer.mode == mode and not answer.refused
        assert answer.citations and answer.text.strip() and answer.to_json()["answer"] == answer.text
        assert "Proficiency-based Credit" in [c.passage.heading for c in answer.citations]
        _check_citations(answer, backend)


def test_refuses_a_question_the_sources_do_not_cover(backend: Answerer) -> None:
    answer = backend.answer(UNCOVERED)
    assert answer.refused and answer.outcome == NOT_COVERED and answer.citations == []
    assert "don't cover" in answer.text


def test_streams_then_finishes(backend: Answerer) -> None:
    stream = backend.stream(MASTERY, unsupported="flag")
    assert isinstance(stream, AnswerStream)
    streamed = "".join(stream)
    answer = stream.finish()
    assert streamed.strip() and isinstance(answer, Answer) and not answer.refused
    _check_citations(answer, backend)


def test_reworks_a_previous_answer_from_its_own_sources(backend: Answerer) -> None:
    previous = backend.answer(MASTERY)
    command = parse_command("shorter")
    assert command is not None
    answer = backend.rework("shorter", previous, command).finish()
    assert isinstance(answer, Answer) and not answer.refused
    assert {c.passage.id for c in answer.citations} <= {c.passage.id for c in previous.citations}
    _check_citations(answer, backend)


def test_one_registration_makes_a_backend_selectable(monkeypatch: pytest.MonkeyPatch, index, settings) -> None:
    """The registry drives the settings check, the CLI's --backend choices and make_answerer."""
    from advisor import backends as registry
    from advisor.cli import _parser
    from advisor.extractive import ExtractiveAnswerer

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setenv("ADVISOR_BACKEND", "quoting")
    with pytest.raises(ConfigError, match="quoting"):
        Settings.from_env()
    register_backend("quoting", ExtractiveAnswerer, "a test backend")
    assert "quoting" in backend_choices() and Settings.from_env().backend == "quoting"
    assert _parser().parse_args(["ask", "x", "--backend", "quoting"]).backend == "quoting"
    assert isinstance(make_answerer(index, settings, "quoting"), ExtractiveAnswerer)


def test_cli_choices_come_from_the_registry() -> None:
    shown = run_advisor("ask", "--help", timeout=60).stdout.decode()
    assert all(name in shown for name in backend_choices()) and all(mode in shown for mode in MODES)


def test_the_offline_answerer_does_not_load_the_model_client() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, advisor.extractive; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'openai'" not in loaded and "'advisor.llm'" not in loaded and "'httpx'" not in loaded
