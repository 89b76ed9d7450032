#!/usr/bin/env python3
"""Writes COUNT generated OSV records for npm into a zip, shaped like an OSV
all.zip, to give the scan benchmark a database of realistic size.

The N packages of npm_project.py get four advisories each: one affecting every
fifth package's installed version (so 1 in 5 is vulnerable), three that do not
(older fixed ranges, later ranges, a last_affected bound). The remaining
records name other packages, one advisory each.

usage: npm_advisories.py OUT_ZIP COUNT [N]
"""
import json
import sys
import zipfile

out, count = sys.argv[1], int(sys.argv[2])
N = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"


def record(n, name, events, aliases=()):
    return {
        "schema_version": "1.6.0",
        "id": f"GEN-{n:07d}",
        "aliases": list(aliases),
        "modified": "2026-01-01T00:00:00Z",
        "published": "2025-06-01T00:00:00Z",
        "summary": f"Generated advisory {n} for {name}",
        "details": "Generated for the palisade scan benchmark.",
        "severity": [{"type": "CVSS_V3", "score": VECTOR}],
        "affected": [{"package": {"ecosystem": "npm", "name": name},
                      "ranges": [{"type": "SEMVER", "events": events}]}],
    }


written = 0
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    def put(rec):
        global written
        z.writestr(f"{rec['id']}.json", json.dumps(rec))
        written += 1

    for i in range(N):
        name = f"pkg-{i:04d}"
        if written + 4 > count:
            break
        if i % 5 == 0:
            put(record(written, name, [{"introduced": "1.0.0"}, {"fixed": "1.9.9"}],
                       [f"CVE-2099-{i:05d}"]))
        else:
            put(record(written, name, [{"introduced": "1.9.9"}, {"fixed": "1.9.10"}]))
        put(record(written, name, [{"introduced": "0"}, {"fixed": "0.5.0"}]))
        put(record(written, name, [{"introduced": "2.0.0"}, {"fixed": "2.1.0"}]))
        put(record(written, name, [{"introduced": "0"}, {"last_affected": "0.1.0"}]))
    while written < count:
        put(record(written, f"other-{written:07d}", [{"introduced": "0"}, {"fixed": "3.0.0"}]))
print(f"{written} generated advisories in {out}")
