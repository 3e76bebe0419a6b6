"""Errors a user can cause and fix; the CLI prints their message and exits non-zero, no traceback."""

from __future__ import annotations

import errno
import re
import sys
import traceback


class UserError(Exception):
    """Bad input or a missing prerequisite, described in words a user can act on."""

    exit_code = 2


class DocumentError(UserError):
    """A corpus document that cannot be read; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StorageError(UserError):
    """A folder the advisor reads or writes cannot be used as it is: no permission, read-only, or full.

    It is never taken for a damaged index, so it never triggers a rebuild or a deletion: rebuilding
    cannot fix any of these, and deleting would destroy what another user (or the old generation)
    still serves."""


_PERMISSION = "permission denied"
_READ_ONLY = "it is on a read-only file system"
_NOT_WRITABLE = (
    "it cannot be written here (no write permission, or a read-only file system), and the vector store "
    "writes to its files even to answer"
)
_FULL = "the disk is full"
_REASONS = {
    errno.EACCES: _PERMISSION,
    errno.EPERM: _PERMISSION,
    errno.EROFS: _READ_ONLY,
    errno.ENOSPC: _FULL,
    errno.EDQUOT: "the disk quota is used up",
}
# What the same conditions look like once Chroma's Rust core or SQLite has reworded them.
_WORDED = (
    (re.compile(r"os error (?:13|1)\b|permission denied", re.I), _PERMISSION),
    (re.compile(r"os error 30\b|read-only file system", re.I), _READ_ONLY),
    (re.compile(r"readonly database", re.I), _NOT_WRITABLE),  # SQLite's code 8: either of the two
    (re.compile(r"os error (?:28|122)\b|no space left|disk is full|database or disk is full", re.I), _FULL),
)
_ACCESS = '; ask whoever owns it for access (for an install shared by a group: README, "Sharing an install")'
_HINTS = {
    _PERMISSION: _ACCESS,
    _NOT_WRITABLE: _ACCESS,
    _READ_ONLY: "; nothing was changed",
    _FULL: "; nothing was changed: free some space and run the command again",
}


def storage_reason(exc: BaseException) -> str | None:
    """'permission denied', 'read-only', 'disk full'... when ``exc`` (or what it wraps) is one of those."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _REASONS:
            return _REASONS[current.errno]
        for pattern, reason in _WORDED:
            if pattern.search(str(current)):
                return reason
        current = current.__cause__ or current.__context__
    return None


def storage_error(exc: BaseException, action: str, where: object) -> StorageError | None:
    """The StorageError for "cannot ACTION WHERE: reason; what to do", or None when ``exc`` is not one."""
    reason = storage_reason(exc)
    if reason is None:
        return None
    return StorageError(f"Cannot {action} {where}: {reason}{_HINTS.get(reason, '; nothing was changed')}.")


def show_traceback_if_debugging(exc: BaseException) -> None:
    """With ADVISOR_DEBUG=1, a handled error's traceback goes to stderr (before its one-line message):
    the user sees one line, whoever debugs it sees where it came from."""
    from advisor.config import ConfigError, debug

    try:
        wanted = debug()
    except ConfigError:  # an unusable ADVISOR_DEBUG is reported as the settings error it is
        return
    if wanted:
        traceback.print_exception(exc, file=sys.stderr)
