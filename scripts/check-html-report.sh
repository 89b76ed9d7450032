#!/usr/bin/env bash
# Renders the HTML scan report of ../shared/data/projects/serverless-airline
# (scanned against the shared advisories) in headless Chromium: it must render,
# log no console error, and its severity filter must hide rows. Saves a
# screenshot to $1 (default: target/html-report.png).
#
# Installs Debian's chromium when missing (as root, with apt-get) and
# playwright-core into $CHECK_TOOLS (default ~/.cache/palisade-check-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${PALISADE_TEST_DATA:-$(pwd)/../shared/data}"
SHOT="${1:-$(pwd)/target/html-report.png}"
TOOLS="${CHECK_TOOLS:-$HOME/.cache/palisade-check-tools}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -d "$DATA/projects/serverless-airline" ] || { echo "shared data not found at $DATA" >&2; exit 2; }
command -v node >/dev/null || { echo "error: Node.js is required (node, npm)" >&2; exit 2; }
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "error: Chromium is required (apt-get install chromium, or set CHROMIUM)" >&2
    exit 2
  fi
fi
if [ ! -d "$TOOLS/node_modules/playwright-core" ]; then
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" playwright-core@1 >&2
fi

cargo build --locked -q -p palisade-cli
PALISADE="${CARGO_TARGET_DIR:-$(pwd)/target}/debug/palisade"
"$PALISADE" --db "$WORK/db.sqlite" -q db import \
  "$DATA/advisories/rustsec" "$DATA/advisories/pypa" "$DATA/advisories/go-vulndb"
# Exit code 1 means findings fail the policy: expected here.
"$PALISADE" --db "$WORK/db.sqlite" -q scan --offline --format html \
  --output "$WORK/report.html" "$DATA/projects/serverless-airline" || [ $? -eq 1 ]
mkdir -p "$(dirname "$SHOT")"
# The module resolves playwright-core from next to itself.
cp scripts/check-html-report.mjs "$TOOLS/check-html-report.mjs"
node "$TOOLS/check-html-report.mjs" "$WORK/report.html" "$SHOT"
