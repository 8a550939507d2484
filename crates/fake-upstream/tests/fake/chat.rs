//! Non-stream chat completions: the recording replayed with this request's model, id and usage.

use std::time::{Duration, Instant};

use gomodel_fake_upstream::{FakeOptions, FakeUpstream, fixtures};
use serde_json::json;

use crate::client::post;

#[tokio::test]
async fn chat_replays_the_recording_with_the_request_model() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    let response = post(fake.addr(), "/v1/chat/completions", &request).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    // Field order is the recording's, which serde_json::Value would have sorted.
    assert!(response.text().starts_with(r#"{"id":"chatcmpl-"#));
    let body = response.json();
    let recorded: serde_json::Value =
        serde_json::from_str(fixtures::OPENAI_CHAT_COMPLETION).unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["object"], recorded["object"]);
    assert_eq!(body["choices"], recorded["choices"]);
    assert_eq!(body["system_fingerprint"], recorded["system_fingerprint"]);
    assert_ne!(body["id"], recorded["id"]);

    let body_len = serde_json::to_vec(&request).unwrap().len() as u64;
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], body_len / 4);
    assert_eq!(usage["completion_tokens"], 4);
    assert_eq!(usage["total_tokens"], body_len / 4 + 4);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 0);

    let again = post(fake.addr(), "/v1/chat/completions", &request)
        .await
        .json();
    assert_ne!(again["id"], body["id"], "every answer gets a fresh id");
}

#[tokio::test]
async fn chat_accepts_any_path_prefix_and_query() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "glm-4", "messages": []});
    for path in [
        "/openai/deployments/x/chat/completions?api-version=2024-10-21",
        "/api/paas/v4/chat/completions",
        "/chat/completions",
    ] {
        let response = post(fake.addr(), path, &request).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.json()["model"], "glm-4");
    }
}

#[tokio::test]
async fn chat_escapes_the_echoed_model() {
    let fake = FakeUpstream::start().await.unwrap();
    let model = "we\"ird\\model\n";
    let response = post(
        fake.addr(),
        "/v1/chat/completions",
        &json!({"model": model}),
    )
    .await;
    assert_eq!(response.json()["model"], model);
}

#[tokio::test]
async fn chat_with_tools_answers_the_recorded_tool_call() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "weather in Paris?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
    });
    let body = post(fake.addr(), "/v1/chat/completions", &request)
        .await
        .json();
    let recorded: serde_json::Value =
        serde_json::from_str(fixtures::OPENAI_CHAT_WITH_TOOLS).unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    assert_eq!(body["choices"], recorded["choices"]);
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    let call = &body["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], r#"{"location":"Paris"}"#);
}

#[tokio::test]
async fn stream_chunks_option_sets_the_answer_length() {
    let options = FakeOptions {
        stream_chunks: Some(6),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let body = post(fake.addr(), "/v1/chat/completions", &json!({"model": "m"}))
        .await
        .json();
    // The recorded chunk texts repeat in order.
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "Hello, World!Hello,"
    );
    assert_eq!(body["usage"]["completion_tokens"], 6);
}

#[tokio::test]
async fn latency_option_delays_every_answer() {
    let options = FakeOptions {
        latency: Duration::from_millis(150),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let started = Instant::now();
    let response = post(fake.addr(), "/v1/chat/completions", &json!({"model": "m"})).await;
    assert_eq!(response.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn invalid_requests_get_openai_errors() {
    let fake = FakeUpstream::start().await.unwrap();
    let not_json = crate::client::send(fake.addr(), "POST", "/v1/chat/completions", &[], b"{nope")
        .await
        .unwrap();
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"]["type"], "invalid_request_error");
    let no_model = post(
        fake.addr(),
        "/v1/chat/completions",
        &json!({"messages": []}),
    )
    .await;
    assert_eq!(no_model.status, 400);
    assert_eq!(
        no_model.json()["error"]["message"],
        "you must provide a model parameter"
    );
}
