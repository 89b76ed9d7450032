//! The bytes of request bodies held at once, across every connection.
//!
//! Each body is bounded by `max_body_bytes`, but many slow bodies at once
//! are not: a hundred unfinished 10 MB uploads would hold a gigabyte. Bytes
//! are taken from one shared budget as they arrive and given back when the
//! request is done; a body that would go over it is refused (429) instead of
//! growing the process without bound.

use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Budget {
    used: AtomicUsize,
}

impl Budget {
    /// Bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// A holding of nothing yet, to grow as a body arrives.
    pub(crate) fn hold(&self) -> Held<'_> {
        Held {
            budget: self,
            bytes: 0,
        }
    }
}

/// Bytes taken from a [`Budget`], given back on drop.
#[derive(Debug)]
pub(crate) struct Held<'a> {
    budget: &'a Budget,
    bytes: usize,
}

impl Held<'_> {
    /// Takes `more` bytes if the total stays within `cap`; false (and
    /// nothing taken) when it would not.
    pub(crate) fn grow(&mut self, more: usize, cap: usize) -> bool {
        let taken = self
            .budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(more).filter(|total| *total <= cap)
            });
        if taken.is_ok() {
            self.bytes += more;
        }
        taken.is_ok()
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_share_one_cap_and_give_back_on_drop() {
        let budget = Budget::default();
        let mut a = budget.hold();
        let mut b = budget.hold();
        assert!(a.grow(60, 100));
        assert!(!b.grow(41, 100));
        assert!(b.grow(40, 100));
        assert_eq!(budget.used(), 100);
        assert!(!a.grow(1, 100));
        drop(a);
        assert_eq!(budget.used(), 40);
        assert!(b.grow(60, 100));
        drop(b);
        assert_eq!(budget.used(), 0);
    }
}
