"""Users' own documents: add them to the corpus, list what is indexed, take them out again.

corpus/ and its manifest.toml stay the one source of truth; this module only edits them safely.
Each file is read and parsed before anything is written, so a broken file never reaches the
corpus. A good file is copied in under a temporary name and renamed, the manifest is replaced
atomically, and the index is then synced (built aside and swapped). Removal edits the manifest
before deleting the file, so no step leaves the manifest naming a file that is gone. All of it
runs under the index build lock, so two `advisor add` calls cannot lose each other's entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import tomllib
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.build import ProgressHook
from advisor.config import Settings
from advisor.corpus import (
    MANIFEST_NAME,
    MAX_DOCUMENT_BYTES,
    Document,
    check_file,
    document_title,
    inside,
    load_documents,
    one_line,
)
from advisor.errors import DocumentError, StorageError, UserError, storage_error
from advisor.index import Index, SyncReport, open_index, sync_index
from advisor.passages import parse_document
from advisor.store import build_lock, write_atomically
from advisor.text import name_key

_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
MANIFEST_HEADER = "# Metadata for the documents in this folder (see advisor/corpus.py for the fields).\n"


@dataclass
class Outcome:
    """What happened to one file of an ``add``: added, already present, or failed (with the reason)."""

    path: Path
    status: str  # "added" | "present" | "failed"
    message: str
    doc_id: str | None = None


def add_documents(
    settings: Settings,
    paths: list[Path],
    title: str | None = None,
    doc_id: str | None = None,
    on_build: Callable[[str], None] = print,
    progress: ProgressHook | None = None,
) -> tuple[list[Outcome], SyncReport | None]:
    """Add each file (folders: every file inside, hidden ones skipped) and index the ones that were good.

    A file is copied into corpus/ under a hidden name first and only the copy is read, checked and
    renamed into place, so what was checked is what is stored. ``progress`` hears how far
    indexing them has got. If the corpus cannot be written
    (permissions, read-only, full disk) nothing of the call stays behind."""
    if (title is not None or doc_id is not None) and (len(paths) != 1 or paths[0].is_dir()):
        raise UserError("--title and --id describe one document: give exactly one file with them.")
    if doc_id is not None and not _ID.fullmatch(doc_id):
        raise UserError(f"--id {doc_id!r} must be lower-case letters, digits, '.', '_' or '-' (at most 80).")
    if title is not None and any(0xD800 <= ord(ch) <= 0xDFFF for ch in title):
        raise UserError("--title contains bytes that are not valid UTF-8 text.")
    outcomes: list[Outcome] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found, skipped = _folder_files(path)
            files += found
            outcomes += [Outcome(link, "failed", f"{link}: {why}") for link, why in skipped]
            if not found and not skipped:
                outcomes.append(Outcome(path, "failed", f"{path}: the folder has no files"))
        elif path.is_file():
            files.append(path)
        else:
            outcomes.append(Outcome(path, "failed", f"{path}: no such file or folder"))
    entries: list[dict[str, str]] = []
    with build_lock(settings.index_dir, on_build):
        _clear_leftovers(settings.corpus_dir)
        existing = load_documents(settings.corpus_dir)
        known = {_sha256(d.path): d for d in existing if d.path.exists()}
        ids = {d.id for d in existing}
        manifest = _Manifest(settings.corpus_dir)
        try:
            for path in files:
                try:
                    outcome, entry = _add_one(settings, path, title, doc_id, known, ids, on_build)
                except DocumentError as exc:
                    outcome, entry = Outcome(path, "failed", str(exc)), None
                outcomes.append(outcome)
                if entry:
                    entries.append(entry)
            if not entries:
                return outcomes, None
            _write_manifest(settings.corpus_dir, entries)
            manifest.changed = True
            report = sync_index(settings, on_build=on_build, progress=progress)
        except BaseException as exc:
            problem = _storage_problem(exc, "add documents to", settings.corpus_dir)
            # Copied in but not listed: take them out. Listed but not indexed because the disk is full or
            # read-only: undo the whole call, as the message says. Interrupted while indexing: keep them;
            # the next command indexes them (as after a killed add).
            if problem or not manifest.changed:
                with suppress(OSError):
                    manifest.restore()
                    for entry in entries:
                        (settings.corpus_dir / entry["file"]).unlink(missing_ok=True)
            if problem and problem is not exc:
                raise problem from None
            raise
    return outcomes, report


def _storage_problem(exc: BaseException, action: str, where: Path) -> StorageError | None:
    """The StorageError ``exc`` is (from the index) or stands for (an OSError writing corpus/)."""
    return exc if isinstance(exc, StorageError) else storage_error(exc, action, where)


class _Manifest:
    """manifest.toml as it was when a call started, to put back if the call must be undone."""

    def __init__(self, corpus_dir: Path) -> None:
        self.path = corpus_dir / MANIFEST_NAME
        self.before = self.path.read_text(encoding="utf-8") if self.path.exists() else None
        self.changed = False

    def restore(self) -> None:
        if not self.changed:
            return
        if self.before is None:
            self.path.unlink(missing_ok=True)
        else:
            write_atomically(self.path, self.before)


def _clear_leftovers(corpus_dir: Path) -> None:
    """Hidden files a killed add or remove left in corpus/ (indexing never reads them)."""
    for leftover in [*corpus_dir.glob(".adding-*"), *corpus_dir.glob(".removing-*")]:
        with suppress(OSError):
            leftover.unlink()


def _folder_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every visible file under ``folder``; links that lead out of it are named and not followed."""
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for root, dirs, names in os.walk(folder):  # followlinks=False: a linked folder is not entered
        base = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names) + [d for d in dirs if (base / d).is_symlink()]:
            path = base / name
            if name.startswith("."):
                continue
            if path.is_symlink() and not inside(folder, path):
                skipped.append((path, f"a link to {os.path.realpath(path)}, outside {folder}; not followed"))
            elif path.is_file():
                found.append(path)
    return found, skipped


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def slug(name: str) -> str:
    """A document id from a file name: 'Ohio Notes (2024).md' → 'ohio-notes-2024'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "document"


def _add_one(
    settings: Settings,
    path: Path,
    title: str | None,
    doc_id: str | None,
    known: dict[str, Document],
    ids: set[str],
    say: Callable[[str], None],
) -> tuple[Outcome, dict[str, str] | None]:
    new_id = doc_id or slug(path.stem)
    check_file(path)  # unknown formats, empty and oversized files stop before anything is copied
    target = settings.corpus_dir / f"{new_id}{path.suffix.lower()}"
    temporary = settings.corpus_dir / f".adding-{target.name}"  # hidden: no reader of corpus/ sees it
    try:
        _copy_in(path, temporary)
        if temporary.stat().st_size > 2**20:
            say(f"Reading {path} ({temporary.stat().st_size / 1e6:.0f} MB)…")
        # Reading and parsing the copy stops empty, binary, huge, broken or encrypted files.
        try:
            if not parse_document(Document(id=new_id, path=temporary, title=new_id)):
                raise DocumentError(temporary, "no text could be read from it")
        except DocumentError as exc:
            raise DocumentError(path, exc.reason) from None
        digest = _sha256(temporary)
        if digest in known:
            same = known[digest]
            message = f"{path} is already in the corpus as {same.id!r}; not added again."
            return Outcome(path, "present", message, same.id), None
        if new_id in ids or target.exists():
            raise DocumentError(
                path,
                f"a different document already has the id {new_id!r}; choose another with --id, "
                f"or replace it: advisor remove {new_id}, then add this file",
            )
        doc_title = one_line(title or "", 200) or document_title(temporary, name=path.stem)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    known[digest] = Document(id=new_id, path=target, title=doc_title)
    ids.add(new_id)
    entry = {
        "id": new_id,
        "file": target.name,
        "title": doc_title,
        "kind": "user document",
        "layout": "auto",
        "added": time.strftime("%Y-%m-%d"),
    }
    return Outcome(path, "added", f"Added {path} as {new_id!r} ({doc_title}).", new_id), entry


def _copy_in(source: Path, temporary: Path) -> None:
    """Copy at most the size limit; a source that grows past it while being read is refused."""
    try:
        reader = source.open("rb")
    except OSError as exc:
        raise DocumentError(source, f"the file cannot be read ({exc.strerror or exc})") from None
    with reader, temporary.open("wb") as out:
        copied = 0
        while True:
            try:
                chunk = reader.read(2**20)
            except OSError as exc:
                raise DocumentError(source, f"the file cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                return
            copied += len(chunk)
            if copied > MAX_DOCUMENT_BYTES:
                raise DocumentError(source, f"the file is over the limit of {MAX_DOCUMENT_BYTES // 10**6} MB")
            out.write(chunk)


def _write_manifest(corpus_dir: Path, entries: list[dict[str, str]]) -> None:
    """Append [[document]] entries, keeping the file's comments; checked by parsing before it replaces the old one."""
    path = corpus_dir / MANIFEST_NAME
    before = path.read_text(encoding="utf-8") if path.exists() else MANIFEST_HEADER
    blocks = ["\n[[document]]\n" + "".join(f"{k} = {_toml_string(v)}\n" for k, v in e.items()) for e in entries]
    after = before.rstrip("\n") + "\n" + "".join(blocks)
    _replace_manifest(path, after, expected=_manifest_ids(before) + [e["id"] for e in entries])


def _toml_string(value: str) -> str:
    # A JSON string is a valid TOML basic string once DEL, which TOML also wants escaped, is.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _manifest_ids(text: str) -> list[str]:
    return [entry.get("id") for entry in tomllib.loads(text).get("document", [])]


def _replace_manifest(path: Path, text: str, expected: list[str]) -> None:
    try:
        ok = _manifest_ids(text) == expected
    except tomllib.TOMLDecodeError:
        ok = False
    if not ok:
        raise UserError(f"Could not update {path} safely; it was left as it was.")
    write_atomically(path, text)


def find_document(settings: Settings, name: str) -> Document:
    """A corpus document by id, or by id or title compared the forgiving way; unknown names list the choices."""
    if not name.strip():
        raise UserError("Name the document to remove (its id or title); `advisor sources` lists them.")
    documents = load_documents(settings.corpus_dir)
    exact = [d for d in documents if d.id == name]
    key = name_key(name)
    loose = [d for d in documents if key in (name_key(d.id), name_key(d.title))]
    found = exact or loose
    if len(found) != 1:
        choices = ", ".join(d.id for d in documents)
        problem = "matches more than one document" if found else "is not a document in the corpus"
        raise UserError(f"{name!r} {problem}. Documents: {choices}.")
    return found[0]


def remove_document(
    settings: Settings, name: str, on_build: Callable[[str], None] = print, progress: ProgressHook | None = None
) -> tuple[Document, SyncReport]:
    """Take a document out of the manifest, then the corpus folder, then the index.

    Works for an entry whose file is already gone. The file is moved aside (a hidden name, so no
    reader sees it) until the index no longer has it; if the corpus or the index cannot be written,
    the file and the manifest are put back as they were."""
    with build_lock(settings.index_dir, on_build):
        _clear_leftovers(settings.corpus_dir)
        document = find_document(settings, name)
        if len(load_documents(settings.corpus_dir)) == 1:
            raise UserError(f"{document.id!r} is the only document; the advisor needs at least one to answer from.")
        manifest = _Manifest(settings.corpus_dir)
        aside = settings.corpus_dir / f".removing-{document.path.name}"
        moved = False
        try:
            ids = _manifest_ids(manifest.before) if manifest.before is not None else []
            if manifest.before is not None and document.id in ids:
                after = _without_entry(manifest.before, document.id)
                _replace_manifest(manifest.path, after, [i for i in ids if i != document.id])
                manifest.changed = True
            if document.path.exists():
                os.replace(document.path, aside)
                moved = True
            report = sync_index(settings, on_build=on_build, progress=progress)
        except BaseException as exc:
            problem = _storage_problem(exc, "remove documents from", settings.corpus_dir)
            if problem:
                with suppress(OSError):
                    if moved:
                        os.replace(aside, document.path)
                    manifest.restore()
                if problem is not exc:
                    raise problem from None
            raise
        aside.unlink(missing_ok=True)
        return document, report


def _without_entry(text: str, doc_id: str) -> str:
    """The manifest text without one [[document]] table; comments above the next table stay."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[document]]"]
    for start, end in zip(starts, [*starts[1:], len(lines)]):
        if tomllib.loads("".join(lines[start:end]))["document"][0].get("id") == doc_id:
            last = max(i for i in range(start, end) if lines[i].strip() and not lines[i].lstrip().startswith("#"))
            while last + 1 < end and not lines[last + 1].strip():
                last += 1
            return "".join(lines[:start] + lines[last + 1 :]).rstrip("\n") + "\n"
    return text


def list_sources(
    settings: Settings, on_build: Callable[[str], None] = print, progress: ProgressHook | None = None
) -> list[dict[str, Any]]:
    """Every indexed document: id, title, file, passage count and when its passages were last indexed."""
    return index_sources(open_index(settings, on_build=on_build, progress=progress))


def index_sources(index: Index) -> list[dict[str, Any]]:
    """``list_sources`` of an index already open (the web app's, which must not open a second one)."""
    return [
        {
            "id": doc_id,
            "title": doc["title"],
            "file": doc["file"],
            "passages": doc["passages"],
            "indexed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(doc["indexed_at"])),
        }
        for doc_id, doc in index.state["documents"].items()
    ]
