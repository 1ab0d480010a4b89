#!/usr/bin/env bash
# Quick start, part 2: set up with the test extras, lint, type-check and run the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pytest "$@"
