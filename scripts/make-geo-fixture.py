"""Writes crates/palisade-waf/tests/fixtures/geo-country.mmdb: a tiny
MaxMind-format country database over documentation address ranges, for
the GeoMatch tests (the real GeoLite2 files cannot ship with palisade).

usage: pip install mmdb-writer netaddr && python3 scripts/make-geo-fixture.py
"""
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

NETWORKS = {
    "203.0.113.0/24": {"country": {"iso_code": "AU"}},
    "198.51.100.0/24": {"country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "CA"}]},
    "192.0.2.0/24": {"country": {"iso_code": "DE"}},
    "2001:db8::/32": {"country": {"iso_code": "FR"}},
    # Registered, but no country of its own (like anycast ranges).
    "100.64.0.0/10": {"registered_country": {"iso_code": "NL"}},
}

writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="palisade-test-country",
                    description="palisade GeoMatch test fixture")
for network, record in NETWORKS.items():
    writer.insert_network(IPSet([network]), record)
out = Path(__file__).resolve().parent.parent / "crates/palisade-waf/tests/fixtures/geo-country.mmdb"
writer.to_db_file(str(out))
print(f"wrote {out} ({out.stat().st_size} bytes)")
