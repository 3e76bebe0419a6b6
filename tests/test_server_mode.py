"""Server mode: the index on a real `chroma run` server (started here on 127.0.0.1, stopped by its
PID), built and queried by the same commands, shared by several advisor processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import SMALL_QUESTIONS, no_traceback, run_advisor
from servers import free_port

from advisor.config import ConfigError, Settings
from advisor.errors import UserError
from advisor.retrieve import HybridRetriever
from advisor.session import Session
from advisor.store import ServerStore

MASTERY = "Can a state award credit based on mastery instead of seat time?"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ | {"ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (data / "server.log").read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.kill(server.pid, 15)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, 9)
            server.wait()
        log.close()


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ADVISOR_CORPUS_DIR": str(settings.corpus_dir),
        "ADVISOR_INDEX_DIR": str(settings.index_dir),
        "ADVISOR_CHROMA_URL": settings.chroma_url or "",
    }


def test_the_same_commands_build_and_query_a_chroma_server(chroma_server, settings, index, tmp_path):
    """The full corpus on the server retrieves exactly what the embedded index does."""
    served = replace(settings, index_dir=tmp_path / "local", chroma_url=chroma_server)
    built = run_advisor("index", env=_env(served))
    assert built.returncode == 0, built.stderr.decode()
    assert "142 added" in built.stdout.decode()
    assert [p.name for p in served.index_dir.iterdir()] == [".lock"]  # nothing but the builders' lock on disk

    embedded = HybridRetriever(index, settings)
    for question in (MASTERY, "what should our state do about kids without internet at home?"):
        result = run_advisor("retrieve", question, "--json", "--k", "8", env=_env(served))
        assert result.returncode == 0, result.stderr.decode()
        got = [(r["heading"], round(r["score"], 5)) for r in json.loads(result.stdout)["results"]]
        assert got == [(h.passage.heading, round(h.score, 5)) for h in embedded.retrieve(question, k=8)]
    answer = json.loads(run_advisor("ask", MASTERY, "--json", env=_env(served)).stdout)
    assert "Proficiency-based Credit" in [c["heading"] for c in answer["citations"]]
    sources = json.loads(run_advisor("sources", "--json", env=_env(served)).stdout)
    assert len(sources) == 5 and sum(s["passages"] for s in sources) == 142
    assert ServerStore(chroma_server).read_pointer().state["passages"] == 142


def test_instances_share_the_server_index_and_see_each_others_changes(chroma_server, small, tmp_path):
    """Two 'app instances' with separate disks: one adds a document, the other refreshes and finds it."""
    url = chroma_server
    builder = replace(small, index_dir=tmp_path / "builder", chroma_url=url)
    assert run_advisor("index", "--rebuild", env=_env(builder)).returncode == 0
    replica_corpus = tmp_path / "replica-corpus"
    shutil.copytree(small.corpus_dir, replica_corpus)
    replica = replace(builder, corpus_dir=replica_corpus, index_dir=tmp_path / "replica")
    session = Session(replica, backend="extractive", on_build=lambda message: None)
    generation = session.index.generation
    assert session.answerer.answer(SMALL_QUESTIONS[0]).citations

    note = tmp_path / "nevada-note.md"
    note.write_text(
        "# Nevada Competency Pilot\n\nNevada's competency-based education pilot lets districts award credit when "
        "students demonstrate mastery of a standard.\n",
        encoding="utf-8",
    )
    added = run_advisor("add", str(note), env=_env(builder))
    assert added.returncode == 0, added.stderr.decode()
    assert session.refresh() is True and session.index.generation != generation
    hit = session.answerer.retriever.retrieve("Does Nevada let districts award credit for mastery?", k=1)[0]
    assert hit.passage.doc_id == "nevada-note"
    # The replica's own corpus lacks the note: it serves the shared index as it is and does not rewrite it.
    result = run_advisor("sources", "--json", env=_env(replica))
    assert "nevada-note" in [row["id"] for row in json.loads(result.stdout)]
    assert "`advisor index` updates it" in result.stderr.decode()

    removed = run_advisor("remove", "nevada-note", env=_env(builder))
    assert removed.returncode == 0 and session.refresh() is True
    assert "nevada-note" not in session.index.sources
    store = ServerStore(url)
    pointer = store.read_pointer()
    assert store.generations() == sorted([pointer.generation, pointer.previous])  # older collections removed


def test_a_server_that_is_down_is_named_with_exit_2(small, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    down = replace(small, index_dir=tmp_path / "local", chroma_url=url)
    for args in (["ask", SMALL_QUESTIONS[0]], ["index"], ["sources"]):
        result = run_advisor(*args, env=_env(down), timeout=60)
        assert result.returncode == 2, result.stderr.decode()
        no_traceback(result)
        message = result.stderr.decode().strip()
        assert message.startswith(f"advisor: Cannot reach the Chroma server at {url} (") and "\n" not in message


def test_server_settings(monkeypatch):
    for name in ("ADVISOR_CHROMA_URL", "CHROMA_HOST", "CHROMA_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert Settings.from_env().chroma_url is None
    monkeypatch.setenv("CHROMA_HOST", "chroma.internal")
    assert Settings.from_env().chroma_url == "http://chroma.internal:8000"
    monkeypatch.setenv("CHROMA_PORT", "9001")
    assert Settings.from_env().chroma_url == "http://chroma.internal:9001"
    monkeypatch.setenv("ADVISOR_CHROMA_URL", "https://vectors.example.org:8443")  # the one URL variable wins
    assert Settings.from_env().chroma_url == "https://vectors.example.org:8443"
    for bad in ("ftp://host:1", "http://host:port", "http://host:8000/some/path"):
        monkeypatch.setenv("ADVISOR_CHROMA_URL", bad)
        with pytest.raises(ConfigError, match="ADVISOR_CHROMA_URL must look like http://HOST:PORT"):
            Settings.from_env()


def test_only_a_connection_failure_is_called_unreachable(monkeypatch):
    """A server that answers with an error (a bad tenant, an internal error) is not "cannot reach": the
    error surfaces as itself; a refused connection, wrapped as Chroma wraps it, is named."""
    import chromadb
    from chromadb.errors import InternalError

    url = f"http://127.0.0.1:{free_port()}"

    def refuses(**_: object) -> None:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError:
            raise ValueError("Could not connect to a Chroma server. Are you sure it is running?") from None

    monkeypatch.setattr(chromadb, "HttpClient", refuses)
    with pytest.raises(UserError, match="^Cannot reach the Chroma server at"):
        ServerStore(url)

    def no_tenant(**_: object) -> None:
        raise ValueError("Could not connect to tenant default_tenant. Are you sure it exists?")

    monkeypatch.setattr(chromadb, "HttpClient", no_tenant)
    with pytest.raises(ValueError, match="tenant"):
        ServerStore(url)

    class Broken:
        def heartbeat(self) -> int:
            raise InternalError("the server's database is locked")

    monkeypatch.setattr(chromadb, "HttpClient", lambda **_: Broken())
    with pytest.raises(InternalError, match="database is locked"):
        ServerStore(url).check()
