"""The reference a user would otherwise build, as a command: llama-index's default pipeline.

``VectorStoreIndex.from_documents`` over the corpus with the default ``SentenceSplitter``
chunking and the advisor's own MiniLM model (``advisor.baselines.LlamaIndexDefaultPipeline``),
persisted with llama-index's default storage; queries go through the default query engine
with llama-index's ``MockLLM`` in place of a model, so it costs the pipeline's own work
(retrieve, pack the prompt) and no generation. The benchmark runs it exactly as it runs
``advisor``: ``build`` like ``advisor index``, ``ask`` like ``advisor ask [--file] --json``.

    python -m benchmarks.reference build CORPUS_DIR PERSIST_DIR
    python -m benchmarks.reference ask PERSIST_DIR (QUESTION | --file FILE)
    python -m benchmarks.reference add PERSIST_DIR PDF     (like `advisor add`: insert one document, persist)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from advisor.config import Settings, quiet_offline_environment

TOP_K = Settings().top_k  # the same number of passages as the advisor retrieves
MOCK_REPLY_TOKENS = 64


def build(corpus_dir: Path, persist_dir: Path) -> None:
    from advisor.baselines import LlamaIndexDefaultPipeline

    LlamaIndexDefaultPipeline(Settings(corpus_dir=corpus_dir)).index.storage_context.persist(str(persist_dir))


def load(persist_dir: Path) -> Any:
    """The persisted index, with the same embedding model for its queries."""
    from llama_index.core import StorageContext, load_index_from_storage

    from advisor.llama_embedding import MiniLMEmbedding

    storage = StorageContext.from_defaults(persist_dir=str(persist_dir))
    return load_index_from_storage(storage, embed_model=MiniLMEmbedding())


def add(persist_dir: Path, pdf: Path) -> None:
    """One more document into the persisted index, as a user of the default pipeline would: its pages'
    text (pypdf, which llama-index's PDF reader uses too) inserted, the storage persisted again."""
    from llama_index.core import Document
    from pypdf import PdfReader

    text = "\n\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)
    index = load(persist_dir)
    index.insert(Document(text=text, metadata={"title": pdf.stem}))
    index.storage_context.persist(str(persist_dir))


def query_engine(index: Any) -> Any:
    from llama_index.core.llms import MockLLM

    # A short stand-in reply: echoing the prompt (its default) overflows the window when answers are refined.
    return index.as_query_engine(similarity_top_k=TOP_K, llm=MockLLM(max_tokens=MOCK_REPLY_TOKENS))


def answer_json(question: str, response: Any) -> str:
    sources = [{"id": n.node.node_id, "score": n.score, "text": n.node.get_content()} for n in response.source_nodes]
    return json.dumps({"question": question, "answer": str(response), "sources": sources}, ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reference", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build")
    p.add_argument("corpus_dir", type=Path)
    p.add_argument("persist_dir", type=Path)
    p = sub.add_parser("ask")
    p.add_argument("persist_dir", type=Path)
    p.add_argument("question", nargs="?")
    p.add_argument("--file", type=Path)
    p = sub.add_parser("add")
    p.add_argument("persist_dir", type=Path)
    p.add_argument("pdf", type=Path)
    args = parser.parse_args(argv)
    quiet_offline_environment()
    if args.command == "build":
        build(args.corpus_dir, args.persist_dir)
        return 0
    if args.command == "add":
        add(args.persist_dir, args.pdf)
        return 0
    questions = args.file.read_text(encoding="utf-8").splitlines() if args.file else [args.question]
    engine = query_engine(load(args.persist_dir))
    for question in filter(None, questions):
        print(answer_json(question, engine.query(question)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
