#!/usr/bin/env bash
# Scan benchmarks (issue: "Dependency review"). In one run:
#   1. Same Cargo.lock, same RustSec data: `palisade scan --offline` against
#      `cargo audit --no-fetch --no-yanked` (median wall times and the ratio;
#      goal: palisade at least 10x faster), with both advisory sets side by side.
#   2. A 5,000-package package-lock.json against a database of at least
#      200,000 advisories (the shared real ones plus generated OSV npm records):
#      median wall time with a warm file cache (goal: under 100 ms) and peak
#      RSS (goal: under 150 MB).
# Needs ../shared/data (or $PALISADE_TEST_DATA). Installs cargo-audit into
# $BENCH_TOOLS (default ~/.cache/palisade-bench-tools) when it is not on PATH.
# RUNS (default 9) sets the number of timed runs; ADVISORIES (default 200000)
# the database size.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${PALISADE_TEST_DATA:-$(pwd)/../shared/data}"
RUNS="${RUNS:-9}"
ADVISORIES="${ADVISORIES:-200000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -d "$DATA/advisories/rustsec" ] || { echo "shared data not found at $DATA" >&2; exit 2; }

source bench/common.sh
find_cargo_audit

# Runs a command RUNS times after one warm-up run; prints the median wall
# time in ms, the fastest, and the largest peak RSS (MB) of any run.
measure() {
  python3 - "$RUNS" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
times = []
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - start) * 1000)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{statistics.median(times):.1f} {min(times):.1f} {peak:.1f}")
PY
}

echo "== 1. Cargo.lock: palisade scan vs cargo audit, same RustSec snapshot"
"$PALISADE" --db "$WORK/rustsec.db" -q db import "$DATA/advisories/rustsec/advisories"
# cargo-audit opens its database as a git repository.
cp -r "$DATA/advisories/rustsec/advisories" "$WORK/advisory-db"
git -C "$WORK/advisory-db" init -q
git -C "$WORK/advisory-db" add -A
git -C "$WORK/advisory-db" -c user.name=bench -c user.email=bench@localhost commit -qm snapshot
# A lockfile pinning known-vulnerable versions, the shared fixture, and this
# workspace's own lockfile (a real project of a few hundred crates).
for lock in crates/palisade-scan/tests/fixtures/cargo-vulnerable/Cargo.lock \
            "$DATA/lockfiles/cargo-lock/many-packages.lock" \
            Cargo.lock; do
  name="$lock"
  read -r ours_ms _ _ < <(measure "$PALISADE" --db "$WORK/rustsec.db" scan --offline --format json "$lock")
  read -r theirs_ms _ _ < <(measure "$AUDIT" audit --db "$WORK/advisory-db" --no-fetch --no-yanked --json --file "$lock")
  "$PALISADE" --db "$WORK/rustsec.db" scan --offline --format json "$lock" > "$WORK/ours.json" 2>/dev/null || true
  "$AUDIT" audit --db "$WORK/advisory-db" --no-fetch --no-yanked --json --file "$lock" > "$WORK/theirs.json" 2>/dev/null || true
  python3 - "$name" "$ours_ms" "$theirs_ms" "$WORK/ours.json" "$WORK/theirs.json" <<'PY'
import json, sys
name, ours_ms, theirs_ms = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
ours = {f'{f["id"]} {f["package"]["name"]} {f["package"]["version"]}' for f in json.load(open(sys.argv[4]))["findings"]}
report = json.load(open(sys.argv[5]))
entries = list(report["vulnerabilities"]["list"])
for kind in ("unmaintained", "unsound", "notice"):
    entries += report["warnings"].get(kind, [])
theirs = {f'{e["advisory"]["id"]} {e["package"]["name"]} {e["package"]["version"]}' for e in entries}
print(f"-- {name}: palisade {ours_ms:.1f} ms, cargo-audit {theirs_ms:.1f} ms (medians)")
ratio = theirs_ms / ours_ms
print(f"   ratio cargo-audit / palisade: {ratio:.1f}x; goal at least 10x: {'met' if ratio >= 10 else 'MISSED'}")
print(f"   {'palisade':<9} {'cargo-audit':<12} advisory package version")
for line in sorted(ours | theirs):
    print(f"   {'yes' if line in ours else ' - ':<9} {'yes' if line in theirs else ' - ':<12} {line}")
print(f"   advisory sets: {'identical' if ours == theirs else 'DIFFERENT'} ({len(ours)} vs {len(theirs)})")
PY
done

echo "== 2. 5,000-package package-lock.json against $ADVISORIES advisories"
python3 bench/npm_project.py "$WORK/project" 5000
"$PALISADE" --db "$WORK/big.db" -q db import "$DATA/advisories/rustsec" "$DATA/advisories/pypa" "$DATA/advisories/go-vulndb"
real=$("$PALISADE" --db "$WORK/big.db" --json db stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')
generate=$(( ADVISORIES > real ? ADVISORIES - real : 0 ))
python3 bench/npm_advisories.py "$WORK/generated.zip" "$generate" 5000 >&2
start=$(date +%s%N)
"$PALISADE" --db "$WORK/big.db" -q db import "$WORK/generated.zip"
import_ms=$(( ($(date +%s%N) - start) / 1000000 ))
total=$("$PALISADE" --db "$WORK/big.db" --json db stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])')
echo "database: $total advisories ($real real, $generate generated; generated ones imported in $import_ms ms)"
read -r median_ms min_ms peak_mb < <(measure "$PALISADE" --db "$WORK/big.db" scan --offline --format json "$WORK/project/package-lock.json")
# Exit code 1: findings fail the policy, as they should here.
"$PALISADE" --db "$WORK/big.db" scan --offline --format json "$WORK/project/package-lock.json" \
  > "$WORK/big.json" 2>/dev/null || [ $? -eq 1 ]
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print("findings:", s["findings"], "in", s["packages"], "packages")' "$WORK/big.json"
python3 - "$median_ms" "$min_ms" "$peak_mb" "$(nproc)" <<'PY'
import sys
median, fastest, peak, cores = (float(x) for x in sys.argv[1:])
print(f"palisade scan: {median:.1f} ms median ({fastest:.1f} ms fastest) on {cores:.0f} cores; goal under 100 ms: {'met' if median < 100 else 'MISSED'}")
print(f"peak RSS: {peak:.1f} MB; goal under 150 MB: {'met' if peak < 150 else 'MISSED'}")
PY
