//! Recent traffic per provider, for `GET /admin/api/v1/providers/status`: requests and
//! failures over the last five minutes (one-minute buckets), and the last failure's message.
//!
//! A failure is what says something about the provider: a 5xx, a 429, or a 401/403 after a
//! provider was chosen (its credentials were refused). A client's bad request is not one.
//!
//! Recording runs on every request, so it takes no lock: the per-provider slots are created
//! once from the registry and updated with atomics (a bucket rolling over to a new minute may
//! lose a count racing with it, which a five-minute health view can afford). Only a failure
//! takes a lock, to keep its message.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

const WINDOW_MINUTES: usize = 5;

#[derive(Debug, Default)]
struct Bucket {
    minute: AtomicI64,
    requests: AtomicU32,
    errors: AtomicU32,
}

#[derive(Debug, Default)]
struct Slot {
    buckets: [Bucket; WINDOW_MINUTES],
    /// Unix seconds; 0 when never.
    last_request_at: AtomicI64,
    last_error_at: AtomicI64,
    last_error: Mutex<Option<String>>,
}

/// What the window says about one provider.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HealthView {
    pub recent_requests: u32,
    pub recent_errors: u32,
    pub last_request_at: Option<i64>,
    pub last_error_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
pub struct ProviderHealth {
    slots: HashMap<String, Slot>,
}

impl ProviderHealth {
    /// One slot per configured provider.
    pub fn new<'a>(providers: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            slots: providers
                .into_iter()
                .map(|name| (name.to_owned(), Slot::default()))
                .collect(),
        }
    }

    /// Notes one finished request to `provider` at `now` (Unix seconds).
    pub fn record(&self, provider: &str, status: u16, error: Option<&str>, now: i64) {
        let Some(slot) = self.slots.get(provider) else {
            return;
        };
        let failed = status >= 500 || status == 429 || status == 401 || status == 403;
        let minute = now.div_euclid(60);
        let bucket = &slot.buckets[minute.rem_euclid(WINDOW_MINUTES as i64) as usize];
        let seen = bucket.minute.load(Ordering::Relaxed);
        if seen > minute {
            // Older than what the slot holds now (a record finishing very late): too old to
            // count, and resetting the slot would wipe the current minute.
            return;
        }
        if seen != minute
            && bucket
                .minute
                .compare_exchange(seen, minute, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            bucket.requests.store(0, Ordering::Relaxed);
            bucket.errors.store(0, Ordering::Relaxed);
        }
        bucket.requests.fetch_add(1, Ordering::Relaxed);
        // Read first: most requests would not move the maximum, and a write dirties the
        // cache line every core shares.
        if slot.last_request_at.load(Ordering::Relaxed) < now {
            slot.last_request_at.fetch_max(now, Ordering::Relaxed);
        }
        if failed {
            bucket.errors.fetch_add(1, Ordering::Relaxed);
            slot.last_error_at.fetch_max(now, Ordering::Relaxed);
            let message = error
                .map(|e| e.chars().take(500).collect())
                .unwrap_or_else(|| format!("HTTP {status}"));
            *slot
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
        }
    }

    pub fn view(&self, provider: &str, now: i64) -> HealthView {
        let Some(slot) = self.slots.get(provider) else {
            return HealthView::default();
        };
        let oldest = now.div_euclid(60) - WINDOW_MINUTES as i64 + 1;
        let (requests, errors) = slot
            .buckets
            .iter()
            .filter(|b| b.minute.load(Ordering::Relaxed) >= oldest)
            .fold((0, 0), |(r, e), b| {
                (
                    r + b.requests.load(Ordering::Relaxed),
                    e + b.errors.load(Ordering::Relaxed),
                )
            });
        let at = |value: &AtomicI64| Some(value.load(Ordering::Relaxed)).filter(|t| *t > 0);
        HealthView {
            recent_requests: requests,
            recent_errors: errors,
            last_request_at: at(&slot.last_request_at),
            last_error_at: at(&slot.last_error_at),
            last_error: slot
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_five_minutes_and_ignores_client_errors() {
        let health = ProviderHealth::new(["openai"]);
        health.record("openai", 200, None, 1_000);
        health.record("openai", 400, Some("bad request"), 1_001);
        health.record("openai", 503, Some("overloaded"), 1_002);
        health.record("unknown-provider", 503, None, 1_002);
        let view = health.view("openai", 1_010);
        assert_eq!((view.recent_requests, view.recent_errors), (3, 1));
        assert_eq!(view.last_error.as_deref(), Some("overloaded"));
        assert_eq!(view.last_request_at, Some(1_002));
        assert_eq!(health.view("openai", 1_000 + 6 * 60).recent_requests, 0);
        assert_eq!(health.view("other", 1_000), HealthView::default());
    }
}
