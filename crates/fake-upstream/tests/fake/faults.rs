//! Faults scripted through the model name, as the gateway's tests will use them.

use std::time::{Duration, Instant};

use gomodel_fake_upstream::FakeUpstream;
use serde_json::json;

use crate::client::{get, open, post, read_until, send};

#[tokio::test]
async fn error_models_answer_openais_error_vocabulary() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        (400, "invalid_request_error", "empty_array"),
        (401, "invalid_request_error", "invalid_api_key"),
        (
            403,
            "request_forbidden",
            "unsupported_country_region_territory",
        ),
        (404, "invalid_request_error", "model_not_found"),
        (429, "requests", "rate_limit_exceeded"),
        (500, "server_error", "server_error"),
        (503, "server_error", "service_unavailable"),
        (418, "invalid_request_error", "invalid_request_error"),
    ];
    for (status, kind, code) in cases {
        let model = format!("fake-error-{status}");
        for (path, body) in [
            (
                "/v1/chat/completions",
                json!({"model": model, "messages": []}),
            ),
            (
                "/v1/chat/completions",
                json!({"model": model, "stream": true}),
            ),
            ("/v1/embeddings", json!({"model": model, "input": "x"})),
        ] {
            let response = post(fake.addr(), path, &body).await;
            assert_eq!(response.status, status, "{model} {path}");
            let error = &response.json()["error"];
            assert_eq!(error["type"], kind, "{model}");
            assert_eq!(error["code"], code, "{model}");
            assert!(error["param"].is_null());
            assert!(!error["message"].as_str().unwrap().is_empty());
            let retry_after = response.header("retry-after");
            assert_eq!(retry_after.is_some(), status == 429, "{model}");
        }
    }
    let unauthorized = post(
        fake.addr(),
        "/v1/chat/completions",
        &json!({"model": "fake-error-401"}),
    )
    .await;
    let message = unauthorized.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("Incorrect API key provided: sk-"));
}

#[tokio::test]
async fn ollama_errors_are_plain_strings() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = post(
        fake.addr(),
        "/api/embed",
        &json!({"model": "fake-error-500", "input": "x"}),
    )
    .await;
    assert_eq!(response.status, 500);
    assert!(response.json()["error"].is_string());
}

#[tokio::test]
async fn openrouter_error_uses_its_wrapper() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = post(
        fake.addr(),
        "/api/v1/chat/completions",
        &json!({"model": "fake-openrouter-error"}),
    )
    .await;
    assert_eq!(response.status, 502);
    let error = &response.json()["error"];
    assert_eq!(error["message"], "Provider returned error");
    assert_eq!(error["code"], 502);
    assert_eq!(error["metadata"]["raw"], "upstream model overloaded");
    assert_eq!(error["metadata"]["provider_name"], "Fake");
}

#[tokio::test]
async fn slow_model_waits_then_answers() {
    let fake = FakeUpstream::start().await.unwrap();
    for (path, body) in [
        ("/v1/chat/completions", json!({"model": "fake-slow-200"})),
        (
            "/v1/embeddings",
            json!({"model": "fake-slow-200", "input": "x"}),
        ),
    ] {
        let started = Instant::now();
        let response = post(fake.addr(), path, &body).await;
        assert!(started.elapsed() >= Duration::from_millis(200), "{path}");
        assert_eq!(response.status, 200);
        assert_eq!(response.json()["model"], "fake-slow-200");
    }
}

#[tokio::test]
async fn garbage_model_answers_non_json() {
    let fake = FakeUpstream::start().await.unwrap();
    for (path, body) in [
        ("/v1/chat/completions", json!({"model": "fake-garbage"})),
        (
            "/v1/embeddings",
            json!({"model": "fake-garbage", "input": "x"}),
        ),
    ] {
        let response = post(fake.addr(), path, &body).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(response.text(), "<html>upstream exploded</html>");
    }
    let stream = json!({"model": "fake-garbage", "stream": true});
    let response = post(fake.addr(), "/v1/chat/completions", &stream).await;
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert_eq!(response.events(), ["<html>not json"]);
}

#[tokio::test]
async fn drop_model_resets_the_stream_after_n_events() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "fake-drop-3", "stream": true});
    let response = post(fake.addr(), "/v1/chat/completions", &request).await;
    assert_eq!(response.status, 200);
    assert!(
        !response.complete,
        "the body must end without its terminator"
    );
    let events = response.events();
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e != "[DONE]"));
    assert_eq!(
        fake.cancelled_streams(),
        0,
        "the fake's own abort is not a client cancel"
    );
}

#[tokio::test]
async fn drop_model_closes_without_answering_non_stream() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = serde_json::to_vec(&json!({"model": "fake-drop-0"})).unwrap();
    let response = send(fake.addr(), "POST", "/v1/chat/completions", &[], &body).await;
    assert!(
        response.is_none_or(|r| !r.complete),
        "no complete answer may arrive"
    );
}

#[tokio::test]
async fn error_event_model_fails_mid_stream() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "fake-error-event", "stream": true});
    let response = post(fake.addr(), "/v1/chat/completions", &request).await;
    let events = response.events();
    assert_eq!(events.len(), 3);
    let content: serde_json::Value = serde_json::from_str(&events[1]).unwrap();
    assert_eq!(content["choices"][0]["delta"]["content"], "Hello");
    let error: serde_json::Value = serde_json::from_str(&events[2]).unwrap();
    assert_eq!(error["error"]["message"], "mid-stream failure");
    assert_eq!(error["error"]["type"], "server_error");
}

#[tokio::test]
async fn stall_model_counts_a_cancel_when_the_client_leaves() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = serde_json::to_vec(&json!({"model": "fake-stall", "stream": true})).unwrap();
    let mut stream = open(fake.addr(), "POST", "/v1/chat/completions", &body).await;
    let seen = read_until(&mut stream, "\n\n").await;
    assert!(seen.contains("chat.completion.chunk"));
    assert_eq!(fake.cancelled_streams(), 0);
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.cancelled_streams() == 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned stream was never counted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.cancelled_streams(), 1);
    let stats = get(fake.addr(), "/__stats").await.json();
    assert_eq!(stats["cancelled_streams"], 1);
}

#[tokio::test]
async fn stall_model_never_answers_non_stream() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = serde_json::to_vec(&json!({"model": "fake-stall"})).unwrap();
    let mut stream = open(fake.addr(), "POST", "/v1/chat/completions", &body).await;
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(
        Duration::from_millis(300),
        tokio::io::AsyncReadExt::read(&mut stream, &mut buf),
    );
    assert!(read.await.is_err(), "nothing may arrive");
}
