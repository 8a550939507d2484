//! Usage rows: one per request, with tokens and costs, written in the background, flushed on
//! SIGTERM, and read back through the admin API.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gomodel_store::{Store, StoreConfig, UsageFilter};
use serde_json::{Value, json};

use crate::harness::*;

async fn gateway_with_storage(
    dir: &tempfile::TempDir,
    extra: &[(&str, &str)],
) -> (TestGateway, gomodel_fake_upstream::FakeUpstream) {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let db = dir.path().join("gomodel.db").display().to_string();
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", base.as_str()),
        ("OLLAMA_BASE_URL", base.as_str()),
        ("SQLITE_PATH", db.as_str()),
        ("USAGE_FLUSH_INTERVAL", "100ms"),
    ];
    env.extend_from_slice(extra);
    (TestGateway::start(&env).await, fake)
}

async fn admin(gateway: &TestGateway, path: &str) -> Value {
    let response = gateway.get(&format!("/admin/api/v1{path}")).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

async fn wait_for_rows(gateway: &TestGateway, expected: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let summary = admin(gateway, "/usage/summary").await;
        if summary["total_requests"].as_i64() == Some(expected) || Instant::now() > deadline {
            return summary;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn every_request_gets_a_priced_usage_row() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    let chat = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-gomodel-user-path", "team/alpha/")
        .json(&chat_body("openai/gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), 200);
    let mut stream = chat_body("openai/gpt-4o-mini");
    stream["stream"] = json!(true);
    gateway
        .post("/v1/chat/completions", &stream)
        .await
        .text()
        .await
        .unwrap();
    gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "openai/text-embedding-3-small", "input": "x"}),
        )
        .await;
    // A self-hosted model has no price: NULL cost, never $0.
    gateway
        .post("/v1/chat/completions", &chat_body("ollama/llama3.2"))
        .await;

    let summary = wait_for_rows(&gateway, 4).await;
    assert_eq!(summary["total_requests"], 4, "{summary}");
    assert!(summary["total_tokens"].as_i64().unwrap() > 0);
    assert!(summary["total_cost"].as_f64().unwrap() > 0.0);
    assert_eq!(summary["unpriced_requests"], 1);

    let log = admin(&gateway, "/usage/log?limit=10").await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(log["total"], 4);
    let streamed = entries.iter().find(|e| e["stream"] == true).unwrap();
    assert!(
        streamed["output_tokens"].as_i64().unwrap() > 0,
        "stream usage captured: {streamed}"
    );
    assert!(streamed["ttfb_ms"].as_f64().is_some());
    let unpriced = entries
        .iter()
        .find(|e| e["provider_name"] == "ollama")
        .unwrap();
    assert_eq!(unpriced["cost_source"], "unpriced");
    assert!(unpriced["total_cost"].is_null());
    let priced = entries
        .iter()
        .find(|e| e["user_path"] == "/team/alpha")
        .unwrap();
    assert_eq!(priced["cost_source"], "catalog");
    assert_eq!(priced["endpoint"], "/v1/chat/completions");

    let paths = admin(&gateway, "/usage/user-paths?user_path=/team").await;
    assert_eq!(paths.as_array().unwrap().len(), 1, "{paths}");
    let models = admin(&gateway, "/usage/models").await;
    assert!(
        models
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["model"] == "gpt-4o-mini")
    );
    let daily = admin(&gateway, "/usage/daily?interval=daily&days=7").await;
    assert_eq!(
        daily["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["requests"].as_i64().unwrap())
            .sum::<i64>(),
        4
    );
    let weekly = gateway
        .client
        .get(gateway.url("/admin/api/v1/usage/daily?interval=weekly"))
        .bearer_auth(MASTER_KEY)
        .header("x-gomodel-timezone", "America/New_York")
        .send()
        .await
        .unwrap();
    assert_eq!(weekly.status(), 200);
}

#[tokio::test]
async fn admin_api_requires_the_key_and_validates_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    let anonymous = gateway
        .client
        .get(gateway.url("/admin/api/v1/usage/summary"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    for (path, param) in [
        ("/usage/daily?interval=hourly", "interval"),
        ("/usage/summary?days=0", "days"),
        ("/usage/summary?start_date=yesterday", "start_date"),
        ("/usage/log?limit=5000", "limit"),
        ("/audit/conversation", "log_id"),
    ] {
        let error = expect_error(gateway.get(&format!("/admin/api/v1{path}")).await, 400).await;
        assert_eq!(error["param"], param, "{path}");
    }
    let tz = gateway
        .client
        .get(gateway.url("/admin/api/v1/usage/summary"))
        .bearer_auth(MASTER_KEY)
        .header("x-gomodel-timezone", "Mars/Base")
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(tz, 400).await["code"], "invalid_timezone");
}

#[tokio::test]
async fn pricing_overrides_apply_to_new_rows_and_recalculate_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    gateway
        .post("/v1/chat/completions", &chat_body("ollama/llama3.2"))
        .await;
    wait_for_rows(&gateway, 1).await;

    let put = gateway
        .client
        .put(gateway.url("/admin/api/v1/model-pricing-overrides"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"selector": "ollama/llama3.2", "pricing": {"input_per_mtok": 1.0, "output_per_mtok": 2.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = gateway
        .client
        .put(gateway.url("/admin/api/v1/model-pricing-overrides"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"selector": "a/b/c/", "pricing": {"input_per_mtok": 1.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let list = admin(&gateway, "/model-pricing-overrides").await;
    assert_eq!(list[0]["selector"], "ollama/llama3.2", "{list}");

    let refused = gateway
        .post("/admin/api/v1/usage/recalculate-pricing", &json!({}))
        .await;
    assert_eq!(expect_error(refused, 400).await["param"], "confirmation");
    let recalculated: Value = gateway
        .post(
            "/admin/api/v1/usage/recalculate-pricing",
            &json!({"confirmation": "recalculate"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recalculated["status"], "ok", "{recalculated}");
    assert_eq!(recalculated["matched"], 1, "{recalculated}");
    assert_eq!(recalculated["recalculated"], 1, "{recalculated}");
    assert_eq!(recalculated["with_pricing"], 1, "{recalculated}");
    assert_eq!(recalculated["without_pricing"], 0, "{recalculated}");
    let log = admin(&gateway, "/usage/log").await;
    assert_eq!(log["entries"][0]["cost_source"], "override");
    assert!(log["entries"][0]["total_cost"].as_f64().unwrap() > 0.0);

    gateway
        .post("/v1/chat/completions", &chat_body("ollama/llama3.2"))
        .await;
    let summary = wait_for_rows(&gateway, 2).await;
    assert_eq!(summary["unpriced_requests"], 0, "{summary}");
    let deleted = gateway
        .client
        .delete(gateway.url("/admin/api/v1/model-pricing-overrides?selector=ollama/llama3.2"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
}

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.bearer_auth(MASTER_KEY).send().await.unwrap()
}

/// GoModel's routes and shapes (`pricingoverrides.View`, selector in the path or the body);
/// the short names of earlier versions still work; a document that would price nothing as
/// written is a 400 naming the field instead of an empty override.
#[tokio::test]
async fn pricing_overrides_take_gomodel_shapes_and_refuse_what_would_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    let base = gateway.url("/admin/api/v1/model-pricing-overrides");
    let client = &gateway.client;

    // Path-keyed, URL-encoded selector, as GoModel's admin handler test sends it.
    let put = send(client.put(format!("{base}/ollama%2Fllama3.2")).json(&json!({
        "pricing": {"input_per_mtok": 0.2, "output_per_mtok": 0.4, "cached_input_per_mtok": 0.05}
    })))
    .await;
    assert_eq!(put.status(), 200);
    let view: Value = put.json().await.unwrap();
    assert_eq!(view["selector"], "ollama/llama3.2", "{view}");
    assert_eq!(view["provider_name"], "ollama", "{view}");
    assert_eq!(view["model"], "llama3.2", "{view}");
    assert_eq!(view["scope_kind"], "provider_model", "{view}");
    assert_eq!(view["pricing"]["input_per_mtok"], 0.2, "{view}");
    assert_eq!(view["pricing"]["cached_input_per_mtok"], 0.05, "{view}");
    assert!(
        view["updated_at"].as_str().unwrap().ends_with('Z'),
        "{view}"
    );

    // Body-keyed with the short names of earlier versions: answered in GoModel's names.
    let put = send(client.put(&base).json(&json!({
        "selector": "openai/", "pricing": {"input": 1.0, "output": 2.0}
    })))
    .await;
    assert_eq!(put.status(), 200);
    let view: Value = put.json().await.unwrap();
    assert_eq!(view["scope_kind"], "provider", "{view}");
    assert_eq!(
        view["pricing"],
        json!({"input_per_mtok": 1.0, "output_per_mtok": 2.0})
    );
    let global = send(
        client
            .put(format!("{base}/%2F"))
            .json(&json!({"pricing": {"output_per_mtok": 9.0}})),
    )
    .await;
    assert_eq!(global.status(), 200);
    let global: Value = global.json().await.unwrap();
    assert_eq!(
        (global["selector"].as_str(), global["scope_kind"].as_str()),
        (Some("/"), Some("global"))
    );

    let list = admin(&gateway, "/model-pricing-overrides").await;
    let selectors: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["selector"].as_str().unwrap())
        .collect();
    assert_eq!(selectors, ["/", "ollama/llama3.2", "openai/"], "{list}");
    let one = admin(&gateway, "/model-pricing-overrides/ollama%2Fllama3.2").await;
    assert_eq!(one["pricing"]["output_per_mtok"], 0.4, "{one}");

    // (body, field the 400 names)
    for (body, param) in [
        (
            json!({"selector": "m", "pricing": {"input_cost": 1.0}}),
            "pricing.input_cost",
        ),
        (json!({"selector": "m", "pricing": {}}), "pricing"),
        (
            json!({"selector": "m", "pricing": {"input_per_mtok": -1.0}}),
            "pricing.input_per_mtok",
        ),
        (
            json!({"selector": "m", "pricing": {"input_per_mtok": 1.0, "per_request": 0.01}}),
            "pricing.per_request",
        ),
        (
            json!({"selector": "m", "pricing": {"input_per_mtok": 1.0}, "currency": "USD"}),
            "currency",
        ),
    ] {
        let response = send(client.put(&base).json(&body)).await;
        let error = expect_error(response, 400).await;
        assert_eq!(error["param"], param, "{body}: {error}");
    }
    let mismatch = send(
        client
            .put(format!("{base}/a"))
            .json(&json!({"selector": "b", "pricing": {"input_per_mtok": 1.0}})),
    )
    .await;
    assert_eq!(expect_error(mismatch, 400).await["param"], "selector");
    // Nothing was stored by the refused documents.
    assert_eq!(
        admin(&gateway, "/model-pricing-overrides")
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Deletes: path-keyed, body-keyed (GoModel), then a 404 for what is gone.
    assert_eq!(
        send(client.delete(format!("{base}/ollama%2Fllama3.2")))
            .await
            .status(),
        204
    );
    let by_body = send(client.delete(&base).json(&json!({"selector": "openai/"}))).await;
    assert_eq!(by_body.status(), 204);
    let gone = send(client.get(format!("{base}/openai%2F"))).await;
    assert_eq!(expect_error(gone, 404).await["type"], "not_found_error");
    let gone = send(client.delete(format!("{base}/ollama%2Fllama3.2"))).await;
    assert_eq!(expect_error(gone, 404).await["type"], "not_found_error");
    assert_eq!(
        admin(&gateway, "/model-pricing-overrides").await,
        json!([global])
    );
}

async fn recalculate(gateway: &TestGateway, body: Value) -> Value {
    let response = gateway
        .post("/admin/api/v1/usage/recalculate-pricing", &body)
        .await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.unwrap()
}

/// GoModel's recalculation request: `confirmation` (or `confirm`), `days` as a number, a
/// `selector` scope; rows outside the scope keep their cost. Off with
/// `USAGE_PRICING_RECALCULATION_ENABLED=false`: 503 `feature_unavailable`.
#[tokio::test]
async fn recalculation_is_scoped_takes_gomodel_fields_and_can_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    for model in ["ollama/llama3.2", "ollama/qwen3"] {
        gateway
            .post("/v1/chat/completions", &chat_body(model))
            .await;
    }
    let team = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-gomodel-user-path", "/team")
        .json(&chat_body("ollama/llama3.2"))
        .send()
        .await
        .unwrap();
    assert_eq!(team.status(), 200);
    wait_for_rows(&gateway, 3).await;
    let put = gateway
        .client
        .put(gateway.url("/admin/api/v1/model-pricing-overrides/ollama%2F"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"pricing": {"input_per_mtok": 1.0, "output_per_mtok": 1.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let scoped = recalculate(
        &gateway,
        json!({"confirm": "recalculate", "days": 1,
        "selector": "ollama/llama3.2", "user_path": "/team"}),
    )
    .await;
    assert_eq!(
        (scoped["matched"].as_u64(), scoped["with_pricing"].as_u64()),
        (Some(1), Some(1)),
        "{scoped}"
    );
    let log = admin(&gateway, "/usage/log").await;
    let priced: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["cost_source"] == "override")
        .map(|e| {
            (
                e["model"].as_str().unwrap(),
                e["user_path"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(priced, [("llama3.2", "/team")], "{log}");
    let rest = recalculate(
        &gateway,
        json!({"confirmation": "RECALCULATE", "provider": "ollama", "model": "qwen3"}),
    )
    .await;
    assert_eq!(rest["matched"], 1, "{rest}");
    let all = recalculate(&gateway, json!({"confirmation": "recalculate"})).await;
    assert_eq!(
        (all["matched"].as_u64(), all["without_pricing"].as_u64()),
        (Some(3), Some(0)),
        "{all}"
    );
    for (body, param) in [
        (json!({"confirmation": "yes"}), "confirmation"),
        (json!({"confirm": "yes"}), "confirm"),
        (
            json!({"confirmation": "recalculate", "selector": "a//b"}),
            "selector",
        ),
        (
            json!({"confirmation": "recalculate", "user_path": "/a/../b"}),
            "user_path",
        ),
    ] {
        let error = expect_error(
            gateway
                .post("/admin/api/v1/usage/recalculate-pricing", &body)
                .await,
            400,
        )
        .await;
        assert_eq!(error["param"], param, "{body}: {error}");
    }

    let dir = tempfile::tempdir().unwrap();
    let (off, _fake) =
        gateway_with_storage(&dir, &[("USAGE_PRICING_RECALCULATION_ENABLED", "false")]).await;
    let refused = off
        .post(
            "/admin/api/v1/usage/recalculate-pricing",
            &json!({"confirmation": "recalculate"}),
        )
        .await;
    let error = expect_error(refused, 503).await;
    assert_eq!(error["code"], "feature_unavailable");
    assert_eq!(error["type"], "invalid_request_error");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("USAGE_PRICING_RECALCULATION_ENABLED")
    );
}

/// A successful answer without usage (here a passthrough stream that did not ask for it) on a
/// priced model: tokens unknown, so NULL cost and `unpriced`, never $0 `catalog`; re-pricing
/// keeps it so. A call that names no model is stored the same way but not counted.
#[tokio::test]
async fn an_answer_without_usage_is_unknown_not_free() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    let mut stream = chat_body("gpt-4o-mini");
    stream["stream"] = json!(true);
    let response = gateway.post("/p/openai/chat/completions", &stream).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("\"usage\":{"),
        "the fake sent no usage: {text}"
    );
    let models = gateway.get("/p/openai/models").await;
    assert_eq!(models.status(), 200);
    models.bytes().await.unwrap();
    gateway
        .chat("openai/gpt-4o-mini")
        .await
        .bytes()
        .await
        .unwrap();

    let summary = wait_for_rows(&gateway, 3).await;
    let log = admin(&gateway, "/usage/log").await;
    let entries = log["entries"].as_array().unwrap();
    let unreported = entries
        .iter()
        .find(|e| e["endpoint"] == "/p/openai/chat/completions")
        .unwrap();
    assert_eq!(unreported["model"], "gpt-4o-mini");
    assert_eq!(unreported["cost_source"], "unpriced", "{unreported}");
    for cost in ["input_cost", "output_cost", "total_cost"] {
        assert!(unreported[cost].is_null(), "{cost}: {unreported}");
    }
    assert!(
        unreported["cost_caveat"]
            .as_str()
            .unwrap()
            .contains("reported no usage"),
        "{unreported}"
    );
    let listing = entries
        .iter()
        .find(|e| e["endpoint"] == "/p/openai/models")
        .unwrap();
    assert!(listing["total_cost"].is_null(), "{listing}");
    // Both unknown rows are unpriced in the reports; the counter of this process counts the
    // one that named a model.
    assert_eq!(summary["unpriced_requests"], 2, "{summary}");
    let status = admin(&gateway, "/storage/status").await;
    assert_eq!(status["unpriced_requests"], 1, "{status}");

    let recalculated: Value = gateway
        .post(
            "/admin/api/v1/usage/recalculate-pricing",
            &json!({"confirmation": "recalculate"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(recalculated["matched"], 3, "{recalculated}");
    assert_eq!(recalculated["with_pricing"], 1, "{recalculated}");
    let log = admin(&gateway, "/usage/log").await;
    let unreported = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["endpoint"] == "/p/openai/chat/completions")
        .unwrap();
    assert_eq!(unreported["cost_source"], "unpriced", "{unreported}");
    assert!(unreported["total_cost"].is_null(), "{unreported}");
}

/// Waits for `count` usage rows and returns them, newest first.
async fn usage_rows(gateway: &TestGateway, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = admin(gateway, "/usage/log").await;
        let entries = log["entries"].as_array().cloned().unwrap_or_default();
        if entries.len() >= count || Instant::now() > deadline {
            assert_eq!(entries.len(), count, "{log}");
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A streamed chat completion asking for usage; returns the usage of its last chunk.
async fn stream_usage(gateway: &TestGateway, model: &str) -> Value {
    let mut body = chat_body(model);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200, "{model}");
    let text = response.text().await.unwrap();
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{text}");
    let last: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert!(
        last["usage"]["total_tokens"].as_u64().unwrap() > 0,
        "{last}"
    );
    last["usage"].clone()
}

/// USD per million tokens, as the shipped catalog has them for a model.
struct Rates {
    input: f64,
    cached_input: f64,
    cache_write: f64,
    output: f64,
}

/// The stored row of a streamed request: the tokens the client was shown, the stream flag,
/// and costs that are the catalog's rates times those tokens.
fn assert_streamed_row(row: &Value, shown: &Value, rates: &Rates) {
    assert_eq!(row["stream"], true, "{row}");
    assert_eq!(row["status_code"], 200, "{row}");
    assert_eq!(
        row["input_tokens"], shown["prompt_tokens"],
        "{row} vs {shown}"
    );
    assert_eq!(
        row["output_tokens"], shown["completion_tokens"],
        "{row} vs {shown}"
    );
    assert_eq!(
        row["total_tokens"], shown["total_tokens"],
        "{row} vs {shown}"
    );
    assert!(row["output_tokens"].as_i64().unwrap() > 0, "{row}");
    assert_eq!(row["cost_source"], "catalog", "{row}");
    let tokens = |field: &str| row[field].as_i64().unwrap() as f64;
    let (cached, written) = (tokens("cached_input_tokens"), tokens("cache_write_tokens"));
    let uncached = tokens("input_tokens") - cached - written;
    let input =
        (uncached * rates.input + cached * rates.cached_input + written * rates.cache_write) / 1e6;
    let output = tokens("output_tokens") * rates.output / 1e6;
    let close = |field: &str, want: f64| {
        let got = row[field].as_f64().unwrap_or(f64::NAN);
        assert!(
            (got - want).abs() < 1e-12,
            "{field}: got {got}, want {want}: {row}"
        );
    };
    close("input_cost", input);
    close("output_cost", output);
    close("total_cost", input + output);
    assert!(row["total_cost"].as_f64().unwrap() > 0.0, "{row}");
}

const CLAUDE_SONNET_4_5: Rates = Rates {
    input: 3.0,
    cached_input: 0.3,
    cache_write: 3.75,
    output: 15.0,
};

#[tokio::test]
async fn streamed_anthropic_requests_leave_priced_rows() {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("USAGE_FLUSH_INTERVAL", "100ms"),
    ])
    .await;
    // An OpenAI client, translated.
    let shown = stream_usage(&gateway, "anthropic/claude-sonnet-4-5").await;
    let rows = usage_rows(&gateway, 1).await;
    assert_eq!(rows[0]["provider_type"], "anthropic");
    assert_eq!(rows[0]["endpoint"], "/v1/chat/completions");
    assert_streamed_row(&rows[0], &shown, &CLAUDE_SONNET_4_5);

    // An Anthropic client on the Messages API, passed through natively.
    let messages = gateway
        .client
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(
            &json!({"model": "anthropic/claude-sonnet-4-5", "max_tokens": 100, "stream": true,
            "messages": [{"role": "user", "content": "Say hello"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(messages.status(), 200);
    let events: Vec<Value> = sse_data(&messages.text().await.unwrap())
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let start = events
        .iter()
        .find(|e| e["type"] == "message_start")
        .unwrap();
    let delta = events
        .iter()
        .rev()
        .find(|e| e["type"] == "message_delta")
        .unwrap();
    let input = start["message"]["usage"]["input_tokens"].as_u64().unwrap();
    let output = delta["usage"]["output_tokens"].as_u64().unwrap();
    let rows = usage_rows(&gateway, 2).await;
    let row = rows
        .iter()
        .find(|r| r["endpoint"] == "/v1/messages")
        .unwrap();
    assert_streamed_row(
        row,
        &json!({"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output}),
        &CLAUDE_SONNET_4_5,
    );
}

#[tokio::test]
async fn streamed_vertex_requests_leave_priced_rows() {
    let (pem, der) = crate::google::rsa_key();
    let fake = crate::google::google_fake(Some(der), |_| {}).await;
    let gateway =
        crate::google::vertex_gateway(&fake, &pem, &[("USAGE_FLUSH_INTERVAL", "100ms")]).await;
    let shown = stream_usage(&gateway, "vertex/gemini-2.5-flash").await;
    let rows = usage_rows(&gateway, 1).await;
    assert_eq!(rows[0]["provider_type"], "vertex");
    // Vertex sells Gemini at Gemini's list price (the catalog's vertex -> gemini fallback).
    assert_streamed_row(
        &rows[0],
        &shown,
        &Rates {
            input: 0.3,
            cached_input: 0.03,
            cache_write: 0.3,
            output: 2.5,
        },
    );
}

#[tokio::test]
async fn streamed_bedrock_requests_leave_priced_rows() {
    let fake = fake().await;
    let base = fake.base_url();
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("BEDROCK_BASE_URL", base.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("USAGE_FLUSH_INTERVAL", "100ms"),
    ])
    .await;
    // Amazon's own model, then Claude through a cross-region inference profile.
    let nova = stream_usage(&gateway, "bedrock/amazon.nova-pro-v1:0").await;
    let rows = usage_rows(&gateway, 1).await;
    assert_eq!(rows[0]["provider_type"], "bedrock");
    assert_streamed_row(
        &rows[0],
        &nova,
        &Rates {
            input: 0.8,
            cached_input: 0.2,
            cache_write: 0.8,
            output: 3.2,
        },
    );
    let claude = stream_usage(
        &gateway,
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    )
    .await;
    let rows = usage_rows(&gateway, 2).await;
    let row = rows
        .iter()
        .find(|r| r["model"].as_str().unwrap().contains("claude"))
        .unwrap();
    assert_streamed_row(row, &claude, &CLAUDE_SONNET_4_5);
}

/// The warning about a model without a price is logged once per model, however many requests
/// use it (the gateway binary's stderr, JSON lines).
#[tokio::test]
async fn the_unpriced_warning_is_logged_once_per_model() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_gomodel"))
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", port.to_string())
        .env("GOMODEL_MASTER_KEY", MASTER_KEY)
        .env("OPENAI_API_KEY", PROVIDER_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", fake.base_url()))
        .env("OLLAMA_BASE_URL", format!("{}/v1", fake.base_url()))
        .env(
            "SQLITE_PATH",
            dir.path().join("gomodel.db").display().to_string(),
        )
        .env("MODEL_LIST_URL", "")
        .env("USAGE_FLUSH_INTERVAL", "100ms")
        .env("LOG_FORMAT", "json")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = client();
    wait_until_up(&client, &base).await;
    let models = [
        "ollama/llama3.2",
        "ollama/llama3.2",
        "ollama/qwen3",
        "ollama/llama3.2",
        "ollama/qwen3",
        "openai/gpt-4o-mini",
    ];
    for model in models {
        let response = client
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .json(&chat_body(model))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{model}");
        response.bytes().await.unwrap();
    }
    // Every request recorded (the warning is logged as its row is built) before stopping.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let summary = admin_json(&client, &base, "/usage/summary").await;
        if summary["total_requests"] == models.len() || Instant::now() > deadline {
            assert_eq!(summary["unpriced_requests"], 5, "{summary}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warned: Vec<String> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.to_string().contains("no price known for this model"))
        .map(|line| line.to_string())
        .collect();
    for model in ["ollama/llama3.2", "ollama/qwen3"] {
        let count = warned.iter().filter(|line| line.contains(model)).count();
        assert_eq!(
            count, 1,
            "{model} warned {count} times: {warned:?}\n{stderr}"
        );
    }
    assert_eq!(warned.len(), 2, "{warned:?}");
}

#[tokio::test]
async fn sigterm_mid_load_leaves_exactly_one_row_per_answered_request() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gomodel.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gomodel"))
        .current_dir(dir.path())
        .env_clear()
        .env("PORT", port.to_string())
        .env("GOMODEL_MASTER_KEY", MASTER_KEY)
        .env("OPENAI_API_KEY", PROVIDER_KEY)
        .env("OPENAI_BASE_URL", format!("{}/v1", fake.base_url()))
        .env("SQLITE_PATH", db.display().to_string())
        .env("USAGE_BUFFER_SIZE", "20000")
        .env("LOGGING_ENABLED", "true")
        .env("LOGGING_BUFFER_SIZE", "20000")
        .env("LOG_LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = client();
    wait_until_up(&client, &base).await;
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for worker in 0..32 {
        let (client, base, answered) = (client.clone(), base.clone(), answered.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..10_000 / 32 + 1 {
                let id = format!("load-{worker}-{i}");
                let sent = client
                    .post(format!("{base}/v1/chat/completions"))
                    .bearer_auth(MASTER_KEY)
                    .header("x-request-id", &id)
                    .json(&chat_body("openai/gpt-4o-mini"))
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 200 => {
                        if response.bytes().await.is_ok() {
                            answered.lock().unwrap().push(id);
                        }
                    }
                    _ => break,
                }
            }
        }));
    }
    // Let load build up, then stop the gateway in the middle of it.
    let started = Instant::now();
    while answered.lock().unwrap().len() < 3_000 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    for worker in workers {
        let _ = worker.await;
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));

    let answered = answered.lock().unwrap().clone();
    assert!(answered.len() >= 3_000, "only {} answered", answered.len());
    let store = Store::connect(&StoreConfig::Sqlite { path: db })
        .await
        .unwrap();
    let usage_rows = rows_per_request(|offset| {
        let store = &store;
        async move {
            let filter = UsageFilter::default();
            let page = store.usage_log(&filter, 1000, offset).await;
            page.unwrap()
                .items
                .into_iter()
                .map(|r| r.request_id)
                .collect()
        }
    })
    .await;
    let audit_rows = rows_per_request(|offset| {
        let store = &store;
        async move {
            let filter = gomodel_store::AuditFilter::default();
            let page = store.audit_log(&filter, 1000, offset).await;
            page.unwrap()
                .items
                .into_iter()
                .map(|r| r.request_id)
                .collect()
        }
    })
    .await;
    for id in &answered {
        for (kind, rows) in [("usage", &usage_rows), ("audit", &audit_rows)] {
            assert_eq!(
                rows.get(id),
                Some(&1),
                "request {id} answered but has {:?} {kind} rows",
                rows.get(id)
            );
        }
    }
}

#[tokio::test]
async fn passthrough_requests_record_the_usage_they_carry() {
    let dir = tempfile::tempdir().unwrap();
    let (gateway, _fake) = gateway_with_storage(&dir, &[]).await;
    let plain = gateway
        .post("/p/openai/chat/completions", &chat_body("gpt-4o-mini"))
        .await;
    assert_eq!(plain.status(), 200);
    plain.bytes().await.unwrap();
    let mut stream = chat_body("gpt-4o-mini");
    stream["stream"] = json!(true);
    stream["stream_options"] = json!({"include_usage": true});
    gateway
        .post("/p/openai/chat/completions", &stream)
        .await
        .bytes()
        .await
        .unwrap();
    wait_for_rows(&gateway, 2).await;
    let log = admin(&gateway, "/usage/log").await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    for entry in entries {
        assert_eq!(entry["endpoint"], "/p/openai/chat/completions");
        assert_eq!(entry["model"], "gpt-4o-mini");
        assert!(entry["output_tokens"].as_i64().unwrap() > 0, "{entry}");
        assert_eq!(entry["cost_source"], "catalog");
    }
    assert!(entries.iter().any(|e| e["stream"] == true));
}

/// How many stored rows each request id has, reading every page (1,000 rows a page) that
/// `page(offset)` returns as request ids.
async fn rows_per_request<F, Fut>(mut page: F) -> std::collections::HashMap<String, usize>
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    let mut counts = std::collections::HashMap::new();
    let mut offset = 0;
    loop {
        let ids = page(offset).await;
        if ids.is_empty() {
            return counts;
        }
        offset += ids.len() as u32;
        for id in ids {
            *counts.entry(id).or_insert(0) += 1;
        }
    }
}
