#!/usr/bin/env bash
# Quick start, part 1: set up, copy the bundled sample scans into inbox/, ingest them,
# search the catalog and write the offline website (open site/index.html). Run again and
# the same scans are reported as already archived.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cp -p samples/inbox/* inbox/
echo "== archive-ingest run" >&2
.venv/bin/archive-ingest run
echo "== archive-ingest search Пхеньян" >&2
.venv/bin/archive-ingest search Пхеньян
echo "== archive-ingest search Тён" >&2
.venv/bin/archive-ingest search Тён
echo "== archive-ingest site site/" >&2
.venv/bin/archive-ingest site site/
