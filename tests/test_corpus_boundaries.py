"""corpus/ is the only place `add`, `remove` and indexing read or delete, and manifest.toml is checked
entry by entry: nothing outside the corpus is indexed, quoted or deleted, and a hand-edit mistake
is named in one line with the way out. Real `advisor` processes on a copy of a small corpus."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import no_traceback, run_advisor

import advisor.documents
from advisor.config import Settings
from advisor.corpus import MANIFEST_NAME
from advisor.documents import add_documents

SECRET = "The database password is hunter2 and the admin token is 5f2c9e."
NOTE = (
    "# Ohio Credit Flexibility\n\nOhio's credit flexibility plan lets high school students earn credit by "
    "demonstrating mastery of course content instead of logging seat time.\n"
)


def _env(settings: Settings) -> dict[str, str]:
    return {"ADVISOR_CORPUS_DIR": str(settings.corpus_dir), "ADVISOR_INDEX_DIR": str(settings.index_dir)}


def _pointer(settings: Settings) -> str:
    return (settings.index_dir / "current.json").read_text()


def _append_entry(settings: Settings, body: str) -> None:
    manifest = settings.corpus_dir / MANIFEST_NAME
    manifest.write_text(manifest.read_text(encoding="utf-8") + f"\n[[document]]\n{body}\n", encoding="utf-8")


def _indexed_text(settings: Settings) -> str:
    from advisor.index import open_index

    return " ".join(p.text for p in open_index(settings).passages.values())


@pytest.fixture()
def victim(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "victim.txt"
    path.write_text(f"# Secret settings\n\n{SECRET}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("how", ["relative", "absolute", "link"])
def test_a_manifest_entry_pointing_outside_corpus_is_refused_and_nothing_is_deleted(small, victim, how):
    """Before: the outside file was indexed and quoted, then `remove` deleted it and exited 0."""
    if how == "link":
        (small.corpus_dir / "innocent.txt").symlink_to(victim)
        name = "innocent.txt"
    else:
        name = os.path.relpath(victim, small.corpus_dir) if how == "relative" else str(victim)
    _append_entry(small, f'id = "victim"\nfile = {json.dumps(name)}\ntitle = "Victim"')
    pointer = _pointer(small)
    for command in (["remove", "victim"], ["ask", "What is the database password?"], ["index"]):
        result = run_advisor(*command, env=_env(small))
        no_traceback(result)
        assert result.returncode == 2, result
        message = result.stderr.decode().strip()
        assert message.startswith(f"advisor: {small.corpus_dir / MANIFEST_NAME}: document 4 ('victim'): file must be")
        assert f"the name of a file in {small.corpus_dir}" in message and "\n" not in message
    assert victim.read_text(encoding="utf-8").endswith(f"{SECRET}\n")  # not deleted
    assert _pointer(small) == pointer  # nothing indexed, nothing rebuilt


def test_an_unlisted_link_out_of_corpus_is_not_indexed(small, victim):
    (small.corpus_dir / "notes.txt").symlink_to(victim)
    result = run_advisor("index", env=_env(small))
    assert result.returncode == 0, result.stderr.decode()
    assert "hunter2" not in _indexed_text(small)


def test_adding_a_folder_does_not_follow_links_out_of_it(small, victim, tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "ohio.md").write_text(NOTE, encoding="utf-8")
    (inbox / "sub" / "config.txt").symlink_to(victim)
    (inbox / "linked-folder").symlink_to(victim.parent, target_is_directory=True)
    (inbox / "twin.md").symlink_to(inbox / "ohio.md")  # a link inside the folder is fine
    result = run_advisor("add", str(inbox), env=_env(small))
    no_traceback(result)
    err = result.stderr.decode()
    assert result.returncode == 1, err  # some files could not be added, the others were
    assert f"advisor: {inbox / 'sub' / 'config.txt'}: a link to {victim}, outside {inbox}; not followed" in err
    assert f"advisor: {inbox / 'linked-folder'}: a link to {victim.parent}, outside {inbox}; not followed" in err
    assert "Added" in result.stdout.decode() and "already in the corpus as 'ohio'" in result.stdout.decode()
    assert "hunter2" not in _indexed_text(small)
    assert not any("hunter2" in p.read_text(errors="replace") for p in small.corpus_dir.iterdir() if p.is_file())


def test_what_is_checked_is_what_is_stored(small, tmp_path, monkeypatch):
    """A file replaced while `add` reads it: the corpus gets the content that was checked, never the new one."""
    source = tmp_path / "notes.md"
    source.write_text(NOTE, encoding="utf-8")
    checked = advisor.documents.parse_document

    def parse_then_replace_source(document):
        passages = checked(document)
        source.write_bytes(os.urandom(4096))  # the file changes on disk right after it was read
        return passages

    monkeypatch.setattr(advisor.documents, "parse_document", parse_then_replace_source)
    outcomes, report = add_documents(small, [source], on_build=lambda message: None)
    assert [o.status for o in outcomes] == ["added"] and report is not None
    assert (small.corpus_dir / "notes.md").read_text(encoding="utf-8") == NOTE
    assert not [p for p in small.corpus_dir.iterdir() if p.name.startswith(".adding")]


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('id = 5\nfile = "x.md"', "id must be non-empty text in quotes, not 5."),
        ('id = "x"\nfile = ""', "document 4 ('x'): file must be"),
        ('id = "x"\nfile = "."', "document 4 ('x'): file must be"),
        ('id = "x"\nfile = "x.md"\ntitle = 7', "title must be text in quotes, not 7."),
        ('id = "x"\nfile = "x.md"\nauthors = "A. Author"', "authors must be a list of names in quotes"),
        ('id = "x"', "every [[document]] needs an id and a file (this one has no file)."),
    ],
)
def test_hand_edited_manifest_mistakes_are_named_before_anything_is_rebuilt(small, entry, problem):
    """Before: `id = 5` rebuilt the whole index, then failed with a TypeError; `file = ""` was a traceback."""
    (small.corpus_dir / "x.md").write_text(NOTE, encoding="utf-8")
    _append_entry(small, entry)
    pointer = _pointer(small)
    for command in (["ask", "credit for mastery"], ["remove", "x"], ["sources"]):
        result = run_advisor(*command, env=_env(small))
        no_traceback(result)
        assert result.returncode == 2
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"advisor: {small.corpus_dir / MANIFEST_NAME}: document 4")
        assert problem in lines[0]
    assert _pointer(small) == pointer and (small.corpus_dir / "x.md").exists()


def test_an_entry_whose_file_is_gone_names_the_way_out_and_remove_works(small, tmp_path):
    """Before: every command stopped, `remove` included, with no hint."""
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    assert run_advisor("add", str(note), env=_env(small)).returncode == 0
    (small.corpus_dir / "ohio.md").unlink()

    ask = run_advisor("ask", "Who published the state policy framework?", "--json", env=_env(small))
    no_traceback(ask)
    assert ask.returncode == 0 and json.loads(ask.stdout)["citations"]  # the other documents still answer
    hint = (
        f"{MANIFEST_NAME} lists ohio.md (id 'ohio'), which is not in {small.corpus_dir}: put the file back, "
        f"or take the entry out with `advisor remove ohio` (or by editing {MANIFEST_NAME})"
    )
    assert hint in ask.stderr.decode()

    removed = run_advisor("remove", "ohio", env=_env(small))
    no_traceback(removed)
    assert removed.returncode == 0 and "Removed 'ohio'" in removed.stdout.decode()
    assert "ohio" not in (small.corpus_dir / MANIFEST_NAME).read_text(encoding="utf-8")
    clean = run_advisor("sources", env=_env(small))
    assert clean.returncode == 0 and b"not in" not in clean.stderr
