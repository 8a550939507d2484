//! Usage rows: one per model request that reached a provider, built when the request
//! completes (the response body finished or the client went away) and handed to the
//! background writer. Costs are computed here, from the pricing snapshot.
//!
//! An unknown cost is never recorded as $0. Two things make a cost unknown: a model without a
//! price (no catalog entry, no override), and a successful answer whose usage the provider did
//! not report (a passthrough endpoint without usage, a provider that omits it, a stream cut
//! before its usage arrived), whose tokens are unknown even when the model is priced. Either
//! way the costs stay NULL and the row says `unpriced` (the second with the caveat
//! [`USAGE_NOT_REPORTED`]); [`UsageRecorder::unpriced_requests`] and the metrics'
//! `gomodel_unpriced_requests_total` count it (both from [`Cost::unknown`]), and a warning is
//! logged once per provider, model and reason.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use gomodel_store::{RawJson, UsageRow};

use super::pricing::{Cost, Pricing, USAGE_NOT_REPORTED, UnknownCost};
use super::record::{RecordSnapshot, RequestRecord};
use super::writer::BatchWriter;

#[derive(Debug)]
pub struct UsageRecorder {
    writer: BatchWriter<UsageRow>,
    pricing: Arc<ArcSwap<Pricing>>,
    warned: Mutex<HashSet<(UnknownCost, String)>>,
    unpriced: AtomicU64,
}

impl UsageRecorder {
    pub fn new(writer: BatchWriter<UsageRow>, pricing: Arc<ArcSwap<Pricing>>) -> Self {
        Self {
            writer,
            pricing,
            warned: Mutex::new(HashSet::new()),
            unpriced: AtomicU64::new(0),
        }
    }

    pub fn writer(&self) -> &BatchWriter<UsageRow> {
        &self.writer
    }

    /// Requests recorded without a price.
    pub fn unpriced_requests(&self) -> u64 {
        self.unpriced.load(Ordering::Relaxed)
    }

    /// Prices one finished request (`None` for requests that never reached a provider); the
    /// metrics count the cost too, so it is computed once, before the row is built.
    pub fn price(&self, facts: &RecordSnapshot, status: u16) -> Option<Cost> {
        let (Some(provider), Some(provider_type)) =
            (facts.provider.as_deref(), facts.provider_type)
        else {
            return None;
        };
        let model = facts
            .upstream_model
            .as_deref()
            .or(facts.requested_model.as_deref())
            .unwrap_or_default();
        let succeeded = (200..300).contains(&status);
        let cost = self.pricing.load().answer_cost(
            provider,
            provider_type,
            model,
            facts.usage.as_ref(),
            succeeded,
        );
        if let Some(reason) = cost.unknown {
            self.unpriced.fetch_add(1, Ordering::Relaxed);
            self.warn_once(reason, provider, model);
        }
        Some(cost)
    }

    /// Queues the usage row of a request [`Self::price`] priced. It takes the request's facts:
    /// the row owns their strings instead of copying them (this runs once the request is
    /// over, when nothing else reads them).
    pub fn record(
        &self,
        record: &RequestRecord,
        facts: RecordSnapshot,
        cost: Cost,
        endpoint: String,
        status: u16,
    ) {
        let (Some(provider), Some(provider_type)) = (facts.provider, facts.provider_type) else {
            return;
        };
        let requested_model = facts.requested_model.unwrap_or_default();
        let model = facts
            .upstream_model
            .unwrap_or_else(|| requested_model.clone());
        let usage = facts.usage.unwrap_or_default();
        let row = UsageRow {
            id: super::request_id::time_ordered(record.started_at_us),
            request_id: record.request_id.clone(),
            provider_response_id: facts.response_id,
            ts_us: record.started_at_us,
            provider_name: provider,
            provider_type: provider_type.into(),
            requested_model,
            model,
            endpoint,
            user_path: if facts.user_path.is_empty() {
                "/".to_owned()
            } else {
                facts.user_path
            },
            stream: facts.stream,
            status_code: i32::from(status),
            latency_ms: record.started.elapsed().as_secs_f64() * 1000.0,
            ttfb_ms: facts.time_to_first_byte.map(|d| d.as_secs_f64() * 1000.0),
            input_tokens: as_i64(usage.prompt_tokens),
            output_tokens: as_i64(usage.completion_tokens),
            total_tokens: as_i64(usage.total_tokens),
            cached_input_tokens: as_i64(usage.cached_tokens.unwrap_or(0)),
            cache_write_tokens: as_i64(cost.cache_write_tokens),
            reasoning_tokens: as_i64(usage.reasoning_tokens.unwrap_or(0)),
            raw_usage: usage.raw.map(RawJson::new),
            input_cost: cost.input_cost,
            output_cost: cost.output_cost,
            total_cost: cost.total_cost,
            cost_source: cost.source.as_str().into(),
            cost_caveat: cost.caveat,
            error_code: facts.error_code,
        };
        self.writer.submit(row);
    }

    /// One warning per provider, model and reason (bounded, so a stream of made-up model
    /// names cannot grow the set without limit).
    fn warn_once(&self, reason: UnknownCost, provider: &str, model: &str) {
        let key = format!("{provider}/{model}");
        let mut warned = self
            .warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if warned.len() >= 10_000 || !warned.insert((reason, key.clone())) {
            return;
        }
        drop(warned);
        match reason {
            UnknownCost::NoPrice => tracing::warn!(
                model = %key,
                "no price known for this model: its usage is recorded with NULL cost (cost_source=unpriced); add a pricing override to price it"
            ),
            UnknownCost::NoUsage => tracing::warn!(
                model = %key,
                "the provider answered without reporting usage: this request and later ones like it are recorded with NULL cost (cost_source=unpriced, caveat \"{USAGE_NOT_REPORTED}\")"
            ),
        }
    }
}

fn as_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
