"""Errors a user can cause and fix; the CLI prints their message and exits non-zero, no traceback."""


class UserError(Exception):
    """Bad input or a missing prerequisite, described in words a user can act on."""

    exit_code = 2


class DocumentError(UserError):
    """A corpus document that cannot be read; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason
