//! Non-streamed chat through the fast path: what the client gets and what went upstream.

use serde_json::{Value, json};

use crate::harness::*;

#[tokio::test]
async fn chat_completion_round_trip() {
    let (gateway, fake) = gateway_and_fake().await;
    let body = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hello"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "response_format": {"type": "json_object"},
        "x_custom_field": {"nested": [1, 2.50, "é"]}
    });
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-request-id").is_some());
    assert_eq!(response.headers()["content-type"], "application/json");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["provider"], "openai");
    assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
    assert!(answer["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let upstream = fake.last_request().unwrap();
    assert_eq!(upstream.method, "POST");
    assert_eq!(upstream.path, "/v1/chat/completions");
    assert_eq!(
        upstream.header("authorization"),
        Some(format!("Bearer {PROVIDER_KEY}").as_str())
    );
    let sent = upstream.json();
    assert_eq!(sent["model"], "gpt-4o-mini");
    assert_eq!(sent["x_custom_field"], json!({"nested": [1, 2.5, "é"]}));
    assert_eq!(sent["response_format"], json!({"type": "json_object"}));
}

#[tokio::test]
async fn unchanged_bodies_are_forwarded_byte_for_byte() {
    let (gateway, fake) = gateway_and_fake().await;
    let raw = "{ \"model\" : \"gpt-4o-mini\",\n  \"messages\": [ {\"role\":\"user\",\"content\":\"a\\u00e9\"} ],  \"seed\": 1.0 }";
    let response = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(fake.last_request().unwrap().body, raw.as_bytes());
}

#[tokio::test]
async fn provider_prefix_and_provider_field_are_stripped_before_upstream() {
    let (gateway, fake) = gateway_and_fake().await;
    let response = gateway
        .post("/v1/chat/completions", &chat_body("openai/gpt-4o-mini"))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(fake.last_request().unwrap().json()["model"], "gpt-4o-mini");

    let mut body = chat_body("gpt-4o");
    body["provider"] = json!("openai");
    assert_eq!(
        gateway.post("/v1/chat/completions", &body).await.status(),
        200
    );
    let sent = fake.last_request().unwrap().json();
    assert_eq!(sent["model"], "gpt-4o");
    assert!(
        sent.get("provider").is_none(),
        "provider hint leaked upstream: {sent}"
    );
}

#[tokio::test]
async fn request_id_is_taken_echoed_and_forwarded() {
    let (gateway, fake) = gateway_and_fake().await;
    let response = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("x-request-id", "req-abc-123")
        .json(&chat_body("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "req-abc-123");
    assert_eq!(
        fake.last_request().unwrap().header("x-client-request-id"),
        Some("req-abc-123")
    );

    let generated = gateway
        .post("/v1/chat/completions", &chat_body("gpt-4o-mini"))
        .await;
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 36, "expected a UUID, got {id}");
    assert_eq!(
        fake.last_request().unwrap().header("x-client-request-id"),
        Some(id.as_str())
    );
}

#[tokio::test]
async fn embeddings_are_forwarded() {
    let (gateway, fake) = gateway_and_fake().await;
    let response = gateway
        .post(
            "/v1/embeddings",
            &json!({"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 8}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["data"].as_array().unwrap().len(), 2);
    assert_eq!(answer["data"][0]["embedding"].as_array().unwrap().len(), 8);
    let upstream = fake.last_request().unwrap();
    assert_eq!(upstream.path, "/v1/embeddings");
    assert_eq!(upstream.json()["model"], "text-embedding-3-small");
}

#[tokio::test]
async fn tool_calls_pass_through() {
    let (gateway, _fake) = gateway_and_fake().await;
    let mut body = chat_body("gpt-4o-mini");
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let answer: Value = gateway
        .post("/v1/chat/completions", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    assert!(answer["choices"][0]["message"]["tool_calls"][0]["function"]["name"].is_string());
}
