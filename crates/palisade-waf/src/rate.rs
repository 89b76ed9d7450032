//! Rate-based rules' counters in memory: an exact sliding window per key.
//! Only the newest `limit + 1` arrival times of a key are kept — enough to
//! tell whether more than `limit` fell within the window — so memory per
//! key is bounded by the limit, and idle keys are swept.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most arrival times kept per key; limits above it count in
/// one-second buckets instead, still over a sliding window.
const EXACT_UP_TO: u64 = 10_000;

#[derive(Debug)]
enum Window {
    Exact(VecDeque<Instant>),
    /// (second since the limiter started, requests in it), and their sum:
    /// kept as the buckets come and go, not added up per request (a
    /// 600 s window has up to 600 buckets).
    Buckets(VecDeque<(u64, u64)>, u64),
}

#[derive(Debug)]
pub struct MemoryLimiter {
    limit: u64,
    window: Duration,
    started: Instant,
    /// Seeded at random per limiter (foldhash's quality hasher): a key is
    /// looked up on every request, and SipHash costs several times more.
    keys: Mutex<(
        HashMap<String, Window, foldhash::quality::RandomState>,
        Instant,
    )>,
}

impl MemoryLimiter {
    pub fn new(limit: u64, window: Duration) -> MemoryLimiter {
        let now = Instant::now();
        MemoryLimiter {
            limit,
            window,
            started: now,
            keys: Mutex::new((HashMap::default(), now)),
        }
    }

    /// Counts a request of `key` at `now`; true when the key has now made
    /// more than `limit` requests within the window.
    pub fn hit(&self, key: &str, now: Instant) -> bool {
        let mut guard = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let (keys, last_sweep) = &mut *guard;
        if now.saturating_duration_since(*last_sweep) > self.window {
            let window = self.window;
            keys.retain(|_, w| match w {
                Window::Exact(times) => times
                    .back()
                    .is_some_and(|t| now.saturating_duration_since(*t) < window),
                Window::Buckets(buckets, _) => !buckets.is_empty(),
            });
            *last_sweep = now;
        }
        let exact = self.limit < EXACT_UP_TO;
        // Looked up before inserting: a key seen before costs no copy.
        let entry = match keys.get_mut(key) {
            Some(entry) => entry,
            None => keys.entry(key.to_string()).or_insert_with(|| {
                if exact {
                    Window::Exact(VecDeque::new())
                } else {
                    Window::Buckets(VecDeque::new(), 0)
                }
            }),
        };
        match entry {
            Window::Exact(times) => {
                while times
                    .front()
                    .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
                {
                    times.pop_front();
                }
                times.push_back(now);
                while times.len() as u64 > self.limit + 1 {
                    times.pop_front();
                }
                times.len() as u64 > self.limit
            }
            Window::Buckets(buckets, total) => {
                let second = now.saturating_duration_since(self.started).as_secs();
                let span = self.window.as_secs().max(1);
                while let Some(&(s, n)) = buckets.front()
                    && second.saturating_sub(s) >= span
                {
                    buckets.pop_front();
                    *total -= n;
                }
                match buckets.back_mut() {
                    Some((s, n)) if *s == second => *n += 1,
                    _ => buckets.push_back((second, 1)),
                }
                *total += 1;
                *total > self.limit
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_past_the_limit_is_over_until_the_window_slides() {
        let limiter = MemoryLimiter::new(100, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..100 {
            assert!(
                !limiter.hit("198.51.100.7", start + Duration::from_millis(i * 10)),
                "request {}",
                i + 1
            );
        }
        assert!(
            limiter.hit("198.51.100.7", start + Duration::from_secs(1)),
            "the 101st"
        );
        assert!(
            !limiter.hit("192.0.2.1", start + Duration::from_secs(1)),
            "another key"
        );
        // The first 100 were within the first second: 61 s later they are out.
        assert!(!limiter.hit("198.51.100.7", start + Duration::from_secs(62)));
    }

    #[test]
    fn a_key_keeps_only_what_it_needs() {
        let limiter = MemoryLimiter::new(3, Duration::from_secs(10));
        let start = Instant::now();
        for i in 0..1000 {
            limiter.hit("k", start + Duration::from_millis(i));
        }
        let keys = limiter.keys.lock().unwrap_or_else(|e| e.into_inner());
        match keys.0.get("k") {
            Some(Window::Exact(times)) => assert_eq!(times.len(), 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn large_limits_count_in_buckets() {
        let limiter = MemoryLimiter::new(20_000, Duration::from_secs(60));
        let start = Instant::now();
        let mut over = 0;
        for i in 0..20_001u64 {
            if limiter.hit("k", start + Duration::from_micros(i)) {
                over += 1;
            }
        }
        assert_eq!(over, 1);
        assert!(!limiter.hit("k", start + Duration::from_secs(61)));
    }

    #[test]
    fn buckets_leave_the_count_as_the_window_slides() {
        let limiter = MemoryLimiter::new(20_000, Duration::from_secs(10));
        let start = Instant::now();
        // 4,000 a second for five seconds: 20,000, at the limit.
        for i in 0..20_000u64 {
            let at = start + Duration::from_micros(i * 250);
            assert!(!limiter.hit("k", at), "request {}", i + 1);
        }
        assert!(limiter.hit("k", start + Duration::from_millis(5_500)));
        // At 11.2 s the first two seconds' 8,000 have left the window: room
        // again, and the count is what the buckets hold.
        assert!(!limiter.hit("k", start + Duration::from_millis(11_200)));
        let keys = limiter.keys.lock().unwrap_or_else(|e| e.into_inner());
        match keys.0.get("k") {
            Some(Window::Buckets(buckets, total)) => {
                assert_eq!(*total, buckets.iter().map(|(_, n)| n).sum::<u64>());
                assert!(*total < 20_000, "{total}");
            }
            other => panic!("{other:?}"),
        }
    }
}
