"""Soak: the web app through many index swaps and questions; does its memory or its handles grow?

    .venv/bin/python benchmarks/soak.py                          # 100 swaps, questions for 10 minutes
    .venv/bin/python benchmarks/soak.py --swaps 20 --minutes 2   # a quick look

It builds an index of a copy of corpus/ in a temporary folder and starts `advisor serve` on a free
127.0.0.1 port (it drives nothing else). Clients (the load test's: gradio_client, each its own
browser session, every fourth question as talking points) ask the evaluation questions in turn
while another process swaps the index: `advisor add` of a small note, then `advisor remove` of it,
each a new generation, spread over the run. After each swap the swapper asks one question itself
(an app moves to a new generation before its next question), then samples the server process:
resident memory, open descriptors, descriptors and mappings on deleted index files (an old
generation still held), threads, and the files under its temporary folder (answer files). It also
samples on the clock (``--sample-seconds``), so ``--swaps 0`` gives the trend of questions alone.
It prints each figure at the start, after warm-up, at its maximum and at the end, with its growth
per swap and per 10 minutes (least squares after the first fifth), the questions' latencies and
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

from benchmarks.loadtest import Result, questions, web_load  # noqa: E402 - after the path set-up above

LIMITS = {
    "swaps": (0, 1000),
    "minutes": (0.5, 120),
    "clients": (1, 32),
    "questions": (1, 100_000),
    "sample_seconds": (1, 600),
}


@dataclass
class Sample:
    swap: int | None  # None: a sample taken on the clock, not after a swap
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


def swapper(swaps: int, seconds: float, env: dict[str, str], url: str, samples: list[Sample], probe) -> None:
    """``swaps`` new generations, spread over ``seconds``. After each, one question of its own makes the
    app move to the new generation (an app refreshes before a question), then a sample."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    started = time.monotonic()
    note = Path(env["ADVISOR_CORPUS_DIR"]).parent / "soak-note.md"
    for n in range(1, swaps + 1):
        if n % 2:
            note.write_text(f"# Soak note {n}\n\nDistricts may award credit for mastery, note {n}.\n", encoding="utf-8")
            _advisor("add", str(note), "--id", "soak-note", env=env)
        else:
            _advisor("remove", "soak-note", env=env)
        client.predict("Who published the state policy framework?", [], "Answer", [], [], api_name="/ask")
        samples.append(probe(n))
        time.sleep(max(0.0, started + n * seconds / swaps - time.monotonic()))


def sampler(every: float, stop: threading.Event, samples: list[Sample], probe) -> None:
    """A sample every ``every`` seconds until ``stop``: the trend in time, swaps or not."""
    while not stop.wait(every):
        samples.append(probe(None))


def growth(samples: list[Sample], x: str, field: str) -> float:
    """Least-squares slope of ``field`` against ``x``, over the samples after the first fifth (warm-up)."""
    rows = samples[max(1, len(samples) // 5) :]
    if len(rows) < 2:
        return float("nan")
    xs, ys = [getattr(s, x) for s in rows], [getattr(s, field) for s in rows]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((v - mx) ** 2 for v in xs)
    return sum((a - mx) * (b - my) for a, b in zip(xs, ys)) / spread if spread else float("nan")


def report(by_swap: list[Sample], by_time: list[Sample], result: Result) -> str:
    fields = ["rss_mib", "descriptors", "on_deleted_files", "deleted_mappings", "threads", "temporary_files"]
    every = sorted([*by_swap, *by_time], key=lambda s: s.seconds)
    warm = every[max(1, len(every) // 5)]
    lines = [
        f"| figure | at start | after warm-up ({warm.seconds:.0f} s) | max | at end | per swap | per 10 min |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in fields:
        values = [getattr(s, name) for s in every]
        per_swap = growth(by_swap, "swap", name)
        per_time = growth(by_time, "seconds", name) * 600
        lines.append(
            f"| {name} | {values[0]} | {getattr(warm, name)} | {max(values)} | {values[-1]} | "
            f"{per_swap:+.3f} | {per_time:+.2f} |"
        )
    s = result.summary()
    lines += [
        "",
        f"{len(by_swap) - 1} swaps; {s['requests']} questions by {s['clients']} clients in {s['seconds']} s "
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
    parser.add_argument("--sample-seconds", type=float, default=20.0, help="a sample every N s too (default 20)")
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
            started = time.monotonic()
            temporary, index = Path(env["TMPDIR"]), Path(env["ADVISOR_INDEX_DIR"])

            def probe(swap: int | None) -> Sample:
                return sample(server.pid, swap, started, temporary, index)

            by_swap: list[Sample] = [probe(0)]
            by_time: list[Sample] = []
            stop, done = threading.Event(), threading.Event()
            outcome: list[Result] = []
            threads = [
                threading.Thread(
                    target=lambda: outcome.append(
                        web_load(url, args.clients, seconds, questions(), args.questions, stop)
                    )
                ),
                threading.Thread(target=sampler, args=(args.sample_seconds, done, by_time, probe)),
            ]
            for thread in threads:
                thread.start()
            try:
                swapper(args.swaps, seconds * 0.9, env, url, by_swap, probe)
            except BaseException:
                stop.set()  # the questions stop with a failed swapper; otherwise they run their time
                raise
            finally:
                threads[0].join()
                done.set()
                threads[1].join()
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
        result = outcome[0]
        print(report(by_swap, by_time, result))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {"after_each_swap": [s.__dict__ for s in by_swap], "every_interval": [s.__dict__ for s in by_time]}
                | {"questions": result.summary()}
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
