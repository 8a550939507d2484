//! Recent traffic per provider, for `GET /admin/api/v1/providers/status`: requests and
//! failures over the last five minutes (one-minute buckets), and the last failure's message.
//!
//! A failure is what says something about the provider: a 5xx, a 429, or a 401/403 after a
//! provider was chosen (its credentials were refused). A client's bad request is not one.
//! Providers are the configured ones, so the map stays small.

use std::collections::HashMap;
use std::sync::Mutex;

const WINDOW_MINUTES: usize = 5;

#[derive(Debug, Default, Clone)]
struct Stats {
    /// (minute since the epoch, requests, failures), one slot per minute of the window.
    buckets: [(i64, u32, u32); WINDOW_MINUTES],
    last_request_at: Option<i64>,
    last_error_at: Option<i64>,
    last_error: Option<String>,
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
    stats: Mutex<HashMap<String, Stats>>,
}

impl ProviderHealth {
    /// Notes one finished request to `provider` at `now` (Unix seconds).
    pub fn record(&self, provider: &str, status: u16, error: Option<&str>, now: i64) {
        let failed = status >= 500 || status == 429 || status == 401 || status == 403;
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = stats.entry(provider.to_owned()).or_default();
        let minute = now.div_euclid(60);
        let slot = &mut entry.buckets[minute.rem_euclid(WINDOW_MINUTES as i64) as usize];
        if slot.0 != minute {
            *slot = (minute, 0, 0);
        }
        slot.1 += 1;
        entry.last_request_at = Some(now);
        if failed {
            slot.2 += 1;
            entry.last_error_at = Some(now);
            entry.last_error = Some(
                error
                    .map(|e| e.chars().take(500).collect())
                    .unwrap_or_else(|| format!("HTTP {status}")),
            );
        }
    }

    pub fn view(&self, provider: &str, now: i64) -> HealthView {
        let stats = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(entry) = stats.get(provider) else {
            return HealthView::default();
        };
        let oldest = now.div_euclid(60) - WINDOW_MINUTES as i64 + 1;
        let (requests, errors) = entry
            .buckets
            .iter()
            .filter(|(minute, ..)| *minute >= oldest)
            .fold((0, 0), |(r, e), (_, requests, errors)| {
                (r + requests, e + errors)
            });
        HealthView {
            recent_requests: requests,
            recent_errors: errors,
            last_request_at: entry.last_request_at,
            last_error_at: entry.last_error_at,
            last_error: entry.last_error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_last_five_minutes_and_ignores_client_errors() {
        let health = ProviderHealth::default();
        health.record("openai", 200, None, 1_000);
        health.record("openai", 400, Some("bad request"), 1_001);
        health.record("openai", 503, Some("overloaded"), 1_002);
        let view = health.view("openai", 1_010);
        assert_eq!((view.recent_requests, view.recent_errors), (3, 1));
        assert_eq!(view.last_error.as_deref(), Some("overloaded"));
        assert_eq!(health.view("openai", 1_000 + 6 * 60).recent_requests, 0);
        assert_eq!(health.view("other", 1_000), HealthView::default());
    }
}
