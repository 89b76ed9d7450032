#!/usr/bin/env python3
"""Writes N CVE JSON 5 records in the cvelistV5 layout (cves/YEAR/NNxxx/CVE-YEAR-NNNNN.json),
in the shapes of the real samples: each generated record takes one sample as its template and
gets a new id and dates, a vendor / product from a generated vocabulary (each pair shared by
about 50 records), version ranges around a random release, and the sample's texts.

usage: feeds_gen.py SAMPLES_DIR OUT_DIR N SEED
Prints one line: "<vendor>\t<product>\t<affected version>\t<fixed version>" of a pair present
in the output, for the vendor/product/version query benchmark.
"""
import copy
import json
import os
import random
import sys


def samples(root):
    out = []
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith(".json"):
                with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                    out.append(json.load(fh))
    return out


def main():
    src, dst, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    templates = samples(src)
    syllables = ["ac", "bel", "cor", "dra", "el", "fin", "gor", "hal", "ix", "jo", "ka", "lum",
                 "mer", "nov", "or", "pra", "qui", "ros", "sil", "tor", "ul", "vex", "wen", "zor"]
    def word():
        return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))
    pairs = [(word().capitalize() + " " + rng.choice(["Inc.", "Corp", "Foundation", "Ltd"]), word())
             for _ in range(max(1, n // 50))]
    probe = pairs[0]
    for i in range(n):
        year = 2015 + i % 11
        cve = f"CVE-{year}-{100000 + i}"
        rec = copy.deepcopy(rng.choice(templates))
        meta = rec.setdefault("cveMetadata", {})
        meta["cveId"] = cve
        meta["state"] = "PUBLISHED"
        day = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z"
        meta["datePublished"] = day
        meta["dateUpdated"] = day
        vendor, product = probe if i % 50 == 0 else rng.choice(pairs)
        major, minor = rng.randint(0, 9), rng.randint(0, 20)
        fixed = f"{major}.{minor}.{rng.randint(1, 30)}"
        cna = rec.setdefault("containers", {}).setdefault("cna", {})
        cna["affected"] = [{
            "vendor": vendor, "product": product, "defaultStatus": "unaffected",
            "versions": [{"version": f"{major}.{minor}.0", "lessThan": fixed, "status": "affected",
                          "versionType": "semver"}],
        }]
        for adp in rec["containers"].get("adp", []):
            adp.pop("affected", None)
        path = os.path.join(dst, "cves", str(year), f"{(100000 + i) // 1000}xxx")
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, cve + ".json"), "w", encoding="utf-8") as fh:
            json.dump(rec, fh, separators=(",", ":"))
    # The probe pair: every record with it is affected at X.Y.0 of its own range; report one.
    print(f"{probe[0]}\t{probe[1]}")


if __name__ == "__main__":
    main()
