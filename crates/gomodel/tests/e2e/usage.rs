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
        .json(&json!({"selector": "ollama/llama3.2", "pricing": {"input": 1.0, "output": 2.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = gateway
        .client
        .put(gateway.url("/admin/api/v1/model-pricing-overrides"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"selector": "a/b/c/", "pricing": {"input": -1.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let list = admin(&gateway, "/model-pricing-overrides").await;
    assert_eq!(list["data"][0]["selector"], "ollama/llama3.2");

    let refused = gateway
        .client
        .post(gateway.url("/admin/api/v1/usage/recalculate-pricing"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(refused, 400).await["param"], "confirm");
    let recalculated: Value = gateway
        .client
        .post(gateway.url("/admin/api/v1/usage/recalculate-pricing"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"confirm": "recalculate"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recalculated["updated"], 1);
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
    assert_eq!(deleted.status(), 200);
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
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "gateway did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    let mut stored = std::collections::HashMap::new();
    let mut offset = 0;
    loop {
        let page = store
            .usage_log(&UsageFilter::default(), 1000, offset)
            .await
            .unwrap();
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        for row in page.items {
            *stored.entry(row.request_id).or_insert(0) += 1;
        }
    }
    for id in &answered {
        assert_eq!(
            stored.get(id),
            Some(&1),
            "request {id} answered but has {:?} usage rows",
            stored.get(id)
        );
    }
    let mut audited = std::collections::HashMap::new();
    let mut offset = 0;
    loop {
        let page = store
            .audit_log(&gomodel_store::AuditFilter::default(), 1000, offset)
            .await
            .unwrap();
        if page.items.is_empty() {
            break;
        }
        offset += page.items.len() as u32;
        for row in page.items {
            *audited.entry(row.request_id).or_insert(0) += 1;
        }
    }
    for id in &answered {
        assert_eq!(
            audited.get(id),
            Some(&1),
            "request {id} answered but has {:?} audit rows",
            audited.get(id)
        );
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
