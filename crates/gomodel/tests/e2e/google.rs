//! Gemini (AI Studio) and Vertex AI end to end: the gateway in front of the fake Google
//! services (generateContent, streams, embeddings, model lists, the OAuth token endpoint and
//! the metadata server). The service-account key is a fresh RSA key made for each test by
//! `openssl`; the fake verifies the JWTs it signs.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::harness::*;

pub const GEMINI_KEY: &str = "AIzaSyTestGeminiKey0123456789abcdefghi";
pub const SA_EMAIL: &str = "gateway@test-project.iam.gserviceaccount.com";

/// A fresh 2048-bit RSA key: (PKCS#8 PEM, PKCS#8 DER).
pub fn rsa_key() -> (String, Vec<u8>) {
    let output = Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl is needed for the Vertex tests (apt install openssl)");
    assert!(output.status.success(), "openssl genpkey failed");
    let pem = String::from_utf8(output.stdout).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    (pem, der)
}

/// A service-account key file whose token endpoint is the fake's.
pub fn service_account_json(pem: &str, token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": SA_EMAIL,
        "client_id": "1234567890",
        "token_uri": token_uri,
    })
    .to_string()
}

/// A fake that knows `der` as the service account's key.
pub async fn google_fake(
    der: Option<Vec<u8>>,
    tweak: impl FnOnce(&mut FakeOptions),
) -> FakeUpstream {
    let mut options = FakeOptions {
        google_api_key: Some(GEMINI_KEY.to_owned()),
        google_service_account_key: der,
        google_client_email: Some(SA_EMAIL.to_owned()),
        ..FakeOptions::default()
    };
    tweak(&mut options);
    fake_with(options).await
}

pub async fn gemini_gateway(fake: &FakeUpstream, extra: &[(&str, &str)]) -> TestGateway {
    let base = format!("{}/v1beta", fake.base_url());
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
        ("GEMINI_BASE_URL", base.as_str()),
    ];
    env.extend_from_slice(extra);
    TestGateway::start(&env).await
}

/// A Vertex gateway (service account) on `fake`; returns it with the key file's JSON.
pub async fn vertex_gateway(fake: &FakeUpstream, pem: &str, extra: &[(&str, &str)]) -> TestGateway {
    let json = service_account_json(pem, &fake.token_url());
    let base = fake.base_url();
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("VERTEX_PROJECT", "test-project"),
        ("VERTEX_LOCATION", "us-central1"),
        ("VERTEX_BASE_URL", base.as_str()),
        ("VERTEX_SERVICE_ACCOUNT_JSON", json.as_str()),
    ];
    env.extend_from_slice(extra);
    TestGateway::start(&env).await
}

fn weather_tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "get_weather", "description": "Weather for a place",
            "parameters": {"type": "object", "additionalProperties": false,
                "properties": {"location": {"type": "string"}, "unit": {"type": ["string", "null"], "enum": ["c", "f", null]}},
                "required": ["location"]}}},
        {"type": "function", "function": {"name": "get_time",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
    ])
}

/// `POST /v1/messages` as an Anthropic client (Claude Code) sends it.
async fn messages(gateway: &TestGateway, body: &Value) -> reqwest::Response {
    gateway
        .client
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn gemini_chat_is_translated_to_generate_content() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let body = json!({"model": "gemini/gemini-2.5-flash", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}],
        "max_tokens": 50, "temperature": 0.3});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["provider"], "gemini");
    assert!(
        !answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let sent = last_to(&fake, ":generateContent");
    assert_eq!(sent.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(sent.header("x-goog-api-key"), Some(GEMINI_KEY));
    assert!(sent.header("authorization").is_none());
    let upstream = sent.json();
    assert_eq!(
        upstream["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
    assert_eq!(upstream["contents"][0]["role"], "user");
    assert_eq!(upstream["generationConfig"]["maxOutputTokens"], 50);
    assert_eq!(upstream["generationConfig"]["temperature"], 0.3);
}

#[tokio::test]
async fn gemini_stream_carries_usage_in_the_last_chunk() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let body = json!({"model": "gemini/gemini-2.5-flash", "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Say hello"}]});
    let (chunks, text) = stream_chat(&gateway, &body).await;
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(!content.is_empty());
    assert!(chunks.len() >= 3, "several chunks: {text}");
    let last = chunks.last().unwrap();
    assert!(
        last["usage"]["total_tokens"].as_u64().unwrap() > 0,
        "{last}"
    );
    let sent = last_to(&fake, ":streamGenerateContent");
    assert_eq!(sent.query.as_deref(), Some("alt=sse"));
}

#[tokio::test]
async fn gemini_parallel_tool_calls_round_trip_with_thought_signatures() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let question = json!({"role": "user", "content": "Weather and time in Tokyo?"});
    let body = json!({"model": "gemini/gemini-3-flash-preview", "messages": [question],
        "tools": weather_tools(), "reasoning_effort": "low"});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let message = answer["choices"][0]["message"].clone();
    let calls = message["tool_calls"].as_array().unwrap().clone();
    assert_eq!(calls.len(), 2, "{message}");
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert!(
        calls[0]["extra_content"]["google"]["thought_signature"].is_string(),
        "{message}"
    );
    let tool_schema = &last_to(&fake, ":generateContent").json()["tools"][0]["functionDeclarations"]
        [0]["parameters"];
    assert!(tool_schema.get("additionalProperties").is_none());
    assert_eq!(tool_schema["properties"]["unit"]["nullable"], true);

    // The assistant message sent back as received: the fake checks the signature and that
    // each call gets one response.
    let results = calls.iter().map(
        |call| json!({"role": "tool", "tool_call_id": call["id"], "content": "{\"ok\": true}"}),
    );
    let mut messages = vec![question.clone(), message.clone()];
    messages.extend(results.clone());
    let second = json!({"model": "gemini/gemini-3-flash-preview", "messages": messages, "tools": weather_tools()});
    let response = gateway.post("/v1/chat/completions", &second).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert!(response.headers().get("x-gomodel-clamped-params").is_none());
    let sent = last_to(&fake, ":generateContent").json();
    let turns = sent["contents"].as_array().unwrap();
    assert_eq!(
        turns[1]["parts"][0]["thoughtSignature"],
        calls[0]["extra_content"]["google"]["thought_signature"]
    );
    assert_eq!(turns[2]["parts"].as_array().unwrap().len(), 2);
    assert_eq!(turns[2]["parts"][1]["functionResponse"]["name"], "get_time");

    // A client that rebuilt the message without the signature still gets an answer, and is told.
    let mut stripped = message.clone();
    for call in stripped["tool_calls"].as_array_mut().unwrap() {
        call.as_object_mut().unwrap().remove("extra_content");
    }
    let mut messages = vec![question, stripped];
    messages.extend(results);
    let third = json!({"model": "gemini/gemini-3-flash-preview", "messages": messages, "tools": weather_tools()});
    let response = gateway.post("/v1/chat/completions", &third).await;
    assert_eq!(response.status(), 200);
    let clamped = response.headers()["x-gomodel-clamped-params"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(clamped.contains("thought signature"), "{clamped}");
}

#[tokio::test]
async fn gemini_safety_blocks_are_content_filter_with_the_reason() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    for (model, expected) in [
        (
            "gemini/fake-safety-prompt",
            "Gemini blocked the prompt: SAFETY",
        ),
        (
            "gemini/fake-safety-candidate",
            "Gemini stopped the answer: SAFETY",
        ),
    ] {
        let answer: Value = gateway.chat(model).await.json().await.unwrap();
        assert_eq!(
            answer["choices"][0]["finish_reason"], "content_filter",
            "{answer}"
        );
        let refusal = answer["choices"][0]["message"]["refusal"].as_str().unwrap();
        assert!(refusal.starts_with(expected), "{refusal}");
        assert!(refusal.contains("HARM_CATEGORY_"), "{refusal}");

        // Streamed: the same reason in the finishing chunk, then usage and [DONE].
        let mut body = chat_body(model);
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let (chunks, text) = stream_chat(&gateway, &body).await;
        let finish = chunks
            .iter()
            .find(|c| c["choices"][0]["finish_reason"].is_string())
            .unwrap_or_else(|| panic!("no finish reason: {text}"));
        assert_eq!(finish["choices"][0]["finish_reason"], "content_filter");
        let refusal = finish["choices"][0]["delta"]["refusal"].as_str().unwrap();
        assert!(refusal.starts_with(expected), "{refusal}");
        assert!(refusal.contains("HARM_CATEGORY_"), "{refusal}");
        assert!(
            chunks.last().unwrap()["usage"]["prompt_tokens"]
                .as_u64()
                .unwrap()
                > 0,
            "{text}"
        );
    }
    assert_eq!(
        last_to(&fake, ":streamGenerateContent").path,
        "/v1beta/models/fake-safety-candidate:streamGenerateContent"
    );
}

#[tokio::test]
async fn gemini_errors_keep_their_meaning() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let error = expect_error(gateway.chat("gemini/fake-error-429").await, 429).await;
    assert_eq!(error["type"], "rate_limit_error");
    assert_eq!(error["code"], "resource_exhausted");
    // A remote image URL is refused before anything is sent.
    let before = fake.request_count();
    let body = json!({"model": "gemini/gemini-2.5-flash", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]});
    let error = expect_error(gateway.post("/v1/chat/completions", &body).await, 400).await;
    assert_eq!(error["param"], "messages[0].content");
    assert_eq!(fake.request_count(), before);

    // A wrong Gemini key is an authentication error, and the key is not echoed.
    let wrong = gemini_gateway(
        &fake,
        &[("GEMINI_API_KEY", "AIzaWrongKeyWrongKeyWrongKey0000000")],
    )
    .await;
    let error = expect_error(wrong.chat("gemini/gemini-2.5-flash").await, 401).await;
    assert!(
        !error["message"].as_str().unwrap().contains("AIzaWrong"),
        "{error}"
    );
}

#[tokio::test]
async fn gemini_embeddings_and_model_list() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let answer: Value = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "gemini/text-embedding-004", "input": ["a", "b"], "dimensions": 8}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["object"], "list");
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert_eq!(answer["data"][1]["index"], 1);
    assert_eq!(answer["data"][0]["embedding"].as_array().unwrap().len(), 8);
    let sent = last_to(&fake, ":batchEmbedContents");
    assert_eq!(
        sent.json()["requests"][0]["model"],
        "models/text-embedding-004"
    );
    let encoded: Value = gateway
        .post("/v1/embeddings", &json!({"model": "gemini/text-embedding-004", "input": "a", "encoding_format": "base64"}))
        .await
        .json()
        .await
        .unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes.len(), 768 * 4);
    // One input goes to embedContent, as Google's SDKs send it.
    let sent = last_to(&fake, ":embedContent");
    assert_eq!(sent.path, "/v1beta/models/text-embedding-004:embedContent");
    assert_eq!(
        sent.json(),
        json!({"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}})
    );

    let models: Value = gateway.get("/v1/models").await.json().await.unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"gemini/gemini-2.5-flash"), "{ids:?}");
    assert!(ids.contains(&"gemini/text-embedding-004"), "{ids:?}");
    assert!(
        !ids.iter()
            .any(|id| id.contains("imagen") || id.ends_with("/aqa")),
        "{ids:?}"
    );

    // The admin model list shows the limits Google's list states.
    let admin: Value = gateway
        .get("/admin/api/v1/models")
        .await
        .json()
        .await
        .unwrap();
    let flash = admin["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["provider_name"] == "gemini" && m["model"] == "gemini-2.5-flash")
        .unwrap_or_else(|| panic!("{admin}"));
    assert_eq!(flash["context_window"], 1_048_576, "{flash}");
    assert_eq!(flash["max_output_tokens"], 65_536, "{flash}");
}

#[tokio::test]
async fn messages_api_reaches_gemini() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let response = messages(
        &gateway,
        &json!({"model": "gemini/gemini-2.5-flash", "max_tokens": 100,
            "system": "Be brief.", "messages": [{"role": "user", "content": "Say hello"}]}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["type"], "message");
    let blocks = answer["content"].as_array().unwrap();
    assert!(
        blocks
            .iter()
            .any(|b| b["type"] == "text" && b["text"].as_str().is_some_and(|t| !t.is_empty())),
        "{answer}"
    );
    // Gemini 2.5 signs its answer text; the signature rides in a text-less thinking block.
    assert!(
        blocks.iter().any(|b| b["type"] == "thinking"
            && b["signature"]
                .as_str()
                .is_some_and(|s| s.starts_with("gemini:text:"))),
        "{answer}"
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    assert_eq!(
        last_to(&fake, ":generateContent").json()["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );
}

/// Claude Code on Vertex AI: `/v1/messages`, whole and streamed, reaches Vertex's native
/// endpoints with the service account's token.
#[tokio::test]
async fn messages_api_reaches_vertex_whole_and_streamed() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gateway = vertex_gateway(&fake, &pem, &[]).await;
    let model_url =
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash";
    let mut body = json!({"model": "vertex/gemini-2.5-flash", "max_tokens": 100,
        "system": "Be brief.", "messages": [{"role": "user", "content": "Say hello"}]});

    let response = messages(&gateway, &body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["type"], "message", "{answer}");
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["model"], "vertex/gemini-2.5-flash");
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(answer["usage"]["input_tokens"].as_u64().unwrap() > 0);
    assert!(answer["usage"]["output_tokens"].as_u64().unwrap() > 0);
    let whole_text: String = answer["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(!whole_text.is_empty(), "{answer}");
    let sent = last_to(&fake, ":generateContent");
    assert_eq!(sent.path, format!("{model_url}:generateContent"));
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    assert!(sent.header("x-goog-api-key").is_none());
    assert_eq!(
        sent.json()["systemInstruction"]["parts"][0]["text"],
        "Be brief."
    );

    body["stream"] = json!(true);
    let response = messages(&gateway, &body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let events: Vec<Value> = sse_data(&text)
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"message_start"), "{text}");
    assert_eq!(kinds.last(), Some(&"message_stop"), "{text}");
    let delta = events
        .iter()
        .find(|e| e["type"] == "message_delta")
        .unwrap_or_else(|| panic!("no message_delta: {text}"));
    assert_eq!(delta["delta"]["stop_reason"], "end_turn", "{delta}");
    assert!(
        delta["usage"]["output_tokens"].as_u64().unwrap() > 0,
        "{delta}"
    );
    let streamed_text: String = anthropic_stream_content(&text)
        .iter()
        .filter(|b| b["type"] == "text")
        .filter_map(|b| b["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(streamed_text, whole_text);
    let sent = last_to(&fake, ":streamGenerateContent");
    assert_eq!(sent.path, format!("{model_url}:streamGenerateContent"));
    assert_eq!(sent.query.as_deref(), Some("alt=sse"));
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    // One token for both.
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn gemini_openai_compatible_mode_sends_bytes_to_googles_openai_endpoint() {
    let fake = google_fake(None, |_| {}).await;
    let base = format!("{}/v1beta/openai", fake.base_url());
    let gateway = gemini_gateway(
        &fake,
        &[
            ("GEMINI_BASE_URL", base.as_str()),
            ("GEMINI_API_MODE", "openai_compatible"),
        ],
    )
    .await;
    let response = gateway.chat("gemini/gemini-2.5-flash").await;
    assert_eq!(response.status(), 200);
    let sent = last_to(&fake, "/chat/completions");
    assert_eq!(sent.path, "/v1beta/openai/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {GEMINI_KEY}").as_str())
    );
    // The model list still comes from the native API.
    let models: Value = gateway.get("/v1/models").await.json().await.unwrap();
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "gemini/gemini-2.5-flash")
    );
    assert!(
        fake.received()
            .iter()
            .any(|r| r.path == "/v1beta/models" && r.header("x-goog-api-key") == Some(GEMINI_KEY))
    );
}

#[tokio::test]
async fn vertex_with_a_service_account_chat_stream_and_embeddings() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gateway = vertex_gateway(&fake, &pem, &[]).await;

    let answer: Value = gateway
        .chat("vertex/gemini-2.5-flash")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["provider"], "vertex", "{answer}");
    assert!(
        !answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    let sent = last_to(&fake, ":generateContent");
    assert_eq!(
        sent.path,
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
    );
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    // A service account names no quota project: none is sent (it would need an extra IAM
    // permission), the URL names the project.
    assert!(sent.header("x-goog-user-project").is_none());
    assert!(sent.header("x-goog-api-key").is_none());

    let mut stream = chat_body("vertex/gemini-2.5-flash");
    stream["stream"] = json!(true);
    stream["stream_options"] = json!({"include_usage": true});
    let text = gateway
        .post("/v1/chat/completions", &stream)
        .await
        .text()
        .await
        .unwrap();
    let data = sse_data(&text);
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"), "{text}");
    let last: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert!(last["choices"].as_array().unwrap().is_empty(), "{last}");
    assert!(
        last["usage"]["prompt_tokens"].as_u64().unwrap() > 0,
        "{last}"
    );
    assert!(
        last["usage"]["completion_tokens"].as_u64().unwrap() > 0,
        "{last}"
    );
    assert_eq!(
        last_to(&fake, ":streamGenerateContent").path,
        "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent"
    );

    let embeddings: Value = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "vertex/text-embedding-005", "input": ["a", "bb"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        embeddings["data"].as_array().unwrap().len(),
        2,
        "{embeddings}"
    );
    assert!(embeddings["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    assert_eq!(
        last_to(&fake, ":predict").json()["instances"][1]["content"],
        "bb"
    );
    // One token for all of it.
    assert_eq!(fake.token_requests(), 1);
}

/// The key as deployments usually provide it: a mounted file (`VERTEX_SERVICE_ACCOUNT_FILE`)
/// or a base64 secret (`VERTEX_SERVICE_ACCOUNT_JSON_BASE64`).
#[tokio::test]
async fn vertex_service_account_key_from_a_file_or_base64() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let json = service_account_json(&pem, &fake.token_url());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("service-account.json");
    std::fs::write(&file, &json).unwrap();
    let path = file.display().to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&json);
    let base = fake.base_url();
    for (variable, value) in [
        ("VERTEX_SERVICE_ACCOUNT_FILE", path.as_str()),
        ("VERTEX_SERVICE_ACCOUNT_JSON_BASE64", encoded.as_str()),
    ] {
        let before = fake.token_requests();
        let gateway = TestGateway::start(&[
            ("GOMODEL_MASTER_KEY", MASTER_KEY),
            ("VERTEX_PROJECT", "test-project"),
            ("VERTEX_LOCATION", "us-central1"),
            ("VERTEX_BASE_URL", base.as_str()),
            (variable, value),
        ])
        .await;
        let response = gateway.chat("vertex/gemini-2.5-flash").await;
        assert_eq!(
            response.status(),
            200,
            "{variable}: {}",
            response.text().await.unwrap()
        );
        // The fake checked the JWT's signature against the key: the token came from it.
        assert_eq!(fake.token_requests(), before + 1, "{variable}");
        let sent = last_to(&fake, ":generateContent");
        assert!(
            sent.header("authorization")
                .unwrap()
                .starts_with("Bearer ya29."),
            "{variable}"
        );
    }
}

#[tokio::test]
async fn concurrent_first_requests_make_one_token_request() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |o| o.token_latency = Duration::from_millis(300)).await;
    let gateway = Arc::new(vertex_gateway(&fake, &pem, &[]).await);
    let calls = (0..20).map(|_| {
        let gateway = Arc::clone(&gateway);
        tokio::spawn(async move {
            gateway
                .chat("vertex/gemini-2.5-flash")
                .await
                .status()
                .as_u16()
        })
    });
    for call in calls.collect::<Vec<_>>() {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(fake.token_requests(), 1);
}

#[tokio::test]
async fn a_failing_token_endpoint_fails_queued_requests_together() {
    let (_, der) = rsa_key();
    let (other_pem, _) = rsa_key();
    let fake = google_fake(Some(der), |o| o.token_latency = Duration::from_millis(300)).await;
    let gateway = Arc::new(vertex_gateway(&fake, &other_pem, &[]).await);
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let gateway = Arc::clone(&gateway);
            tokio::spawn(async move {
                gateway
                    .chat("vertex/gemini-2.5-flash")
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 401);
    }
    // One refused token request answers every queued request (not ten, one after another).
    assert_eq!(fake.token_requests(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn large_embedding_requests_are_split_into_batches_in_order() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let inputs: Vec<String> = (0..250).map(|i| format!("text {i}")).collect();
    let answer: Value = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "gemini/text-embedding-004", "input": inputs, "dimensions": 4}),
        )
        .await
        .json()
        .await
        .unwrap();
    let data = answer["data"].as_array().unwrap();
    assert_eq!(data.len(), 250, "{answer}");
    assert!(data.iter().enumerate().all(|(i, d)| d["index"] == i));
    let batches: Vec<usize> = fake
        .received()
        .iter()
        .filter(|r| r.path.ends_with(":batchEmbedContents"))
        .map(|r| r.json()["requests"].as_array().unwrap().len())
        .collect();
    assert_eq!(batches, [100, 100, 50]);
    // The vectors come back in input order: the fake derives them from the text, so the
    // same text sent alone (to embedContent) embeds the same.
    let single: Value = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "gemini/text-embedding-004", "input": "text 137", "dimensions": 4}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(single["data"][0]["embedding"], data[137]["embedding"]);
    assert_eq!(
        last_to(&fake, ":embedContent").json()["outputDimensionality"],
        4
    );
}

#[tokio::test]
async fn a_revoked_token_is_replaced_and_the_request_retried() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gateway = vertex_gateway(&fake, &pem, &[]).await;
    let body = chat_body("vertex/gemini-2.5-flash");
    assert_eq!(
        gateway.post("/v1/chat/completions", &body).await.status(),
        200
    );
    fake.revoke_tokens();
    // Vertex answers 401 to the cached token; the gateway drops it, fetches a new one and
    // retries once, so the client never sees the failure.
    assert_eq!(
        gateway.post("/v1/chat/completions", &body).await.status(),
        200
    );
    assert_eq!(fake.token_requests(), 2);
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |o| {
        o.google_token_lifetime = Duration::from_secs(2)
    })
    .await;
    let gateway = vertex_gateway(&fake, &pem, &[]).await;
    let body = chat_body("vertex/gemini-2.5-flash");
    let chat = || gateway.post("/v1/chat/completions", &body);
    assert_eq!(chat().await.status(), 200);
    assert_eq!(chat().await.status(), 200);
    assert_eq!(fake.token_requests(), 1);
    // Past three quarters of the lifetime: the next request refreshes; the fake would refuse
    // an expired token, so every answer below proves the token in use was valid.
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(chat().await.status(), 200);
    assert_eq!(fake.token_requests(), 2);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(chat().await.status(), 200);
    assert_eq!(fake.token_requests(), 3);
}

#[tokio::test]
async fn a_rejected_key_is_a_clear_authentication_error_naming_its_source() {
    let (_, der) = rsa_key();
    let (other_pem, _) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gateway = vertex_gateway(&fake, &other_pem, &[]).await;
    let error = expect_error(gateway.chat("vertex/gemini-2.5-flash").await, 401).await;
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("VERTEX_SERVICE_ACCOUNT_JSON"), "{message}");
    assert!(message.contains("invalid_grant"), "{message}");
    assert!(
        !message.contains("PRIVATE KEY") && !message.contains("ya29."),
        "{message}"
    );
    assert_eq!(error["code"], "provider_authentication_failed");

    // Token endpoint down: 502, still naming the source.
    let json = service_account_json(&other_pem, "http://127.0.0.1:1/token");
    let down = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("VERTEX_PROJECT", "p"),
        ("VERTEX_LOCATION", "global"),
        ("VERTEX_BASE_URL", &fake.base_url()),
        ("VERTEX_SERVICE_ACCOUNT_JSON", &json),
    ])
    .await;
    let error = expect_error(down.chat("vertex/gemini-2.5-flash").await, 502).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("could not be reached"),
        "{error}"
    );
}

/// The grant type of the last request to the fake's token endpoint.
fn last_grant(fake: &FakeUpstream) -> String {
    let sent = last_to(fake, "/token");
    let form = String::from_utf8_lossy(&sent.body).into_owned();
    form.split('&')
        .find_map(|pair| pair.strip_prefix("grant_type="))
        .unwrap_or_default()
        .to_owned()
}

/// A Vertex gateway without a key of its own: Application Default Credentials.
async fn adc_gateway(fake: &FakeUpstream, extra: &[(&str, &str)]) -> TestGateway {
    let base = fake.base_url();
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("VERTEX_PROJECT", "test-project"),
        ("VERTEX_LOCATION", "global"),
        ("VERTEX_BASE_URL", base.as_str()),
    ];
    env.extend_from_slice(extra);
    TestGateway::start(&env).await
}

/// Application Default Credentials in Google's order: a `service_account` or
/// `authorized_user` file in GOOGLE_APPLICATION_CREDENTIALS, gcloud's well-known file, the
/// metadata server.
#[tokio::test]
async fn adc_files_well_known_file_and_metadata_server() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let authorized_user = json!({"type": "authorized_user", "client_id": "cid.apps.googleusercontent.com",
        "client_secret": "d-secret", "refresh_token": "1//0gRefreshToken", "quota_project_id": "quota-proj",
        "token_uri": fake.token_url()})
    .to_string();
    let user_file = dir.path().join("adc.json");
    std::fs::write(&user_file, &authorized_user).unwrap();
    let user_path = user_file.display().to_string();
    let account_file = dir.path().join("service-account.json");
    std::fs::write(&account_file, service_account_json(&pem, &fake.token_url())).unwrap();
    let account_path = account_file.display().to_string();
    // gcloud's configuration directory holding `gcloud auth application-default login`'s file.
    let gcloud = dir.path().join("gcloud");
    std::fs::create_dir(&gcloud).unwrap();
    std::fs::write(
        gcloud.join("application_default_credentials.json"),
        &authorized_user,
    )
    .unwrap();
    let gcloud_path = gcloud.display().to_string();
    // An authorized_user file: a refresh-token grant; its quota project is named.
    let gateway = adc_gateway(
        &fake,
        &[("GOOGLE_APPLICATION_CREDENTIALS", user_path.as_str())],
    )
    .await;
    assert_eq!(gateway.chat("vertex/gemini-2.5-flash").await.status(), 200);
    let sent = last_to(&fake, ":generateContent");
    assert_eq!(
        sent.path,
        "/v1/projects/test-project/locations/global/publishers/google/models/gemini-2.5-flash:generateContent"
    );
    assert_eq!(sent.header("x-goog-user-project"), Some("quota-proj"));
    assert_eq!(fake.token_requests(), 1);
    assert_eq!(last_grant(&fake), "refresh_token");

    // A service_account file: a signed JWT (the fake verifies it against the key); no quota
    // project. It wins over gcloud's file, as in Google's libraries.
    let gateway = adc_gateway(
        &fake,
        &[
            ("GOOGLE_APPLICATION_CREDENTIALS", account_path.as_str()),
            ("CLOUDSDK_CONFIG", gcloud_path.as_str()),
        ],
    )
    .await;
    let response = gateway.chat("vertex/gemini-2.5-flash").await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let sent = last_to(&fake, ":generateContent");
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    assert!(sent.header("x-goog-user-project").is_none());
    assert_eq!(fake.token_requests(), 2);
    assert_eq!(
        last_grant(&fake),
        "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    );

    // No variable: gcloud's well-known file under CLOUDSDK_CONFIG.
    let gateway = adc_gateway(&fake, &[("CLOUDSDK_CONFIG", gcloud_path.as_str())]).await;
    assert_eq!(gateway.chat("vertex/gemini-2.5-flash").await.status(), 200);
    assert_eq!(fake.token_requests(), 3);
    assert_eq!(last_grant(&fake), "refresh_token");
    assert_eq!(
        last_to(&fake, ":generateContent").header("x-goog-user-project"),
        Some("quota-proj")
    );

    // No file at all: the metadata server.
    let host = fake.addr().to_string();
    let gateway = adc_gateway(&fake, &[("GCE_METADATA_HOST", host.as_str())]).await;
    assert_eq!(gateway.chat("vertex/gemini-2.5-flash").await.status(), 200);
    assert!(
        fake.received()
            .iter()
            .any(|r| r.path.ends_with("/service-accounts/default/token")
                && r.header("metadata-flavor") == Some("Google"))
    );
}

/// The OpenAI Python SDK against Gemini and Vertex: chat, stream, a two-turn tool
/// conversation (the thought signature travels in the SDK's own message object), embeddings.
#[tokio::test]
async fn official_openai_python_sdk_against_gemini_and_vertex() {
    let python = crate::sdk::python_with_openai();
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gemini = gemini_gateway(&fake, &[]).await;
    let vertex = vertex_gateway(&fake, &pem, &[]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sdk_google.py");
    for (gateway, provider, embed) in [
        (&gemini, "gemini", "text-embedding-004"),
        (&vertex, "vertex", "text-embedding-005"),
    ] {
        let base = gateway.url("/v1");
        let python = python.clone();
        let args = [
            script.to_owned(),
            base,
            MASTER_KEY.to_owned(),
            format!("{provider}/gemini-2.5-flash"),
            format!("{provider}/gemini-3-flash-preview"),
            format!("{provider}/{embed}"),
        ];
        let output =
            tokio::task::spawn_blocking(move || Command::new(python).args(args).output().unwrap())
                .await
                .unwrap();
        assert!(
            output.status.success(),
            "SDK script failed for {provider}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let result: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            !result["chat_content"].as_str().unwrap().is_empty(),
            "{result}"
        );
        assert_eq!(result["chat_finish"], "stop");
        assert!(result["chat_usage_total"].as_u64().unwrap() > 0);
        assert_eq!(result["stream_content"], result["chat_content"], "{result}");
        assert!(result["stream_usage_total"].as_u64().unwrap() > 0);
        assert_eq!(result["tool_finish"], "tool_calls");
        assert_eq!(result["tool_calls"][0]["name"], "get_weather");
        assert_eq!(result["tool_calls"][1]["name"], "get_time");
        assert_eq!(result["tool_calls"][0]["arguments"]["location"], "Tokyo");
        assert_eq!(result["after_tools_finish"], "stop", "{result}");
        assert_eq!(result["embedding_count"], 2);
        assert_eq!(result["embedding_dim"], 768);
    }
}

#[tokio::test]
async fn vertex_openai_compatible_mode_and_model_garden_list() {
    let (pem, der) = rsa_key();
    let fake = google_fake(Some(der), |_| {}).await;
    let gateway = vertex_gateway(&fake, &pem, &[("VERTEX_API_MODE", "openai_compatible")]).await;
    let response = gateway.chat("vertex/gemini-2.5-flash").await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let sent = last_to(&fake, "/chat/completions");
    assert_eq!(
        sent.path,
        "/v1/projects/test-project/locations/us-central1/endpoints/openapi/chat/completions"
    );
    assert_eq!(sent.json()["model"], "google/gemini-2.5-flash");
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("Bearer ya29.")
    );
    // Embeddings stay on the native predict endpoint.
    let embeddings = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "vertex/text-embedding-005", "input": "a"}),
        )
        .await;
    assert_eq!(embeddings.status(), 200);
    assert!(
        last_to(&fake, ":predict")
            .path
            .starts_with("/v1/projects/test-project/")
    );
    // The model list is Vertex's Model Garden, kept to Gemini and embedding models.
    let models: Value = gateway.get("/v1/models").await.json().await.unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"vertex/gemini-2.5-flash"), "{ids:?}");
    assert!(!ids.iter().any(|id| id.contains("imagen")), "{ids:?}");
    assert!(
        fake.received()
            .iter()
            .any(|r| r.path == "/v1beta1/publishers/google/models")
    );
}

#[tokio::test]
async fn gemini_usage_rows_count_thoughts_as_output_and_are_priced() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[("USAGE_FLUSH_INTERVAL", "100ms")]).await;
    let mut body = chat_body("gemini/gemini-2.5-flash");
    body["reasoning_effort"] = json!("low");
    let answer: Value = gateway
        .post("/v1/chat/completions", &body)
        .await
        .json()
        .await
        .unwrap();
    let reasoning = answer["usage"]["completion_tokens_details"]["reasoning_tokens"]
        .as_u64()
        .unwrap();
    assert!(reasoning > 0, "{answer}");
    assert!(
        answer["choices"][0]["message"]["reasoning_content"].is_string(),
        "{answer}"
    );
    let mut stream = chat_body("gemini/gemini-2.5-flash");
    stream["stream"] = json!(true);
    gateway
        .post("/v1/chat/completions", &stream)
        .await
        .text()
        .await
        .unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let log = loop {
        let log: Value = gateway
            .get("/admin/api/v1/usage/log")
            .await
            .json()
            .await
            .unwrap();
        if log["total"] == 2 || std::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    for entry in entries {
        assert_eq!(entry["provider_name"], "gemini");
        assert_eq!(entry["cost_source"], "catalog", "{entry}");
        assert!(entry["output_tokens"].as_i64().unwrap() > 0, "{entry}");
        assert!(entry["total_cost"].as_f64().unwrap() > 0.0, "{entry}");
    }
    let thinking = entries.iter().find(|e| e["stream"] == false).unwrap();
    assert_eq!(
        thinking["reasoning_tokens"].as_u64(),
        Some(reasoning),
        "{thinking}"
    );
}

/// Claude Code on Gemini 3: the thought signature of a tool call rides in a text-less
/// thinking block that Anthropic clients send back, and reaches Gemini in its place.
#[tokio::test]
async fn messages_api_carries_gemini_signatures_across_turns() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let tools = json!([{"name": "get_weather", "input_schema": {"type": "object",
        "properties": {"location": {"type": "string"}}, "required": ["location"]}}]);
    let question = json!({"role": "user", "content": "Weather in Tokyo?"});
    for stream in [false, true] {
        let first = json!({"model": "gemini/gemini-3-flash-preview", "max_tokens": 200, "stream": stream,
            "tools": tools, "messages": [question]});
        let response = messages(&gateway, &first).await;
        assert_eq!(response.status(), 200);
        let content: Vec<Value> = if stream {
            anthropic_stream_content(&response.text().await.unwrap())
        } else {
            let answer: Value = response.json().await.unwrap();
            answer["content"].as_array().unwrap().clone()
        };
        let signature = content
            .iter()
            .find(|b| b["type"] == "thinking")
            .and_then(|b| b["signature"].as_str())
            .unwrap_or_else(|| panic!("no signature block: {content:?}"))
            .to_owned();
        assert!(signature.starts_with("gemini:call:0:"), "{signature}");
        let call = content
            .iter()
            .find(|b| b["type"] == "tool_use")
            .unwrap()
            .clone();
        let second = json!({"model": "gemini/gemini-3-flash-preview", "max_tokens": 200, "tools": tools,
            "messages": [question, {"role": "assistant", "content": content},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "content": "21C"}]}]});
        let response = messages(&gateway, &second).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        assert!(response.headers().get("x-gomodel-clamped-params").is_none());
        let sent = last_to(&fake, ":generateContent").json();
        assert_eq!(
            sent["contents"][1]["parts"][0]["thoughtSignature"].as_str(),
            signature.strip_prefix("gemini:call:0:")
        );
    }
}

/// The content blocks of an Anthropic SSE stream, reassembled.
fn anthropic_stream_content(text: &str) -> Vec<Value> {
    let mut blocks: Vec<Value> = Vec::new();
    for data in sse_data(text) {
        let event: Value = serde_json::from_str(&data).unwrap();
        match event["type"].as_str() {
            Some("content_block_start") => blocks.push(event["content_block"].clone()),
            Some("content_block_delta") => {
                let Some(block) = blocks.last_mut() else {
                    continue;
                };
                let delta = &event["delta"];
                match delta["type"].as_str() {
                    Some("text_delta") => {
                        let text = format!(
                            "{}{}",
                            block["text"].as_str().unwrap_or(""),
                            delta["text"].as_str().unwrap()
                        );
                        block["text"] = json!(text);
                    }
                    Some("signature_delta") => block["signature"] = delta["signature"].clone(),
                    Some("input_json_delta") => {
                        let partial = format!(
                            "{}{}",
                            block["partial"].as_str().unwrap_or(""),
                            delta["partial_json"].as_str().unwrap()
                        );
                        block["partial"] = json!(partial);
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for block in &mut blocks {
        if let Some(partial) = block.as_object_mut().and_then(|b| b.remove("partial")) {
            block["input"] = serde_json::from_str(partial.as_str().unwrap()).unwrap();
        }
    }
    blocks
}

/// Claude Code's WebFetch-style `format: uri` and integer enums are rejected by Gemini as
/// they are; the gateway rewrites them and says so.
#[tokio::test]
async fn json_schema_keywords_gemini_refuses_are_rewritten() {
    let fake = google_fake(None, |_| {}).await;
    let gateway = gemini_gateway(&fake, &[]).await;
    let body = json!({"model": "gemini/gemini-2.5-flash", "messages": [{"role": "user", "content": "Fetch it"}],
        "tools": [{"type": "function", "function": {"name": "web_fetch", "parameters": {
            "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": false,
            "properties": {"url": {"type": "string", "format": "uri"}, "retries": {"type": "integer", "enum": [0, 1, 2]}},
            "required": ["url"]}}}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let clamped = response.headers()["x-gomodel-clamped-params"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        clamped.contains("format") && clamped.contains("enum"),
        "{clamped}"
    );
    let sent = last_to(&fake, ":generateContent").json();
    let properties = &sent["tools"][0]["functionDeclarations"][0]["parameters"]["properties"];
    assert_eq!(properties["url"]["description"], "(format: uri)");
    assert_eq!(properties["retries"]["type"], "string");
}
