//! Prometheus metrics: `GET /metrics` (`METRICS_ENABLED`, `METRICS_ENDPOINT`), in the text
//! exposition format, with no dependency beyond the standard library.
//!
//! GoModel's three upstream series (`gomodel_requests_total`, `gomodel_request_duration_seconds`,
//! `gomodel_requests_in_flight`) keep their names and labels, with `provider` now the instance
//! name and a `provider_type` label beside it; the rest is what GoModel lacked: every inbound
//! request by route template, time to first byte, the gateway's own overhead, tokens, cost,
//! unpriced requests, storage queues and errors by fault domain. docs/metrics.md lists them.
//!
//! Where the numbers come from:
//! - [`upstream_call`] wraps each provider call in the ingress handlers: in-flight gauge, the
//!   upstream counter and duration, and the time spent waiting on the provider;
//! - the observe middleware gives each [`RequestRecord`](super::RequestRecord) a
//!   [`RequestMetrics`] (the matched route template), and when the response body is done calls
//!   [`RequestMetrics::finish`], which reads the record once for everything else;
//! - storage queues and build facts are read when scraped, costing requests nothing.
//!
//! Label values are bounded: providers are configured instances, a model is named only when its
//! provider lists it (else `other`), routes are templates (`unmatched` for 404s), methods and
//! statuses are fixed words. No request text ever becomes a label. With metrics off the record
//! carries `None` and every hook is one branch.

mod registry;
mod request;
mod route;
mod text;
mod upstream;

use std::fmt;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use arc_swap::ArcSwap;

use crate::app::Records;
use crate::models::ModelInventory;
use crate::observe::pricing::Pricing;
use crate::observe::writer::BatchWriter;
use registry::{Histogram, Scalar};
use text::{Exposition, Kind};

pub use request::{Outcome, RequestMetrics};
pub use route::routes;
pub use upstream::{UpstreamOutcome, UpstreamStatus, upstream_call};

/// GoModel's buckets for upstream durations.
const DURATION_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
/// Time to first byte: GoModel's buckets, with two finer ones for fast answers.
const TTFB_BUCKETS: &[f64] = &[0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0];
/// The gateway's own time is counted in microseconds to milliseconds.
const OVERHEAD_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

/// Every series, and what scrapes read besides them.
pub struct Metrics {
    series: Series,
    pricing: Arc<ArcSwap<Pricing>>,
    inventory: Arc<ModelInventory>,
    queues: Vec<(&'static str, Box<dyn QueueStats>)>,
    started_unix_seconds: f64,
}

/// The families recorded by requests.
struct Series {
    requests: Scalar<7>,
    request_duration: Histogram<5>,
    in_flight: Scalar<4>,
    http_requests: Scalar<3>,
    time_to_first_byte: Histogram<2>,
    overhead: Histogram<1>,
    tokens: Scalar<3>,
    cost: Scalar<3>,
    unpriced: Scalar<2>,
    upstream_errors: Scalar<2>,
}

impl Series {
    fn new() -> Self {
        Self {
            requests: Scalar::scalar(
                "gomodel_requests_total",
                "Requests sent to providers, by provider instance, model, endpoint and outcome.",
                [
                    "provider",
                    "provider_type",
                    "model",
                    "endpoint",
                    "status_code",
                    "status_type",
                    "stream",
                ],
            ),
            request_duration: Histogram::new(
                "gomodel_request_duration_seconds",
                "Time waiting on the provider per request; for streams, until the stream was established.",
                ["provider", "provider_type", "model", "endpoint", "stream"],
                DURATION_BUCKETS,
            ),
            in_flight: Scalar::scalar(
                "gomodel_requests_in_flight",
                "Provider calls waiting for an answer (streams until established).",
                ["provider", "provider_type", "endpoint", "stream"],
            ),
            http_requests: Scalar::scalar(
                "gomodel_http_requests_total",
                "Inbound HTTP requests, by route template, method and status.",
                ["route", "method", "status"],
            ),
            time_to_first_byte: Histogram::new(
                "gomodel_time_to_first_byte_seconds",
                "From the request's arrival to the first response byte sent, for requests that called a provider.",
                ["provider", "endpoint"],
                TTFB_BUCKETS,
            ),
            overhead: Histogram::new(
                "gomodel_gateway_overhead_seconds",
                "Time the gateway spent on a request outside the provider call, until the response began.",
                ["endpoint"],
                OVERHEAD_BUCKETS,
            ),
            tokens: Scalar::scalar(
                "gomodel_tokens_total",
                "Tokens reported by providers (input includes cached; output includes reasoning).",
                ["provider", "model", "type"],
            ),
            cost: Scalar::scalar(
                "gomodel_cost_usd_total",
                "Cost of priced requests in US dollars.",
                ["provider", "model", "type"],
            ),
            unpriced: Scalar::scalar(
                "gomodel_unpriced_requests_total",
                "Requests with token usage but no known price (their cost is unknown, not zero).",
                ["provider", "model"],
            ),
            upstream_errors: Scalar::scalar(
                "gomodel_upstream_errors_total",
                "Failed requests that were routed to a provider, by whose fault the failure was.",
                ["provider", "fault"],
            ),
        }
    }
}

impl Metrics {
    /// Metrics for a gateway with these records (pricing, storage writers) and model list.
    pub fn new(records: &Records, inventory: Arc<ModelInventory>) -> Self {
        let mut queues: Vec<(&'static str, Box<dyn QueueStats>)> = Vec::new();
        if let Some(usage) = &records.usage {
            queues.push(("usage", Box::new(usage.writer().clone())));
        }
        if let Some(audit) = &records.audit {
            queues.push(("audit", Box::new(audit.writer().clone())));
        }
        let started_unix_seconds = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64().floor());
        Self {
            series: Series::new(),
            pricing: Arc::clone(&records.pricing),
            inventory,
            queues,
            started_unix_seconds,
        }
    }

    /// `model` when `provider` lists it, else `other`: a label never holds a model id a client
    /// made up.
    fn model_label<'a>(&self, provider: &str, model: Option<&'a str>) -> &'a str {
        match model {
            Some(model) if self.inventory.lists(provider, model) => model,
            _ => "other",
        }
    }

    /// The scrape answer.
    pub fn render(&self) -> String {
        let series = &self.series;
        let mut out = Exposition::default();
        out.scalar(&series.requests, Kind::Counter);
        out.histogram(&series.request_duration);
        out.scalar(&series.in_flight, Kind::Gauge);
        out.scalar(&series.http_requests, Kind::Counter);
        out.histogram(&series.time_to_first_byte);
        out.histogram(&series.overhead);
        out.scalar(&series.tokens, Kind::Counter);
        out.scalar(&series.cost, Kind::Counter);
        out.scalar(&series.unpriced, Kind::Counter);
        out.scalar(&series.upstream_errors, Kind::Counter);
        self.render_queues(&mut out);
        out.header(
            "gomodel_build_info",
            "The running gateway's version (always 1).",
            "gauge",
        );
        out.sample(
            "gomodel_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            None,
            1.0,
        );
        out.header(
            "gomodel_process_start_time_seconds",
            "When the gateway started, in seconds since the Unix epoch.",
            "gauge",
        );
        out.sample(
            "gomodel_process_start_time_seconds",
            &[],
            None,
            self.started_unix_seconds,
        );
        out.finish()
    }

    fn render_queues(&self, out: &mut Exposition) {
        let depth = "gomodel_storage_queue_depth";
        out.header(
            depth,
            "Rows waiting to be written to storage (queued or in the batch being written).",
            "gauge",
        );
        for (kind, queue) in &self.queues {
            out.sample(depth, &[("kind", kind)], None, queue.depth() as f64);
        }
        let dropped = "gomodel_storage_dropped_rows_total";
        out.header(
            dropped,
            "Rows lost because the storage queue was full or shutdown could not flush them.",
            "counter",
        );
        for (kind, queue) in &self.queues {
            out.sample(dropped, &[("kind", kind)], None, queue.dropped() as f64);
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("queues", &self.queues.len())
            .finish_non_exhaustive()
    }
}

/// A storage writer as the scrape sees it.
trait QueueStats: Send + Sync {
    fn depth(&self) -> usize;
    fn dropped(&self) -> u64;
}

impl<R: Send + Sync + 'static> QueueStats for BatchWriter<R> {
    fn depth(&self) -> usize {
        BatchWriter::depth(self)
    }

    fn dropped(&self) -> u64 {
        self.stats()
            .dropped
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
