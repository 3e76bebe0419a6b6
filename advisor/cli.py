"""The ``advisor`` command. Its help text is the documentation: ``advisor --help``, ``advisor ask --help``.

Exit codes: 0 success; 1 some questions in a batch could not be answered (each has an
``error`` line); 2 bad input or setup (a message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import itertools
import json
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.answer import MODES
from advisor.backends import backend_choices, backends
from advisor.citations import UNSUPPORTED_POLICIES
from advisor.config import PROJECT_ROOT, ConfigError, Settings, quiet_offline_environment
from advisor.errors import UserError, show_traceback_if_debugging
from advisor.formats import conversation_markdown, format_answer, format_hits
from advisor.progress import terminal_progress
from advisor.session import Session, to_stderr

if TYPE_CHECKING:
    from advisor.answer import Answer
    from advisor.retrieve import Filters

EVALS = PROJECT_ROOT / "evals"  # evaluation data: in a source checkout, not in an installed package
CONVERSATIONS = EVALS / "conversations.jsonl"

EPILOG = """\
examples:
  advisor ask "Can a state award credit based on mastery instead of seat time?"
  advisor ask "funding for personalized learning" --mode talking-points
  advisor ask "teacher licensure" --condition "Educator Development and Support" --json
  advisor ask --file questions.txt --json > answers.jsonl
  advisor retrieve "kids without internet at home" --k 3
  advisor check bill.pdf --markdown --out memo.md
  advisor chat
  advisor serve --port 8080
  advisor add ~/Downloads/ohio-guide.pdf --title "Ohio Competency Guide"
  advisor sources
  advisor remove ohio-guide

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

    p = sub.add_parser(
        "add",
        help="add documents (files or folders) to the corpus and index them",
        description="Copy documents (.txt, .md, .html, .pdf, .docx; folders are searched) into corpus/, record "
        "them in corpus/manifest.toml and index them. A file that cannot be read is named with the reason and "
        "the others are still added; a file already in the corpus is not added twice.",
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    p.add_argument("--title", help="the document's title (default: the PDF/Word title, else its first heading)")
    p.add_argument("--id", dest="doc_id", help="the document's id (default: from the file name)")

    p = sub.add_parser("sources", help="list the indexed documents, their passages and when they were indexed")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")

    p = sub.add_parser("remove", help="take a document out of the corpus and the index")
    p.add_argument("document", metavar="DOC", help="its id or title, as `advisor sources` lists them")

    def backend_arg(p: argparse.ArgumentParser, help_text: str) -> None:
        p.add_argument("--backend", choices=backend_choices(), default=None, help=help_text)

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

    def answer_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--mode",
            choices=MODES,
            default="answer",
            help="a short cited answer, or 3-5 cited talking points for an advocate",
        )
        registered = "; ".join(f"{b.name} = {b.description}" for b in backends().values())
        backend_arg(
            p,
            "who writes the answer (default ADVISOR_BACKEND; auto = a model when OPENAI_API_KEY or "
            f"OPENAI_BASE_URL is set, else the offline extractive answerer; {registered})",
        )
        p.add_argument(
            "--strict", action="store_true", help="fail if the model fails, instead of answering extractively"
        )
        p.add_argument(
            "--unsupported",
            choices=UNSUPPORTED_POLICIES,
            default=None,
            help="generated sentences their citations do not support: drop them, or keep them marked "
            "(default: drop with --json, flag otherwise)",
        )

    p = sub.add_parser(
        "ask", help="answer a question with citations", description="Answer a question, citing the passages used."
    )
    question_args(p, "answer")
    answer_args(p)
    p.add_argument(
        "--conversation",
        type=Path,
        metavar="FILE",
        help="answer the lines of FILE as one conversation (follow-ups and commands such as 'shorter' understood); "
        "with --json one object per turn, with searched_for",
    )
    p.add_argument(
        "--markdown",
        action="store_true",
        help="print Markdown: the answer and its sources quoted in full (a one-pager)",
    )

    p = sub.add_parser("retrieve", help="show the passages retrieved for a question")
    question_args(p, "retrieve for")

    p = sub.add_parser(
        "check",
        help="check a bill against the framework: the conditions and policies it addresses, and its gaps",
        description="Split a bill, statute, regulation or state policy document into its provisions (Section 1., "
        "SECTION 2, Sec. 3., § 4, Article I; else its headings or paragraphs) and match each to the framework's "
        "policies: addresses (enacts, requires, funds or authorises it), related, or nothing. Prints a summary, the "
        "conditions × policies matrix, each finding quoted and cited on both sides ([B§2] the bill, [n] the "
        "framework) and the gaps. Nothing is added to the corpus or the index.",
    )
    p.add_argument("source", metavar="FILE", help="the bill (.txt .md .html .pdf .docx), or - to read standard input")
    formats = p.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print the JSON report (README, 'Check a bill')")
    formats.add_argument("--markdown", action="store_true", help="print a Markdown memo for a briefing")
    formats.add_argument("--csv", action="store_true", help="print CSV: one row per (provision, policy) pair")
    p.add_argument("--out", type=Path, metavar="PATH", help="write the report to PATH instead of printing it")

    p = sub.add_parser("chat", help="ask questions interactively, follow-ups included (Ctrl-D to leave)")
    p.add_argument("question", nargs="?", help="answer this question and exit instead of chatting")
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    answer_args(p)

    p = sub.add_parser(
        "serve",
        help="start the web app (http://127.0.0.1:7860 by default)",
        description="Start the web app: chat with follow-ups, clickable citations beside the answer, talking "
        "points, filters by condition or document, Markdown download, and a browsable outline of the framework.",
    )
    p.add_argument("--host", default=None, help="address to listen on (default ADVISOR_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default ADVISOR_PORT or 7860)")
    p.add_argument(
        "--auth", metavar="USER:PASSWORD", default=None, help="require this login (default ADVISOR_AUTH; none)"
    )
    backend_arg(p, "who writes the answers (default ADVISOR_BACKEND, see 'advisor ask --help')")

    p = sub.add_parser(
        "eval",
        help="grounding evaluation: retrieval pipelines and answer backends, written as a report",
        description="Evaluate retrieval (the advisor's hybrid against dense-only, BM25-only and llama-index's "
        "default pipeline) and answers (refusal, citation recall and precision, groundedness, coverage, latency) "
        "on evals/questions.jsonl, per split; writes report.md, report.json and PNG charts.",
    )
    p.add_argument("--split", choices=["dev", "heldout", "all"], default="all")
    p.add_argument(
        "--questions",
        type=Path,
        default=EVALS / "questions.jsonl",
        help="a question set in the same JSON Lines format (default: evals/questions.jsonl)",
    )
    p.add_argument(
        "--conversations",
        type=Path,
        default=CONVERSATIONS,
        help="a conversation set in the same JSON Lines format (default: evals/conversations.jsonl)",
    )
    p.add_argument("--out", type=Path, default=PROJECT_ROOT / "eval-report", help="folder for the report")
    backend_arg(p, "with a model configured (auto), its answers get their own row and an LLM judge runs")
    p.add_argument(
        "--limit",
        type=int,
        default=0,
        help="only the first N questions, conversations and labelled bills, the bills taken from each split in turn "
        "(a quick look)",
    )
    p.add_argument(
        "--fast", action="store_true", help="skip the llama-index default baseline (it builds its own index)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.command:
        _parser().print_help()
        return 2
    quiet_offline_environment()
    try:
        settings = Settings.from_env()
        if getattr(args, "strict", False):
            settings = replace(settings, strict=True)
        return COMMANDS[args.command](args, settings)
    except (UserError, ConfigError) as exc:
        show_traceback_if_debugging(exc)
        print(f"advisor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


MAX_BATCH_BYTES = 10 * 2**20  # `--file`: 10 MB is ~5,000 questions at the longest a question may be


def _check_k(k: int | None) -> None:
    if k is not None and not 1 <= k <= 50:
        raise UserError(f"--k must be between 1 and 50, not {k}.")


def _questions(args: argparse.Namespace) -> Iterator[str] | list[str]:
    if args.file and args.question:
        raise UserError("Give a question or --file, not both.")
    if args.file:
        return _read_lines(args.file)
    if args.question is None:
        raise UserError("Give a question (in quotes) or --file FILE.")
    return [args.question]


def _read_lines(path: Path) -> list[str]:
    """The non-blank lines of a file of questions, split at "\n" only, read up to a size limit (the
    "file" may be /dev/zero or a pipe); bytes that are not UTF-8 are kept for a per-line error."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BATCH_BYTES + 1)
    except OSError as exc:
        raise UserError(f"Cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BATCH_BYTES:
        raise UserError(
            f"{path} is over {MAX_BATCH_BYTES // 2**20} MB; a question file holds one question a line. "
            "Split it into smaller files."
        )
    text = raw.decode("utf-8", errors="surrogateescape")
    # "\n" only (a "\r" before it dropped): str.splitlines would also split at U+2028, NEL and form
    # feed inside a line, and the answers would no longer line up with the file's lines.
    return [line.removesuffix("\r") for line in text.split("\n") if line.strip()]


def _session(settings: Settings, backend: str | None, quiet: bool = False) -> Session:
    """The opened advisor; a first-use build shows its progress bar unless ``quiet`` (JSON output)."""
    with terminal_progress(quiet) as progress:
        return Session(settings, backend, progress=progress)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.index import sync_index

    with terminal_progress() as progress:
        report = sync_index(settings, rebuild=args.rebuild, on_build=to_stderr, progress=progress)
    print(report.summary())
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when every file was added (or already there), 1 when some failed, 2 when none could be added."""
    from advisor.documents import add_documents

    with terminal_progress() as progress:
        outcomes, report = add_documents(
            settings, args.paths, args.title, args.doc_id, on_build=to_stderr, progress=progress
        )
    for outcome in outcomes:
        if outcome.status == "failed":
            print(f"advisor: {outcome.message}", file=sys.stderr)
        else:
            print(outcome.message)
    if report:
        print(report.summary())
    failed = sum(o.status == "failed" for o in outcomes)
    if failed:
        print(f"advisor: {failed} of {len(outcomes)} files could not be added (see above).", file=sys.stderr)
    return 0 if not failed else 1 if failed < len(outcomes) else 2


def cmd_sources(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.documents import list_sources

    with terminal_progress(quiet=args.json) as progress:
        rows = list_sources(settings, on_build=to_stderr, progress=progress)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    width = max(len(r["id"]) for r in rows)
    print(f"{'id':<{width}}  passages  last indexed          title (file)")
    for r in rows:
        print(f"{r['id']:<{width}}  {r['passages']:>8}  {r['indexed_at'][:19]:<19}  {r['title']} ({r['file']})")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.documents import remove_document

    with terminal_progress() as progress:
        document, report = remove_document(settings, args.document, on_build=to_stderr, progress=progress)
    print(f"Removed {document.id!r} ({document.title}) and its file {document.path.name}.")
    print(report.summary())
    return 0


def _unsupported(args: argparse.Namespace) -> str:
    return args.unsupported or ("drop" if args.json else "flag")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if args.conversation:
        return _ask_conversation(args, settings)

    def run(session: Session, question: str, filters: Filters) -> Answer:
        return session.answerer.answer(question, args.mode, args.k, filters, unsupported=_unsupported(args))

    return _run_batch(args, settings, run, lambda a, fmt: format_answer(a, fmt), backend=args.backend)


def _ask_conversation(args: argparse.Namespace, settings: Settings) -> int:
    """Each line of the file is the next turn of one conversation; a bad line is reported and skipped."""
    from advisor.conversation import Conversation
    from advisor.questions import check_question

    if args.question or args.file:
        raise UserError("Give --conversation FILE alone, without a question or --file.")
    fmt = _format(args)
    turns = _read_lines(args.conversation)
    session = _session(settings, args.backend, quiet=args.json)
    filters = session.filters(args.condition, args.source, args.part)
    conversation = Conversation(session.answerer.model)
    failures = 0
    answered: list[tuple[str, Answer]] = []  # with --markdown, one document for the whole conversation
    for number, raw in enumerate(turns, start=1):
        try:
            question = check_question(raw, settings.max_question_chars)
        except UserError as exc:
            failures += 1
            shown = raw.encode("utf-8", "replace").decode("utf-8")[:200]
            if fmt == "markdown":
                print(f"advisor: turn {number}: {exc}", file=sys.stderr)
            else:
                print(
                    json.dumps({"turn": number, "question": shown, "error": str(exc)}) if args.json else f"error: {exc}"
                )
            continue
        answer, plan = conversation.ask(session.answerer, question, args.mode, filters, _unsupported(args))
        if fmt == "markdown":
            answered.append((question, answer))
        elif fmt == "json":
            print(
                json.dumps(
                    {"turn": number, "searched_for": plan.standalone, "turn_kind": plan.kind} | answer.to_json(),
                    ensure_ascii=False,
                ),
                flush=True,
            )
        else:
            print(
                f"Turn {number}: {question}"
                + (f"\n(Searched for: {plan.standalone})" if plan.standalone != question else "")
            )
            print(format_answer(answer, fmt), flush=True)
    if answered:
        print(conversation_markdown(answered), end="")
    return 1 if failures else 0


def cmd_retrieve(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.retrieve import Hit

    def run(session: Session, question: str, filters: Filters) -> tuple[str, list[Hit]]:
        return question, session.answerer.retriever.retrieve(question, args.k, filters)

    return _run_batch(args, settings, run, lambda r, fmt: format_hits(*r, fmt))


def _format(args: argparse.Namespace) -> str:
    if args.json and getattr(args, "markdown", False):
        raise UserError("Choose --json or --markdown, not both.")
    return "json" if args.json else "markdown" if getattr(args, "markdown", False) else "text"


def _run_batch(args, settings, run, formatter, backend: str | None = None) -> int:
    """One question or a file of them: validate each, answer the valid ones, keep going on errors."""
    from advisor.questions import check_question

    _check_k(args.k)
    fmt = _format(args)
    questions = _questions(args)
    session = _session(settings, backend, quiet=args.json)
    filters = session.filters(args.condition, args.source, args.part)
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
        print(formatter(result, fmt), flush=True)
    return 1 if failures else 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Read and split the bill first (bad input fails before the index opens), then match and report."""
    from advisor.bill_check import BillChecker
    from advisor.bill_formats import format_check
    from advisor.provisions import bill_from_bytes, read_bill

    fmt = "json" if args.json else "markdown" if args.markdown else "csv" if args.csv else "text"
    out = _report_path(args.out, settings) if args.out else None
    if args.source == "-":
        if sys.stdin.isatty():
            print("Paste the bill, then press Ctrl-D.", file=sys.stderr)
        bill = bill_from_bytes(sys.stdin.buffer.read(), settings.max_bill_chars)
    else:
        path = Path(args.source)
        if path.is_dir():
            raise UserError(f"{path} is a folder; give the file of one bill.")
        bill = read_bill(path, settings.max_bill_chars)
    session = _session(settings, "extractive", quiet=fmt != "text")
    text = format_check(BillChecker(session.index, settings).check(bill), fmt)
    if out is None:
        sys.stdout.write(text)
        return 0
    partial = out.with_name(f".{out.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(out)
    print(f"Wrote the crosswalk of {len(bill.provisions)} provisions to {out}.", file=sys.stderr)
    return 0


def _report_path(path: Path, settings: Settings) -> Path:
    """Where --out may write: not a folder, not inside corpus/ or index/ (a report is not a corpus document)."""
    resolved = path.expanduser().resolve()
    if resolved.is_dir():
        raise UserError(f"--out {path} is a folder; give a file name.")
    if not resolved.parent.is_dir():
        raise UserError(f"--out {path}: the folder {resolved.parent} does not exist.")
    for kept in (settings.corpus_dir, settings.index_dir):
        if resolved.is_relative_to(kept.expanduser().resolve()):
            raise UserError(f"--out {path} is inside {kept}; write the report somewhere else.")
    return resolved


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from advisor.conversation import Conversation
    from advisor.questions import check_question

    session = _session(settings, args.backend, quiet=args.json)
    unsupported = args.unsupported or "flag"
    if args.question is not None:
        question = check_question(args.question, settings.max_question_chars)
        print(format_answer(session.answerer.answer(question, args.mode, unsupported=unsupported)))
        return 0
    conversation = Conversation(session.answerer.model)
    interactive = sys.stdin.isatty()
    if interactive:
        model = session.answerer.model
        who = f"model {model.name}" if model is not None else "offline"
        print(
            f"Policy Advisor ({who}). Ask about state policy for personalized learning; follow-ups are "
            "understood; /clear starts a new conversation. Ctrl-D to leave."
        )
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
        if raw.strip().lower() in ("/clear", "/new"):
            conversation.clear()
            print("(Conversation cleared: the next question starts afresh.)")
            continue
        started = time.perf_counter()
        stream, plan = conversation.stream(session.answerer, question, args.mode, unsupported=unsupported)
        if plan.kind == "follow-up":
            print(f"(Searching for: {plan.standalone})")
        elif plan.kind == "command":
            print(f"(Reworking the previous answer: {plan.command.name})")
        streamed = "".join(_echo(stream)) if session.answerer.name != "extractive" else ""
        answer = stream.finish()
        if streamed and streamed.strip() != answer.text.strip():
            print("\n\nAfter checking every citation:")
        print(("\n" if streamed else "") + format_answer(answer).rstrip())
        conversation.add(question, plan, answer)
        if interactive:
            print(f"({(time.perf_counter() - started) * 1000:.0f} ms, {answer.backend} answer)")


def _echo(deltas) -> Iterator[str]:
    """Print a model's reply as it arrives, and pass it on."""
    print()
    for delta in deltas:
        print(delta, end="", flush=True)
        yield delta


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UserError(f"--port must be between 1 and 65535, not {args.port}.")
    settings = replace(
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
        auth=args.auth if args.auth is not None else settings.auth,
    )
    credentials = settings.credentials
    try:
        from ui.app import serve
    except ImportError as exc:
        raise UserError(f"The web app needs gradio, which is not installed ({exc}). Run ./run to install it.") from None
    session = _session(settings, args.backend)
    try:
        demo = serve(session, settings.host, settings.port, credentials, block=False)
    except OSError as exc:
        raise UserError(f"Cannot listen on {settings.host}:{settings.port}: {exc}. Try --port.") from None
    login = " (login required)" if credentials else ""
    print(f"Policy Advisor is ready: http://{settings.host}:{settings.port}{login}. Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _stop_serving)  # `kill`, systemd, docker stop: shut down as for Ctrl-C
    demo.block_thread()
    return 0


def _stop_serving(signum: int, frame: object) -> None:
    """SIGTERM as Ctrl-C: the server closes and the app's temporary folder (answer files) is removed."""
    raise KeyboardInterrupt


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from advisor import crosswalk_eval, eval_report
    from advisor.backends import make_answerer
    from advisor.baselines import BM25Pipeline, DensePipeline, HybridPipeline, LlamaIndexDefaultPipeline
    from advisor.evaluate import load_conversations, load_questions, run
    from advisor.support import LLMJudge, OverlapJudge

    if not EVALS.is_dir():
        raise UserError(
            f"advisor eval reads its labelled data from {EVALS}, which comes with a source checkout and not "
            "with an installed package; run it from a checkout of the project."
        )
    session = _session(settings, args.backend)
    answerer = session.answerer
    # The offline answerer always gets its row; another backend (a model's) gets its own beside it.
    extractive = answerer if answerer.name == "extractive" else make_answerer(session.index, settings, "extractive")
    try:
        questions = load_questions(args.questions)
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot use the question set: {exc}") from None
    if not args.conversations.exists() and args.conversations == CONVERSATIONS:
        args.conversations = None  # a team's own question set may come without conversations
    try:
        load_conversations(args.conversations) if args.conversations else []
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot use the conversation set: {exc}") from None
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    if args.limit:
        questions = questions[: args.limit]
    retriever = extractive.retriever
    pipelines = [HybridPipeline(retriever), DensePipeline(retriever), BM25Pipeline(retriever)]
    if not args.fast:
        pipelines.append(LlamaIndexDefaultPipeline(settings))
    answerers = {"extractive": extractive}
    judges = {"offline (lexical + MiniLM)": OverlapJudge(settings.support_threshold, session.index.sentence_vectors)}
    if answerer is not extractive:
        answerers[f"model {answerer.model.name}" if answerer.model else answerer.name] = answerer
    if answerer.model is not None:
        judges[f"LLM judge ({answerer.model.name})"] = LLMJudge(answerer.model)
    talks = load_conversations(args.conversations) if args.conversations else []
    conversations = [c for c in talks if args.split in ("all", c["split"])]
    result = run(pipelines, answerers, judges, session.index.passages, questions, conversations[: args.limit or None])
    result.crosswalk = _crosswalk_eval(session, args.split, args.limit)
    written = eval_report.write(result, args.out)
    for split in ("heldout", "dev"):
        if result.questions.get(split):
            print("\n".join(eval_report.retrieval_table(result, split)), end="\n\n")
            print("\n".join(eval_report.coverage_table(result, split)), end="\n\n")
            print("\n".join(eval_report.answer_table(result, split)), end="\n\n")
            if result.conversations:
                print("\n".join(eval_report.conversation_table(result, split)), end="\n\n")
    print("\n".join(eval_report.judge_table(result)), end="\n\n")
    if result.crosswalk is not None:
        print("Crosswalk (evals/bills):", *crosswalk_eval.table(result.crosswalk), sep="\n", end="\n\n")
    else:
        print("Crosswalk (evals/bills): skipped; this corpus has no framework policies to check bills against.\n")
    print(f"{len(result.failures)} failure rows. Report: " + ", ".join(str(p) for p in written))
    return 0


def _crosswalk_eval(session: Session, split: str, limit: int = 0):  # -> CrosswalkRun | None
    """`advisor check` over the labelled bills of evals/bills, for the eval report; None for a team's
    own corpus without the framework (nothing to check a bill against). ``limit``: the first N bills,
    taken from each split in turn, so a quick look still shows both."""
    from advisor.crosswalk import EvidenceMatcher, framework_policies, policy_key
    from advisor.crosswalk_eval import evaluate, load_bills

    if not framework_policies(session.index.passages.values()):
        return None
    matcher = EvidenceMatcher(session.index, session.answerer.retriever)
    try:
        bills = load_bills(policies={policy_key(p) for p in matcher.policies})
    except (OSError, ValueError) as exc:
        raise UserError(f"Cannot use the labelled bills: {exc}") from None
    bills = [b for b in bills if split in ("all", b.split)]
    if limit:
        by_split = [[b for b in bills if b.split == name] for name in dict.fromkeys(b.split for b in bills)]
        bills = [b for group in itertools.zip_longest(*by_split) for b in group if b is not None][:limit]
    return evaluate(matcher, bills)


COMMANDS = {
    "index": cmd_index,
    "add": cmd_add,
    "sources": cmd_sources,
    "remove": cmd_remove,
    "ask": cmd_ask,
    "retrieve": cmd_retrieve,
    "check": cmd_check,
    "chat": cmd_chat,
    "serve": cmd_serve,
    "eval": cmd_eval,
}

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
