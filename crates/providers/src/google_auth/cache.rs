//! The cached token and what the last refresh attempt left behind.
//!
//! Times are kept twice: a monotonic `Instant` (immune to clock changes) and the wall clock
//! (which, unlike the monotonic clock on Linux, keeps counting while a laptop sleeps). A token
//! counts as expired when either says so.

use std::time::{Duration, Instant, SystemTime};

use http::HeaderValue;

use super::exchange::Refusal;

/// Refresh this long before expiry (or after three quarters of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Stop using a token this long before it expires (or a tenth of a short lifetime): a request
/// must not arrive at Google with a token that expired on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// After a failed refresh, how long the failure is the answer: callers that queued behind it
/// get it at once instead of each waiting on the same broken endpoint, and a still-valid
/// token is not refreshed again on every request.
pub(super) const FAILURE_HOLD: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub(super) struct CachedToken {
    pub header: HeaderValue,
    refresh_at: Instant,
    usable_until: Instant,
    usable_until_wall: SystemTime,
}

impl CachedToken {
    pub(super) fn new(header: HeaderValue, lifetime: Duration, fetched_at: Instant) -> Self {
        let refresh_after = lifetime
            .saturating_sub(REFRESH_MARGIN)
            .max(lifetime.mul_f64(0.75));
        let usable_for = lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 10));
        let wall_elapsed = fetched_at.elapsed();
        Self {
            header,
            refresh_at: fetched_at + refresh_after,
            usable_until: fetched_at + usable_for,
            usable_until_wall: SystemTime::now() + usable_for - wall_elapsed.min(usable_for),
        }
    }

    /// Still good and not yet due for refresh.
    pub(super) fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at && self.is_usable()
    }

    /// Still good to send.
    pub(super) fn is_usable(&self) -> bool {
        Instant::now() < self.usable_until && SystemTime::now() < self.usable_until_wall
    }
}

#[derive(Debug, Default)]
pub(super) struct TokenState {
    pub token: Option<CachedToken>,
    pub last_failure: Option<(Instant, Refusal)>,
}

impl TokenState {
    /// The failure of a refresh attempted within [`FAILURE_HOLD`].
    pub(super) fn recent_failure(&self) -> Option<Refusal> {
        self.last_failure
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FAILURE_HOLD)
            .map(|(_, refusal)| refusal.clone())
    }
}
