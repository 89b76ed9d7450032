//! Country lookups for GeoMatch statements, from a database in MaxMind's
//! format (GeoLite2-Country, GeoIP2-Country or City, or any file with a
//! `country.iso_code` per network). Read whole into memory once; a lookup
//! decodes only the two fields it needs.

use std::net::IpAddr;
use std::path::Path;

use serde::Deserialize;

/// Country databases are a few MB; anything far larger is not one.
pub const MAX_GEO_BYTES: u64 = 512 << 20;

pub struct GeoDb {
    reader: maxminddb::Reader<Vec<u8>>,
    pub database_type: String,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoDb")
            .field("database_type", &self.database_type)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Iso<'a>>,
    #[serde(borrow)]
    registered_country: Option<Iso<'a>>,
}

#[derive(Deserialize)]
struct Iso<'a> {
    iso_code: Option<&'a str>,
}

impl GeoDb {
    pub fn open(path: &Path) -> Result<GeoDb, String> {
        let at = path.display();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("{at}: {e}"))?
            .len();
        if size > MAX_GEO_BYTES {
            return Err(format!("{at}: larger than {MAX_GEO_BYTES} bytes"));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{at}: {e}"))?;
        GeoDb::from_bytes(bytes).map_err(|e| format!("{at}: {e}"))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Result<GeoDb, String> {
        let reader = maxminddb::Reader::from_source(bytes)
            .map_err(|e| format!("not a MaxMind-format database: {e}"))?;
        let database_type = reader.metadata().database_type.clone();
        Ok(GeoDb {
            reader,
            database_type,
        })
    }

    /// The autonomous system number of `ip`, from an ASN database
    /// (GeoLite2-ASN's `autonomous_system_number`).
    pub fn asn(&self, ip: IpAddr) -> Option<u64> {
        #[derive(Deserialize)]
        struct Asn {
            autonomous_system_number: Option<u64>,
        }
        let found = self.reader.lookup(ip).ok()?;
        let record: Asn = found.decode().ok()??;
        record.autonomous_system_number
    }

    /// The ISO 3166-1 country of `ip` (its registered country when the
    /// database gives no other), `None` when the address is not listed.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let found = self.reader.lookup(ip).ok()?;
        let record: Record<'_> = found.decode().ok()??;
        record
            .country
            .and_then(|c| c.iso_code)
            .or(record.registered_country.and_then(|c| c.iso_code))
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> GeoDb {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/geo-country.mmdb");
        GeoDb::open(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn countries_of_listed_networks_v4_and_v6() {
        let db = fixture();
        let country = |ip: &str| db.country(ip.parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        assert_eq!(country("203.0.113.9").as_deref(), Some("AU"));
        assert_eq!(country("198.51.100.200").as_deref(), Some("US"));
        assert_eq!(country("2001:db8::1").as_deref(), Some("FR"));
        assert_eq!(
            country("100.64.1.1").as_deref(),
            Some("NL"),
            "registered country"
        );
        assert_eq!(country("8.8.8.8"), None);
        assert_eq!(db.database_type, "palisade-test-country");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_an_error() {
        let err = GeoDb::from_bytes(b"not a database at all".to_vec())
            .err()
            .unwrap_or_default();
        assert!(err.contains("not a MaxMind-format database"), "{err}");
        let mut truncated = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/geo-country.mmdb"),
        )
        .unwrap_or_default();
        truncated.drain(..600);
        if let Ok(db) = GeoDb::from_bytes(truncated) {
            // A mangled tree answers nothing sensible, but never panics.
            let _ = db.country("203.0.113.9".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])));
        }
    }
}
