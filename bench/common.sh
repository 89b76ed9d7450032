# Sourced by the bench scripts (from the repository root): a release build
# of palisade in $PALISADE, and helpers for the peers they compare it with.

cargo build --release --locked -p palisade-cli >&2
PALISADE="${CARGO_TARGET_DIR:-$(pwd)/target}/release/palisade"
BENCH_TOOLS="${BENCH_TOOLS:-$HOME/.cache/palisade-bench-tools}"

# Sets AUDIT to cargo-audit: the one on PATH, else one installed into
# $BENCH_TOOLS (once).
find_cargo_audit() {
  AUDIT="$(command -v cargo-audit || true)"
  if [ -z "$AUDIT" ]; then
    if [ ! -x "$BENCH_TOOLS/bin/cargo-audit" ]; then
      echo "installing cargo-audit into $BENCH_TOOLS (once)..." >&2
      cargo install cargo-audit --locked --root "$BENCH_TOOLS" >&2
    fi
    AUDIT="$BENCH_TOOLS/bin/cargo-audit"
  fi
}
