"""Load test: many concurrent questions against the running web app and the CLI batch, on 127.0.0.1 only.

    .venv/bin/python benchmarks/loadtest.py                       # 16 clients, 60 s each target
    .venv/bin/python benchmarks/loadtest.py --clients 32 --duration 120 --target web
    .venv/bin/python benchmarks/loadtest.py --url http://127.0.0.1:7860/   # an app already running

Web: each client is its own browser session (gradio_client), asking evaluation questions in
turn (every fourth as talking points) until the time is up. An error is an exception, or a reply
that is neither a cited answer nor a refusal. CLI: as many `advisor ask --file --json` processes
at once, each over its own share of the questions; a question's latency is the gap between
consecutive answer lines. Prints a table and writes JSON (``--out``). A script, not a test: it
asserts nothing, it reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # servers.running_app, shared with the test suite


@dataclass
class Result:
    target: str
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, latency_ms: float | None, problem: str | None = None, question: bool = True) -> None:
        """One question answered or failed (``question=False``: a failure outside any question); thread-safe."""
        with self.lock:
            self.requests += question
            if latency_ms is not None:
                self.latencies_ms.append(latency_ms)
            if problem:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(problem[:200])

    def run(self, work, *args) -> Result:
        """``work(i, *args)`` in one thread per client; the wall time is the run's duration."""
        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(i, *args)) for i in range(self.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.seconds = time.monotonic() - started
        return self

    def summary(self) -> dict:
        lat = sorted(self.latencies_ms)
        pick = (lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]) if lat else (lambda q: float("nan"))
        return {
            "target": self.target,
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "errors": self.errors,
            "p50_ms": round(statistics.median(lat), 1) if lat else None,
            "p95_ms": round(pick(0.95), 1) if lat else None,
            "max_ms": round(lat[-1], 1) if lat else None,
            "per_second": round(self.requests / self.seconds, 2) if self.seconds else 0.0,
        }


def questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "evals" / "questions.jsonl").read_text().splitlines() if line]
    return [row["question"] for row in rows]


def _reply_text(history: list[dict]) -> str:
    content = history[-1]["content"]
    return content if isinstance(content, str) else "".join(part.get("text", "") for part in content)


def web_load(
    url: str,
    clients: int,
    duration: float,
    asked: list[str],
    limit: int | None = None,
    stop: threading.Event | None = None,
) -> Result:
    """Clients asking until ``duration`` is up, about ``limit`` questions are asked, or ``stop`` is set."""
    from gradio_client import Client

    deadline = time.monotonic() + duration

    def going() -> bool:
        enough = limit is not None and result.requests >= limit
        return time.monotonic() < deadline and not enough and not (stop and stop.is_set())

    def client_loop(i: int) -> None:
        client = Client(url, verbose=False)
        n = i
        while going():
            question = asked[n % len(asked)]
            mode = "Talking points" if n % 4 == 3 else "Answer"
            n += clients
            started = time.perf_counter()
            try:
                _, history, *_ = client.predict(question, [], mode, [], [], api_name="/ask")
                reply = _reply_text(history)
                ok = 'class="cite"' in reply or "Not covered by the sources" in reply
                problem = None if ok else f"unexpected reply: {reply[:120]}"
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever its kind
                problem = f"{type(exc).__name__}: {exc}"
            result.record((time.perf_counter() - started) * 1000, problem)

    result = Result("web app", clients, 0.0)
    return result.run(client_loop)


def cli_load(clients: int, duration: float, asked: list[str]) -> Result:
    """``clients`` batch processes at once, each over its share of the questions, repeated to fill ``duration``."""
    deadline = time.monotonic() + duration

    def worker(i: int, folder: Path) -> None:
        path = folder / f"questions-{i}.txt"
        path.write_text("\n".join(asked[i::clients] or asked[:1]) + "\n", encoding="utf-8")
        command = [sys.executable, "-m", "advisor.cli", "ask", "--file", str(path), "--json"]
        while time.monotonic() < deadline:
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            last = None
            for line in proc.stdout:
                now = time.perf_counter()
                # The first answer's gap would include the process's start-up, so it is not a latency.
                result.record((now - last) * 1000 if last else None, json.loads(line).get("error"))
                last = now
            if proc.wait() not in (0, 1):  # 1: some lines failed, each already counted
                result.record(None, f"exit {proc.returncode}: {proc.stderr.read()}", question=False)

    result = Result("CLI batch", clients, 0.0)
    with tempfile.TemporaryDirectory() as folder:
        return result.run(worker, Path(folder))


def table(results: list[Result]) -> str:
    head = "| target | clients | seconds | requests | errors | p50 ms | p95 ms | max ms | per second |"
    lines = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        s = r.summary()
        lines.append(
            f"| {s['target']} | {s['clients']} | {s['seconds']} | {s['requests']} | {s['errors']} | "
            f"{s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} | {s['per_second']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per target (default 60)")
    parser.add_argument("--target", choices=["web", "cli", "both"], default="both")
    parser.add_argument("--url", help="a running app on 127.0.0.1 (default: start one on a free port)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmark-results" / "loadtest.json")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 256 or not 1 <= args.duration <= 3600:
        parser.error("--clients must be 1-256 and --duration 1-3600 seconds")
    if args.url and urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the load test drives 127.0.0.1 only; give a loopback --url")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    asked = questions()
    results: list[Result] = []
    if args.target in ("web", "both"):
        if args.url:
            results.append(web_load(args.url, args.clients, args.duration, asked))
        else:
            from servers import running_app

            with tempfile.TemporaryDirectory() as folder, running_app(Path(folder) / "index") as url:
                results.append(web_load(url, args.clients, args.duration, asked))
    if args.target in ("cli", "both"):
        results.append(cli_load(args.clients, args.duration, asked))
    print(table(results))
    for r in results:
        for sample in r.error_samples:
            print(f"{r.target} error: {sample}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([r.summary() | {"error_samples": r.error_samples} for r in results], indent=2))
    print(f"JSON: {args.out}")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
