#!/usr/bin/env bash
# WAF loading benchmark (issue: "WAF: AWS managed rule groups"). How long a
# web ACL takes to read and compile, against how long nginx takes to load
# ModSecurity + the OWASP CRS at paranoia level 1 (its whole rule set),
# in one run:
#   palisade: `waf test` of one request with (e) a web ACL of one rule
#     (what starting the process and reading a request costs), (s) the
#     starter ACL, (a) every rule group palisade ships, and each group alone;
#     a web ACL's load time is its run minus (e).
#   peer: `nginx -t` of a configuration with ModSecurity + CRS PL1 minus
#     `nginx -t` of the same configuration without it.
# Medians of RUNS (default 15) interleaved runs. Goal: every group, and the
# web ACL of them all, compiles in under 50 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-15}"

source bench/common.sh
need_modsecurity
bench_work

starter_acl "$WORK/starter.json"
cp examples/waf/bad-bots.json "$WORK/"
python3 - "$WORK" crates/palisade-waf/rules <<'PY'
import json, os, sys
work, rules = sys.argv[1], sys.argv[2]
def acl(name, groups):
    return {"Name": name, "DefaultAction": {"Allow": {}}, "Rules": [
        {"Name": f"{vendor}-{group}", "Priority": i, "OverrideAction": {"None": {}},
         "Statement": {"ManagedRuleGroupStatement": {"VendorName": vendor, "Name": group}},
         "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": group}}
        for i, (vendor, group) in enumerate(groups)]}
groups = [("AWS" if d == "aws" else "palisade", f[:-5])
          for d in ("aws", "palisade") for f in sorted(os.listdir(os.path.join(rules, d))) if f.endswith(".yaml")]
json.dump(acl("all", groups), open(f"{work}/all.json", "w"))
for vendor, group in groups:
    json.dump(acl(group, [(vendor, group)]), open(f"{work}/group-{group}.json", "w"))
json.dump({"Name": "empty", "DefaultAction": {"Allow": {}}, "Rules": [
    {"Name": "one", "Priority": 0, "Action": {"Block": {}},
     "Statement": {"ByteMatchStatement": {"FieldToMatch": {"UriPath": {}}, "PositionalConstraint": "EXACTLY",
                   "SearchString": "L2FkbWlu", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
     "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "one"}}]},
    open(f"{work}/empty.json", "w"))
open(f"{work}/cases.yaml", "w").write(
    "cases:\n  - name: one\n    method: GET\n    path: /\n    headers: {Host: api.example.com, User-Agent: bench}\n")
PY

NGINX_HTTP="access_log off; client_body_temp_path $WORK/body; proxy_temp_path $WORK/proxy; fastcgi_temp_path $WORK/fcgi; uwsgi_temp_path $WORK/uwsgi; scgi_temp_path $WORK/scgi;"
modsec_rules "$WORK/modsec.conf" 1
for variant in plain modsec; do
  if [ "$variant" = modsec ]; then
    MAIN="load_module /usr/lib/nginx/modules/ngx_http_modsecurity_module.so;"
    SERVER="server { listen 127.0.0.1:1; modsecurity on; modsecurity_rules_file $WORK/modsec.conf; }"
  else
    MAIN=""
    SERVER="server { listen 127.0.0.1:1; }"
  fi
  cat > "$WORK/nginx-t-$variant.conf" <<CONF
$MAIN
pid $WORK/nginx-t.pid;
error_log $WORK/nginx-t.error.log warn;
events { }
http { $NGINX_HTTP $SERVER }
CONF
done
nginx -t -q -c "$WORK/nginx-t-modsec.conf" || { echo "nginx cannot load ModSecurity + CRS" >&2; exit 2; }

python3 - "$PALISADE" "$WORK" "$RUNS" <<'PY'
import glob, os, statistics, subprocess, sys, time
palisade, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def waf(acl):
    return [palisade, "-q", "waf", "test", "--web-acl", f"{work}/{acl}", "--requests", f"{work}/cases.yaml",
            "--sets", f"{work}/bad-bots.json"]
targets = {"(e) one-rule web ACL": waf("empty.json"), "(s) starter web ACL": waf("starter.json"),
           "(a) every group": waf("all.json")}
for path in sorted(glob.glob(f"{work}/group-*.json")):
    name = os.path.basename(path)[6:-5]
    targets[f"    {name}"] = waf(os.path.basename(path))
targets["nginx -t"] = ["nginx", "-t", "-q", "-c", f"{work}/nginx-t-plain.conf"]
targets["nginx -t, ModSecurity + CRS PL1"] = ["nginx", "-t", "-q", "-c", f"{work}/nginx-t-modsec.conf"]
times = {name: [] for name in targets}
for _ in range(runs):
    for name, argv in targets.items():
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"{name}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
        times[name].append(elapsed * 1000)
med = {name: statistics.median(t) for name, t in times.items()}
base = med["(e) one-rule web ACL"]
print(f"{'web ACL (median of ' + str(runs) + ' runs)':<48} {'run ms':>8} {'load ms':>8}")
worst = 0.0
for name in targets:
    if name.startswith("nginx"):
        continue
    load = med[name] - base
    if name != "(e) one-rule web ACL":
        worst = max(worst, load)
    print(f"{name:<48} {med[name]:>8.1f} {load:>8.1f}")
crs = med["nginx -t, ModSecurity + CRS PL1"] - med["nginx -t"]
print(f"{'nginx -t':<48} {med['nginx -t']:>8.1f}")
print(f"{'nginx -t, ModSecurity + CRS PL1':<48} {med['nginx -t, ModSecurity + CRS PL1']:>8.1f} {crs:>8.1f}")
every = med["(a) every group"] - base
print(f"every group: {every:.1f} ms to load; slowest web ACL {worst:.1f} ms (goal < 50 ms)")
print(f"load time, ModSecurity + CRS PL1 / palisade every group: {crs / max(every, 0.1):.1f}x")
PY
