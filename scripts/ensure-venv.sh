# Sourced by ./run and ./run-tests: create .venv and install the project when pyproject.toml is
# newer than the last install. Needs python3 >= 3.11 and access to PyPI.
PYTHON="${PYTHON:-python3}"
extras="${ADVISOR_EXTRAS:-}"
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "Policy Advisor needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2; exit 2; }
  echo "Creating .venv and installing Policy Advisor (about a minute)…" >&2
  "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}" 2>&1 \
    | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
  .venv/bin/python -c 'import advisor.cli' || { echo "Installing Policy Advisor failed; see the messages above." >&2; exit 2; }
  touch "$stamp"
fi
