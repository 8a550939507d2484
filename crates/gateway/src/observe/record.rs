//! `RequestRecord`: the facts of one request, filled in by whichever stage learns them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gomodel_protocol::Usage;

use super::audit::AuditCapture;
use super::metrics::RequestMetrics;

/// Shared (via `Arc`) between the handler, the stream relay and the logging body wrapper.
/// The mutex is never contended in practice: stages touch it one after another.
#[derive(Debug)]
pub struct RequestRecord {
    pub request_id: String,
    pub started: Instant,
    /// Wall-clock start, unix microseconds (for stored rows).
    pub started_at_us: i64,
    /// What the audit log captures; `None` when this request is not audited.
    audit: Option<Mutex<AuditCapture>>,
    /// The request's link to the Prometheus metrics; `None` when they are off.
    metrics: Option<RequestMetrics>,
    fields: Mutex<RecordSnapshot>,
}

/// A copy of the recorded facts.
#[derive(Debug, Clone, Default)]
pub struct RecordSnapshot {
    pub provider: Option<String>,
    pub provider_type: Option<&'static str>,
    pub requested_model: Option<String>,
    pub upstream_model: Option<String>,
    pub stream: bool,
    pub usage: Option<Usage>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub time_to_first_byte: Option<Duration>,
    /// The stream ended before `[DONE]` because the client disconnected.
    pub client_disconnected: bool,
    /// Provider-specific adjustments made to the request (renamed or clamped parameters).
    pub adjustments: Vec<String>,
    /// `X-GoModel-User-Path`, normalised (`/` when absent).
    pub user_path: String,
    /// The provider's id for its answer (`chatcmpl-…`, `msg_…`), when it sent one: set by the
    /// chat, Messages and passthrough handlers and the stream relays.
    pub response_id: Option<String>,
}

impl RequestRecord {
    pub fn new(request_id: String) -> Self {
        let started_at_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX));
        Self {
            request_id,
            started: Instant::now(),
            started_at_us,
            audit: None,
            metrics: None,
            fields: Mutex::new(RecordSnapshot::default()),
        }
    }

    /// A record whose request is audited (captures headers and bodies as it goes).
    pub fn audited(request_id: String) -> Self {
        Self {
            audit: Some(Mutex::new(AuditCapture::default())),
            ..Self::new(request_id)
        }
    }

    /// Attaches the metrics hooks (the observe middleware does, when metrics are on).
    pub fn with_metrics(mut self, metrics: Option<RequestMetrics>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> Option<&RequestMetrics> {
        self.metrics.as_ref()
    }

    pub fn is_audited(&self) -> bool {
        self.audit.is_some()
    }

    /// Adds to the audit capture (no-op when not audited).
    pub fn capture(&self, f: impl FnOnce(&mut AuditCapture)) {
        if let Some(audit) = &self.audit {
            f(&mut audit
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner));
        }
    }

    /// Takes the capture out (once, when the audit row is built).
    pub fn take_audit(&self) -> Option<AuditCapture> {
        self.audit.as_ref().map(|audit| {
            std::mem::take(
                &mut *audit
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            )
        })
    }

    /// Applies `f` to the fields. A poisoned lock (a panic elsewhere) still records.
    pub fn update(&self, f: impl FnOnce(&mut RecordSnapshot)) {
        let mut guard = self
            .fields
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard);
    }

    /// Reads the fields in place (no copy, unlike [`Self::snapshot`]).
    pub fn read<R>(&self, f: impl FnOnce(&RecordSnapshot) -> R) -> R {
        f(&self
            .fields
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    pub fn snapshot(&self) -> RecordSnapshot {
        self.fields
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Takes the facts out, leaving defaults: for the last reader, once the request is over.
    pub fn take_facts(&self) -> RecordSnapshot {
        std::mem::take(
            &mut *self
                .fields
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub fn set_usage(&self, usage: Usage) {
        self.update(|f| f.usage = Some(usage));
    }

    pub fn set_error(&self, code: &str, message: &str) {
        self.update(|f| {
            f.error_code = Some(code.to_owned());
            f.error_message = Some(message.to_owned());
        });
    }

    /// Records the provider's id for its answer; the first one seen is kept (a stream repeats
    /// it in every chunk).
    pub fn set_response_id(&self, id: Option<String>) {
        if let Some(id) = id.filter(|id| !id.is_empty()) {
            self.update(|f| {
                f.response_id.get_or_insert(id);
            });
        }
    }

    pub fn mark_first_byte(&self) {
        let elapsed = self.started.elapsed();
        self.update(|f| {
            f.time_to_first_byte.get_or_insert(elapsed);
        });
    }
}
