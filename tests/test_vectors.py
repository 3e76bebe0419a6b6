"""Vector search both ways: in memory (small collections) and through Chroma's HNSW index (large
ones) give the same neighbours on the real index; answering a question never imports llama-index."""

from __future__ import annotations

import subprocess
import sys

import pytest

from advisor import vectors
from advisor.embeddings import shared_encoder
from advisor.index import passage_of
from advisor.retrieve import Filters
from advisor.vectors import VectorSearch, read_all

QUESTIONS = ("Can a state award credit based on mastery instead of seat time?", "funding for rural districts")
FILTERS = (Filters(), Filters(conditions=("Policy Flexibility", "Funding")), Filters(sources=("rfa-study",)))


@pytest.fixture(scope="module")
def both(index):
    """(in memory, through Chroma) for the passages and for the sentences."""
    sentence_meta = lambda sid: index.passages[passage_of(sid)].metadata()  # noqa: E731
    return {
        "passages": [VectorSearch(index.collection, lambda pid: index.passages[pid].metadata(), m) for m in (10**6, 0)],
        "sentences": [VectorSearch(index.sentences, sentence_meta, m) for m in (10**6, 0)],
    }


@pytest.mark.parametrize("collection", ["passages", "sentences"])
@pytest.mark.parametrize("filters", FILTERS)
def test_in_memory_and_chroma_search_agree(both, collection, filters):
    memory, chroma = both[collection]
    assert memory.in_memory and not chroma.in_memory
    for question in QUESTIONS:
        query = shared_encoder().encode_query(question)
        exact, hnsw = memory.nearest(query, 30, filters.clauses()), chroma.nearest(query, 30, filters.clauses())
        assert [i for i, _ in exact] == [i for i, _ in hnsw] and exact
        assert all(a == pytest.approx(b, abs=1e-5) for (_, a), (_, b) in zip(exact, hnsw))


def test_vectors_are_looked_up_alike(both, index):
    memory, chroma = both["sentences"]
    ids = memory.ids[:7] + ["no-such-sentence-0"]
    found, fetched = memory.vectors(ids), chroma.vectors(ids)
    assert found.keys() == fetched.keys() == set(ids[:7])
    assert all(found[i] == pytest.approx(fetched[i], abs=1e-6) for i in found)


def test_a_collection_is_read_a_page_at_a_time(index, monkeypatch):
    monkeypatch.setattr(vectors, "READ_PAGE", 50)
    paged = read_all(index.sentences, ["metadatas"])
    assert paged["ids"] == index.sentences.get(include=[])["ids"] and len(paged["metadatas"]) == len(paged["ids"])


def test_answering_imports_no_llama_index(settings, index):
    """Nor the model client: the offline answerer loads neither (llama-index is the baseline's, openai the
    model backend's)."""
    code = (
        "import sys; from advisor.config import Settings; from advisor.session import Session; "
        f"s = Session(Settings(index_dir=__import__('pathlib').Path({str(settings.index_dir)!r}))); "
        "s.answerer.answer('Can a state award credit based on mastery?'); "
        "print(sorted(m for m in sys.modules if m.startswith('llama_index.') or m.split('.')[0] == 'openai'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
