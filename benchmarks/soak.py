"""Soak: the web app through many index swaps and questions; does its memory or its handles grow?

    .venv/bin/python benchmarks/soak.py                          # 100 swaps, questions for 10 minutes
    .venv/bin/python benchmarks/soak.py --swaps 20 --minutes 2   # a quick look

It builds an index of a copy of corpus/ in a temporary folder and starts `advisor serve` on a free
127.0.0.1 port (it drives nothing else). Clients (gradio_client, each its own browser session) ask
the evaluation questions in turn while another process swaps the index: `advisor add` of a small
note, then `advisor remove` of it, each a new generation, spread over the run. After every swap it
samples the server process: resident memory, open descriptors, descriptors and mappings on deleted
files (an old generation still held), threads, and the files under its temporary folder (answer
files). It prints the samples' start, end and growth per swap, the questions' latencies and
errors, and writes every sample as JSON (``--out``). A script, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # servers.free_port, shared with the test suite

from benchmarks.loadtest import Result, questions  # noqa: E402 - after the path set-up above

LIMITS = {"swaps": (1, 1000), "minutes": (0.5, 120), "clients": (1, 32), "questions": (1, 100_000)}


@dataclass
class Sample:
    swap: int
    seconds: float
    rss_mib: float
    descriptors: int
    on_deleted_files: int
    deleted_mappings: int
    threads: int
    temporary_files: int


def sample(pid: int, swap: int, started: float, temporary: Path, index: Path) -> Sample:
    """The server process as /proc shows it now (deleted files: those of the index, old generations)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:  # closed meanwhile
            continue
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return Sample(
        swap=swap,
        seconds=round(time.monotonic() - started, 1),
        rss_mib=round(int(status["VmRSS"].split()[0]) / 1024, 1),
        descriptors=len(targets),
        on_deleted_files=sum(t.startswith(str(index)) and t.endswith("(deleted)") for t in targets),
        deleted_mappings=sum(str(index) in line and line.endswith("(deleted)") for line in maps),
        threads=int(status["Threads"]),
        temporary_files=sum(len(files) for _, _, files in os.walk(temporary)),
    )


def _advisor(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "advisor.cli", *args], capture_output=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"advisor {' '.join(args)} failed: {done.stderr.decode()[-500:]}")


def swapper(swaps: int, seconds: float, env: dict[str, str], work: Path, pid: int, samples: list[Sample]) -> None:
    """``swaps`` new generations, evenly spread over ``seconds``, a sample of the server after each."""
    started = time.monotonic()
    temporary, index = Path(env["TMPDIR"]), Path(env["ADVISOR_INDEX_DIR"])
    samples.append(sample(pid, 0, started, temporary, index))
    note = work / "soak-note.md"
    for n in range(1, swaps + 1):
        if n % 2:
            note.write_text(f"# Soak note {n}\n\nDistricts may award credit for mastery, note {n}.\n", encoding="utf-8")
            _advisor("add", str(note), "--id", "soak-note", env=env)
        else:
            _advisor("remove", "soak-note", env=env)
        samples.append(sample(pid, n, started, temporary, index))
        time.sleep(max(0.0, started + n * seconds / swaps - time.monotonic()))


def asker(url: str, clients: int, seconds: float, limit: int, stop: threading.Event) -> Result:
    """Clients asking in turn until the time is up, ``limit`` questions are asked, or ``stop`` is set."""
    from gradio_client import Client

    asked = questions()
    deadline = time.monotonic() + seconds
    count = iter(range(limit))
    lock = threading.Lock()

    def loop(i: int) -> None:
        client = Client(url, verbose=False)
        while time.monotonic() < deadline and not stop.is_set():
            with lock:
                n = next(count, None)
            if n is None:
                return
            started = time.perf_counter()
            try:
                _, history, *_ = client.predict(asked[n % len(asked)], [], "Answer", [], [], api_name="/ask")
                content = history[-1]["content"]
                reply = content if isinstance(content, str) else "".join(p.get("text", "") for p in content)
                ok = 'class="cite"' in reply or "Not covered by the sources" in reply
                problem = None if ok else f"unexpected reply: {reply[:120]}"
            except Exception as exc:  # noqa: BLE001 - every failure counts, whatever its kind
                problem = f"{type(exc).__name__}: {exc}"
            result.record((time.perf_counter() - started) * 1000, problem)

    result = Result("web app under index swaps", clients, 0.0)
    return result.run(loop)


def growth(samples: list[Sample], field: str) -> float:
    """Least-squares slope of ``field`` per swap, over the samples after the first tenth (warm-up)."""
    rows = samples[max(1, len(samples) // 10) :]
    if len(rows) < 2:
        return float("nan")
    xs, ys = [s.swap for s in rows], [getattr(s, field) for s in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / spread if spread else float("nan")


def report(samples: list[Sample], result: Result) -> str:
    fields = ["rss_mib", "descriptors", "on_deleted_files", "deleted_mappings", "threads", "temporary_files"]
    warm = samples[max(1, len(samples) // 10)]
    lines = [
        "| figure | at start | after warm-up (swap " + str(warm.swap) + ") | max | at end | growth per swap |",
        "|---|---|---|---|---|---|",
    ]
    for name in fields:
        values = [getattr(s, name) for s in samples]
        lines.append(
            f"| {name} | {values[0]} | {getattr(warm, name)} | {max(values)} | {values[-1]} | "
            f"{growth(samples, name):+.3f} |"
        )
    s = result.summary()
    lines += [
        "",
        f"{len(samples) - 1} swaps; {s['requests']} questions by {s['clients']} clients in {s['seconds']} s "
        f"({s['per_second']} q/s), {s['errors']} errors; latency p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, "
        f"max {s['max_ms']} ms.",
    ]
    lines += [f"error: {sample_}" for sample_ in result.error_samples]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--swaps", type=int, default=100, help="index swaps (default 100)")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the questions go on (default 10)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--questions", type=int, default=10_000, help="at most this many questions (default 10,000)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmark-results" / "soak.json")
    args = parser.parse_args(argv)
    for name, (low, high) in LIMITS.items():
        if not low <= getattr(args, name) <= high:
            parser.error(f"--{name} must be between {low} and {high}")
    from servers import free_port

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    work = Path(tempfile.mkdtemp(prefix="advisor-soak-"))
    try:
        shutil.copytree(ROOT / "corpus", work / "corpus")
        (work / "tmp").mkdir()
        env = os.environ | {
            "ADVISOR_CORPUS_DIR": str(work / "corpus"),
            "ADVISOR_INDEX_DIR": str(work / "index"),
            "ADVISOR_BACKEND": "extractive",
            "TMPDIR": str(work / "tmp"),  # the server's temporary folder (answer files) is counted in samples
        }
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):  # the offline answerer: the index is what is soaked
            env.pop(name, None)
        print("Building the index of a copy of corpus/…", file=sys.stderr)
        _advisor("index", env=env)
        port = free_port()
        log = (work / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "advisor.cli", "serve", "--port", str(port)], stdout=log, stderr=log, env=env
        )
        try:
            while "is ready" not in (work / "serve.log").read_text():
                if server.poll() is not None:
                    raise RuntimeError("advisor serve did not start:\n" + (work / "serve.log").read_text())
                time.sleep(0.2)
            url = f"http://127.0.0.1:{port}/"
            seconds = args.minutes * 60
            samples: list[Sample] = []
            stop = threading.Event()
            outcome: list[Result] = []
            ask = threading.Thread(
                target=lambda: outcome.append(asker(url, args.clients, seconds, args.questions, stop))
            )
            ask.start()
            try:
                swapper(args.swaps, seconds * 0.95, env, work, server.pid, samples)
            except BaseException:
                stop.set()  # the questions stop with a failed swapper; otherwise they run their time
                raise
            finally:
                ask.join()
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
        result = outcome[0]
        print(report(samples, result))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {"samples": [s.__dict__ for s in samples], "questions": result.summary()}
                | {"error_samples": result.error_samples, "settings": vars(args) | {"out": str(args.out)}},
                indent=1,
            )
        )
        print(f"JSON: {args.out}")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
