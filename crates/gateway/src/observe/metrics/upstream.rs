//! Timing provider calls: [`upstream_call`] wraps the future of one call made by an ingress
//! handler (`provider.chat(..)`, `.embeddings(..)`, `.passthrough(..)`, `.anthropic_native(..)`).
//!
//! It moves the in-flight gauge, counts the call with its status (GoModel's
//! `gomodel_requests_total` and `gomodel_request_duration_seconds`) and adds the time waited to
//! the request, from which the gateway's own overhead is derived. A call returns when the answer
//! is complete, or for streams when the stream is established (as GoModel measured). A call
//! dropped unfinished (the client went away) is counted with status `499`, nginx's "client
//! closed request". Without metrics the future is awaited as it is.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::Instant;

use gomodel_providers::{ChatReply, JsonReply, ProviderError};

use super::request::{RequestMetrics, status_label};
use crate::observe::record::RequestRecord;

/// What became of a provider call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamStatus {
    /// The provider answered with this HTTP status (502 for an answer that could not be read).
    Http(u16),
    /// No HTTP status arrived: connection failure or timeout.
    NetworkError,
    /// The call was refused before anything was sent (an unsupported operation, a bad request
    /// the adapter caught): not counted as an upstream request.
    NotSent,
    /// The caller stopped waiting (the client disconnected).
    Abandoned,
}

/// A provider call's result, as the metrics classify it.
pub trait UpstreamOutcome {
    fn upstream_status(&self) -> UpstreamStatus;
}

fn error_status(err: &ProviderError) -> UpstreamStatus {
    match err {
        ProviderError::Upstream { status, .. } => UpstreamStatus::Http(*status),
        ProviderError::Transport { .. } => UpstreamStatus::NetworkError,
        ProviderError::InvalidResponse { .. } => UpstreamStatus::Http(502),
        ProviderError::Unsupported { .. } | ProviderError::InvalidRequest { .. } => {
            UpstreamStatus::NotSent
        }
    }
}

impl UpstreamOutcome for Result<ChatReply, ProviderError> {
    fn upstream_status(&self) -> UpstreamStatus {
        self.as_ref()
            .map_or_else(error_status, |_| UpstreamStatus::Http(200))
    }
}

impl UpstreamOutcome for Result<JsonReply, ProviderError> {
    fn upstream_status(&self) -> UpstreamStatus {
        self.as_ref()
            .map_or_else(error_status, |_| UpstreamStatus::Http(200))
    }
}

impl UpstreamOutcome for Result<reqwest::Response, ProviderError> {
    fn upstream_status(&self) -> UpstreamStatus {
        self.as_ref().map_or_else(error_status, |response| {
            UpstreamStatus::Http(response.status().as_u16())
        })
    }
}

/// `Provider::anthropic_native`: `None` when the provider does not speak the dialect.
impl<T> UpstreamOutcome for Option<T>
where
    T: UpstreamOutcome,
{
    fn upstream_status(&self) -> UpstreamStatus {
        self.as_ref()
            .map_or(UpstreamStatus::NotSent, UpstreamOutcome::upstream_status)
    }
}

/// Awaits `call`, recording it against the request's provider (see the module docs).
pub async fn upstream_call<T, F>(record: &RequestRecord, call: F) -> T
where
    F: Future<Output = T>,
    T: UpstreamOutcome,
{
    let Some(metrics) = record.metrics() else {
        return call.await;
    };
    let mut timer = CallTimer::start(metrics, record);
    let result = call.await;
    timer.stop(result.upstream_status());
    result
}

/// One call in flight; records its end exactly once, also when dropped mid-call.
struct CallTimer<'a> {
    metrics: &'a RequestMetrics,
    record: &'a RequestRecord,
    started: Instant,
    stream: &'static str,
    stopped: bool,
}

impl<'a> CallTimer<'a> {
    fn start(metrics: &'a RequestMetrics, record: &'a RequestRecord) -> Self {
        let stream = record.read(|facts| {
            let stream = stream_label(facts.stream);
            let (provider, provider_type) = provider_labels(facts);
            metrics
                .metrics
                .series
                .in_flight
                .add([provider, provider_type, metrics.endpoint(), stream], 1.0);
            stream
        });
        Self {
            metrics,
            record,
            started: Instant::now(),
            stream,
            stopped: false,
        }
    }

    fn stop(&mut self, status: UpstreamStatus) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        let waited = self.started.elapsed();
        let request = self.metrics;
        request.upstream_wait_us.fetch_add(
            u64::try_from(waited.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        // A call refused before anything was sent (count_tokens answered locally) is not an
        // upstream call: no time to first byte or overhead is attributed to one.
        if !matches!(status, UpstreamStatus::NotSent) {
            request.upstream_calls.fetch_add(1, Ordering::Relaxed);
        }
        let series = &request.metrics.series;
        let endpoint = request.endpoint();
        let stream = self.stream;
        self.record.read(|facts| {
            let (provider, provider_type) = provider_labels(facts);
            series
                .in_flight
                .add([provider, provider_type, endpoint, stream], -1.0);
            let mut digits = [0; 3];
            let (code, kind) = match status {
                UpstreamStatus::NotSent => return,
                UpstreamStatus::NetworkError => ("network_error", "error"),
                UpstreamStatus::Abandoned => ("499", "error"),
                UpstreamStatus::Http(code) => (
                    status_label(code, &mut digits),
                    if code < 400 { "success" } else { "error" },
                ),
            };
            let model = request.metrics.model_label(
                provider,
                facts
                    .upstream_model
                    .as_deref()
                    .or(facts.requested_model.as_deref()),
            );
            series.requests.add(
                [provider, provider_type, model, endpoint, code, kind, stream],
                1.0,
            );
            series.request_duration.observe(
                [provider, provider_type, model, endpoint, stream],
                waited.as_secs_f64(),
            );
        });
    }
}

impl Drop for CallTimer<'_> {
    fn drop(&mut self) {
        self.stop(UpstreamStatus::Abandoned);
    }
}

fn provider_labels(facts: &crate::observe::RecordSnapshot) -> (&str, &'static str) {
    (
        facts.provider.as_deref().unwrap_or("unknown"),
        facts.provider_type.unwrap_or("unknown"),
    )
}

fn stream_label(stream: bool) -> &'static str {
    if stream { "true" } else { "false" }
}
