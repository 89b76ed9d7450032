//! Rate-based rules counted in Redis, so every gateway replica enforces one
//! limit. Each key is a sorted set of arrival times (Redis server time, so
//! replicas' clocks do not matter) trimmed to the window and to the newest
//! `limit + 1` entries by one Lua script: the window is exact and a key's
//! memory is bounded by its limit, as with the in-memory counter.
//!
//! Redis being slow or gone must not stall requests: each call has a short
//! deadline, and after a failure the store is not tried again for a
//! second, so the caller's fail-open or fail-closed answer comes at once.
//! It reconnects by itself on the first call after that pause.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

use crate::eval::SharedRate;

/// Counts one arrival and answers how many the key holds in the window.
const SCRIPT: &str = r"
local now = redis.call('TIME')
local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', micros - window)
redis.call('ZADD', KEYS[1], micros, ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 2))
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return redis.call('ZCARD', KEYS[1])
";

/// How long one call may take before the rule decides without Redis.
const DEADLINE: Duration = Duration::from_millis(250);
/// How long to leave Redis alone after a failure.
const PAUSE: Duration = Duration::from_secs(1);

pub struct RedisRate {
    client: redis::Client,
    script: redis::Script,
    prefix: String,
    state: Mutex<State>,
    /// Makes each arrival a distinct member of its set.
    sequence: AtomicU64,
    instance: u64,
}

#[derive(Default)]
struct State {
    connection: Option<MultiplexedConnection>,
    paused_until: Option<Instant>,
}

impl std::fmt::Debug for RedisRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRate")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRate {
    /// A store for `url` (`redis://host:port/db`); nothing is connected
    /// until the first request.
    pub fn new(url: &str) -> Result<RedisRate, String> {
        let client = redis::Client::open(url).map_err(|e| format!("{url}: {e}"))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(RedisRate {
            client,
            script: redis::Script::new(SCRIPT),
            prefix: "palisade:rate:".to_string(),
            state: Mutex::new(State::default()),
            sequence: AtomicU64::new(0),
            instance: nanos ^ u64::from(std::process::id()).rotate_left(32),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn count(&self, key: String, limit: u64, window: Duration) -> Result<bool, String> {
        let existing = {
            let state = self.state();
            if let Some(until) = state.paused_until
                && Instant::now() < until
            {
                return Err("Redis is unreachable; retrying shortly".to_string());
            }
            state.connection.clone()
        };
        let result = tokio::time::timeout(DEADLINE, async {
            let mut connection = match existing {
                Some(c) => c,
                None => {
                    let c = self
                        .client
                        .get_multiplexed_async_connection()
                        .await
                        .map_err(|e| e.to_string())?;
                    self.state().connection = Some(c.clone());
                    c
                }
            };
            let member = format!(
                "{:x}-{:x}",
                self.instance,
                self.sequence.fetch_add(1, Ordering::Relaxed)
            );
            self.script
                .key(format!("{}{key}", self.prefix))
                .arg(window.as_micros() as u64)
                .arg(limit)
                .arg(member)
                .invoke_async::<u64>(&mut connection)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", DEADLINE.as_millis())));
        match result {
            Ok(count) => {
                self.state().paused_until = None;
                Ok(count > limit)
            }
            Err(e) => {
                let mut state = self.state();
                state.connection = None;
                state.paused_until = Some(Instant::now() + PAUSE);
                Err(format!("Redis rate store: {e}"))
            }
        }
    }
}

impl SharedRate for RedisRate {
    fn hit<'a>(
        &'a self,
        key: String,
        limit: u64,
        window: Duration,
    ) -> Pin<Box<dyn Future<Output = Result<bool, String>> + Send + 'a>> {
        Box::pin(self.count(key, limit, window))
    }
}
