"""What the declared dependencies are for: nothing we ship needs llama-index's OpenAI LLM packages."""

from __future__ import annotations

import subprocess
import sys

from helpers import SMALL_QUESTIONS

# Runs in a fresh interpreter where the two packages cannot be imported, as after `pip install .`
# without them: every module of advisor/, ui/ and benchmarks/ is imported, and the llama-index
# baseline (the only code that builds llama-index query engines; MockLLM, from core) is built and asked.
_AUDIT = """
import importlib, pkgutil, sys, tempfile

class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[:3] in (["llama_index", "llms", "openai"], ["llama_index", "llms", "openai_like"]):
            raise ModuleNotFoundError(f"No module named {name!r} (the audit removed it)")
        return None

sys.meta_path.insert(0, Absent())
import advisor, benchmarks, ui
for package in (advisor, ui, benchmarks):
    for module in pkgutil.iter_modules(package.__path__):
        if module.name != "__main__":
            importlib.import_module(f"{package.__name__}.{module.name}")
from benchmarks import reference
with tempfile.TemporaryDirectory() as persist:
    assert reference.main(["build", sys.argv[1], persist]) in (0, None)
    assert reference.main(["ask", persist, sys.argv[2]]) in (0, None)
"""


def test_nothing_needs_the_llama_index_openai_llm_packages(small_index):
    result = subprocess.run(
        [sys.executable, "-c", _AUDIT, str(small_index.corpus_dir), SMALL_QUESTIONS[0]],
        capture_output=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert b'"sources": [{' in result.stdout  # the baseline answered, from its retrieved passages
