#!/usr/bin/env bash
# Gateway benchmark (issue: "Inbound validation"). In one run, wrk (Debian)
# against, all on loopback:
#   (a) the upstream directly (an nginx answering every request itself),
#   (b) nginx as a plain reverse proxy to that upstream,
#   (c) palisade gateway with body validation on the Wild Rydes model.
# Prints req/s, p99 latency and CPU per request of each, and the ratios c/b and c/a; goal: c
# at least 0.9x b's throughput with under 1 ms added p99.
# The three are measured in ROUNDS (default 5) interleaved rounds and the
# medians reported, since a shared 2-core machine drifts between runs; the
# CPU time each proxy spends per request is printed too (steadier).
# DURATION (seconds per target and round, default 5), CONNECTIONS (default
# 64) and THREADS (default 2) shape the load. Installs wrk and nginx with apt-get when
# missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  echo "installing wrk and nginx..." >&2
  apt-get install -y wrk nginx-light >&2 || { apt-get update >&2 && apt-get install -y wrk nginx-light >&2; }
fi
NGINX="$(command -v nginx)"

source bench/common.sh
bench_work

UPSTREAM_PORT="$(free_port)"
PROXY_PORT="$(free_port)"
GATEWAY_PORT="$(free_port)"


nginx_conf upstream 1 "" "server {
    listen 127.0.0.1:$UPSTREAM_PORT;
    location / { default_type application/json; return 200 '{\"stored\": true}'; }
  }"
nginx_conf proxy auto "" "upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    client_max_body_size 10m;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }"

WILD_RYDES_LISTEN="127.0.0.1:$GATEWAY_PORT" WILD_RYDES_ADMIN="127.0.0.1:$(free_port)" \
  WILD_RYDES_UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT" WILD_RYDES_ACCESS_LOG=off \
  "$PALISADE" -q gateway --no-watch --config examples/wild-rydes/gateway.yaml &
PIDS+=($!)
GATEWAY_PID=$!

wait_port "$UPSTREAM_PORT"; wait_port "$PROXY_PORT"; wait_port "$GATEWAY_PORT"

BODY="$(tr -d '\n' < examples/wild-rydes/requests/valid.json)"
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
LUA

# The gateway refuses what the model refuses, so every timed request is one
# the upstream answers: check that first.
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data "$BODY" "http://127.0.0.1:$GATEWAY_PORT/customizations")"
[ "$STATUS" = 200 ] || { echo "the gateway answered $STATUS to the valid customization" >&2; exit 2; }
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"cape": "2); DROP"}' "http://127.0.0.1:$GATEWAY_PORT/customizations")"
[ "$STATUS" = 400 ] || { echo "the gateway answered $STATUS to an invalid customization" >&2; exit 2; }


echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per target, $ROUNDS rounds; 2 cores shared by wrk, upstream and proxy" >&2
: > "$WORK/results"
warm "http://127.0.0.1:$UPSTREAM_PORT/customizations" "http://127.0.0.1:$PROXY_PORT/customizations" "http://127.0.0.1:$GATEWAY_PORT/customizations"
for round in $(seq "$ROUNDS"); do
  echo "a $(load "http://127.0.0.1:$UPSTREAM_PORT/customizations" $(pgrep -P "$(cat "$WORK/nginx-upstream.pid")"))" >> "$WORK/results"
  echo "b $(load "http://127.0.0.1:$PROXY_PORT/customizations" $(pgrep -P "$(cat "$WORK/nginx-proxy.pid")"))" >> "$WORK/results"
  echo "c $(load "http://127.0.0.1:$GATEWAY_PORT/customizations" "$GATEWAY_PID")" >> "$WORK/results"
  echo "round $round done" >&2
done

python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    target, rps, p99, errors, cpu = line.split()
    rows.setdefault(target, []).append((float(rps), float(p99), int(errors), float(cpu)))
def med(target, i):
    return statistics.median(r[i] for r in rows[target])
names = {"a": "(a) upstream directly", "b": "(b) nginx reverse proxy", "c": "(c) palisade, Wild Rydes body validation"}
print(f"{'target (median of ' + str(len(rows['a'])) + ' rounds)':<44} {'req/s':>9} {'p99 ms':>8} {'errors':>7} {'CPU us/req':>11}")
for t in "abc":
    print(f"{names[t]:<44} {med(t, 0):>9.0f} {med(t, 1):>8.2f} {sum(r[2] for r in rows[t]):>7} {med(t, 3):>11.1f}")
# b and c of one round ran back to back: their ratio is steadier than the
# ratio of medians on a machine whose speed drifts.
ratios = [c[0] / b[0] for b, c in zip(rows["b"], rows["c"])]
print(f"throughput c/b: {statistics.median(ratios):.2f}x median of rounds (goal >= 0.90x; per round: {', '.join(f'{r:.2f}' for r in ratios)}); c/a: {med('c', 0) / med('a', 0):.2f}x")
print(f"CPU per request, nginx / palisade (the proxy process only): {med('b', 3) / med('c', 3):.2f}x")
print(f"p99 added by palisade: {med('c', 1) - med('a', 1):+.2f} ms over the upstream, {med('c', 1) - med('b', 1):+.2f} ms over nginx (goal < 1 ms)")
PY
