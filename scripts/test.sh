#!/usr/bin/env bash
# README command 2: set up, then lint, type-check and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v dot >/dev/null 2>&1; then
  echo "note: Graphviz 'dot' is not installed; image tests are skipped (apt-get install -y graphviz)" >&2
fi
.venv/bin/ruff check extractor tests benchmarks scripts
.venv/bin/ruff format --check extractor tests benchmarks scripts
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest "$@"
