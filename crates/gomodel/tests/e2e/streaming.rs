//! Streaming: relay as chunks arrive, usage captured and hidden, failures end the stream.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gomodel_fake_upstream::FakeOptions;
use serde_json::{Value, json};

use crate::harness::*;

fn stream_body(model: &str, include_usage: Option<bool>) -> Value {
    let mut body = chat_body(model);
    body["stream"] = json!(true);
    if let Some(include) = include_usage {
        body["stream_options"] = json!({"include_usage": include});
    }
    body
}

async fn read_stream(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    sse_data(&response.text().await.unwrap())
}

#[tokio::test]
async fn usage_is_requested_upstream_but_hidden_from_clients_that_did_not_ask() {
    let (gateway, fake) = gateway_and_fake().await;
    let events = read_stream(
        gateway
            .post("/v1/chat/completions", &stream_body("gpt-4o-mini", None))
            .await,
    )
    .await;
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert!(events.len() > 3);
    for event in &events[..events.len() - 1] {
        let chunk: Value = serde_json::from_str(event).unwrap();
        assert_ne!(
            chunk["choices"],
            json!([]),
            "usage-only chunk leaked: {event}"
        );
    }
    let sent = fake.last_request().unwrap().json();
    assert_eq!(sent["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn usage_chunk_reaches_clients_that_asked() {
    let (gateway, _fake) = gateway_and_fake().await;
    let events = read_stream(
        gateway
            .post(
                "/v1/chat/completions",
                &stream_body("gpt-4o-mini", Some(true)),
            )
            .await,
    )
    .await;
    let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert!(usage_chunk["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn enforcement_off_leaves_the_request_alone() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("ENFORCE_RETURNING_USAGE_DATA".into(), "false".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let events = read_stream(
        gateway
            .post("/v1/chat/completions", &stream_body("gpt-4o-mini", None))
            .await,
    )
    .await;
    assert_eq!(events.last().unwrap(), "[DONE]");
    assert!(
        fake.last_request()
            .unwrap()
            .json()
            .get("stream_options")
            .is_none()
    );
}

#[tokio::test]
async fn events_are_relayed_as_they_arrive() {
    let fake = fake_with(FakeOptions {
        chunk_delay: Duration::from_millis(150),
        stream_chunks: Some(6),
        ..FakeOptions::default()
    })
    .await;
    let gateway = TestGateway::start(&as_refs(&openai_env(&fake))).await;
    let started = Instant::now();
    let response = gateway
        .post("/v1/chat/completions", &stream_body("gpt-4o-mini", None))
        .await;
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    let mut rest = Vec::new();
    while let Some(chunk) = body.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    let total = started.elapsed();
    assert!(String::from_utf8_lossy(&rest).ends_with("data: [DONE]\n\n"));
    assert!(
        total >= Duration::from_millis(600),
        "stream was not paced: {total:?}"
    );
    assert!(
        first_at + Duration::from_millis(400) < total,
        "first event came late: {first_at:?} of {total:?}"
    );
}

#[tokio::test]
async fn upstream_drop_mid_stream_ends_with_an_error_event() {
    let (gateway, _fake) = gateway_and_fake().await;
    let response = gateway
        .post(
            "/v1/chat/completions",
            &stream_body("openai/fake-drop-2", None),
        )
        .await;
    let events = tokio::time::timeout(Duration::from_secs(10), read_stream(response))
        .await
        .expect("stream hung");
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "stream_interrupted", "{events:?}");
    assert!(!events.iter().any(|e| e == "[DONE]"));
}

#[tokio::test]
async fn garbage_and_error_events_are_reported() {
    let (gateway, _fake) = gateway_and_fake().await;
    let events = read_stream(
        gateway
            .post(
                "/v1/chat/completions",
                &stream_body("openai/fake-garbage", None),
            )
            .await,
    )
    .await;
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "invalid_provider_response");

    let events = read_stream(
        gateway
            .post(
                "/v1/chat/completions",
                &stream_body("openai/fake-error-event", None),
            )
            .await,
    )
    .await;
    assert!(
        events.iter().any(|e| e.contains("mid-stream failure")),
        "{events:?}"
    );
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_stream() {
    let (gateway, fake) = gateway_and_fake().await;
    let response = gateway
        .post(
            "/v1/chat/completions",
            &stream_body("openai/fake-stall", None),
        )
        .await;
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(!first.is_empty());
    drop(body);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.cancelled_streams() == 0 {
        assert!(
            Instant::now() < deadline,
            "upstream stream was not cancelled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn streamed_tool_calls_pass_through() {
    let (gateway, _fake) = gateway_and_fake().await;
    let mut body = stream_body("gpt-4o-mini", None);
    body["tools"] = json!([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]);
    let events = read_stream(gateway.post("/v1/chat/completions", &body).await).await;
    let joined = events.join("\n");
    assert!(
        joined.contains("tool_calls") && joined.contains("\"finish_reason\":\"tool_calls\""),
        "{joined}"
    );
}

#[tokio::test]
async fn http_timeout_bounds_a_stalled_stream_and_a_stalled_answer() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("HTTP_TIMEOUT".into(), "1s".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let started = Instant::now();
    let response = gateway
        .post(
            "/v1/chat/completions",
            &stream_body("openai/fake-stall", None),
        )
        .await;
    let events = tokio::time::timeout(Duration::from_secs(10), read_stream(response))
        .await
        .expect("stream hung");
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "stream_interrupted", "{events:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("openai/fake-stall"))
            .await,
        504,
    )
    .await;
    assert_eq!(error["code"], "request_timeout");
}
