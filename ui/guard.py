"""What the web app refuses or limits at the HTTP level, below Gradio: one ASGI middleware.

- Uploads: only the "Check a bill" tab takes one, so Gradio's upload route is open only to a browser
  holding the session cookie this server issued with the page (a script that never loaded the page
  is refused), and ``serve`` caps each file at ``UPLOAD_LIMIT``; an app built with ``uploads=False``
  refuses the route altogether. (Without this anyone could write files to the server and have them
  served back.)
- Failed logins: after a few, each further attempt from the same address must wait, the wait
  doubling up to five minutes; a success clears the count. (Behind a proxy every user shares the
  proxy's address: the limit then applies to them together.)
- The browser session: a random, HttpOnly cookie the server issues. Gradio keys a page's state by
  a session id the client chooses; the app keeps each browser's conversations under this cookie
  instead (``ui/workspace.py``), so a client that knows another's session id gets nothing of them.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

log = logging.getLogger("advisor.ui")

SESSION_COOKIE = "advisor-session"
UPLOAD_LIMIT = "20mb"  # a bill for "Check a bill"; the same limit `advisor add` has for a document
FREE_FAILURES = 3  # wrong passwords allowed before the waits start
LONGEST_WAIT = 300.0  # seconds
REMEMBERED = 10_000  # addresses with failures kept at most (the oldest are forgotten first)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class LoginThrottle:
    """Failed logins per client address, and how long that address must wait before the next try."""

    def __init__(self, free: int = FREE_FAILURES, longest: float = LONGEST_WAIT) -> None:
        self.free, self.longest = free, longest
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # address → (count, last failure)
        self._lock = threading.Lock()

    def wait(self, address: str) -> float:
        """Seconds ``address`` must still wait before its next attempt (0: it may try now)."""
        with self._lock:
            count, last = self._failures.get(address, (0, 0.0))
        if count < self.free:
            return 0.0
        return max(0.0, last + min(self.longest, 2.0 ** (count - self.free)) - time.monotonic())

    def failed(self, address: str) -> None:
        with self._lock:
            count, _ = self._failures.pop(address, (0, 0.0))
            self._failures[address] = (count + 1, time.monotonic())
            while len(self._failures) > REMEMBERED:
                self._failures.popitem(last=False)
        if count + 1 == self.free:
            log.warning("%d failed logins from %s; further attempts must wait", count + 1, address)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


class Guard:
    """The ASGI middleware (Starlette's ``Middleware(Guard, throttle=...)``)."""

    def __init__(
        self, app: Callable[[Scope, Receive, Send], Awaitable[None]], throttle: LoginThrottle, uploads: bool = False
    ) -> None:
        self.app = app
        self.throttle = throttle
        self.uploads = uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"].rstrip("/")
        method = scope["method"]
        if method == "POST" and path.endswith("/upload"):
            if not self.uploads:
                await _respond(send, 404, {"detail": "This app accepts no uploads."})
                return
            if not _cookie(scope):
                await _respond(send, 403, {"detail": "Uploads come from the app's own page."})
                return
        if method == "POST" and path.endswith("/login"):
            await self._login(scope, receive, send)
            return
        if method == "GET" and (path in ("", "/config") or path.endswith("/config")) and not _cookie(scope):
            await self.app(scope, receive, _with_cookie(send))
            return
        await self.app(scope, receive, send)

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = (scope.get("client") or ("unknown", 0))[0]
        wait = self.throttle.wait(address)
        if wait > 0:
            seconds = int(wait + 0.999)
            detail = f"Too many failed logins from this address; try again in {seconds} s."
            await _respond(send, 429, {"detail": detail}, [(b"retry-after", str(seconds).encode())])
            return
        status: list[int] = []

        async def watch(message: dict) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.throttle.succeeded(address)
        elif status and status[0] in (400, 401):
            self.throttle.failed(address)


def identity(request: Any) -> tuple[str | None, str | None]:
    """Who a request comes from, as far as the server can tell: the login (when there is one) and
    the browser-session cookie the server issued (None for a client that keeps no cookies)."""
    raw = getattr(request, "request", None)
    cookie = raw.cookies.get(SESSION_COOKIE) if raw is not None else None
    return getattr(request, "username", None) or None, cookie or None


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.decode("latin-1"))
            if SESSION_COOKIE in jar:
                return jar[SESSION_COOKIE].value
    return None


def _with_cookie(send: Send) -> Send:
    """``send`` that adds a new session cookie to the response."""
    value = secrets.token_urlsafe(24)

    async def wrapped(message: dict) -> None:
        if message["type"] == "http.response.start":
            cookie = f"{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax"
            message = message | {"headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)

    return wrapped


async def _respond(send: Send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode()
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*start_headers, *headers]})
    await send({"type": "http.response.body", "body": data})
