"""Nothing leaves the machine unless the user configured it: a whole offline session, command by
command, in processes that log and refuse any connection or name lookup beyond loopback.

The guard is a ``sitecustomize`` module put on PYTHONPATH. It installs an audit hook (PEP 578), so
it sees every socket connect, sendto and name lookup made through Python, in the advisor and in
every library it loads. Native code that opens sockets by itself would not pass through it; none
of this stack's native parts (Chroma's Rust core, onnxruntime, tokenizers) does so offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from servers import running_app

MASTERY = "Can a state award credit based on mastery instead of seat time?"

SITECUSTOMIZE = '''
"""Test guard: log and refuse any socket connection or name lookup beyond loopback."""
import ipaddress
import os
import socket
import sys

_LOG = os.environ["ADVISOR_NET_LOG"]
_LOCAL = {"", "localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _loopback(host):
    if host is None:
        return True
    host = (host.decode(errors="replace") if isinstance(host, bytes) else str(host)).strip("[]").lower()
    if host in _LOCAL:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        sock, address = args[0], args[1]
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or _loopback(address[0]):
            return
        what = address
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        if _loopback(args[0]):
            return
        what = args[0]
    else:
        return
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{event} {what!r} in: {' '.join(sys.argv)[:200]}\\n")
    raise ConnectionRefusedError(f"blocked by the no-network test: {event} {what!r}")


sys.addaudithook(_hook)
'''

# Variables that would let a library reach out, or that the advisor must set by itself: removed from
# the environment of the guarded processes, so the test sees what a user's fresh shell sees.
UNSET = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ADVISOR_CHROMA_URL",
    "CHROMA_HOST",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "ANONYMIZED_TELEMETRY",
    "ORT_DISABLE_TELEMETRY",
    "TIKTOKEN_CACHE_DIR",
    "TQDM_DISABLE",
)


@dataclass
class Guard:
    env: dict[str, str]
    log: Path

    def attempts(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []


@pytest.fixture()
def guard(tmp_path: Path) -> Guard:
    """Environment for guarded processes; use it with subprocess.run or, for a server, Popen."""
    folder = tmp_path / "guard"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    log = tmp_path / "network-attempts.log"
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    env["ADVISOR_NET_LOG"] = str(log)
    return Guard(env, log)


def test_the_guard_catches_what_leaves_loopback_and_lets_loopback_through(guard):
    """The negative control. Nothing can leave even if the guard failed: a UDP connect sends no
    packet, and AI_NUMERICHOST forbids a real DNS query."""
    code = textwrap.dedent(
        """
        import socket
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        socket.create_connection(listener.getsockname(), timeout=2).close()
        socket.getaddrinfo("localhost", 80)
        blocked = 0
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).connect(("192.0.2.1", 53))
        except ConnectionRefusedError:
            blocked += 1
        try:
            socket.getaddrinfo("example.com", 443, flags=socket.AI_NUMERICHOST)
        except ConnectionRefusedError:
            blocked += 1
        print(blocked)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], env=guard.env, capture_output=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == b"2", result.stderr.decode()
    attempts = guard.attempts()
    assert len(attempts) == 2
    assert attempts[0].startswith("socket.connect ('192.0.2.1', 53)")
    assert attempts[1].startswith("socket.getaddrinfo 'example.com'")


# The offline session, one command at a time ({tmp} is the test's folder). A long-running command
# such as `serve` runs after them (below): launched with the guard, asked over 127.0.0.1, stopped.
OFFLINE_SESSION: list[tuple[str, ...]] = [
    ("index",),
    ("add", "{tmp}/ohio-notes.md"),
    ("sources",),
    ("ask", MASTERY, "--json"),
    ("ask", "How can states support student-centered education systems?", "--mode", "talking-points"),
    ("retrieve", "what should our state do about kids without internet at home?", "--json"),
    ("chat", MASTERY),
    ("eval", "--limit", "5", "--fast", "--out", "{tmp}/report"),
    ("check", "{tmp}/ohio-notes.md", "--markdown", "--out", "{tmp}/memo.md"),
    ("remove", "ohio-notes"),
]


def test_a_whole_offline_session_makes_no_connection_beyond_loopback(guard, settings, index, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    shutil.copytree(settings.index_dir, tmp_path / "index")  # built already; `add` embeds and indexes anew
    (tmp_path / "ohio-notes.md").write_text(
        "# Ohio Notes\n\nOhio's credit flexibility plan lets students earn credit by demonstrating mastery.\n",
        encoding="utf-8",
    )
    env = guard.env | {"ADVISOR_CORPUS_DIR": str(corpus), "ADVISOR_INDEX_DIR": str(tmp_path / "index")}
    for command in OFFLINE_SESSION:
        args = [arg.replace("{tmp}", str(tmp_path)) for arg in command]
        result = subprocess.run([sys.executable, "-m", "advisor.cli", *args], env=env, capture_output=True, timeout=600)
        assert result.returncode == 0, (command, result.stderr.decode()[-2000:])
        assert guard.attempts() == [], command
    assert (tmp_path / "report" / "report.json").exists()
    with running_app(tmp_path / "index", base_env=env) as url:  # the web app: launch, page, a question
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert "<title>Policy Advisor</title>" in page or "Policy Advisor" in page
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from gradio_client import Client

        _, history, *_ = Client(url, verbose=False).predict(MASTERY, [], "Answer", [], [], api_name="/ask")
        assert 'class="cite"' in str(history[-1]["content"])
    assert guard.attempts() == [], "serve"
