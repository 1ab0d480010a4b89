#!/usr/bin/env bash
# Test only: Mirador's single built file for tests/test_iiif_viewer.py, from the npm registry
# (`npm pack mirador@4.0.0`), checked against its SHA-256 and kept in tests/vendor/mirador/
# (git-ignored: a 2.4 MB bundle does not belong in the repository). Run by
# `scripts/setup.sh --test`; does nothing when the checked file is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.0.0
SHA256=86109137e947117095f44b800c69b27c0e0ac5ef41e0a354839f33e761cec0e3
TARGET=tests/vendor/mirador/mirador.min.js

if [ -f "$TARGET" ] && echo "$SHA256  $TARGET" | sha256sum --check --status; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "mirador@$VERSION" --silent >/dev/null)
tar -xzf "$work/mirador-$VERSION.tgz" -C "$work" package/dist/mirador.min.js
echo "$SHA256  $work/package/dist/mirador.min.js" | sha256sum --check --status || {
  echo "fetch_mirador: mirador@$VERSION's dist/mirador.min.js does not have the expected SHA-256" >&2
  exit 1
}
mv "$work/package/dist/mirador.min.js" "$TARGET"
echo "fetch_mirador: $TARGET (mirador@$VERSION)" >&2
