"""One deadline per model answer, enforced on streams too; silence bounded on its own; connections
closed when the reader stops. Against real HTTP servers on 127.0.0.1 (tests/fake_openai.py) and the
real `advisor` command. Timeouts in these tests only guard against the hangs they pin."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
from fake_openai import FakeOpenAI, Reply

from advisor.backends import make_answerer
from advisor.config import Settings
from advisor.llm import CONNECT_TIMEOUT, MAX_REPLY_CHARS, ChatModel, Message

MASTERY = "Can a state award credit based on mastery instead of seat time?"
GOOD = "Credit for learning is based on student demonstration of proficiency, not seat time [1]. "


@pytest.fixture()
def fake():
    with FakeOpenAI() as server:
        yield server


def _model_settings(settings: Settings, fake: FakeOpenAI, **changes) -> Settings:
    return replace(settings, openai_base_url=fake.base_url, backend="openai", model="scripted", **changes)


def _within(seconds: float, call):
    """``call()`` on another thread; a hang fails the test instead of stalling the suite."""
    pool = ThreadPoolExecutor(1)
    try:
        return pool.submit(call).result(timeout=seconds)
    finally:
        pool.shutdown(wait=False)  # a hung call is left behind; the test fails with TimeoutError


def _wait_for(condition, seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_defaults_answer_within_seconds_when_a_server_is_unreachable_or_silent():
    defaults = Settings()
    assert defaults.llm_idle_timeout <= 15 and CONNECT_TIMEOUT <= 3 and defaults.llm_retries <= 1
    assert defaults.llm_timeout <= 60  # the whole answer, retries included


def test_an_endless_stream_is_cut_at_the_deadline_and_its_connection_closed(index, settings, fake):
    """Before: `ADVISOR_LLM_TIMEOUT` bounded each read, so a server that kept streaming never ended."""
    answerer = make_answerer(index, _model_settings(settings, fake, llm_timeout=2.0))
    fake.queue(Reply(GOOD, pace=0.05, endless=True))
    answer = _within(60, lambda: answerer.answer(MASTERY))
    assert answer.backend == "extractive" and "did not answer in time (ADVISOR_LLM_TIMEOUT is 2 s)" in answer.note
    assert _wait_for(lambda: fake.streaming == 0 and fake.abandoned)  # the server saw the client leave


def test_a_fast_endless_stream_is_cut_at_the_reply_limit(index, settings, fake):
    """Before: memory grew without bound while a fast server streamed."""
    answerer = make_answerer(index, _model_settings(settings, fake, llm_timeout=60.0))
    fake.queue(Reply(GOOD, endless=True))
    answer = _within(60, lambda: answerer.answer(MASTERY))
    assert answer.backend == "extractive" and f"ran past {MAX_REPLY_CHARS:,} characters" in answer.note
    assert _wait_for(lambda: fake.streaming == 0)


def test_a_server_that_trickles_bytes_forever_cannot_hold_the_answer_past_the_deadline(index, settings, fake):
    """Bytes that never complete an event: no read times out, so only the deadline can end the wait."""
    answerer = make_answerer(index, _model_settings(settings, fake, llm_timeout=2.0))
    fake.queue(Reply(trickle=True, pace=0.2))
    answer = _within(60, lambda: answerer.answer(MASTERY))
    assert answer.backend == "extractive" and "did not answer in time" in answer.note


def test_a_silent_server_costs_the_idle_timeout_once_not_the_deadline_twice(index, settings, fake):
    """Before: 60 s of silence, a retry, 60 s more: 125 s per question with the default settings."""
    answerer = make_answerer(index, _model_settings(settings, fake, llm_timeout=60.0, llm_idle_timeout=1.0))
    fake.queue(Reply(GOOD, delay=20), Reply(GOOD, delay=20))
    answer = _within(15, lambda: answerer.answer(MASTERY))
    assert answer.backend == "extractive" and answer.note.startswith(
        "The model could not be used (the model server did not answer in time)"
    )
    assert len(fake.requests) == 1  # silence is not retried


def _fill_accept_queue(port: int) -> list[socket.socket]:
    """Connect until a connection hangs at the handshake. How many the kernel completes on a full
    queue varies (a SYN in flight while the queue filled still completes), so probe rather than guess."""
    fillers: list[socket.socket] = []
    for _ in range(64):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
        _, writable, _ = select.select([], [filler], [], 0.5)
        if not writable:  # this one hangs, so the model's connection will too
            return fillers
    for filler in fillers:
        filler.close()
    pytest.skip("this kernel completes every handshake on a full accept queue; no hanging connect to test")


def test_a_server_that_never_accepts_is_named_as_unreachable(settings):
    """A listening socket whose accept queue is full: connections hang as with a host that drops them."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = _fill_accept_queue(port)
        model = ChatModel(replace(settings, openai_base_url=f"http://127.0.0.1:{port}/v1", llm_retries=0))
        try:
            with pytest.raises(Exception, match="could not be reached") as info:
                _within(30, lambda: model.chat([Message("user", "hello")]))
        finally:
            for filler in fillers:
                filler.close()
    assert type(info.value).__name__ == "ModelError"


def test_the_cli_answers_when_the_model_server_streams_forever(settings, index, fake):
    fake.default = Reply(GOOD, pace=0.05, endless=True)
    env = os.environ | {
        "ADVISOR_INDEX_DIR": str(settings.index_dir),
        "OPENAI_BASE_URL": fake.base_url,
        "ADVISOR_MODEL": "scripted",
        "ADVISOR_LLM_TIMEOUT": "3",
    }
    cmd = [sys.executable, "-m", "advisor.cli", "ask", MASTERY, "--json"]
    result = subprocess.run(cmd, capture_output=True, env=env, timeout=120)  # before: never returned
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout)
    assert data["backend"] == "extractive" and "ADVISOR_LLM_TIMEOUT is 3 s" in data["note"]
