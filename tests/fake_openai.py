"""A real HTTP server on 127.0.0.1 that speaks OpenAI's chat-completions protocol and replays a
script of replies, so the real ``openai`` client is exercised with no paid API and no network.

Each scripted reply is a ``Reply``: text (sent whole, or as server-sent events when the client
asks to stream), an HTTP status, a delay, or a raw body for malformed output. Requests are
recorded for assertions.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay: float = 0.0
    raw: bytes | None = None  # sent as-is instead of a well-formed completion
    pace: float = 0.0  # streamed: seconds between pieces
    endless: bool = False  # streamed: the text again and again, until the client goes away
    trickle: bool = False  # streamed: one byte at a time, never completing an event


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up is a case the tests make on purpose, not an error to print; others still print."""

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.default = Reply("The sources don't cover this.")
        self.requests: list[dict] = []
        self.streaming = 0  # streams being written now
        self.abandoned: list[float] = []  # when a client went away mid-stream (time.monotonic())
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def queue(self, *replies: Reply | str) -> None:
        self.script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def _next(self) -> Reply:
        return self.script.pop(0) if self.script else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                reply = fake._next()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.status != 200:
                    error = {"error": {"message": f"scripted {reply.status}", "type": "scripted", "code": None}}
                    return self._send(reply.status, json.dumps(error).encode(), "application/json")
                if reply.raw is not None:
                    return self._send(200, reply.raw, "application/json")
                if body.get("stream"):
                    fake.streaming += 1
                    try:
                        return self._stream(body, reply)
                    except (BrokenPipeError, ConnectionResetError):
                        fake.abandoned.append(time.monotonic())
                    finally:
                        fake.streaming -= 1
                    return None
                return self._send(200, json.dumps(_completion(body, reply.text)).encode(), "application/json")

            def _send(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                text = reply.text
                if reply.trickle:
                    while True:
                        self._write_chunk(b"d")
                        time.sleep(reply.pace or 0.2)
                pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
                self._event(_chunk(body, {"role": "assistant", "content": ""}))
                while True:
                    for piece in pieces:
                        self._event(_chunk(body, {"content": piece}))
                        if reply.pace:
                            time.sleep(reply.pace)
                    if not reply.endless:
                        break
                self._event(_chunk(body, {}, finish="stop"))
                self._write_chunk(b"data: [DONE]\n\n")
                self._write_chunk(b"")

            def _event(self, event: dict) -> None:
                self._write_chunk(f"data: {json.dumps(event)}\n\n".encode())

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _completion(body: dict, text: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunk(body: dict, delta: dict, finish: str | None = None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
