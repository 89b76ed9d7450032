//! Remembered detector verdicts for values that repeat from request to
//! request: a browser sends the same User-Agent, Accept, Referer and
//! session cookie with every request, and reading each again as SQL and
//! HTML costs far more than looking it up. The detectors are pure
//! functions of the value, so a remembered verdict is the verdict.
//!
//! One small direct-mapped table per thread (each gateway worker is one
//! thread): no locks, bounded memory, and a collision simply replaces the
//! older entry.

use std::cell::RefCell;
use std::hash::BuildHasher;

/// Which detector, at which sensitivity, gave a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Detector {
    SqliLow,
    SqliHigh,
    XssLow,
    /// A compiled regex statement (or pattern set reference), by an id no
    /// other statement compiled by this process has.
    Regex(u64),
}

/// A fresh id for [`Detector::Regex`].
pub(crate) fn regex_detector() -> Detector {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    Detector::Regex(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// Slots in each thread's table.
const SLOTS: usize = 1024;
/// Longer values are not remembered (and the table stays under 1 MiB).
pub(crate) const MAX_VALUE: usize = 512;

struct Entry {
    hash: u64,
    detector: Detector,
    value: Box<[u8]>,
    verdict: bool,
}

struct Table {
    /// Seeded at random per thread: values chosen to collide only ever
    /// evict each other (every hit compares the whole value anyway).
    hasher: foldhash::quality::RandomState,
    slots: Vec<Option<Entry>>,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table {
        hasher: foldhash::quality::RandomState::default(),
        slots: (0..SLOTS).map(|_| None).collect(),
    });
}

/// `detect(value)`, remembered under `detector` for values up to
/// [`MAX_VALUE`] bytes; computed afresh when `detector` is `None`.
pub(crate) fn remembered(
    detector: Option<Detector>,
    value: &[u8],
    detect: impl FnOnce() -> bool,
) -> bool {
    let Some(detector) = detector.filter(|_| value.len() <= MAX_VALUE) else {
        return detect();
    };
    TABLE.with(|table| {
        // (The detectors never come back here; a busy table just means
        // computing afresh.)
        let Ok(mut table) = table.try_borrow_mut() else {
            return detect();
        };
        let hash = table.hasher.hash_one((detector, value));
        let slot = &mut table.slots[(hash as usize) % SLOTS];
        if let Some(entry) = slot
            .as_ref()
            .filter(|e| e.hash == hash && e.detector == detector && *e.value == *value)
        {
            return entry.verdict;
        }
        let verdict = detect();
        *slot = Some(Entry {
            hash,
            detector,
            value: value.into(),
            verdict,
        });
        verdict
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_verdict_is_computed_once_per_value_and_detector() {
        let runs = Cell::new(0);
        let detect = |verdict: bool| {
            runs.set(runs.get() + 1);
            verdict
        };
        assert!(remembered(Some(Detector::SqliLow), b"' or 1=1--", || {
            detect(true)
        }));
        assert!(remembered(Some(Detector::SqliLow), b"' or 1=1--", || {
            detect(false)
        }));
        assert_eq!(runs.get(), 1);
        // Another detector, another value: computed afresh.
        assert!(!remembered(Some(Detector::XssLow), b"' or 1=1--", || {
            detect(false)
        }));
        assert!(!remembered(Some(Detector::SqliLow), b"' or 1=2--", || {
            detect(false)
        }));
        assert_eq!(runs.get(), 3);
        // Long values are never remembered.
        let long = vec![b'a'; MAX_VALUE + 1];
        remembered(Some(Detector::SqliLow), &long, || detect(false));
        remembered(Some(Detector::SqliLow), &long, || detect(false));
        assert_eq!(runs.get(), 5);
    }

    #[test]
    fn colliding_values_replace_each_other_without_mixing_verdicts() {
        // More distinct values than slots: every lookup still answers for
        // its own value.
        for round in 0..2 {
            for i in 0..(SLOTS * 3) {
                let value = format!("value-{i}");
                let expected = i % 7 == 0;
                let got = remembered(Some(Detector::XssLow), value.as_bytes(), || expected);
                assert_eq!(got, expected, "round {round}, {value}");
            }
        }
    }
}
