//! Token-bucket rate limits keyed by visitor, connection or IP address. Buckets refill
//! continuously; idle buckets are forgotten by [`RateLimiter::sweep`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter<K> {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
    /// Events refused so far (`/metrics`).
    refused: AtomicU64,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Allows `burst` events at once and `per_sec` sustained.
    pub fn new(burst: u32, per_sec: f64) -> Self {
        RateLimiter {
            burst: burst as f64,
            per_sec,
            buckets: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes one token for `key`; false when the key is over its limit.
    pub fn check(&self, key: &K) -> bool {
        let now = Instant::now();
        let mut map = self.buckets.lock().expect("ratelimit lock");
        let (tokens, last) = map.entry(key.clone()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            false
        }
    }

    /// How many events this limiter refused ([`check`](Self::check) or
    /// [`allows`](Self::allows) said no) since it was made.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Whether `key` has a token left, without taking it (for limits that only count
    /// failures: ask first, [`check`](Self::check) when one happened).
    pub fn allows(&self, key: &K) -> bool {
        let now = Instant::now();
        let map = self.buckets.lock().expect("ratelimit lock");
        let allowed = match map.get(key) {
            None => true,
            Some((tokens, last)) => {
                (tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst)
                    >= 1.0
            }
        };
        if !allowed {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        allowed
    }

    /// Forgets buckets that have been full for a while (bounded memory).
    pub fn sweep(&self, idle: Duration) {
        let now = Instant::now();
        self.buckets
            .lock()
            .expect("ratelimit lock")
            .retain(|_, (_, last)| now.duration_since(*last) < idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse() {
        let rl = RateLimiter::new(3, 0.0);
        assert!(rl.check(&1));
        assert!(rl.check(&1));
        assert!(rl.check(&1));
        assert!(!rl.check(&1));
        assert!(rl.check(&2), "keys are independent");
    }
}
