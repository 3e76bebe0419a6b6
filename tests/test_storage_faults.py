"""Shared installs and storage faults: files take the permissions the user's umask gives, a second
user of a group-shared install is served, and "damaged" is said only of a damaged index. No
permission, a read-only folder or a full disk get their own one-line message, never trigger a
rebuild or delete a generation, and a write that fails leaves nothing half-done.

The faults are real (tests/namespaces.py): a tmpfs that is full, a read-only bind mount, files
owned by another user."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import SMALL_QUESTIONS, no_traceback, run_advisor
from namespaces import as_another_user, run_in_namespace

from advisor.config import Settings
from advisor.corpus import MANIFEST_NAME

NOTE = (
    "# Ohio Credit Flexibility\n\nOhio's credit flexibility plan lets high school students earn credit by "
    "demonstrating mastery of course content instead of logging seat time.\n"
)
ANOTHER_USER = 12345


def _env(settings: Settings) -> dict[str, str]:
    return {"ADVISOR_CORPUS_DIR": str(settings.corpus_dir), "ADVISOR_INDEX_DIR": str(settings.index_dir)}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` with its size: what a rebuild, a deletion or a leftover would change."""
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line(result: dict | subprocess.CompletedProcess, start: str) -> str:
    stderr = result["stderr"] if isinstance(result, dict) else result.stderr.decode()
    assert "Traceback" not in stderr and "damaged" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("advisor:")]
    assert len(lines) == 1 and lines[0].startswith(start), stderr
    return lines[0]


def _umask_002(*args: str, settings: Settings) -> subprocess.CompletedProcess:
    """`advisor ARGS` run by a member of a group that shares the install (umask 002)."""
    return subprocess.run(
        ["sh", "-c", 'umask 002 && exec "$0" -m advisor.cli "$@"', sys.executable, *args],
        capture_output=True,
        env=os.environ | _env(settings),
        timeout=600,
    )


def test_files_take_the_permissions_the_umask_gives(small, tmp_path):
    """Before: current.json was 0600 from the first build and manifest.toml became 0600 after any add."""
    shutil.rmtree(small.index_dir)
    (small.corpus_dir / MANIFEST_NAME).chmod(0o664)
    assert _umask_002("index", settings=small).returncode == 0
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    added = _umask_002("add", str(note), settings=small)
    assert added.returncode == 0, added.stderr.decode()
    assert _mode(small.index_dir / "current.json") == 0o664
    assert _mode(small.index_dir / ".lock") == 0o664
    assert _mode(small.corpus_dir / MANIFEST_NAME) == 0o664  # a replaced file keeps its permissions
    assert _mode(small.corpus_dir / "ohio.md") == 0o664
    private = [p for p in small.index_dir.rglob("*") if not _mode(p) & stat.S_IWGRP]
    assert not private, private  # the vector store's files too: every user of the group can write them


def test_a_second_user_of_a_group_shared_install_is_served(small, tmp_path):
    """Another user in the install's group asks, adds and removes; before, they got a traceback or a
    rebuild that replaced the first user's index."""
    shutil.rmtree(small.index_dir)
    assert _umask_002("index", settings=small).returncode == 0
    for path in [small.corpus_dir, small.index_dir, *small.corpus_dir.rglob("*"), *small.index_dir.rglob("*")]:
        os.chown(path, ANOTHER_USER, os.getegid(), follow_symlinks=False)  # the first user's files, our group
    (small.corpus_dir / MANIFEST_NAME).chmod(0o664)
    small.corpus_dir.chmod(0o775)
    generation = json.loads((small.index_dir / "current.json").read_text())["generation"]
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    note.chmod(0o644)
    tmp_path.chmod(0o755)

    def second_user(*args: str) -> subprocess.CompletedProcess:
        command = ["sh", "-c", 'umask 002 && exec "$0" -m advisor.cli "$@"', sys.executable, *args]
        return as_another_user(command, os.environ | _env(small))

    asked = second_user("ask", SMALL_QUESTIONS[1], "--json")
    no_traceback(asked)
    assert asked.returncode == 0 and json.loads(asked.stdout)["citations"], asked.stderr.decode()
    assert json.loads((small.index_dir / "current.json").read_text())["generation"] == generation  # not rebuilt
    added = second_user("add", str(note))
    assert added.returncode == 0, added.stderr.decode()
    removed = second_user("remove", "ohio")
    assert removed.returncode == 0, removed.stderr.decode()
    # The first user can go on: everything the index holds, and the manifest, stay writable by the group.
    written = [small.corpus_dir / MANIFEST_NAME, *small.index_dir.rglob("*")]
    assert not [p for p in written if not _mode(p) & stat.S_IWGRP]


def test_an_unreadable_index_is_not_called_damaged_and_nothing_is_rebuilt(small):
    """Before: "the index is damaged", a 45-63 s rebuild, and the other user's current index deleted."""
    for path in [small.index_dir, *small.index_dir.rglob("*")]:
        os.chown(path, ANOTHER_USER, os.getegid(), follow_symlinks=False)
    (small.index_dir / "current.json").chmod(0o600)  # as every build before this fix wrote it
    before = _snapshot(small.index_dir)
    for args in (["ask", SMALL_QUESTIONS[0]], ["index"], ["sources"]):
        result = as_another_user([sys.executable, "-m", "advisor.cli", *args], os.environ | _env(small))
        assert result.returncode == 2
        line = _one_line(result, f"advisor: Cannot read the index at {small.index_dir}: permission denied;")
        assert 'README, "Sharing an install"' in line
    assert _snapshot(small.index_dir) == before


def test_an_index_this_user_may_read_but_not_write_is_not_called_damaged(small):
    """Chroma writes to its database even to answer: an index shared without group write cannot serve."""
    for path in [small.index_dir, *small.index_dir.rglob("*")]:
        os.chown(path, ANOTHER_USER, os.getegid(), follow_symlinks=False)
        path.chmod(0o755 if path.is_dir() else 0o644)
    before = _snapshot(small.index_dir)
    result = as_another_user([sys.executable, "-m", "advisor.cli", "ask", SMALL_QUESTIONS[0]], os.environ | _env(small))
    assert result.returncode == 2
    line = _one_line(result, f"advisor: Cannot open the index at {small.index_dir}: it cannot be written here")
    assert "the vector store writes to its files even to answer; ask whoever owns it for access" in line
    assert _snapshot(small.index_dir) == before


def test_a_read_only_index_folder_is_not_called_damaged(small, tmp_path):
    """Before: "damaged", a rebuild, and a traceback."""
    before = _snapshot(small.index_dir)
    plan = {
        "mounts": [{"path": str(small.index_dir), "read_only": True}],
        "env": _env(small),
        "commands": [["ask", SMALL_QUESTIONS[0]], ["index", "--rebuild"], ["sources"]],
    }
    for result in run_in_namespace(plan, tmp_path):
        assert result["rc"] == 2
        _one_line(result, "advisor: Cannot ")
        assert "read-only file system" in result["stderr"]
    assert _snapshot(small.index_dir) == before


def test_an_index_on_a_full_disk_is_not_called_damaged_and_serves_again_once_space_is_freed(small, tmp_path):
    """Before: "damaged", a rebuild that failed with a traceback, and every later `ask` failed."""
    seed = tmp_path / "index-seed"
    shutil.copytree(small.index_dir, seed)
    corpus_before = _snapshot(small.corpus_dir)
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    question = ["ask", SMALL_QUESTIONS[0], "--json"]
    plan = {
        "mounts": [{"path": str(small.index_dir), "tmpfs": "16m", "seed": str(seed), "fill": True}],
        "env": _env(small),
        "commands": [question, ["index", "--rebuild"], ["add", str(note)], "free", question],
    }
    *failed, answered = run_in_namespace(plan, tmp_path)
    for result in failed:
        assert result["rc"] == 2
        line = _one_line(result, "advisor: Cannot ")
        assert "the disk is full; nothing was changed: free some space and run the command again." in line
    assert _snapshot(small.corpus_dir) == corpus_before  # the add was undone: no file, no manifest entry
    assert answered["rc"] == 0 and json.loads(answered["stdout"])["citations"]
    expected = run_advisor(*question, env=_env(small))  # the same generation, from the real disk
    assert json.loads(answered["stdout"]) == json.loads(expected.stdout)


def test_a_full_disk_during_add_leaves_nothing_behind(small, tmp_path):
    """Before: a partial `.adding` file in corpus/ and a traceback."""
    seed = tmp_path / "corpus-seed"
    shutil.copytree(small.corpus_dir, seed)
    big = tmp_path / "big.md"
    big.write_text(NOTE + "".join(f"\nParagraph {i}: districts award credit for mastery.\n" for i in range(40000)))
    plan = {
        "mounts": [{"path": str(small.corpus_dir), "tmpfs": "1m", "seed": str(seed)}],
        "env": _env(small),
        "commands": [["add", str(big)], ["sources", "--json"]],
    }
    added, listed = run_in_namespace(plan, tmp_path)
    assert added["rc"] == 2
    _one_line(added, f"advisor: Cannot add documents to {small.corpus_dir}: the disk is full; nothing was changed")
    assert listed["rc"] == 0 and "big" not in {row["id"] for row in json.loads(listed["stdout"])}
    assert "big" not in listed["stderr"]


def test_a_read_only_corpus_gives_one_line_on_add_and_remove(small, tmp_path):
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    before = _snapshot(small.corpus_dir)
    plan = {
        "mounts": [{"path": str(small.corpus_dir), "read_only": True}],
        "env": _env(small),
        "commands": [["add", str(note)], ["remove", "designing-for-all-students"]],
    }
    added, removed = run_in_namespace(plan, tmp_path)
    for result, action in ((added, "add documents to"), (removed, "remove documents from")):
        assert result["rc"] == 2
        _one_line(result, f"advisor: Cannot {action} {small.corpus_dir}: it is on a read-only file system")
    assert _snapshot(small.corpus_dir) == before


def test_invalid_utf8_in_a_title_is_refused_before_anything_is_copied(small, tmp_path):
    """Before: a traceback, and the file left in corpus/ with no manifest entry."""
    note = tmp_path / "ohio.md"
    note.write_text(NOTE, encoding="utf-8")
    before = _snapshot(small.corpus_dir)
    result = subprocess.run(
        [sys.executable.encode(), b"-m", b"advisor.cli", b"add", str(note).encode(), b"--title", b"Ohio \xff guide"],
        capture_output=True,
        env=os.environ | _env(small),
        timeout=300,
    )
    assert result.returncode == 2
    assert _one_line(result, "advisor: ") == "advisor: --title contains bytes that are not valid UTF-8 text."
    assert _snapshot(small.corpus_dir) == before


@pytest.mark.parametrize("where", ["corpus", "index"])
def test_storage_messages_are_not_damage_messages(where):
    """The classification itself: OSErrors and the words Chroma and SQLite use for the same conditions."""
    from advisor.errors import StorageError, storage_error

    cases = [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (OSError(30, "Read-only file system"), "read-only file system"),
        (OSError(28, "No space left on device"), "the disk is full"),
        (RuntimeError("error returned from database: (code: 13) database or disk is full"), "the disk is full"),
        (RuntimeError("error returned from database: (code: 8) attempt to write a readonly database"), "written"),
        (RuntimeError("Failed to open file: No space left on device (os error 28)"), "the disk is full"),
    ]
    for exc, words in cases:
        problem = storage_error(exc, "open the index at", where)
        assert isinstance(problem, StorageError) and words in str(problem), (exc, problem)
    assert storage_error(ValueError("file is not a database"), "open the index at", where) is None
