//! Rows to insert, with every field set to something plausible; cases override what they test.

use gomodel_store::{AuditRow, RawJson, UsageRow};
use serde_json::json;

/// 2025-06-15T12:00:00Z, on a day boundary's quarter-hour grid.
pub const T0: i64 = 1_749_988_800_000_000;
pub const MINUTE: i64 = 60_000_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

/// A priced, successful, non-streaming chat completion.
pub fn usage(id: &str, ts_us: i64) -> UsageRow {
    UsageRow {
        id: id.to_owned(),
        request_id: format!("req-{id}"),
        provider_response_id: Some(format!("chatcmpl-{id}")),
        ts_us,
        provider_name: "openai".into(),
        provider_type: "openai".into(),
        requested_model: "gpt-4o-mini".into(),
        model: "gpt-4o-mini-2024-07-18".into(),
        endpoint: "/v1/chat/completions".into(),
        user_path: "/".into(),
        stream: false,
        status_code: 200,
        latency_ms: 123.5,
        ttfb_ms: Some(45.25),
        input_tokens: 100,
        output_tokens: 20,
        total_tokens: 120,
        cached_input_tokens: 10,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
        raw_usage: RawJson::from_value(&json!({"prompt_tokens": 100, "completion_tokens": 20})),
        input_cost: Some(0.000_015),
        output_cost: Some(0.000_012),
        total_cost: Some(0.000_027),
        cost_source: "catalog".into(),
        cost_caveat: None,
        error_code: None,
    }
}

/// `usage` with no price at all.
pub fn unpriced(id: &str, ts_us: i64) -> UsageRow {
    UsageRow {
        input_cost: None,
        output_cost: None,
        total_cost: None,
        cost_source: "unpriced".into(),
        cost_caveat: Some("model not in catalog".into()),
        ..usage(id, ts_us)
    }
}

/// `usage` with the given total cost, split 60/40 between input and output.
pub fn costing(id: &str, ts_us: i64, total: f64) -> UsageRow {
    UsageRow {
        input_cost: Some(total * 0.6),
        output_cost: Some(total * 0.4),
        total_cost: Some(total),
        ..usage(id, ts_us)
    }
}

/// A successful POST /v1/chat/completions entry.
pub fn audit(id: &str, ts_us: i64) -> AuditRow {
    AuditRow {
        id: id.to_owned(),
        request_id: format!("req-{id}"),
        ts_us,
        duration_ms: 250.5,
        requested_model: Some("gpt-4o-mini".into()),
        resolved_model: Some("gpt-4o-mini-2024-07-18".into()),
        provider_type: Some("openai".into()),
        provider_name: Some("openai".into()),
        status_code: 200,
        method: "POST".into(),
        path: "/v1/chat/completions".into(),
        user_path: "/".into(),
        stream: false,
        client_ip: Some("10.0.0.7".into()),
        error_type: None,
        response_id: None,
        previous_response_id: None,
        auth_method: Some("master_key".into()),
        usage: None,
        data: doc(json!({
            "request": {"headers": {"content-type": "application/json"}, "body": {"model": "gpt-4o-mini"}},
            "response": {"status": 200}
        })),
    }
}

/// An audit `data` document from a JSON value.
pub fn doc(value: serde_json::Value) -> gomodel_store::RawJson {
    gomodel_store::RawJson::from_value(&value).unwrap()
}
