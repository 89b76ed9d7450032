#!/usr/bin/env bash
# WAF throughput benchmark (issue: "WAF"). In one run, wrk (Debian) against,
# all on loopback and proxying to the same upstream (an nginx answering
# every request itself):
#   (b) nginx as a plain reverse proxy,
#   (m) nginx + ModSecurity v3 + OWASP CRS 3.3 at paranoia level 1,
#   (p) palisade gateway with examples/waf/web-acl.json (its rate limit
#       raised out of reach, so every request is inspected and forwarded),
#   (g) palisade gateway without a web ACL (what the rules cost is p - g).
# The request is the Wild Rydes customization (a JSON body, a query string,
# browser-like headers), so body, query, header and cookie rules all run.
# Prints req/s, p99 and CPU per request of each, and the ratios p/b and
# p/m; goal: p at least 0.75x b. Medians of ROUNDS (default 5) interleaved
# rounds of DURATION seconds (default 5); CONNECTIONS (64), THREADS (2).
# RATE_STORE=redis://127.0.0.1:PORT/0 counts (p)'s rate limit in that Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"

source bench/common.sh
need_modsecurity wrk
bench_work

UPSTREAM_PORT="$(free_port)"; PROXY_PORT="$(free_port)"; MODSEC_PORT="$(free_port)"; GATEWAY_PORT="$(free_port)"; PLAIN_PORT="$(free_port)"

UPSTREAM="upstream backend { server 127.0.0.1:$UPSTREAM_PORT; keepalive 256; }"
PROXY="location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; }"
nginx_conf upstream 1 "" "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { default_type application/json; return 200 '{\"stored\": true}'; } }"
nginx_conf proxy auto "" "$UPSTREAM server { listen 127.0.0.1:$PROXY_PORT; client_max_body_size 10m; $PROXY }"
modsec_rules "$WORK/modsec.conf" 1
nginx_conf modsec auto "load_module $MODULE;" "$UPSTREAM server { listen 127.0.0.1:$MODSEC_PORT; client_max_body_size 10m; modsecurity on; modsecurity_rules_file $WORK/modsec.conf; $PROXY }"

starter_acl "$WORK/web-acl.json"
cp examples/waf/bad-bots.json "$WORK/"
cat > "$WORK/gateway.yaml" <<YAML
listen: 127.0.0.1:$GATEWAY_PORT
upstreams: { backend: { url: "http://127.0.0.1:$UPSTREAM_PORT" } }
routes: [{ method: ANY, path: "/{proxy+}", upstream: backend }]
waf: { web_acl: web-acl.json, sets: [bad-bots.json], rate_limit_store: "${RATE_STORE:-memory}" }
access_log: off
YAML
"$PALISADE" -q gateway --no-watch --config "$WORK/gateway.yaml" &
PIDS+=($!)
GATEWAY_PID=$!
cat > "$WORK/plain.yaml" <<YAML
listen: 127.0.0.1:$PLAIN_PORT
upstreams: { backend: { url: "http://127.0.0.1:$UPSTREAM_PORT" } }
routes: [{ method: ANY, path: "/{proxy+}", upstream: backend }]
access_log: off
YAML
"$PALISADE" -q gateway --no-watch --config "$WORK/plain.yaml" &
PIDS+=($!)
PLAIN_PID=$!

for port in "$UPSTREAM_PORT" "$PROXY_PORT" "$MODSEC_PORT" "$GATEWAY_PORT" "$PLAIN_PORT"; do wait_port "$port"; done

BODY="$(tr -d '\n' < examples/wild-rydes/requests/valid.json)"
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.path = "/customizations?ride=42&utm_source=newsletter"
wrk.body = '$BODY'
wrk.headers["Host"] = "api.example.com"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
wrk.headers["Referer"] = "https://wildrydes.example.com/customize"
wrk.headers["Cookie"] = "session=5f1c2a9e; theme=dark"
LUA
# Every timed request must be one the upstream answers: check each target.
for port in "$PROXY_PORT" "$MODSEC_PORT" "$GATEWAY_PORT"; do
  STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: api.example.com' -H 'Content-Type: application/json' -H 'Cookie: session=5f1c2a9e; theme=dark' --data "$BODY" "http://127.0.0.1:$port/customizations?ride=42&utm_source=newsletter")"
  [ "$STATUS" = 200 ] || { echo "port $port answered $STATUS to the benign request" >&2; exit 2; }
done
STATUS="$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: api.example.com' "http://127.0.0.1:$GATEWAY_PORT/rides?id=1%27%20or%20%271%27%3D%271")"
[ "$STATUS" = 403 ] || { echo "palisade answered $STATUS to SQL injection" >&2; exit 2; }


echo "wrk: $THREADS threads, $CONNECTIONS connections, ${DURATION}s per target, $ROUNDS rounds" >&2
: > "$WORK/results"
warm "http://127.0.0.1:$PROXY_PORT" "http://127.0.0.1:$GATEWAY_PORT" "http://127.0.0.1:$PLAIN_PORT"
for round in $(seq "$ROUNDS"); do
  echo "b $(load "http://127.0.0.1:$PROXY_PORT" $(pgrep -P "$(cat "$WORK/nginx-proxy.pid")"))" >> "$WORK/results"
  echo "m $(load "http://127.0.0.1:$MODSEC_PORT" $(pgrep -P "$(cat "$WORK/nginx-modsec.pid")"))" >> "$WORK/results"
  echo "p $(load "http://127.0.0.1:$GATEWAY_PORT" "$GATEWAY_PID")" >> "$WORK/results"
  echo "g $(load "http://127.0.0.1:$PLAIN_PORT" "$PLAIN_PID")" >> "$WORK/results"
  echo "round $round done" >&2
done

python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    target, rps, p99, errors, cpu = line.split()
    rows.setdefault(target, []).append((float(rps), float(p99), int(errors), float(cpu)))
med = lambda t, i: statistics.median(r[i] for r in rows[t])
names = {"b": "(b) nginx reverse proxy", "m": "(m) nginx + ModSecurity + CRS PL1", "p": "(p) palisade, starter web ACL", "g": "(g) palisade, no web ACL"}
print(f"{'target (median of ' + str(len(rows['b'])) + ' rounds)':<40} {'req/s':>9} {'p99 ms':>8} {'errors':>7} {'CPU us/req':>11}")
for t in "bmpg":
    print(f"{names[t]:<40} {med(t, 0):>9.0f} {med(t, 1):>8.2f} {sum(r[2] for r in rows[t]):>7} {med(t, 3):>11.1f}")
ratios = [p[0] / b[0] for b, p in zip(rows["b"], rows["p"])]
print(f"throughput p/b: {statistics.median(ratios):.2f}x (goal >= 0.75x; per round: {', '.join(f'{r:.2f}' for r in ratios)})")
print(f"throughput p/m: {med('p', 0) / med('m', 0):.1f}x; ModSecurity + CRS PL1 / plain nginx: {med('m', 0) / med('b', 0):.3f}x")
print(f"CPU the web ACL adds per request: {med('p', 3) - med('g', 3):.1f} us")
PY
