//! The audit log, and the promise that no credential is ever stored, logged or served back.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
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
        ("USAGE_FLUSH_INTERVAL", "100ms"),
    ])
    .await;
    let mut plain = chat_body("openai/gpt-4o-mini");
    plain["temperature"] = json!(0.2);
    plain["max_tokens"] = json!(50);
    gateway
        .post("/v1/chat/completions", &plain)
        .await
        .text()
        .await
        .unwrap();
    let mut stream = chat_body("openai/gpt-4o-mini");
    stream["stream"] = json!(true);
    gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-gomodel-user-path", "/team/alice")
        .json(&stream)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Not a model route: not audited by default.
    gateway.get("/v1/models").await;

    let entries = with_usage(&gateway, 2).await;
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
    assert_eq!(plain["auth_method"], "master_key");
    assert_eq!(plain["data"]["temperature"], 0.2);
    assert_eq!(plain["data"]["max_tokens"], 50);
    let message = &streamed["data"]["response_body"]["choices"][0]["message"];
    assert_eq!(message["content"], "Hello, World!", "{streamed}");
    assert_eq!(
        streamed["data"]["response_body"]["reassembled_from_stream"],
        true
    );
    // The provider's id for each answer, streamed or not.
    for entry in [plain, streamed] {
        let id = entry["response_id"].as_str().unwrap_or_default();
        assert!(id.starts_with("chatcmpl-fake"), "{entry}");
        assert_eq!(entry["data"]["response_body"]["id"], id);
        // The request's usage, from its usage row.
        let usage = &entry["usage"];
        assert_eq!(usage["entries"], 1, "{entry}");
        assert!(usage["input_tokens"].as_i64().unwrap() > 0, "{usage}");
        assert_eq!(
            usage["uncached_input_tokens"].as_i64().unwrap()
                + usage["cached_input_tokens"].as_i64().unwrap()
                + usage["cache_write_input_tokens"].as_i64().unwrap(),
            usage["input_tokens"].as_i64().unwrap()
        );
    }
    // The user-path filter is normalised like the header (and the usage routes).
    for query in [
        "user_path=team/",
        "user_path=%2Fteam%2F%2Falice",
        "user_path=/team",
    ] {
        let filtered: Value = gateway
            .get(&format!("/admin/api/v1/audit/log?{query}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(filtered["total"], 1, "{query}: {filtered}");
    }
    let refused = gateway
        .get("/admin/api/v1/audit/log?user_path=/a/../b")
        .await;
    assert_eq!(expect_error(refused, 400).await["param"], "user_path");

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

/// Waits for `expected` entries that carry their request's usage summary.
async fn with_usage(gateway: &TestGateway, expected: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entries = audit_entries(gateway, expected).await;
        let ready = entries.iter().filter(|e| e.get("usage").is_some()).count();
        if ready >= expected || Instant::now() > deadline {
            return entries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The entry for a request path (the newest, if several).
fn entry_for<'e>(entries: &'e [Value], path: &str, stream: bool) -> &'e Value {
    entries
        .iter()
        .find(|e| e["path"] == path && e["stream"] == stream)
        .unwrap_or_else(|| panic!("no entry for {path} (stream {stream}): {entries:?}"))
}

#[tokio::test]
async fn passthrough_rows_capture_the_answer_as_it_streams() {
    let fake = fake().await;
    let gateway = TestGateway::start(&as_refs(&audited_env(&fake, &[]))).await;
    let plain = gateway
        .post("/p/openai/chat/completions", &chat_body("gpt-4o-mini"))
        .await;
    assert_eq!(plain.status(), 200);
    let plain: Value = plain.json().await.unwrap();
    let mut stream = chat_body("gpt-4o-mini");
    stream["stream"] = json!(true);
    let streamed = gateway
        .post("/p/openai/chat/completions", &stream)
        .await
        .text()
        .await
        .unwrap();
    assert!(streamed.ends_with("data: [DONE]\n\n"), "relayed untouched");
    let anthropic = json!({"model": "claude-sonnet-4-5", "max_tokens": 100, "stream": true,
        "messages": [{"role": "user", "content": "Hi"}]});
    gateway
        .post("/p/anthropic/messages", &anthropic)
        .await
        .text()
        .await
        .unwrap();
    let binary = gateway.get("/p/openai/binary").await.bytes().await.unwrap();
    assert_eq!(binary.len(), 256);

    let entries = audit_entries(&gateway, 4).await;
    let json_entry = entry_for(&entries, "/p/openai/chat/completions", false);
    assert_eq!(
        json_entry["data"]["response_body"], plain,
        "the JSON answer"
    );
    assert_eq!(json_entry["response_id"], plain["id"]);
    let sse_entry = entry_for(&entries, "/p/openai/chat/completions", true);
    let rebuilt = &sse_entry["data"]["response_body"];
    assert_eq!(rebuilt["object"], "chat.completion", "{sse_entry}");
    assert_eq!(rebuilt["choices"][0]["message"]["content"], "Hello, World!");
    assert_eq!(sse_entry["response_id"], rebuilt["id"]);
    let claude = entry_for(&entries, "/p/anthropic/messages", true);
    let message = &claude["data"]["response_body"];
    assert_eq!(message["type"], "message", "{claude}");
    assert_eq!(message["content"][0]["text"], "Hello World");
    assert_eq!(message["reassembled_from_stream"], true);
    assert!(
        claude["response_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("msg_fake"))
    );
    let binary_entry = entry_for(&entries, "/p/openai/binary", false);
    assert_eq!(binary_entry["data"]["response_body_base64"], true);
    let expected: Vec<u8> = (0..=255).collect();
    assert_eq!(
        binary_entry["data"]["response_body"],
        base64::engine::general_purpose::STANDARD.encode(&expected)
    );
}

#[tokio::test]
async fn messages_streams_are_rebuilt_into_one_message() {
    let fake = fake().await;
    let gateway = TestGateway::start(&as_refs(&audited_env(&fake, &[]))).await;
    let tools = json!([{"name": "get_weather", "description": "Weather",
        "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}]);
    for model in ["anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"] {
        let mut body = json!({"model": model, "max_tokens": 2000, "stream": true, "tools": tools,
            "temperature": 0.5, "messages": [{"role": "user", "content": "Weather in Paris?"}]});
        if model.starts_with("anthropic/") {
            body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
            body.as_object_mut().unwrap().remove("temperature");
        }
        let text = gateway
            .client
            .post(gateway.url("/v1/messages"))
            .header("x-api-key", MASTER_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("event: message_stop"), "{text}");
    }
    let entries = audit_entries(&gateway, 2).await;
    assert_eq!(entries.len(), 2);
    for entry in &entries {
        let message = &entry["data"]["response_body"];
        assert_eq!(message["type"], "message", "{entry}");
        assert_eq!(message["reassembled_from_stream"], true);
        assert_eq!(message["stop_reason"], "tool_use", "{message}");
        assert!(message["usage"]["output_tokens"].as_u64().unwrap() > 0);
        // The provider's id (a translated answer's message id is built from it).
        let provider_id = entry["response_id"].as_str().unwrap();
        assert!(
            message["id"].as_str().unwrap().ends_with(provider_id),
            "{entry}"
        );
        let content = message["content"].as_array().unwrap();
        let calls: Vec<&Value> = content.iter().filter(|b| b["type"] == "tool_use").collect();
        assert!(!calls.is_empty(), "{message}");
        for call in calls {
            // input_json_delta fragments joined and parsed.
            assert!(call["input"].is_object(), "{call}");
            assert!(call["id"].as_str().is_some_and(|id| !id.is_empty()));
        }
        assert_eq!(entry["auth_method"], "master_key");
    }
    let native = entries
        .iter()
        .find(|e| e["provider_name"] == "anthropic")
        .unwrap();
    let thinking = &native["data"]["response_body"]["content"][0];
    assert_eq!(thinking["type"], "thinking", "{native}");
    assert!(thinking["thinking"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(
        thinking["signature"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
    let translated = entries
        .iter()
        .find(|e| e["provider_name"] == "openai")
        .unwrap();
    assert_eq!(translated["data"]["temperature"], 0.5);
    assert_eq!(translated["data"]["max_tokens"], 2000);
}

#[tokio::test]
async fn every_route_is_audited_when_not_only_model_interactions() {
    let fake = fake().await;
    let env = audited_env(&fake, &[("LOGGING_ONLY_MODEL_INTERACTIONS", "false")]);
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let _ = &fake;
    assert_eq!(gateway.get("/v1/models").await.status(), 200);
    let refused = gateway
        .client
        .get(gateway.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    gateway
        .chat("openai/gpt-4o-mini")
        .await
        .text()
        .await
        .unwrap();
    let entries = audit_entries(&gateway, 3).await;
    let models: Vec<&Value> = entries
        .iter()
        .filter(|e| e["path"] == "/v1/models")
        .collect();
    assert_eq!(models.len(), 2, "{entries:?}");
    let listed = models.iter().find(|e| e["status_code"] == 200).unwrap();
    assert_eq!(listed["method"], "GET");
    assert_eq!(listed["auth_method"], "master_key");
    assert!(
        listed["data"]["response_body"]["data"]
            .as_array()
            .is_some_and(|models| !models.is_empty()),
        "{listed}"
    );
    let denied = models.iter().find(|e| e["status_code"] == 401).unwrap();
    assert_eq!(denied["error_type"], "authentication_error");
    assert!(denied["auth_method"].is_null());
    assert!(entries.iter().any(|e| e["path"] == "/v1/chat/completions"));
}

/// Credentials of providers the secrets test configures but never calls: they must be
/// scrubbed wherever they turn up, like the ones in use.
const GEMINI_SECRET: &str = "AIzaSyAuditGeminiKey0123456789abcdefgh";
const AWS_SECRET: &str = "aws-secret-access-key-audit-0123456789";
const AWS_SESSION: &str = "aws-session-token-audit-0123456789";

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
        .env("ANTHROPIC_API_KEY", PROVIDER_KEY)
        .env("ANTHROPIC_BASE_URL", format!("{}/v1", fake.base_url()))
        .env("GEMINI_API_KEY", GEMINI_SECRET)
        .env("GEMINI_BASE_URL", format!("{}/v1beta", fake.base_url()))
        .env("BEDROCK_BASE_URL", fake.base_url())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDAUDITTEST")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_SESSION_TOKEN", AWS_SESSION)
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
    wait_until_up(&client, &base).await;
    // Keys in headers, in the prompt, in unknown fields, and in a failing request.
    let prompt = format!(
        "my keys are {PROVIDER_KEY} and {MASTER_KEY}, {GEMINI_SECRET}, {AWS_SECRET} and {AWS_SESSION}"
    );
    let leaky = json!({"model": "openai/gpt-4o-mini", "max_tokens": 50, "messages": [
        {"role": "user", "content": prompt}],
        "metadata": {"token": PROVIDER_KEY, "aws": AWS_SECRET}});
    let mut sent = 0;
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
            .header("x-goog-api-key", GEMINI_SECRET)
            .header("cookie", format!("session={MASTER_KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        sent += 1;
    }
    // The Messages API (natively to Anthropic and translated to OpenAI), keyed the way Claude
    // Code does, with a Gemini key along for the ride.
    for (model, stream) in [
        ("anthropic/claude-sonnet-4-5", false),
        ("anthropic/claude-sonnet-4-5", true),
        ("openai/gpt-4o-mini", true),
    ] {
        let mut body = leaky.clone();
        body.as_object_mut().unwrap().remove("metadata");
        body["model"] = json!(model);
        body["stream"] = json!(stream);
        client
            .post(format!("{base}/v1/messages"))
            .header("x-api-key", MASTER_KEY)
            .header("x-goog-api-key", GEMINI_SECRET)
            .header("x-amz-security-token", AWS_SESSION)
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        sent += 1;
    }
    // Passthrough: the fake's echo sends every header and the body back, so the keys are in
    // the answer as well as the request.
    for path in ["/p/openai/echo", "/p/openai/chat/completions"] {
        let mut body = leaky.clone();
        body["model"] = json!("gpt-4o-mini");
        body["stream"] = json!(path.ends_with("completions"));
        client
            .post(format!("{base}{path}"))
            .bearer_auth(MASTER_KEY)
            .header("x-goog-api-key", GEMINI_SECRET)
            .header("x-leaky-header", format!("{AWS_SECRET} {PROVIDER_KEY}"))
            .json(&body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        sent += 1;
    }
    // Wait until every entry is stored, then read the admin answers (read alongside the count,
    // they could predate the batch that stored the entries).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let audit = admin_json(&client, &base, "/audit/log?limit=100").await;
        if audit["total"] == sent || Instant::now() > deadline {
            assert_eq!(audit["total"], sent, "every request has its row");
            let echo = audit["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["path"] == "/p/openai/echo")
                .unwrap();
            assert_eq!(
                echo["data"]["response_body"]["headers"]["x-leaky-header"], "[REDACTED] [REDACTED]",
                "the answer is captured, scrubbed: {echo}"
            );
            assert_eq!(
                echo["data"]["request_headers"]["x-goog-api-key"],
                "[REDACTED]"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut admin_text = String::new();
    for path in [
        "/usage/log",
        "/audit/log?limit=100",
        "/usage/summary",
        "/storage/status",
    ] {
        admin_text.push_str(&crate::harness::admin_text(&client, &base, path).await);
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
    for secret in [
        PROVIDER_KEY,
        MASTER_KEY,
        GEMINI_SECRET,
        AWS_SECRET,
        AWS_SESSION,
    ] {
        assert!(!admin_text.contains(secret), "admin API served {secret}");
        assert!(!logs.contains(secret), "a log line contains {secret}");
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let path = file.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    memchr_find(&bytes, secret.as_bytes()).is_none(),
                    "{} stores {secret}",
                    path.display()
                );
            }
        }
    }
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
