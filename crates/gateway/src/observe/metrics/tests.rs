//! A request's hooks, then the scrape: what each series shows, and that labels stay bounded.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use futures_util::FutureExt;
use gomodel_protocol::Usage;
use http::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::error::Fault;
use crate::models::{ModelCatalog, ProviderModels};
use crate::observe::RequestRecord;
use crate::observe::price_sources::PriceSources;

fn metrics() -> Arc<Metrics> {
    let records = Records {
        store: None,
        pricing: Arc::new(ArcSwap::from_pointee(Pricing::embedded())),
        usage: None,
        audit: None,
        price_sources: Arc::new(PriceSources::new(Vec::new())),
        metrics: None,
    };
    let list: ProviderModels = serde_json::from_value(json!({
        "provider": "openai-east",
        "provider_type": "openai",
        "source": "upstream",
        "models": [{"id": "gpt-4o-mini"}],
    }))
    .unwrap();
    let inventory = Arc::new(ModelInventory::new(ModelCatalog::new(vec![list]), true));
    Arc::new(Metrics::new(&records, inventory))
}

/// A record routed to `openai-east` with `model`, as `pipeline::resolve` leaves it.
fn routed(metrics: &Arc<Metrics>, model: &str, stream: bool) -> RequestRecord {
    let record = RequestRecord::new("req".into()).with_metrics(Some(RequestMetrics::new(
        Arc::clone(metrics),
        None,
        "/",
    )));
    record.update(|r| {
        r.provider = Some("openai-east".into());
        r.provider_type = Some("openai");
        r.requested_model = Some(model.into());
        r.upstream_model = Some(model.into());
        r.stream = stream;
    });
    record
}

struct Answer(UpstreamStatus);

impl UpstreamOutcome for Answer {
    fn upstream_status(&self) -> UpstreamStatus {
        self.0
    }
}

fn finish(record: &RequestRecord, status: StatusCode, fault: Option<Fault>) {
    let facts = record.snapshot();
    record.metrics().unwrap().finish(
        &facts,
        Outcome {
            method: &Method::POST,
            status,
            handled_in: Duration::from_millis(40),
            first_frame: Some(Duration::from_millis(41)),
            fault,
            cost: None,
        },
    );
}

fn has(text: &str, line: &str) {
    assert!(
        text.lines().any(|l| l == line),
        "missing line {line}\n{text}"
    );
}

#[tokio::test]
async fn a_priced_request_shows_in_every_series() {
    let metrics = metrics();
    let record = routed(&metrics, "gpt-4o-mini", false);
    upstream_call(&record, async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        Answer(UpstreamStatus::Http(200))
    })
    .await;
    record.set_usage(Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 10,
        total_tokens: 1_000_010,
        cached_tokens: Some(0),
        reasoning_tokens: None,
        raw: None,
    });
    finish(&record, StatusCode::OK, None);
    let text = metrics.render();
    has(
        &text,
        "gomodel_requests_total{provider=\"openai-east\",provider_type=\"openai\",model=\"gpt-4o-mini\",endpoint=\"other\",status_code=\"200\",status_type=\"success\",stream=\"false\"} 1",
    );
    has(
        &text,
        "gomodel_request_duration_seconds_count{provider=\"openai-east\",provider_type=\"openai\",model=\"gpt-4o-mini\",endpoint=\"other\",stream=\"false\"} 1",
    );
    has(
        &text,
        "gomodel_requests_in_flight{provider=\"openai-east\",provider_type=\"openai\",endpoint=\"other\",stream=\"false\"} 0",
    );
    has(
        &text,
        "gomodel_http_requests_total{route=\"other\",method=\"POST\",status=\"200\"} 1",
    );
    has(
        &text,
        "gomodel_time_to_first_byte_seconds_count{provider=\"openai-east\",endpoint=\"other\"} 1",
    );
    has(
        &text,
        "gomodel_tokens_total{provider=\"openai-east\",model=\"gpt-4o-mini\",type=\"input\"} 1000000",
    );
    has(
        &text,
        "gomodel_tokens_total{provider=\"openai-east\",model=\"gpt-4o-mini\",type=\"cached\"} 0",
    );
    // gpt-4o-mini input: $0.15 per million tokens (the embedded catalog).
    has(
        &text,
        "gomodel_cost_usd_total{provider=\"openai-east\",model=\"gpt-4o-mini\",type=\"input\"} 0.15",
    );
    // At least 30 ms of upstream wait is taken off the 40 ms handling time.
    has(
        &text,
        "gomodel_gateway_overhead_seconds_bucket{endpoint=\"other\",le=\"0.01\"} 1",
    );
    assert!(!text.contains("gomodel_unpriced_requests_total{"), "{text}");
    assert!(!text.contains("gomodel_upstream_errors_total{"), "{text}");
    has(&text, "# TYPE gomodel_storage_queue_depth gauge");
    assert!(text.contains("gomodel_build_info{version=\""), "{text}");
}

#[tokio::test]
async fn unknown_models_errors_and_faults_are_bounded_labels() {
    let metrics = metrics();
    let made_up = "made-up\"model\nwith text";
    let record = routed(&metrics, made_up, true);
    upstream_call(&record, async { Answer(UpstreamStatus::Http(500)) }).await;
    finish(
        &record,
        StatusCode::INTERNAL_SERVER_ERROR,
        Some(Fault::Provider),
    );
    let record = routed(&metrics, made_up, false);
    upstream_call(&record, async { Answer(UpstreamStatus::NetworkError) }).await;
    record.set_usage(Usage {
        prompt_tokens: 5,
        completion_tokens: 0,
        total_tokens: 5,
        ..Usage::default()
    });
    finish(&record, StatusCode::BAD_GATEWAY, None);
    let record = routed(&metrics, "gpt-4o-mini", false);
    upstream_call(&record, async { Answer(UpstreamStatus::NotSent) }).await;
    finish(&record, StatusCode::BAD_REQUEST, Some(Fault::Client));

    let text = metrics.render();
    assert!(!text.contains("made-up"), "{text}");
    has(
        &text,
        "gomodel_requests_total{provider=\"openai-east\",provider_type=\"openai\",model=\"other\",endpoint=\"other\",status_code=\"500\",status_type=\"error\",stream=\"true\"} 1",
    );
    has(
        &text,
        "gomodel_requests_total{provider=\"openai-east\",provider_type=\"openai\",model=\"other\",endpoint=\"other\",status_code=\"network_error\",status_type=\"error\",stream=\"false\"} 1",
    );
    // A call refused before sending is no upstream request.
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("gomodel_requests_total{"))
            .count(),
        2,
        "{text}"
    );
    has(
        &text,
        "gomodel_upstream_errors_total{provider=\"openai-east\",fault=\"provider\"} 2",
    );
    has(
        &text,
        "gomodel_upstream_errors_total{provider=\"openai-east\",fault=\"client\"} 1",
    );
    // The made-up model has no price: counted as unpriced under `other`.
    has(
        &text,
        "gomodel_unpriced_requests_total{provider=\"openai-east\",model=\"other\"} 1",
    );
}

#[tokio::test]
async fn an_abandoned_call_leaves_nothing_in_flight() {
    let metrics = metrics();
    let record = routed(&metrics, "gpt-4o-mini", true);
    let call = upstream_call(&record, std::future::pending::<Answer>());
    assert!(call.now_or_never().is_none());
    let text = metrics.render();
    has(
        &text,
        "gomodel_requests_in_flight{provider=\"openai-east\",provider_type=\"openai\",endpoint=\"other\",stream=\"true\"} 0",
    );
    has(
        &text,
        "gomodel_requests_total{provider=\"openai-east\",provider_type=\"openai\",model=\"gpt-4o-mini\",endpoint=\"other\",status_code=\"499\",status_type=\"error\",stream=\"true\"} 1",
    );
}

#[tokio::test]
async fn without_metrics_the_call_is_just_awaited() {
    let record = RequestRecord::new("req".into());
    let answer = upstream_call(&record, async { Answer(UpstreamStatus::Http(200)) }).await;
    assert_eq!(answer.0, UpstreamStatus::Http(200));
    assert!(record.metrics().is_none());
}

#[test]
fn unmatched_routes_and_odd_methods_are_fixed_words() {
    let metrics = metrics();
    let request = RequestMetrics::new(Arc::clone(&metrics), None, "/");
    request.count_response(&Method::GET, StatusCode::NOT_FOUND);
    request.count_response(&Method::from_bytes(b"BREW").unwrap(), StatusCode::NOT_FOUND);
    request.count_response(&Method::GET, StatusCode::OK);
    let text = metrics.render();
    has(
        &text,
        "gomodel_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1",
    );
    has(
        &text,
        "gomodel_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1",
    );
    has(
        &text,
        "gomodel_http_requests_total{route=\"other\",method=\"GET\",status=\"200\"} 1",
    );
}
