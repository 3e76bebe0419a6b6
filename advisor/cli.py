"""The ``advisor`` command. Its help text is the documentation: ``advisor --help``, ``advisor ask --help``.

Exit codes: 0 success; 1 some questions in a batch could not be answered (each has an
``error`` line); 2 bad input or setup (a message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

from advisor.config import ConfigError, Settings, quiet_offline_environment
from advisor.errors import UserError

EPILOG = """\
examples:
  advisor ask "Can a state award credit based on mastery instead of seat time?"
  advisor ask "funding for personalized learning" --mode talking-points
  advisor ask "teacher licensure" --condition "Educator Development and Support" --json
  advisor ask --file questions.txt --json > answers.jsonl
  advisor retrieve "kids without internet at home" --k 3
  advisor chat

Everything runs offline; the index under index/ is built on first use and updated when
corpus/ changes. Settings are environment variables (see README, "Configuration").
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Policy Advisor: cited answers about state policy for personalized, competency-based learning.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the search index from corpus/")
    p.add_argument("--rebuild", action="store_true", help="discard the index and build it from scratch")

    def question_args(p: argparse.ArgumentParser, what: str) -> None:
        p.add_argument("question", nargs="?", help="the question (quote it)")
        p.add_argument(
            "--file", type=Path, help=f"{what} every line of FILE (blank lines skipped); with --json prints JSON Lines"
        )
        p.add_argument("--k", type=int, default=None, help="passages to retrieve, 1-50 (default 5, ADVISOR_TOP_K)")
        p.add_argument(
            "--condition",
            action="append",
            default=[],
            metavar="NAME",
            help="only passages of this policy condition (repeatable; case and plural forgiven)",
        )
        p.add_argument(
            "--source",
            action="append",
            default=[],
            metavar="DOC",
            help="only passages of this document (id or title; repeatable)",
        )
        p.add_argument(
            "--part",
            action="append",
            default=[],
            metavar="PART",
            help="only passages of this part, e.g. 'transformative policy' (repeatable)",
        )
        p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = sub.add_parser(
        "ask", help="answer a question with citations", description="Answer a question, citing the passages used."
    )
    question_args(p, "answer")
    p.add_argument(
        "--mode",
        choices=["answer", "talking-points"],
        default="answer",
        help="a short cited answer, or 3-5 cited talking points for an advocate",
    )

    p = sub.add_parser("retrieve", help="show the passages retrieved for a question")
    question_args(p, "retrieve for")

    p = sub.add_parser("chat", help="ask questions interactively (Ctrl-D to leave)")
    p.add_argument("question", nargs="?", help="answer this question and exit instead of chatting")
    p.add_argument("--mode", choices=["answer", "talking-points"], default="answer")

    p = sub.add_parser("eval", help="retrieval and refusal metrics on evals/questions.jsonl")
    p.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    p.add_argument("--misses", action="store_true", help="list the questions that missed")
    return parser


class Session:
    """Opens the index and the answerer once per process, whatever the number of questions."""

    def __init__(self, settings: Settings) -> None:
        from advisor.answer import ExtractiveAnswerer
        from advisor.index import open_index

        self.settings = settings
        self.index = open_index(settings, on_build=lambda msg: print(msg, file=sys.stderr))
        self.answerer = ExtractiveAnswerer(self.index, settings)

    def filters(self, args: argparse.Namespace):  # -> Filters
        from advisor.retrieve import resolve_filters

        return resolve_filters(self.index, args.condition, args.source, args.part)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return 2
    quiet_offline_environment()
    try:
        settings = Settings.from_env()
        return COMMANDS[args.command](args, settings)
    except (UserError, ConfigError) as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _check_k(k: int | None) -> None:
    if k is not None and not 1 <= k <= 50:
        raise UserError(f"--k must be between 1 and 50, not {k}.")


def _questions(args: argparse.Namespace) -> Iterator[str] | list[str]:
    if args.file and args.question:
        raise UserError("Give a question or --file, not both.")
    if args.file:
        try:
            raw = args.file.read_bytes()
        except OSError as exc:
            raise UserError(f"Cannot read {args.file}: {exc.strerror or exc}") from None
        text = raw.decode("utf-8", errors="surrogateescape")
        return [line for line in text.splitlines() if line.strip()]
    if args.question is None:
        raise UserError("Give a question (in quotes) or --file FILE.")
    return [args.question]


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.index import sync_index

    print(sync_index(settings, rebuild=args.rebuild).summary())
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    return _run_batch(
        args,
        settings,
        lambda session, q, filters: session.answerer.answer(q, mode=args.mode, k=args.k, filters=filters),
        format_answer,
    )


def cmd_retrieve(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.retrieve import Hit

    def run(session: Session, question: str, filters) -> tuple[str, list[Hit]]:
        return question, session.answerer.retriever.retrieve(question, args.k, filters)

    return _run_batch(args, settings, run, format_hits)


def _run_batch(args, settings, run, formatter) -> int:
    """One question or a file of them: validate each, answer the valid ones, keep going on errors."""
    from advisor.text import check_question

    _check_k(args.k)
    questions = _questions(args)
    session = Session(settings)
    filters = session.filters(args)
    failures = 0
    for raw in questions:
        try:
            question = check_question(raw, settings.max_question_chars)
            result = run(session, question, filters)
        except UserError as exc:
            if len(questions) == 1:
                raise
            failures += 1
            shown = raw.encode("utf-8", "replace").decode("utf-8")[:200]
            print(json.dumps({"question": shown, "error": str(exc)}) if args.json else f"error: {exc}", flush=True)
            continue
        print(formatter(result, args.json), flush=True)
    return 1 if failures else 0


def format_answer(answer, as_json: bool) -> str:
    if as_json:
        return json.dumps(answer.to_json(), ensure_ascii=False)
    lines = [answer.text]
    if answer.citations:
        lines += ["", "Sources:"]
        for c in answer.citations:
            lines.append(_describe(c.id, c.passage))
            lines.append(textwrap.indent(textwrap.fill(c.passage.text.replace("\n", " "), 96), "      "))
    return "\n".join(lines) + "\n"


def format_hits(result, as_json: bool) -> str:
    question, hits = result
    if as_json:
        return json.dumps(
            {
                "question": question,
                "results": [
                    {
                        "rank": h.rank,
                        "score": round(h.score, 6),
                        "source": h.passage.source,
                        "doc_id": h.passage.doc_id,
                        "condition": h.passage.condition,
                        "part": h.passage.part,
                        "heading": h.passage.heading,
                        "text": h.passage.text,
                    }
                    for h in hits
                ],
            },
            ensure_ascii=False,
        )
    lines = [f"Passages for: {question}", ""]
    for h in hits:
        lines.append(_describe(h.rank, h.passage) + f"  (score {h.score:.3f})")
        lines.append(textwrap.indent(textwrap.fill(h.passage.text.replace("\n", " "), 96), "      "))
    return "\n".join(lines) + "\n"


def _describe(n: int, passage) -> str:
    where = " › ".join(x for x in (passage.condition, passage.part, passage.heading) if x)
    return f"  [{n}] {passage.source}" + (f" — {where}" if where else "")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.retrieve import Filters
    from advisor.text import check_question

    session = Session(settings)
    if args.question is not None:
        question = check_question(args.question, settings.max_question_chars)
        print(format_answer(session.answerer.answer(question, mode=args.mode), False))
        return 0
    interactive = sys.stdin.isatty()
    if interactive:
        print("Policy Advisor (offline). Ask a question about state policy for personalized learning; Ctrl-D to leave.")
    while True:
        try:
            raw = input("\nYou: " if interactive else "")
        except EOFError:
            print()
            return 0
        if not raw.strip():
            continue
        try:
            question = check_question(raw, settings.max_question_chars)
        except UserError as exc:
            print(f"advisor: {exc}")
            continue
        started = time.perf_counter()
        answer = session.answerer.answer(question, mode=args.mode, filters=Filters())
        print("\n" + format_answer(answer, False).rstrip())
        if interactive:
            print(f"({(time.perf_counter() - started) * 1000:.0f} ms, {answer.backend} answer)")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.evaluate import evaluate, load_questions

    session = Session(settings)
    questions = load_questions()
    for split in ["dev", "heldout"] if args.split == "all" else [args.split]:
        lines = evaluate(session.answerer, questions, split).lines()
        print("\n".join(line for line in lines if args.misses or not line.startswith("  miss")))
    return 0


COMMANDS = {"index": cmd_index, "ask": cmd_ask, "retrieve": cmd_retrieve, "chat": cmd_chat, "eval": cmd_eval}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
