//! Request ids shaped like API Gateway's (version 4 UUIDs), made without a
//! counter shared between workers.

use std::time::SystemTime;

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

std::thread_local! {
    /// This thread's seed (random, and unlike any other thread's) and its
    /// count of ids made.
    static STATE: std::cell::Cell<(u64, u64)> = std::cell::Cell::new((
        {
            use std::hash::BuildHasher;
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            foldhash::fast::RandomState::default().hash_one((
                nanos,
                std::process::id(),
                std::thread::current().id(),
            ))
        },
        0,
    ));
}

/// A request id (a version-4-shaped UUID), kept inline: made, logged and
/// sent without allocating.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId([u8; 36]);

impl std::ops::Deref for RequestId {
    type Target = str;

    fn deref(&self) -> &str {
        // ASCII by construction.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl RequestId {
    /// The id's bytes, without the UTF-8 check the `str` view makes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// A version-4-shaped UUID from a per-thread counter (no shared counter
/// for the workers to contend on).
pub(crate) fn next() -> RequestId {
    let (seed, n) = STATE.with(|state| {
        let (seed, n) = state.get();
        state.set((seed, n + 1));
        (seed, n)
    });
    let a = mix(seed ^ n);
    let b = mix(a ^ seed.rotate_left(17));
    let mut bits = (u128::from(a) << 64) | u128::from(b);
    // Version 4, variant 10.
    bits = (bits & !(0xf << 76)) | (0x4 << 76);
    bits = (bits & !(0x3 << 62)) | (0x2 << 62);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Two hex digits a byte, a dash before bytes 4, 6, 8 and 10.
    let mut out = [b'-'; 36];
    let mut at = 0;
    for (i, byte) in bits.to_be_bytes().into_iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            at += 1;
        }
        out[at] = HEX[usize::from(byte >> 4)];
        out[at + 1] = HEX[usize::from(byte & 0xf)];
        at += 2;
    }
    RequestId(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_uuid_shapes() {
        let a = next();
        let b = next();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes(), (*a).as_bytes());
        assert_eq!(&a[14..15], "4");
        assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
        let dashes: Vec<usize> = a.match_indices('-').map(|(i, _)| i).collect();
        assert_eq!(dashes, [8, 13, 18, 23]);
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a:?}");
    }
}
