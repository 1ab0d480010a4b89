#!/usr/bin/env bash
# Quick start, part 2: set up with the test extras, lint (ruff, vulture for dead code), type-check and run the tests.
#
# The default run (and .ci/run, which calls this) has the short form of the crash harness
# (tests/test_crash.py: every crash hook point once, 3 random SIGKILLs, one kill during OCR,
# SIGINT, two concurrent runs, a stale lock). The long loops are marked `slow`:
#   ARCHIVE_INGEST_SLOW=1 scripts/test.sh            # everything, the long crash loops too
#   scripts/test.sh -m slow                          # only the long loops
#   ARCHIVE_INGEST_CRASH_SEED=123 scripts/test.sh -m slow   # replay one random kill sequence
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/vulture  # dead code: paths and allow-list in pyproject.toml [tool.vulture]
.venv/bin/mypy
.venv/bin/pytest "$@"
