#!/usr/bin/env python3
"""Writes a synthetic npm project for the benchmarks: package.json and a
lockfileVersion 3 package-lock.json with N packages (default 5,000) in ten
layers, each package depending on three of the next layer, every package
reachable. Package i is installed at version 1.(i % 10).(i % 7).

usage: npm_project.py OUT_DIR [N]
"""
import base64
import hashlib
import json
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
L = 10
W = N // L
random.seed(7)
names = [f"pkg-{i:04d}" for i in range(N)]
packages = {"": {"name": "bench-app", "version": "1.0.0", "dependencies": {n: "^1.0.0" for n in names[:W]}}}
deps = {n: {} for n in names}
for i, n in enumerate(names):
    layer = i // W
    if layer + 1 < L:
        for j in random.sample(range((layer + 1) * W, (layer + 2) * W), 3):
            deps[n][names[j]] = "^1.0.0"
        # every package of the next layer is needed by someone
        deps[n][names[i + W]] = "^1.0.0"
for i, n in enumerate(names):
    v = f"1.{i % 10}.{i % 7}"
    integrity = "sha512-" + base64.b64encode(hashlib.sha512((n + v).encode()).digest()).decode()
    packages[f"node_modules/{n}"] = {
        "version": v,
        "resolved": f"https://registry.npmjs.org/{n}/-/{n}-{v}.tgz",
        "integrity": integrity,
        "dependencies": deps[n],
    }
with open(f"{out}/package-lock.json", "w") as f:
    json.dump({"name": "bench-app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
               "packages": packages}, f, indent=2)
with open(f"{out}/package.json", "w") as f:
    json.dump({"name": "bench-app", "version": "1.0.0", "dependencies": packages[""]["dependencies"]}, f, indent=2)
