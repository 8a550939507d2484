//! What the fake keeps about the requests it saw, and its counters.

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::json;

use crate::client::{get, post, send};

#[tokio::test]
async fn requests_are_recorded_with_lowercase_headers_and_body() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = br#"{"model":"m","messages":[]}"#;
    let headers = [
        ("Authorization", "Bearer sk-test"),
        ("X-Custom-Thing", "42"),
    ];
    send(
        fake.addr(),
        "POST",
        "/v1/chat/completions?trace=1",
        &headers,
        body,
    )
    .await
    .unwrap();

    let request = fake.last_request().unwrap();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.query.as_deref(), Some("trace=1"));
    assert_eq!(&request.body[..], body);
    assert_eq!(request.json()["model"], "m");
    assert!(
        request
            .headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == "Bearer sk-test")
    );
    assert!(
        request
            .headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(request.header("x-custom-thing"), Some("42"));
    assert_eq!(request.header("X-CUSTOM-THING"), Some("42"));
    assert_eq!(request.header("missing"), None);
    assert_eq!(fake.received().len(), 1);
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn non_json_bodies_read_as_null() {
    let fake = FakeUpstream::start().await.unwrap();
    send(
        fake.addr(),
        "POST",
        "/v1/chat/completions",
        &[],
        b"not json",
    )
    .await
    .unwrap();
    assert!(fake.last_request().unwrap().json().is_null());
}

#[tokio::test]
async fn control_endpoints_are_not_counted_and_clear_resets() {
    let fake = FakeUpstream::start().await.unwrap();
    post(fake.addr(), "/v1/chat/completions", &json!({"model": "m"})).await;
    post(
        fake.addr(),
        "/v1/embeddings",
        &json!({"model": "e", "input": "x"}),
    )
    .await;
    get(fake.addr(), "/health").await;
    let stats = get(fake.addr(), "/__stats").await.json();
    assert_eq!(
        stats,
        json!({"requests": 2, "cancelled_streams": 0, "token_requests": 0, "aws_credential_requests": 0})
    );
    assert_eq!(fake.request_count(), 2);
    let paths: Vec<String> = fake.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/chat/completions", "/v1/embeddings"]);

    fake.clear();
    assert_eq!(fake.request_count(), 0);
    assert!(fake.received().is_empty());
    assert!(fake.last_request().is_none());
}

#[tokio::test]
async fn record_off_counts_but_keeps_nothing() {
    let options = FakeOptions {
        record: false,
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    for _ in 0..3 {
        post(fake.addr(), "/v1/chat/completions", &json!({"model": "m"})).await;
    }
    assert_eq!(fake.request_count(), 3);
    assert!(fake.received().is_empty());
    assert!(fake.last_request().is_none());
}
