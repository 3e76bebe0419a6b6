"""The web app's workspaces (ui/workspace.py): whose they are, and the bounds that keep them in memory."""

from __future__ import annotations

from pathlib import Path

from advisor.answer import Answer, Citation, Sentence
from advisor.notes import Note
from advisor.passages import Passage
from ui import workspace
from ui.workspace import Turn, Workspace, Workspaces, owner_key


def _answer(question: str = "q") -> Answer:
    passage = Passage("doc", "Doc", "Credit for mastery.", heading="Credit")
    return Answer(
        question,
        "answer",
        False,
        "extractive",
        [[Sentence("Credit for mastery.", [1], "quote")]],
        [Citation(1, passage)],
    )


def test_a_login_owns_its_workspace_else_the_browser_cookie_else_the_tab():
    assert owner_key("staff", "abc") == "user:staff"  # with --auth, every browser of a user shares one
    assert owner_key(None, "abc") == "browser:abc"
    assert owner_key(None, None) is None


def test_conversations_turns_notes_and_workspaces_are_bounded(monkeypatch):
    monkeypatch.setattr(workspace, "MAX_CONVERSATIONS", 3)
    monkeypatch.setattr(workspace, "MAX_TURNS", 4)
    monkeypatch.setattr(workspace, "MAX_NOTES", 2)
    space = Workspace()
    first = space.new()
    for n in range(6):
        assert first.add(Turn(f"question {n}", _answer(f"question {n}"))) == n  # numbers stay stable
    assert [n for n, _ in first.answered()] == [2, 3, 4, 5] and first.turn(1) is None
    assert first.name == "question 0" and first.label == "question 0 (4 answers)"
    for _ in range(3):
        space.new()
    assert len(space.threads) == 3 and first.id not in space.threads  # the least recently used went
    for n in range(3):
        space.pin(Note(f"q{n}", "text [1]"))
    assert [note.question for note in space.notes] == ["q1", "q2"]
    spaces = Workspaces(limit=2)
    a = spaces.get("browser:a")
    spaces.get("browser:b")
    assert spaces.get("browser:a") is a  # used again: now the most recent
    spaces.get("browser:c")
    assert len(spaces) == 2 and spaces.get("browser:a") is a


def test_open_find_delete_and_clear():
    space = Workspace()
    one, two = space.new(), space.new()
    assert space.find(None) is two and space.find("someone-elses-id") is two  # the most recent of one's own
    assert space.open(one.id) is one and space.find(None) is one
    one.add(Turn("q", _answer()))
    one.conversation(None)
    one.clear()
    assert one.answered() == [] and one.memory is None
    space.rename(two.id, "  Funding   briefing ")
    assert two.name == "Funding briefing" and space.choices()[0] == ("q (0 answers)", one.id)
    assert space.delete(one.id) is one and space.open(None) is two


def test_the_corpus_can_be_changed_from_the_page_only_by_a_login_or_on_this_machine(settings, index, tmp_path):
    from advisor.session import Session
    from ui.app import corpus_editable
    from ui.documents_tab import READ_ONLY, DocumentsTab

    assert corpus_editable("127.0.0.1", None) and corpus_editable("0.0.0.0", ("staff", "pw"))
    assert not corpus_editable("0.0.0.0", None)
    session = Session.__new__(Session)
    session.settings, session.index, session.refresh = settings, index, lambda: False
    note = tmp_path / "note.md"
    note.write_text("# Note\n\nA note.\n", encoding="utf-8")
    status, listing = DocumentsTab(session, can_edit=False).add([str(note)])
    assert READ_ONLY[:40] in status and "framework" in listing
    assert not (Path(settings.corpus_dir) / "note.md").exists()
