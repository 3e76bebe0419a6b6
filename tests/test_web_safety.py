"""The web app holds nothing it should not and leaks nothing over time: conversations bound to the
server's session, failed logins throttled, uploads refused, answer files cleaned, every old index
generation's handles released, a client that goes away cancels its model call. Against a real
`advisor serve` on 127.0.0.1 (and, for handles, a real Session over a real index)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import httpx
from fake_openai import FakeOpenAI, Reply
from helpers import run_advisor
from servers import running_app
from test_ui_api import MASTERY, ask, client, last_reply

from advisor.index import sync_index
from advisor.session import Session


def _env(settings) -> dict[str, str]:
    return {"ADVISOR_CORPUS_DIR": str(settings.corpus_dir), "ADVISOR_INDEX_DIR": str(settings.index_dir)}


PANEL_HINT_START = '<div class="sources-empty">Click a citation'


def test_a_conversation_is_bound_to_the_server_session_not_the_client_chosen_id(app_url):
    """Before: a client that sent another client's session id received that session's sources. Now the
    conversations are kept under the server's cookie (ui/workspace.py): the same session id reaches none
    of them, and asking with it leaves the owner's conversation as it was."""
    victim = client(app_url)
    history, panel, _, _ = ask(victim, MASTERY)
    assert "Proficiency-based Credit" in panel

    thief = client(app_url)  # its own browser-session cookie, the victim's session id
    thief.session_hash = victim.session_hash
    stolen = thief.predict("0-1#1", api_name="/show_source")
    assert stolen.startswith(PANEL_HINT_START) and "Proficiency" not in stolen
    assert thief.predict("0", api_name="/pin")[0].startswith(PANEL_HINT_START.replace("Click a citation", "Pin"))
    taken, *_ = ask(thief, "What about funding for that?")
    assert "Searched for" not in last_reply(taken)  # no follow-up: the thief's conversation is its own, and empty

    assert "Proficiency-based Credit" in victim.predict("0-1#2", api_name="/show_source")  # the owner still can
    follow_up, *_ = ask(victim, "What about funding for that?", history=history)
    assert len(follow_up) == 4 and "Searched for: What about funding for that?" in last_reply(follow_up)


def test_failed_logins_are_throttled(settings, index):
    """Before: 100 wrong passwords in 1.2 s, no delay, no lockout."""
    with running_app(settings.index_dir, "--auth", "staff:s3cret") as url:
        statuses = []
        for _ in range(8):
            reply = httpx.post(url + "login", data={"username": "staff", "password": "guess"})
            statuses.append(reply.status_code)
        assert statuses[:3] == [400, 400, 400] and set(statuses[3:]) == {429}, statuses
        refused = httpx.post(url + "login", data={"username": "staff", "password": "s3cret"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1  # even the right one
        assert "Too many failed logins" in refused.json()["detail"]
        time.sleep(int(refused.headers["retry-after"]) + 0.1)
        allowed = httpx.post(url + "login", data={"username": "staff", "password": "s3cret"})
        assert allowed.status_code == 200


def test_uploads_only_from_the_page_and_bounded(app_url):
    """Before: anyone could write files to the server (200 MB in the report) and have them served back.
    Now only the "Check a bill" tab uploads: a client without the page's session cookie is refused, and
    a file over the limit is refused too."""
    reply = httpx.post(app_url + "gradio_api/upload", files={"files": ("notes.txt", b"x" * 100_000)})
    assert reply.status_code == 403 and reply.json() == {"detail": "Uploads come from the app's own page."}
    with httpx.Client() as browser:
        browser.get(app_url)  # the page issues the session cookie
        small = browser.post(app_url + "gradio_api/upload", files={"files": ("bill.txt", b"Section 1. Credit.")})
        assert small.status_code == 200
        huge = browser.post(app_url + "gradio_api/upload", files={"files": ("big.txt", b"x" * (21 * 2**20))})
        assert huge.status_code == 413


def test_an_app_without_uploads_refuses_the_route():
    import asyncio

    from ui.guard import Guard, LoginThrottle

    sent: list[dict] = []

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError("the upload reached the app")

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/gradio_api/upload", "method": "POST", "headers": []}
    asyncio.run(Guard(app, LoginThrottle())(scope, None, send))
    assert sent[0]["status"] == 404


def test_answer_files_are_deleted_after_their_time(index, settings, tmp_path):
    """Before: one file per question under a temporary folder, never deleted (2,332 after ~2,900 questions)."""
    from advisor.backends import make_answerer
    from ui.app import DOWNLOAD_HOURS, App

    session = Session.__new__(Session)  # the App needs only .answerer and .settings here
    session.settings, session.answerer = settings, make_answerer(index, settings, "extractive")
    app = App(session, downloads=tmp_path / "answers")
    old = [Path(app._save("# old", "policy-advisor-old")) for _ in range(3)]
    long_ago = time.time() - DOWNLOAD_HOURS * 3600 - 60
    for path in old:
        os.utime(path.parent, (long_ago, long_ago))
    app._swept = 0.0  # the sweep runs at most once a minute
    new = Path(app._save("# new", "policy-advisor-new"))
    assert new.exists() and not any(path.parent.exists() for path in old)
    assert sorted(p.name for p in (tmp_path / "answers").iterdir()) == [new.parent.name]


def test_a_conversation_keeps_one_answer_file_and_the_app_keeps_them_in_its_own_folder(settings, index, tmp_path):
    """Each new answer replaces the conversation's file (the page offers only the latest); the app's
    files live in a folder of its own, removed when it stops."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    with running_app(settings.index_dir, env={"TMPDIR": str(temporary)}) as url:
        app = client(url)
        for question in (MASTERY, "How should state assessments change?", "What about teacher licensure?"):
            *_, download = ask(app, question)
        files = [p for p in temporary.rglob("*.md")]
        assert len(files) == 1 and files[0].read_text(encoding="utf-8") == Path(download).read_text(encoding="utf-8")
        assert files[0].parent.parent.parent.name.startswith("advisor-web-")
    assert not any(temporary.rglob("*.md"))  # removed with the app


def test_answering_sends_values_not_component_updates(index, settings, tmp_path):
    """Gradio 6.31 keeps a new component, with the value it carried, in the session for every update
    (gr.skip() included) an event returns: ~40 KB per question, without end, in the soak before this."""
    from types import SimpleNamespace

    from advisor.backends import make_answerer
    from advisor.retrieve import Filters
    from ui.app import App, Tab

    session = Session.__new__(Session)
    session.settings, session.answerer, session.index = settings, make_answerer(index, settings, "extractive"), index
    session.refresh = lambda: False
    session.filters = lambda *args: Filters()
    app = App(session, downloads=tmp_path / "answers")
    request = SimpleNamespace(request=SimpleNamespace(cookies={"advisor-session": "me"}), username=None)
    tab = Tab()
    yielded = []
    for question in (MASTERY, "", "banana bread recipe", "x" * 5000):
        yielded += list(app.ask(question, [], tab, "Answer", [], [], request))
    yielded += list(app.ask(MASTERY, [], tab, "Answer", [], [], SimpleNamespace(request=None, username="thief")))
    updates = [item for outputs in yielded for item in outputs if isinstance(item, dict) and "__type__" in item]
    assert not updates and len(yielded) >= 6


def _handles(folder: Path) -> tuple[int, int]:
    """(open descriptors, descriptors on deleted files under ``folder``) of this process."""
    total = deleted = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        total += 1
        deleted += target.startswith(str(folder)) and target.endswith("(deleted)")
    return total, deleted


def test_moving_from_generation_to_generation_releases_every_old_handle(small):
    """Before: about 7 descriptors on deleted index files (and ~11 MB) kept per update; with a 256-file
    limit every question failed from about the 14th update."""
    session = Session(small, "extractive", on_build=lambda message: None)
    extra = small.corpus_dir / "extra.md"
    counts = []
    for i in range(12):
        if extra.exists():
            extra.unlink()
        else:
            extra.write_text(f"# Extra {i}\n\nDistricts award credit for mastery in case {i}.\n", encoding="utf-8")
        sync_index(small)
        assert session.refresh()
        assert session.answerer.answer("Who published the state policy framework?").citations
        counts.append(_handles(small.index_dir))
    assert all(deleted == 0 for _, deleted in counts), counts
    assert counts[-1][0] <= counts[0][0] + 5, counts  # open descriptors do not grow with updates (+15 each before)


def test_an_index_rebuilt_under_the_same_generation_name_is_picked_up(small):
    """Before: the session compared generation names only and kept serving the deleted index."""
    session = Session(small, "extractive", on_build=lambda message: None)
    generation = session.index.generation
    shutil.rmtree(small.index_dir)
    (small.corpus_dir / "ohio.md").write_text(
        "# Ohio Credit Flexibility\n\nOhio lets students earn credit by demonstrating mastery.\n", encoding="utf-8"
    )
    rebuilt = run_advisor("index", env=_env(small))  # another process, as `advisor index` would be
    assert rebuilt.returncode == 0, rebuilt.stderr.decode()
    assert session.refresh() and session.index.generation == generation
    assert "ohio" in session.index.sources
    assert session.answerer.answer("Can Ohio students earn credit by demonstrating mastery?").citations


def _sse_lines(stream: httpx.Response):
    for line in stream.iter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:])


def test_a_client_that_goes_away_cancels_its_model_call(settings, index):
    """Before: a disconnected client's model connection stayed open while the model went on writing."""
    with FakeOpenAI() as fake:
        fake.default = Reply(
            "Credit for learning is based on student demonstration of proficiency, not seat time [1]. ",
            pace=0.1,
            endless=True,
        )
        env = {"OPENAI_BASE_URL": fake.base_url, "ADVISOR_MODEL": "scripted", "ADVISOR_LLM_TIMEOUT": "300"}
        with running_app(settings.index_dir, env=env) as url, httpx.Client(base_url=url, timeout=30) as http:
            config = http.get("config").json()
            fn_index = next(d.get("id", i) for i, d in enumerate(config["dependencies"]) if d.get("api_name") == "ask")
            session_hash = "goes-away-1"
            joined = http.post(
                "gradio_api/queue/join",
                json={
                    "data": [MASTERY, [], None, "Answer", [], []],  # None: the conversation state
                    "fn_index": fn_index,
                    "session_hash": session_hash,
                    "event_data": None,
                    "trigger_id": None,
                },
            )
            assert joined.status_code == 200, joined.text
            pieces = 0
            with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
                for message in _sse_lines(stream):
                    pieces += message.get("msg") == "process_generating"
                    if pieces >= 5:  # the model's reply is streaming in: now leave
                        break
            assert fake.streaming == 1, (fake.requests, fake.abandoned)
            end = time.monotonic() + 60
            while (fake.streaming or not fake.abandoned) and time.monotonic() < end:
                time.sleep(0.1)
            assert fake.streaming == 0 and fake.abandoned  # the app closed its connection to the model server


def test_a_running_app_answers_from_an_index_rebuilt_under_the_same_name(small):
    """The same through the real `advisor` commands: the running app sees a rebuilt index."""
    with running_app(small.index_dir, env={"ADVISOR_CORPUS_DIR": str(small.corpus_dir)}) as url:
        app = client(url)
        before, *_ = ask(app, "Can Ohio students earn credit by demonstrating mastery?")
        shutil.rmtree(small.index_dir)
        (small.corpus_dir / "ohio.md").write_text(
            "# Ohio Credit Flexibility\n\nOhio lets students earn credit by demonstrating mastery.\n",
            encoding="utf-8",
        )
        assert run_advisor("index", env=_env(small)).returncode == 0
        after, *_ = ask(client(url), "Can Ohio students earn credit by demonstrating mastery?")
        assert "Ohio" in last_reply(after) and last_reply(after) != last_reply(before)
