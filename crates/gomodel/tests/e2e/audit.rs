//! The audit log, and the promise that no credential is ever stored, logged or served back.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;

async fn audit_entries(gateway: &TestGateway, expected: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log: Value = gateway
            .get("/admin/api/v1/audit/log?limit=50")
            .await
            .json()
            .await
            .unwrap();
        let entries = log["entries"].as_array().cloned().unwrap_or_default();
        if entries.len() >= expected || Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn audit_rows_capture_redacted_headers_bodies_and_reassembled_streams() {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", &base),
        ("LOGGING_ENABLED", "true"),
        ("LOGGING_FLUSH_INTERVAL", "100ms"),
    ])
    .await;
    gateway
        .post("/v1/chat/completions", &chat_body("openai/gpt-4o-mini"))
        .await
        .text()
        .await
        .unwrap();
    let mut stream = chat_body("openai/gpt-4o-mini");
    stream["stream"] = json!(true);
    gateway
        .post("/v1/chat/completions", &stream)
        .await
        .text()
        .await
        .unwrap();
    // Not a model route: not audited by default.
    gateway.get("/v1/models").await;

    let entries = audit_entries(&gateway, 2).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let streamed = entries.iter().find(|e| e["stream"] == true).unwrap();
    let plain = entries.iter().find(|e| e["stream"] == false).unwrap();
    assert_eq!(
        plain["data"]["request_headers"]["authorization"],
        "[REDACTED]"
    );
    assert_eq!(plain["data"]["request_body"]["model"], "openai/gpt-4o-mini");
    assert_eq!(
        plain["data"]["response_body"]["choices"][0]["message"]["content"],
        "Hello, World!"
    );
    assert_eq!(plain["provider_name"], "openai");
    assert_eq!(plain["status_code"], 200);
    let message = &streamed["data"]["response_body"]["choices"][0]["message"];
    assert_eq!(message["content"], "Hello, World!", "{streamed}");
    assert_eq!(
        streamed["data"]["response_body"]["reassembled_from_stream"],
        true
    );

    let id = plain["id"].as_str().unwrap();
    let thread: Value = gateway
        .get(&format!("/admin/api/v1/audit/conversation?log_id={id}"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        thread["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == id),
        "{thread}"
    );
    let filtered: Value = gateway
        .get("/admin/api/v1/audit/log?stream=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(filtered["total"], 1);
}

#[tokio::test]
async fn credentials_never_reach_rows_logs_or_admin_answers() {
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
        .env("LOGGING_ENABLED", "true")
        .env("LOG_LEVEL", "debug")
        .env("USAGE_FLUSH_INTERVAL", "100ms")
        .env("LOGGING_FLUSH_INTERVAL", "100ms")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.get(format!("{base}/health")).send().await.is_err() {
        assert!(Instant::now() < deadline, "gateway did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Keys in headers, in the prompt, in unknown fields, and in a failing request.
    let leaky = json!({"model": "openai/gpt-4o-mini", "messages": [
        {"role": "user", "content": format!("my keys are {PROVIDER_KEY} and {MASTER_KEY}")}],
        "metadata": {"token": PROVIDER_KEY}});
    for (model, stream) in [
        ("openai/gpt-4o-mini", false),
        ("openai/gpt-4o-mini", true),
        ("openai/fake-error-401", false),
    ] {
        let mut body = leaky.clone();
        body["model"] = json!(model);
        body["stream"] = json!(stream);
        client
            .post(format!("{base}/v1/chat/completions"))
            .bearer_auth(MASTER_KEY)
            .header("x-api-key", PROVIDER_KEY)
            .header("cookie", format!("session={MASTER_KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut admin_text = String::new();
    for path in [
        "/usage/log",
        "/audit/log",
        "/usage/summary",
        "/storage/status",
    ] {
        admin_text.push_str(
            &client
                .get(format!("{base}/admin/api/v1{path}"))
                .bearer_auth(MASTER_KEY)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0));
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();

    assert!(
        admin_text.contains("[REDACTED]"),
        "the audit log should show where keys were: {admin_text}"
    );
    for secret in [PROVIDER_KEY, MASTER_KEY] {
        assert!(!admin_text.contains(secret), "admin API served a secret");
        assert!(!logs.contains(secret), "a log line contains a secret");
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    memchr_find(&bytes, secret.as_bytes()).is_none(),
                    "{} stores a secret",
                    path.display()
                );
            }
        }
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
