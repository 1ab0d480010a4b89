#!/usr/bin/env bash
# Install what archive-ingest needs on Debian/Ubuntu, then the package into ./.venv.
#   scripts/setup.sh          runtime: tesseract + language data, Python package
#   scripts/setup.sh --test   the same plus the test extras (pytest, ruff, mypy) and the dask
#                             extra (tests/test_dask.py runs a real Dask cluster on 127.0.0.1)
# Safe to run again: apt is skipped when every package is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  tesseract-ocr tesseract-ocr-rus tesseract-ocr-kor tesseract-ocr-eng tesseract-ocr-chi-tra tesseract-ocr-osd
  fonts-dejavu-core fonts-nanum   # the fonts the tests and sample scans are drawn with
  python3-venv
)
# The site tests run in a real headless browser (Debian's chromium and its driver); the IIIF
# viewer test's Mirador comes from the npm registry (scripts/fetch_mirador.sh).
[ "${1:-}" = "--test" ] && APT_PACKAGES+=(chromium chromium-driver)
[ "${1:-}" = "--test" ] && ! command -v npm >/dev/null && APT_PACKAGES+=(npm)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: Python 3.11 or newer is needed, {sys.executable} is {sys.version.split()[0]}")
PY
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
extras=""
[ "${1:-}" = "--test" ] && extras="[test,dask]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
[ "${1:-}" = "--test" ] && bash scripts/fetch_mirador.sh
echo "setup: ready ($(.venv/bin/archive-ingest --version), $(tesseract --version 2>&1 | head -1))" >&2
