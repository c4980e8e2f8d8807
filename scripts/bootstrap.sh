# Sourced by the other scripts: a local virtual environment with the project installed.
# Usage: . scripts/bootstrap.sh [extras]   (extras e.g. "test")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "creating the virtual environment in .venv ($($PYTHON --version))"
  "$PYTHON" -m venv .venv
fi
# Reinstall only when the project's metadata changed since the last install.
STAMP=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${1:-base}"
if [ ! -f "$STAMP" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "${1:-}" ]; then .venv/bin/python -m pip install --quiet -e ".[${1}]"; else .venv/bin/python -m pip install --quiet -e .; fi
  rm -f .venv/.installed-*
  touch "$STAMP"
fi
export PATH="$ROOT/.venv/bin:$PATH"
