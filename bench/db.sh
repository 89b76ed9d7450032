#!/usr/bin/env bash
# Advisory database benchmarks (issue: "Advisory database and ecosystem version
# ordering"). Prints, in one run:
#   1. import of the shared RustSec + PyPA sets: seconds and advisories/s (goal: < 3 s)
#   2. in-process query latency: p50 (goal: < 200 µs) and 10,000 random queries (goal: < 1 s)
#   3. cargo-audit loading the same RustSec data (`cargo audit --db DIR --no-fetch`
#      on a small Cargo.lock) against `palisade db query` on the same package:
#      median wall times and their ratio.
# Needs ../shared/data (or $PALISADE_TEST_DATA). Installs cargo-audit into
# $BENCH_TOOLS (default ~/.cache/palisade-bench-tools) when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${PALISADE_TEST_DATA:-$(pwd)/../shared/data}"
RUNS="${RUNS:-7}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -d "$DATA/advisories/rustsec" ] || { echo "shared data not found at $DATA" >&2; exit 2; }

source bench/common.sh
find_cargo_audit

now_ns() { date +%s%N; }
# median of the numbers on stdin
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== import: RustSec (Markdown + OSV) and PyPA (YAML)"
: > "$WORK/import.times"
for _ in $(seq "$RUNS"); do
  rm -f "$WORK/import.db"*
  start=$(now_ns)
  "$PALISADE" --db "$WORK/import.db" -q db import "$DATA/advisories/rustsec" "$DATA/advisories/pypa"
  echo $(( $(now_ns) - start )) >> "$WORK/import.times"
done
import_ns=$(median < "$WORK/import.times")
advisories=$("$PALISADE" --db "$WORK/import.db" --json db stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')
records=$("$PALISADE" --db "$WORK/import2.db" --json db import "$DATA/advisories/rustsec" "$DATA/advisories/pypa" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')
python3 - "$import_ns" "$advisories" "$records" <<'PY'
import sys
ns, advisories, records = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = ns / 1e9
print(f"import: {s:.2f} s median of runs for {records} records -> {advisories} advisories "
      f"({advisories / s:,.0f} advisories/s, {records / s:,.0f} records/s); goal < 3 s: {'met' if s < 3 else 'MISSED'}")
PY

echo "== in-process queries (criterion bench palisade-vulndb/query)"
cargo bench --locked -p palisade-vulndb --bench query -- --noplot 2>/dev/null \
  | grep -E "^query latency|^10000 random|time:|^query/" || true

echo "== cargo-audit vs palisade db query on the same RustSec data"
mkdir -p "$WORK/project"
cat > "$WORK/project/Cargo.lock" <<'LOCK'
version = 3

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
LOCK
"$PALISADE" --db "$WORK/rustsec.db" -q db import "$DATA/advisories/rustsec"
"$AUDIT" --version
: > "$WORK/audit.times"; : > "$WORK/query.times"
for _ in $(seq "$RUNS"); do
  start=$(now_ns)
  "$AUDIT" audit --db "$DATA/advisories/rustsec/advisories" --no-fetch --file "$WORK/project/Cargo.lock" \
    --json > "$WORK/audit.json" 2>/dev/null || true
  echo $(( $(now_ns) - start )) >> "$WORK/audit.times"
  start=$(now_ns)
  "$PALISADE" --db "$WORK/rustsec.db" --json db query crates.io smallvec 1.6.0 > "$WORK/query.json"
  echo $(( $(now_ns) - start )) >> "$WORK/query.times"
done
grep -q RUSTSEC-2021-0003 "$WORK/audit.json" || { echo "cargo-audit did not report RUSTSEC-2021-0003" >&2; exit 1; }
grep -q RUSTSEC-2021-0003 "$WORK/query.json" || { echo "palisade did not report RUSTSEC-2021-0003" >&2; exit 1; }
python3 - "$(median < "$WORK/audit.times")" "$(median < "$WORK/query.times")" <<'PY'
import sys
audit, query = int(sys.argv[1]) / 1e6, int(sys.argv[2]) / 1e6
print(f"cargo-audit (loads RustSec advisories): {audit:.1f} ms median")
print(f"palisade db query (same package):      {query:.1f} ms median")
print(f"ratio cargo-audit / palisade: {audit / query:.1f}x")
PY
