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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until something listens on loopback port $1.
wait_port() {
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.1)" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; exit 2
}

# CPU time (clock ticks, user + system) of the given processes' threads.
ticks() {
  local total=0 pid stat
  for pid in "$@"; do
    for stat in /proc/"$pid"/task/*/stat; do
      [ -r "$stat" ] || continue
      total=$((total + $(awk '{sub(/.*\) /, ""); print $12 + $13}' "$stat")))
    done
  done
  echo "$total"
}

# Prints "req/s p99-ms errors cpu-us-per-request" for one wrk run (script
# $WORK/post.lua; THREADS, CONNECTIONS, DURATION) against $1, charging the CPU
# time of the processes $2... to it.
load() {
  local url="$1"; shift
  local before after
  before="$(ticks "$@")"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$WORK/post.lua" "$url" > "$WORK/wrk.out"
  after="$(ticks "$@")"
  python3 - "$WORK/wrk.out" "$((after - before))" "$(getconf CLK_TCK)" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
bad = (int(errors.group(1)) if errors else 0) + (sum(map(int, socket.groups())) if socket else 0)
cpu_us = ticks / hz * 1e6 / max(total, 1)
print(f"{rps:.0f} {float(p99.group(1)) * scale:.3f} {bad} {cpu_us:.1f}")
PY
}

# Loads each URL given for WARMUP seconds (default 2), untimed, so the
# first timed round does not also pay for connection set-up, first-touch
# page faults and cold caches (it came out slowest, for every target).
warm() {
  local url
  for url in "$@"; do
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP:-2}s" -s "$WORK/post.lua" "$url" > /dev/null
  done
}

# A scratch folder $WORK, removed on exit with the processes in $PIDS and
# the nginx instances configured in it.
bench_work() {
  WORK="$(mktemp -d)"
  PIDS=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for conf in "$WORK"/nginx-*.conf; do
    [ -f "$conf" ] && nginx -c "$conf" -s quit 2>/dev/null || true
  done
  rm -rf "$WORK"
}

# Writes and starts $WORK/nginx-$1.conf: $2 worker processes, $3 lines for
# the main context (load_module), $4 lines for the http context.
nginx_conf() {
  cat > "$WORK/nginx-$1.conf" <<CONF
$3
worker_processes $2;
pid $WORK/nginx-$1.pid;
error_log $WORK/nginx-$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/body-$1;
  proxy_temp_path $WORK/proxy-$1;
  fastcgi_temp_path $WORK/fastcgi-$1;
  uwsgi_temp_path $WORK/uwsgi-$1;
  scgi_temp_path $WORK/scgi-$1;
  $4
}
CONF
  nginx -c "$WORK/nginx-$1.conf"
}

# Writes ModSecurity rules to $1: the engine blocking, bodies (JSON too)
# inspected, and the OWASP CRS (Debian's modsecurity-crs) at paranoia level $2.
modsec_rules() {
  cat > "$1" <<CONF
SecRuleEngine On
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRule REQUEST_HEADERS:Content-Type "application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecResponseBodyAccess Off
SecAuditEngine Off
SecUnicodeMapFile /etc/nginx/unicode.mapping 20127
SecAction "id:900000,phase:1,nolog,pass,t:none,setvar:tx.paranoia_level=$2"
Include /etc/modsecurity/crs/crs-setup.conf
Include /usr/share/modsecurity-crs/rules/*.conf
CONF
}

# Installs (apt-get, as root) nginx, ModSecurity's nginx module, the OWASP
# CRS and any packages named, when missing; sets MODULE to the module file.
need_modsecurity() {
  MODULE=/usr/lib/nginx/modules/ngx_http_modsecurity_module.so
  local missing=0 tool
  for tool in nginx "$@"; do command -v "$tool" >/dev/null || missing=1; done
  if [ "$missing" = 1 ] || [ ! -f "$MODULE" ] || [ ! -d /usr/share/modsecurity-crs ]; then
    echo "installing nginx, ModSecurity and the CRS $*..." >&2
    apt-get install -y "$@" nginx libnginx-mod-http-modsecurity modsecurity-crs >&2 \
      || { apt-get update >&2 && apt-get install -y "$@" nginx libnginx-mod-http-modsecurity modsecurity-crs >&2; }
  fi
}

# Writes the starter web ACL (examples/waf/web-acl.json) to $1 with its rate
# limit out of reach, so every timed request is inspected and forwarded.
starter_acl() {
  python3 - examples/waf/web-acl.json > "$1" <<'PY'
import json, sys
acl = json.load(open(sys.argv[1]))
for rule in acl["Rules"]:
    if rule["Name"] == "rate-limit":
        rule["Statement"]["RateBasedStatement"]["Limit"] = 2000000000
print(json.dumps(acl))
PY
}
