//! `…/echo` and `…/binary`: what the gateway's passthrough tests read back.

use gomodel_fake_upstream::FakeUpstream;
use serde_json::json;

use crate::client::send;

#[tokio::test]
async fn echo_returns_what_arrived_for_every_method() {
    let fake = FakeUpstream::start().await.unwrap();
    for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
        let body = format!("{{\"method\":\"{method}\",\"ü\":1}}");
        let headers = [
            ("X-Custom", "a"),
            ("x-custom", "b"),
            ("Authorization", "Bearer t"),
        ];
        let response = send(
            fake.addr(),
            method,
            "/v1/some/deep/echo?alpha=1&beta=two",
            &headers,
            body.as_bytes(),
        )
        .await
        .unwrap();
        assert_eq!(response.status, 200, "{method}");
        assert_eq!(response.header("x-fake-echo"), Some("1"));
        assert_eq!(response.header("content-type"), Some("application/json"));
        let echo = response.json();
        assert_eq!(echo["method"], method);
        assert_eq!(echo["path"], "/v1/some/deep/echo");
        assert_eq!(echo["query"], "alpha=1&beta=two");
        assert_eq!(echo["body"], body);
        let headers = echo["headers"].as_object().unwrap();
        assert_eq!(headers["x-custom"], "a, b", "repeated headers are joined");
        assert_eq!(headers["authorization"], "Bearer t");
        assert_eq!(headers["host"], "fake");
        assert_eq!(headers["content-length"], body.len().to_string());
        assert!(headers.keys().all(|n| *n == n.to_ascii_lowercase()));
    }
    assert_eq!(fake.request_count(), 5, "echo requests are counted");
    assert_eq!(fake.last_request().unwrap().method, "PATCH");
}

#[tokio::test]
async fn echo_without_query_or_body() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = send(fake.addr(), "GET", "/echo", &[], b"").await.unwrap();
    let echo = response.json();
    assert!(echo["query"].is_null());
    assert_eq!(echo["body"], "");
    assert_eq!(echo["path"], "/echo");
    assert!(echo["headers"].is_object());
    let other = send(fake.addr(), "GET", "/v1/echoes", &[], b"")
        .await
        .unwrap();
    assert_eq!(other.status, 404);
    assert_eq!(
        other.json()["error"]["type"],
        json!("invalid_request_error")
    );
}

#[tokio::test]
async fn binary_answers_every_byte_value() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = send(fake.addr(), "GET", "/v1/files/x/binary", &[], b"")
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );
    assert_eq!(response.header("content-length"), Some("256"));
    let expected: Vec<u8> = (0..=255).collect();
    assert_eq!(response.body, expected);
    let post = send(fake.addr(), "POST", "/v1/binary", &[], b"")
        .await
        .unwrap();
    assert_eq!(post.status, 404, "binary is GET only");
}
