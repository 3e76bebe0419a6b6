"""The benchmark run: options, the measurements in order, the table and the JSON.

Everything runs against temporary copies: a corpus folder per size (benchmarks/scale.py) and an
index folder per size for the advisor and for the reference, passed to ``advisor`` through
ADVISOR_CORPUS_DIR and ADVISOR_INDEX_DIR, so the project's own index/ is never touched.
Advisor and reference runs alternate, so machine load falls on both alike; the load average at
the start of each build is noted beside it.

Per corpus size the build is reported as time, sentences indexed per second, the share of the
build the embedding model was running (the advisor prints it), and peak RSS; then a ~300-page
PDF of new text (benchmarks/pdf.py) is added to a copy of the built index, launch to searchable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from advisor.config import PROJECT_ROOT, quiet_offline_environment
from benchmarks import install, web
from benchmarks.pdf import make_pdf
from benchmarks.procs import BenchmarkError, ProcessRun, advisor_command, offline_env, python_module, timed_run
from benchmarks.report import Figure, Target, table, write_json
from benchmarks.scale import make_corpus
from benchmarks.stats import Summary

SECTIONS = ("cold", "warm", "batch", "scale", "add", "install", "web")
QUESTIONS = PROJECT_ROOT / "evals" / "questions.jsonl"
COLD_QUESTION = "Can a state award credit based on mastery instead of seat time?"
DEFAULT_OUT = PROJECT_ROOT / "benchmark-results" / "latest.json"
MAX_SIZE = 1000
SMOKE_MAX_BYTES = 4096  # the smoke run's corpus: the shipped documents up to this size
SMOKE_WEB_SECONDS = 3
GROWTH_SIZE, GROWTH_LIMIT = 100, 1.5  # at 100× the corpus, query p50 under 1.5× the shipped corpus's
PDF_PAGES, SMOKE_PDF_PAGES = 300, 3
_MODEL_TIME = re.compile(r" in ([\d.]+) s; ([\d,]+) texts embedded in ([\d.]+) s")

TARGETS = {  # README, "Performance"; warm figures must also beat the reference
    "cold": [Target("median", 3.0)],
    "rss": [Target("max", 500.0)],
    "retrieve": [Target("median", 15.0), Target("p95", 40.0)],
    "answer": [Target("median", 40.0)],
}
BUILD_TARGETS = {20: [Target("median", 60.0)], 100: [Target("median", 300.0)]}  # seconds; 1×: ratio ≤ 1


def _sizes(text: str) -> list[int]:
    try:
        sizes = {int(part) for part in text.split(",") if part.strip()}
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes are whole numbers separated by commas, such as 1,20,100; not {text!r}"
        ) from None
    if not sizes or min(sizes) < 1 or max(sizes) > MAX_SIZE:
        raise argparse.ArgumentTypeError(f"each size must be from 1 to {MAX_SIZE}; got {text!r}")
    return sorted(sizes | {1})  # the shipped corpus is always measured: it is what the others compare to


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, not {value}")
    return value


def _sections(text: str) -> set[str]:
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = names - set(SECTIONS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown section {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}"
        )
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="benchmarks/run",
        description="Measure the advisor's speed and footprint beside llama-index's default pipeline "
        "(same corpus, same embedding model); print a table and write JSON.",
        epilog="Sections: cold (start-up and peak memory of `advisor ask`), warm (per-question latency), "
        "batch (`ask --file --json` throughput), scale (index build and query latency per corpus size), "
        "add (a ~300-page PDF added to each size's index), install (fresh venv: time and size), "
        "web (`advisor serve`).",
    )
    p.add_argument(
        "--sizes",
        type=_sizes,
        default=[1, 20, 100],
        help="corpus sizes, as multiples of the shipped corpus (default 1,20,100; 1 is always included)",
    )
    p.add_argument("--repeats", type=_count, default=3, help="passes over the questions for warm latency (default 3)")
    p.add_argument("--runs", type=_count, default=5, help="fresh processes for cold start and batch (default 5)")
    p.add_argument(
        "--questions",
        type=_count,
        default=None,
        metavar="N",
        help="only the first N evaluation questions (default: all)",
    )
    p.add_argument(
        "--skip",
        type=_sections,
        default=set(),
        metavar="SECTIONS",
        help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}",
    )
    p.add_argument(
        "--web-seconds",
        type=_count,
        default=30,
        help=f"seconds of load from {web.CLIENTS} concurrent web clients, for throughput (default 30)",
    )
    p.add_argument(
        "--pip-cache",
        choices=install.CACHES,
        default="warm",
        help="install with this machine's pip cache (warm, default) or an empty one (cold: downloads all)",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the JSON (default %(default)s)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="a quick check that everything runs (small corpus, one run each, no install): the figures mean nothing",
    )
    return p


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    repeats: int
    runs: int
    questions: int | None
    skip: set[str]
    web_seconds: int
    pip_cache: str
    out: Path
    smoke: bool

    @classmethod
    def parse(cls, argv: list[str] | None) -> Options:
        args = vars(parser().parse_args(argv))
        options = cls(**{f.name: args[f.name] for f in fields(cls)})
        if options.smoke:
            quick = {"sizes": [1], "repeats": 1, "runs": 1, "web_seconds": SMOKE_WEB_SECONDS}
            options = replace(
                options, questions=min(options.questions or 5, 5), skip=options.skip | {"install"}, **quick
            )
        return options

    def wants(self, section: str) -> bool:
        return section not in self.skip


@dataclass
class SizeResult:
    size: int
    build: ProcessRun
    reference_build: ProcessRun
    warm: dict[str, Any] | None
    reference_warm: dict[str, Any] | None
    sentences: int = 0  # indexed by the advisor's build
    load: float = 0.0  # load average (1 min) when the build started
    add: ProcessRun | None = None  # `advisor add` of the PDF into a copy of this size's index
    reference_add: ProcessRun | None = None
    add_load: float = 0.0
    add_pages: int = 0

    @property
    def model_seconds(self) -> float | None:
        """Of the build's own reckoning (its summary line), the seconds the embedding model ran."""
        found = _MODEL_TIME.search(self.build.first_line)
        return float(found.group(3)) if found else None


class Bench:
    """One run of the benchmark in a temporary folder."""

    def __init__(self, options: Options, tmp: Path) -> None:
        self.options = options
        self.tmp = tmp
        questions = [
            json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line
        ]
        self.questions = questions[: options.questions] if options.questions else questions
        self.question_file = tmp / "questions.txt"
        self.question_file.write_text("\n".join(self.questions) + "\n", encoding="utf-8")

    def corpus(self, size: int) -> Path:
        return self.tmp / f"corpus-{size}x"

    def env(self, size: int) -> dict[str, str]:
        return offline_env(
            ADVISOR_CORPUS_DIR=str(self.corpus(size)), ADVISOR_INDEX_DIR=str(self.tmp / f"index-{size}x")
        )

    def reference_dir(self, size: int) -> str:
        return str(self.tmp / f"reference-{size}x")

    def measure_size(self, size: int) -> SizeResult:
        max_bytes = SMOKE_MAX_BYTES if self.options.smoke else None
        make_corpus(PROJECT_ROOT / "corpus", self.corpus(size), size, max_bytes=max_bytes)
        env = self.env(size)
        progress(f"{size}× corpus: building the advisor's index and the reference's…")
        load = os.getloadavg()[0]
        build = timed_run([*advisor_command(), "index", "--rebuild"], env)
        reference_build = timed_run(
            [*python_module("benchmarks.reference"), "build", str(self.corpus(size)), self.reference_dir(size)], env
        )
        state = json.loads((self.tmp / f"index-{size}x" / "current.json").read_text(encoding="utf-8"))["state"]
        warm = reference_warm = None
        if self.options.wants("warm"):
            progress(f"{size}× corpus: warm latency over {len(self.questions)} questions × {self.options.repeats}…")
            both = _json_output(
                [
                    *python_module("benchmarks.warm"),
                    str(self.question_file),
                    str(self.options.repeats),
                    self.reference_dir(size),
                ],
                env,
            )
            warm, reference_warm = both["advisor"], both["reference"]
        result = SizeResult(size, build, reference_build, warm, reference_warm, state["sentences"], load)
        if self.options.wants("add"):
            self.measure_add(result)
        return result

    def pdf(self) -> Path:
        path = self.tmp / "state-code.pdf"
        if not path.exists():
            make_pdf(PROJECT_ROOT / "corpus", path, SMOKE_PDF_PAGES if self.options.smoke else PDF_PAGES)
        return path

    def measure_add(self, result: SizeResult) -> None:
        """Add the PDF to copies of this size's indexes (the originals serve the later figures)."""
        size, pdf = result.size, self.pdf()
        copy = self.tmp / f"add-{size}x"
        shutil.copytree(self.corpus(size), copy / "corpus")
        shutil.copytree(self.tmp / f"index-{size}x", copy / "index")
        shutil.copytree(self.reference_dir(size), copy / "reference")
        env = offline_env(ADVISOR_CORPUS_DIR=str(copy / "corpus"), ADVISOR_INDEX_DIR=str(copy / "index"))
        result.add_pages = SMOKE_PDF_PAGES if self.options.smoke else PDF_PAGES
        progress(f"{size}× corpus: adding a {result.add_pages}-page PDF…")
        result.add_load = os.getloadavg()[0]
        result.add = timed_run([*advisor_command(), "add", str(pdf)], env)
        result.reference_add = timed_run(
            [*python_module("benchmarks.reference"), "add", str(copy / "reference"), str(pdf)], env
        )
        shutil.rmtree(copy)

    def cold_and_batch(self) -> tuple[list[ProcessRun], ...]:
        """Alternating fresh processes: (advisor ask, reference ask, advisor batch, reference batch)."""
        env, ref = self.env(1), [*python_module("benchmarks.reference"), "ask", self.reference_dir(1)]
        runs: tuple[list[ProcessRun], ...] = ([], [], [], [])
        for i in range(self.options.runs):
            progress(f"cold start and batch: run {i + 1} of {self.options.runs}…")
            if self.options.wants("cold"):
                runs[0].append(timed_run([*advisor_command(), "ask", COLD_QUESTION, "--json"], env))
                runs[1].append(timed_run([*ref, COLD_QUESTION], env))
            if self.options.wants("batch"):
                runs[2].append(timed_run([*advisor_command(), "ask", "--file", str(self.question_file), "--json"], env))
                runs[3].append(timed_run([*ref, "--file", str(self.question_file)], env))
        return runs


def progress(message: str) -> None:
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def _json_output(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise BenchmarkError(f"{' '.join(command[:5])} … failed: {done.stderr.strip()[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _of(runs: list[ProcessRun], field: str) -> Summary | None:
    return Summary.of([getattr(r, field) for r in runs]) if runs else None


def _warm_figures(section: str, result: SizeResult, base: SizeResult | None) -> list[Figure]:
    if result.warm is None or result.reference_warm is None:
        return []
    figures = []
    at = "" if result.size == 1 else f" at {result.size}×"
    for key, label in (("retrieve", "retrieval"), ("answer", "retrieval + answer")):
        summary = Summary.of(result.warm[key])
        targets = list(TARGETS[key]) if result.size == 1 else []
        note = ""
        if base is not None and base.warm is not None:
            base_median = Summary.of(base.warm[key]).median
            note = f"{label}{at}: p50 is {summary.median / base_median:.2f}× the shipped corpus's"
            if result.size == GROWTH_SIZE:
                targets.append(Target("median", GROWTH_LIMIT * base_median))
        if key == "answer" and result.size == 1:
            note = "the reference's 'answer' is its default query engine with MockLLM: retrieval and prompt packing"
        figures.append(
            Figure(
                section,
                f"{label}{at}",
                "ms",
                summary,
                Summary.of(result.reference_warm[key]),
                targets=targets,
                beat_reference=True,
                note=note,
            )
        )
    return figures


def _build_figures(result: SizeResult) -> list[Figure]:
    """Time, throughput, share in the model and peak memory of one size's build."""
    size, build, at = result.size, result.build, f"{result.size}× corpus"
    figures = [
        Figure(
            "scale",
            f"index build, {at}",
            "s",
            Summary.single(build.total_s),
            Summary.single(result.reference_build.total_s),
            targets=BUILD_TARGETS.get(size, []),
            beat_reference=size == 1,
            note=f"{at}: {build.first_line} (load average {result.load:.1f} at the start)",
        ),
        Figure(
            "scale",
            f"sentences indexed per second, {at}",
            "/s",
            Summary.single(result.sentences / build.total_s),
            higher_is_better=True,
            note=f"{at}: {result.sentences:,} sentences (and their passages), launch to exit",
        ),
    ]
    if result.model_seconds is not None:
        figures.append(
            Figure(
                "scale",
                f"share of the build in the model, {at}",
                "%",
                Summary.single(100 * result.model_seconds / build.total_s),
                note=f"{at}: the model ran {result.model_seconds:.1f} s of the {build.total_s:.1f} s "
                "(process start and imports included)",
            )
        )
    figures.append(
        Figure(
            "scale",
            f"build peak RSS, {at}",
            "MiB",
            Summary.single(build.peak_rss_mib),
            Summary.single(result.reference_build.peak_rss_mib),
        )
    )
    return figures


def _add_figures(result: SizeResult) -> list[Figure]:
    """The PDF added to a copy of this size's index, if the section ran."""
    if not (result.add and result.reference_add):
        return []
    at = f"{result.size}× corpus"
    return [
        Figure(
            "add",
            f"add a {result.add_pages}-page PDF → searchable, {at}",
            "s",
            Summary.single(result.add.total_s),
            Summary.single(result.reference_add.total_s),
            note=f"{at}: `advisor add` of new text, launch to the index swapped in: "
            f"{result.add.last_line} (load average {result.add_load:.1f}); the reference loads its "
            "storage, inserts the document and persists",
        )
    ]


def figures_for(
    options: Options,
    sizes: list[SizeResult],
    runs: tuple[list[ProcessRun], ...],
    installs: dict[str, tuple[float, float]],
    web_figures: list[Figure],
    n_questions: int,
) -> list[Figure]:
    ask, ref_ask, batch, ref_batch = runs
    base = sizes[0]
    figures = (
        [
            Figure(
                "cold start",
                "`advisor ask` → first answer",
                "s",
                _of(ask, "first_output_s"),
                _of(ref_ask, "first_output_s"),
                targets=TARGETS["cold"],
            ),
        ]
        if ask
        else []
    )
    figures += _warm_figures("warm, shipped corpus, per question", base, None)
    if batch:
        figures.append(
            Figure(
                "batch",
                f"`ask --file --json`, {n_questions} questions",
                "q/s",
                Summary.of([n_questions / r.total_s for r in batch], higher_is_better=True),
                Summary.of([n_questions / r.total_s for r in ref_batch], higher_is_better=True),
                higher_is_better=True,
                note="questions ÷ wall time of the whole process, start-up included",
            )
        )
    if ask or batch:
        figures.append(
            Figure(
                "memory",
                "CLI peak RSS (ask and batch runs)",
                "MiB",
                _of(ask + batch, "peak_rss_mib"),
                _of(ref_ask + ref_batch, "peak_rss_mib"),
                targets=TARGETS["rss"],
            )
        )
    for result in sizes:
        figures += _build_figures(result)
    for result in sizes[1:]:
        figures += _warm_figures("scale", result, base)
    for result in sizes:
        figures += _add_figures(result)
    if installs:
        (adv_s, adv_mib), (ref_s, ref_mib) = installs["advisor"], installs["reference"]
        cache = f"pip cache: {options.pip_cache}"
        figures.append(
            Figure(
                "install",
                f"install from scratch ({cache})",
                "s",
                Summary.single(adv_s),
                Summary.single(ref_s),
                note="reference: " + " ".join(install.reference_requirements()),
            )
        )
        figures.append(
            Figure("install", "installed size (venv)", "MiB", Summary.single(adv_mib), Summary.single(ref_mib))
        )
    return figures + web_figures


def run(options: Options) -> tuple[list[Figure], dict[str, Any]]:
    quiet_offline_environment()
    started = time.time()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        bench = Bench(options, Path(tmp))
        sizes = [bench.measure_size(1)]
        runs = bench.cold_and_batch()
        if options.wants("scale"):
            sizes += [bench.measure_size(size) for size in options.sizes if size > 1]
        installs = {}
        if options.wants("install"):
            progress(f"installing into fresh venvs (pip cache: {options.pip_cache})…")
            installs = {
                "advisor": install.install(install.advisor_requirements(), options.pip_cache),
                "reference": install.install(install.reference_requirements(), options.pip_cache),
            }
        web_figures = []
        if options.wants("web"):
            progress(f"web app: {options.runs} cold starts, then {web.CLIENTS} clients for {options.web_seconds:g} s…")
            web_figures = web.measure(bench.env(1), bench.questions, options.runs, options.web_seconds)
        figures = figures_for(options, sizes, runs, installs, web_figures, len(bench.questions))
    context = {
        "schema": 1,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "commit": _commit(),
        "options": {
            k: sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v
            for k, v in vars(options).items()
        },
    }
    return figures, context


def _commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=PROJECT_ROOT)
    return done.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    options = Options.parse(argv)
    # A stopped run (kill, Ctrl-C) unwinds normally, so its temporary corpora and indexes are removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        figures, context = run(options)
    except BenchmarkError as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    print(table(figures))
    machine = context["machine"]
    print(
        f"\n{machine['cpus']} CPUs; load average {machine['load_average_before'][0]:.2f} before, "
        f"{machine['load_average_after'][0]:.2f} after (above ~0.5 the figures are taken under load). "
        "ratio = advisor ÷ reference (medians); reference = llama-index default pipeline, same corpus and model;\n"
        "p95 = the slow end (the 5th percentile for q/s)."
    )
    write_json(options.out, figures, context)
    print(f"JSON: {options.out}")
    return 0
