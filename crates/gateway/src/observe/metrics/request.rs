//! `RequestMetrics`: one request's link to the metrics, carried in its record, and the update
//! made when the request is done.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::MatchedPath;
use gomodel_protocol::Usage;
use http::{Method, StatusCode};

use super::Metrics;
use crate::error::Fault;
use crate::observe::pricing::{Cost, CostSource};
use crate::observe::record::RecordSnapshot;

/// Created by the observe middleware for each request while metrics are on.
#[derive(Debug)]
pub struct RequestMetrics {
    pub(super) metrics: Arc<Metrics>,
    /// The route template axum matched (with `BASE_PATH`), `None` for the 404 fallback.
    route: Option<MatchedPath>,
    /// Bytes of `BASE_PATH` to cut off the template (0 at the root).
    base_len: usize,
    /// Time spent inside provider calls, microseconds.
    pub(super) upstream_wait_us: AtomicU64,
    pub(super) upstream_calls: AtomicU32,
}

/// How a request ended, as the middleware saw it.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub method: &'a Method,
    pub status: StatusCode,
    /// From arrival until the handler returned the response head.
    pub handled_in: Duration,
    /// From arrival until the first body frame was sent (for answers that are not streams,
    /// whose records carry no time to first byte).
    pub first_frame: Option<Duration>,
    /// The fault of the error response, when the gateway answered with one.
    pub fault: Option<Fault>,
    /// The cost the usage recorder computed (computed here when usage is off).
    pub cost: Option<&'a Cost>,
}

impl RequestMetrics {
    pub fn new(metrics: Arc<Metrics>, route: Option<MatchedPath>, base_path: &str) -> Self {
        Self {
            metrics,
            route,
            base_len: if base_path == "/" { 0 } else { base_path.len() },
            upstream_wait_us: AtomicU64::new(0),
            upstream_calls: AtomicU32::new(0),
        }
    }

    /// The matched route template without `BASE_PATH`.
    fn route(&self) -> Option<&str> {
        let template = self.route.as_ref()?.as_str().get(self.base_len..)?;
        Some(if template.is_empty() { "/" } else { template })
    }

    /// The `endpoint` label of provider series: the route template.
    pub(super) fn endpoint(&self) -> &str {
        self.route().unwrap_or("other")
    }

    /// Counts an inbound request (`gomodel_http_requests_total`).
    pub fn count_response(&self, method: &Method, status: StatusCode) {
        let route = match self.route() {
            Some(route) => route,
            None if status == StatusCode::NOT_FOUND => "unmatched",
            None => "other",
        };
        let mut digits = [0; 3];
        self.metrics.series.http_requests.add(
            [
                route,
                method_label(method),
                status_label(status.as_u16(), &mut digits),
            ],
            1.0,
        );
    }

    /// Everything a finished request adds: for requests routed to a provider the time to first
    /// byte, overhead, tokens, cost and errors, then the inbound count (last, so a scrape that
    /// sees the request counted sees the rest of it too).
    pub fn finish(&self, facts: &RecordSnapshot, outcome: Outcome<'_>) {
        if let Some(provider) = facts.provider.as_deref() {
            self.record_routed(provider, facts, &outcome);
        }
        self.count_response(outcome.method, outcome.status);
    }

    fn record_routed(&self, provider: &str, facts: &RecordSnapshot, outcome: &Outcome<'_>) {
        if self.upstream_calls.load(Ordering::Relaxed) > 0 {
            self.observe_latency(provider, facts, outcome);
        }
        match &facts.usage {
            Some(usage) => self.count_usage(provider, facts, usage, outcome.cost),
            None => self.count_unreported_usage(provider, facts, outcome),
        }
        let failed = outcome.status.is_client_error()
            || outcome.status.is_server_error()
            || facts.error_code.is_some();
        if failed {
            // Without an error response of the gateway's own, the failure is the provider's:
            // an error relayed by passthrough, or a stream that broke after it began.
            let fault = fault_label(outcome.fault.unwrap_or(Fault::Provider));
            self.metrics
                .series
                .upstream_errors
                .add([provider, fault], 1.0);
        }
    }

    /// Time to first byte, and the handling time not spent waiting on the provider.
    fn observe_latency(&self, provider: &str, facts: &RecordSnapshot, outcome: &Outcome<'_>) {
        let series = &self.metrics.series;
        let endpoint = self.endpoint();
        if let Some(ttfb) = facts.time_to_first_byte.or(outcome.first_frame) {
            series
                .time_to_first_byte
                .observe([provider, endpoint], ttfb.as_secs_f64());
        }
        let waited = Duration::from_micros(self.upstream_wait_us.load(Ordering::Relaxed));
        series.overhead.observe(
            [endpoint],
            outcome.handled_in.saturating_sub(waited).as_secs_f64(),
        );
    }

    /// A routed request whose usage the provider did not report: unpriced when its cost is
    /// unknown, by the usage recorder's rule (a successful answer naming a model).
    fn count_unreported_usage(
        &self,
        provider: &str,
        facts: &RecordSnapshot,
        outcome: &Outcome<'_>,
    ) {
        let model_id = facts
            .upstream_model
            .as_deref()
            .or(facts.requested_model.as_deref());
        let unknown = match outcome.cost {
            Some(cost) => cost.unknown.is_some(),
            None => self
                .metrics
                .pricing
                .load()
                .answer_cost(
                    provider,
                    facts.provider_type.unwrap_or_default(),
                    model_id.unwrap_or_default(),
                    None,
                    outcome.status.is_success(),
                )
                .unknown
                .is_some(),
        };
        if unknown {
            let model = self.metrics.model_label(provider, model_id);
            self.metrics.series.unpriced.add([provider, model], 1.0);
        }
    }

    /// Tokens, and their cost or the lack of a price.
    fn count_usage(
        &self,
        provider: &str,
        facts: &RecordSnapshot,
        usage: &Usage,
        cost: Option<&Cost>,
    ) {
        let series = &self.metrics.series;
        let model_id = facts
            .upstream_model
            .as_deref()
            .or(facts.requested_model.as_deref());
        let model = self.metrics.model_label(provider, model_id);
        let tokens = &series.tokens;
        tokens.add([provider, model, "input"], usage.prompt_tokens as f64);
        tokens.add([provider, model, "output"], usage.completion_tokens as f64);
        if let Some(cached) = usage.cached_tokens {
            tokens.add([provider, model, "cached"], cached as f64);
        }
        if let Some(reasoning) = usage.reasoning_tokens {
            tokens.add([provider, model, "reasoning"], reasoning as f64);
        }
        let computed;
        let cost = match cost {
            Some(cost) => cost,
            None => {
                computed = self.metrics.pricing.load().cost(
                    provider,
                    facts.provider_type.unwrap_or_default(),
                    model_id.unwrap_or_default(),
                    usage,
                );
                &computed
            }
        };
        // The usage recorder's rule (`Cost::unknown`): a request that used no tokens owes
        // nothing, priced or not.
        if cost.unknown.is_some() {
            series.unpriced.add([provider, model], 1.0);
        }
        if cost.source == CostSource::Unpriced {
            return;
        }
        for (kind, amount) in [("input", cost.input_cost), ("output", cost.output_cost)] {
            if let Some(amount) = amount {
                series.cost.add([provider, model, kind], amount);
            }
        }
    }
}

pub(super) fn fault_label(fault: Fault) -> &'static str {
    match fault {
        Fault::Client => "client",
        Fault::Gateway => "gateway",
        Fault::Provider => "provider",
    }
}

/// Standard methods by name; anything else (methods are free text) is `other`.
pub(super) fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

/// A status code as three digits, written into `digits` (no allocation).
pub(super) fn status_label(code: u16, digits: &mut [u8; 3]) -> &str {
    if !(100..=999).contains(&code) {
        return "other";
    }
    *digits = [
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ];
    std::str::from_utf8(digits).unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_fixed_words() {
        let mut digits = [0; 3];
        assert_eq!(status_label(200, &mut digits), "200");
        assert_eq!(status_label(599, &mut digits), "599");
        assert_eq!(status_label(42, &mut digits), "other");
        assert_eq!(method_label(&Method::POST), "POST");
        let custom = Method::from_bytes(b"EXFILTRATE").unwrap();
        assert_eq!(method_label(&custom), "other");
        assert_eq!(fault_label(Fault::Gateway), "gateway");
    }
}
