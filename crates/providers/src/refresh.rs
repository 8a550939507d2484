//! A credential that expires — a Google access token, temporary AWS keys — cached and
//! refreshed before expiry, single-flight.
//!
//! One caller fetches while the others keep using the current value if it is still good, or
//! wait for the fetch if there is none (so a burst of first requests makes one fetch). A failed
//! fetch is the answer for [`FAILURE_HOLD`] to everyone who queued behind it (no pile-up of
//! timeouts against a dead endpoint); with a good value left, the failure is logged and the
//! old value used. Fetches time out after [`FETCH_TIMEOUT`].
//!
//! Times are kept twice: a monotonic `Instant` (immune to clock changes) and the wall clock
//! (which, unlike the monotonic clock on Linux, keeps counting while a laptop sleeps). A value
//! counts as expired when either says so.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// Refresh this long before expiry (or after three quarters of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);
/// Stop using a value this long before it expires (or a tenth of a short lifetime): a request
/// must not arrive with a credential that expired on the way.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// How long a failed fetch is the answer for the callers that queued behind it.
pub(crate) const FAILURE_HOLD: Duration = Duration::from_secs(5);
/// A fetch that takes longer has failed.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no credential came back: the status to report (401 refused, 502 unreachable or
/// broken) and what happened, in words that never include a secret.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub status: u16,
    pub reason: String,
}

impl Refusal {
    pub(crate) fn new(status: u16, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone)]
struct Cached<T> {
    value: T,
    refresh_at: Instant,
    usable_until: Instant,
    usable_until_wall: SystemTime,
}

impl<T> Cached<T> {
    fn new(value: T, lifetime: Duration, fetched_at: Instant) -> Self {
        let refresh_after = lifetime
            .saturating_sub(REFRESH_MARGIN)
            .max(lifetime.mul_f64(0.75));
        let usable_for = lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 10));
        let wall_elapsed = fetched_at.elapsed();
        Self {
            value,
            refresh_at: fetched_at + refresh_after,
            usable_until: fetched_at + usable_for,
            usable_until_wall: SystemTime::now() + usable_for - wall_elapsed.min(usable_for),
        }
    }

    fn is_fresh(&self) -> bool {
        Instant::now() < self.refresh_at && self.is_usable()
    }

    fn is_usable(&self) -> bool {
        Instant::now() < self.usable_until && SystemTime::now() < self.usable_until_wall
    }
}

#[derive(Debug)]
struct State<T> {
    cached: Option<Cached<T>>,
    last_failure: Option<(Instant, Refusal)>,
}

impl<T> State<T> {
    fn recent_failure(&self) -> Option<Refusal> {
        self.last_failure
            .as_ref()
            .filter(|(at, _)| at.elapsed() < FAILURE_HOLD)
            .map(|(_, refusal)| refusal.clone())
    }
}

/// The cache. `label` names the credential in log lines.
#[derive(Debug)]
pub(crate) struct Refreshing<T> {
    label: String,
    state: Mutex<State<T>>,
    refresh: tokio::sync::Mutex<()>,
}

impl<T: Clone> Refreshing<T> {
    pub(crate) fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            state: Mutex::new(State {
                cached: None,
                last_failure: None,
            }),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The current value, fetching a new one (value and lifetime) with `fetch` when due.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<T, Refusal>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Refusal>>,
    {
        if let Some(cached) = self.with_state(|s| s.cached.clone()) {
            if cached.is_fresh() {
                return Ok(cached.value);
            }
            if cached.is_usable() {
                // Due for refresh but still good: one caller refreshes (unless one just
                // failed), the rest go on with the current value.
                if self.with_state(|s| s.recent_failure()).is_some() {
                    return Ok(cached.value);
                }
                let Ok(_guard) = self.refresh.try_lock() else {
                    return Ok(cached.value);
                };
                return match self.fetch_and_store(fetch).await {
                    Ok(value) => Ok(value),
                    Err(refusal) => {
                        tracing::warn!(credential = %self.label, error = %refusal.reason, "credential refresh failed; using the current one until it expires");
                        Ok(cached.value)
                    }
                };
            }
        }
        let _guard = self.refresh.lock().await;
        let (cached, failure) = self.with_state(|s| (s.cached.clone(), s.recent_failure()));
        if let Some(cached) = cached.filter(Cached::is_fresh) {
            return Ok(cached.value);
        }
        if let Some(refusal) = failure {
            return Err(refusal);
        }
        self.fetch_and_store(fetch).await
    }

    /// Forgets the cached value when `rejected` says it is the one a service refused.
    pub(crate) fn invalidate(&self, rejected: impl Fn(&T) -> bool) {
        self.with_state(|state| {
            if state.cached.as_ref().is_some_and(|c| rejected(&c.value)) {
                state.cached = None;
            }
        });
    }

    async fn fetch_and_store<F, Fut>(&self, fetch: F) -> Result<T, Refusal>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Refusal>>,
    {
        let fetched_at = Instant::now();
        let outcome = tokio::time::timeout(FETCH_TIMEOUT, fetch())
            .await
            .unwrap_or_else(|_| {
                Err(Refusal::new(
                    502,
                    format!("no answer within {} s", FETCH_TIMEOUT.as_secs()),
                ))
            });
        match outcome {
            Ok((value, lifetime)) => {
                let cached = Cached::new(value.clone(), lifetime, fetched_at);
                self.with_state(|s| {
                    s.cached = Some(cached);
                    s.last_failure = None;
                });
                Ok(value)
            }
            Err(refusal) => {
                self.with_state(|s| s.last_failure = Some((Instant::now(), refusal.clone())));
                Err(refusal)
            }
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State<T>) -> R) -> R {
        // A poisoned lock only means a panic elsewhere mid-update; the state is still a
        // valid cache entry.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_fetch_for_concurrent_callers_and_failures_are_shared() {
        let cache = Arc::new(Refreshing::<u32>::new("test"));
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok((7, Duration::from_secs(3600)))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 7);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        let failing = Arc::new(Refreshing::<u32>::new("test"));
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (cache, fetches) = (Arc::clone(&failing), Arc::clone(&fetches));
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err::<(u32, Duration), _>(Refusal::new(401, "no"))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap_err().status, 401);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn invalidated_values_are_fetched_again() {
        let cache = Refreshing::<u32>::new("test");
        let first = cache
            .get(|| async { Ok((1, Duration::from_secs(3600))) })
            .await;
        assert_eq!(first.unwrap(), 1);
        cache.invalidate(|v| *v == 1);
        let second = cache
            .get(|| async { Ok((2, Duration::from_secs(3600))) })
            .await;
        assert_eq!(second.unwrap(), 2);
    }
}
