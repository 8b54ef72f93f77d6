//! Token-bucket rate limits keyed by visitor, connection or IP address. Buckets refill
//! continuously; idle buckets are forgotten by [`RateLimiter::sweep`].

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter<K> {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// Allows `burst` events at once and `per_sec` sustained.
    pub fn new(burst: u32, per_sec: f64) -> Self {
        RateLimiter {
            burst: burst as f64,
            per_sec,
            buckets: Mutex::new(HashMap::new()),
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
            false
        }
    }

    /// Whether `key` has a token left, without taking it (for limits that only count
    /// failures: ask first, [`check`](Self::check) when one happened).
    pub fn allows(&self, key: &K) -> bool {
        let now = Instant::now();
        let map = self.buckets.lock().expect("ratelimit lock");
        match map.get(key) {
            None => true,
            Some((tokens, last)) => {
                (tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst)
                    >= 1.0
            }
        }
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
