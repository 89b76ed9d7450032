#!/usr/bin/env bash
# Inventory benchmark (issue: "Inventory"). Generates a 5,000-package
# package-lock.json (ten layers of 500 packages, each depending on three of the
# next, every package reachable), then in one run:
#   1. palisade parses it in process (criterion bench palisade-inventory/parse); goal: under 50 ms
#   2. `palisade sbom` and cdxgen (npm @cyclonedx/cdxgen, offline, same lockfile)
#      each write a CycloneDX SBOM: median wall times and the ratio; goal: at least 20x
#   3. the two package sets are compared and any difference printed.
# Installs cdxgen into $BENCH_TOOLS (default ~/.cache/palisade-bench-tools) when
# it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
CDXGEN_RUNS="${CDXGEN_RUNS:-1}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

source bench/common.sh

CDXGEN="$(command -v cdxgen || true)"
if [ -z "$CDXGEN" ]; then
  if [ ! -x "$BENCH_TOOLS/node_modules/.bin/cdxgen" ]; then
    echo "installing @cyclonedx/cdxgen into $BENCH_TOOLS (once)..." >&2
    mkdir -p "$BENCH_TOOLS"
    (cd "$BENCH_TOOLS" && npm install --no-audit --no-fund @cyclonedx/cdxgen >&2)
  fi
  CDXGEN="$BENCH_TOOLS/node_modules/.bin/cdxgen"
fi

mkdir -p "$WORK/project"
python3 bench/npm_project.py "$WORK/project" 5000
echo "lockfile: $(wc -c < "$WORK/project/package-lock.json") bytes, 5000 packages"

echo "== in-process parse (criterion bench palisade-inventory/parse)"
PALISADE_BENCH_LOCK="$WORK/project/package-lock.json" cargo bench --locked -p palisade-inventory --bench parse -- --noplot 2>/dev/null \
  | grep -E "^parsed|time:" || true

now_ns() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== SBOM of the lockfile: palisade vs cdxgen"
: > "$WORK/palisade.times"
for _ in $(seq "$RUNS"); do
  start=$(now_ns)
  "$PALISADE" -q sbom "$WORK/project/package-lock.json" --format cyclonedx --output "$WORK/palisade.json"
  echo $(( $(now_ns) - start )) >> "$WORK/palisade.times"
done
: > "$WORK/cdxgen.times"
for _ in $(seq "$CDXGEN_RUNS"); do
  start=$(now_ns)
  (cd "$WORK/project" && FETCH_LICENSE=false "$CDXGEN" -t js --no-recurse -o "$WORK/cdxgen.json" . > "$WORK/cdxgen.log" 2>&1) \
    || { echo "cdxgen failed:" >&2; tail -20 "$WORK/cdxgen.log" >&2; exit 1; }
  echo $(( $(now_ns) - start )) >> "$WORK/cdxgen.times"
done
python3 - "$(median < "$WORK/palisade.times")" "$(median < "$WORK/cdxgen.times")" "$WORK/palisade.json" "$WORK/cdxgen.json" <<'PY'
import json, sys
ours, theirs = int(sys.argv[1]) / 1e6, int(sys.argv[2]) / 1e6
def purls(path):
    return {c["purl"].split("?")[0] for c in json.load(open(path)).get("components", []) if "purl" in c}
a, b = purls(sys.argv[3]), purls(sys.argv[4])
print(f"palisade sbom: {ours:.1f} ms median, {len(a)} packages")
print(f"cdxgen:        {theirs:.1f} ms median, {len(b)} packages")
ratio = theirs / ours
print(f"ratio cdxgen / palisade: {ratio:.1f}x; goal at least 20x: {'met' if ratio >= 20 else 'MISSED'}")
only_ours, only_theirs = sorted(a - b), sorted(b - a)
if not only_ours and not only_theirs:
    print("package sets: identical")
else:
    print(f"package sets differ: {len(only_ours)} only in palisade {only_ours[:5]}, {len(only_theirs)} only in cdxgen {only_theirs[:5]}")
PY
