#!/usr/bin/env bash
# A profiling aid, not a goal measurement: the user-space instructions the
# gateway spends per proxied request, counted by valgrind's callgrind, so a
# change can be judged on a noisy machine where wall-clock figures swing by
# a fifth from run to run. The Wild Rydes request of bench/waf.sh (JSON
# body, query string, browser headers) is sent over one keep-alive
# connection to a one-worker gateway proxying to nginx: plain, with the Wild
# Rydes body validation (bench/gateway.sh's case) and with the starter web
# ACL (rate limit out of reach; bench/waf.sh's case); VARIANTS picks some. Each is run
# with FEW (200) and MANY (1200) requests and the difference divided, so
# start-up work is not counted. Prints thousands of instructions per request
# and leaves the callgrind files in $OUT (default /tmp/palisade-callgrind)
# for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
FEW="${FEW:-200}"
MANY="${MANY:-1200}"
OUT="${OUT:-/tmp/palisade-callgrind}"
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install -y valgrind)" >&2; exit 2; }
command -v nginx >/dev/null || { echo "nginx is needed (apt-get install -y nginx)" >&2; exit 2; }
source bench/common.sh
bench_work
mkdir -p "$OUT"

UPSTREAM_PORT="$(free_port)"
nginx_conf upstream 1 "" "server { listen 127.0.0.1:$UPSTREAM_PORT; location / { default_type application/json; return 200 '{\"stored\": true}'; } }"
starter_acl "$WORK/web-acl.json"
cp examples/waf/bad-bots.json "$WORK/"
wait_port "$UPSTREAM_PORT"

# Prints the instructions callgrind counted for $1 requests with config $2.
count() {
  local requests="$1" variant="$2" port pid
  port="$(free_port)"
  {
    echo "listen: 127.0.0.1:$port"
    echo "upstreams: { backend: { url: \"http://127.0.0.1:$UPSTREAM_PORT\" } }"
    if [ "$variant" = validate ]; then
      echo "models: { CustomizationPost: \"$(pwd)/examples/wild-rydes/models/customization-post.json\" }"
      echo "validators: { body-only: { validateRequestBody: true, validateRequestParameters: false } }"
      echo "routes: [{ method: POST, path: /customizations, upstream: backend, validator: body-only, model: CustomizationPost }]"
    else
      echo "routes: [{ method: ANY, path: \"/{proxy+}\", upstream: backend }]"
    fi
    [ "$variant" = waf ] && echo "waf: { web_acl: web-acl.json, sets: [bad-bots.json] }"
    echo "access_log: off"
  } > "$WORK/$variant.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/$variant.$requests" \
    "$PALISADE" -q gateway --no-watch --workers 1 --config "$WORK/$variant.yaml" 2> "$WORK/callgrind.log" &
  pid=$!
  for _ in $(seq 300); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
    sleep 0.2
  done
  python3 - "$port" "$requests" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
body = open("examples/wild-rydes/requests/valid.json").read().replace("\n", "")
headers = {
    # Not the loopback address: the starter ACL blocks a localhost Host.
    "Host": "api.example.com",
    "Content-Type": "application/json",
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Referer": "https://wildrydes.example.com/customize",
    "Cookie": "session=5f1c2a9e; theme=dark",
}
connection = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    connection.request("POST", "/customizations?ride=42&utm_source=newsletter", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"the gateway answered {response.status}")
PY
  # valgrind forwards the signal; the gateway shuts down gracefully.
  kill -TERM "$pid"
  wait "$pid" || true
  grep -o 'refs: *[0-9,]*' "$WORK/callgrind.log" | tr -dc '0-9'
}

for variant in ${VARIANTS:-plain validate waf}; do
  few="$(count "$FEW" "$variant")"
  many="$(count "$MANY" "$variant")"
  python3 -c "print(f'$variant: {($many - $few) / ($MANY - $FEW) / 1000:.1f}k instructions per request')"
done
echo "callgrind files: $OUT (callgrind_annotate --inclusive=yes $OUT/waf.$MANY)"
