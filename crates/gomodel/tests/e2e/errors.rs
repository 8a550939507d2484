//! Bad input and failing providers: every answer is an OpenAI error envelope with the right
//! status, and nothing hangs.

use std::time::Duration;

use serde_json::json;

use crate::harness::*;

async fn post_raw(
    gateway: &TestGateway,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_requests_get_clear_400s() {
    let (gateway, fake) = gateway_and_fake().await;
    let cases: [(&str, &str, Option<&str>); 9] = [
        ("{not json", "invalid_json", None),
        ("[1,2]", "invalid_json", None),
        ("", "invalid_json", None),
        (
            r#"{"messages":[{"role":"user","content":"x"}]}"#,
            "missing_required_parameter",
            Some("model"),
        ),
        (
            r#"{"model":42,"messages":[]}"#,
            "invalid_type",
            Some("model"),
        ),
        (
            r#"{"model":"gpt-4o"}"#,
            "missing_required_parameter",
            Some("messages"),
        ),
        (
            r#"{"model":"gpt-4o","messages":[]}"#,
            "invalid_value",
            Some("messages"),
        ),
        (
            r#"{"model":"gpt-4o","messages":"hi"}"#,
            "invalid_type",
            Some("messages"),
        ),
        (
            r#"{"model":"gpt-4o","messages":[{}],"stream":"yes"}"#,
            "invalid_type",
            Some("stream"),
        ),
    ];
    for (body, code, param) in cases {
        let error = expect_error(post_raw(&gateway, "application/json", body).await, 400).await;
        assert_eq!(error["code"], code, "{body}");
        assert_eq!(error["type"], "invalid_request_error");
        assert_eq!(error["param"].as_str(), param, "{body}");
    }
    assert_eq!(fake.request_count_chat(), 0);
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let (gateway, _fake) = gateway_and_fake().await;
    let error = expect_error(post_raw(&gateway, "text/plain", "hello").await, 415).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("BODY_SIZE_LIMIT".into(), "2K".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let big =
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x".repeat(4096)}]})
            .to_string();
    let error = expect_error(
        post_raw(&gateway, "application/json", big.clone()).await,
        413,
    )
    .await;
    assert_eq!(error["code"], "request_too_large");
    // Without Content-Length (chunked), the limit still holds.
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let error = expect_error(
        post_raw(
            &gateway,
            "application/json",
            reqwest::Body::wrap_stream(stream),
        )
        .await,
        413,
    )
    .await;
    assert_eq!(error["code"], "request_too_large");
}

#[tokio::test]
async fn unknown_models_say_how_to_list_models() {
    let (gateway, _fake) = gateway_and_fake().await;
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("no-such-model"))
            .await,
        400,
    )
    .await;
    assert_eq!(error["code"], "model_not_found");
    assert!(error["message"].as_str().unwrap().contains("/v1/models"));
    let mut body = chat_body("gpt-4o");
    body["provider"] = json!("nowhere");
    let error = expect_error(gateway.post("/v1/chat/completions", &body).await, 400).await;
    assert_eq!(error["code"], "unknown_provider");
}

#[tokio::test]
async fn upstream_errors_keep_their_meaning() {
    let (gateway, _fake) = gateway_and_fake().await;
    for (model, status, error_type) in [
        ("openai/fake-error-400", 400, "invalid_request_error"),
        ("openai/fake-error-401", 401, "authentication_error"),
        ("openai/fake-error-403", 403, "authentication_error"),
        ("openai/fake-error-404", 404, "not_found_error"),
        ("openai/fake-error-429", 429, "rate_limit_error"),
        ("openai/fake-error-500", 500, "provider_error"),
        ("openai/fake-error-503", 503, "provider_error"),
    ] {
        let response = gateway
            .post("/v1/chat/completions", &chat_body(model))
            .await;
        let retry_after = response.headers().get("retry-after").cloned();
        let error = expect_error(response, status).await;
        assert_eq!(error["type"], error_type, "{model}");
        let text = error.to_string();
        assert!(
            !text.contains(PROVIDER_KEY) && !text.contains("sk-test"),
            "key leaked: {text}"
        );
        if status == 429 {
            assert!(retry_after.is_some(), "Retry-After not passed on");
        }
    }
}

#[tokio::test]
async fn unreachable_and_garbage_providers_are_502() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = listener.local_addr().unwrap();
    drop(listener);
    let env = [
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_MODELS", "gpt-4o"),
    ];
    let base = format!("http://{dead}/v1");
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("OPENAI_BASE_URL", &base));
    let gateway = TestGateway::start(&env).await;
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("openai/gpt-4o"))
            .await,
        502,
    )
    .await;
    assert_eq!(error["code"], "provider_unreachable");
    assert!(!error.to_string().contains(PROVIDER_KEY));

    let (gateway, _fake) = gateway_and_fake().await;
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("openai/fake-garbage"))
            .await,
        502,
    )
    .await;
    assert_eq!(error["code"], "invalid_provider_response");
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("openai/fake-drop-0"))
            .await,
        502,
    )
    .await;
    assert_eq!(error["type"], "provider_error");
}

#[tokio::test]
async fn slow_providers_hit_the_header_timeout() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("HTTP_RESPONSE_HEADER_TIMEOUT".into(), "300ms".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let started = std::time::Instant::now();
    let error = expect_error(
        gateway
            .post("/v1/chat/completions", &chat_body("openai/fake-slow-3000"))
            .await,
        504,
    )
    .await;
    assert_eq!(error["code"], "request_timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn openrouter_errors_are_unwrapped() {
    let fake = fake().await;
    let base = format!("{}/api/v1", fake.base_url());
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENROUTER_API_KEY", PROVIDER_KEY),
        ("OPENROUTER_BASE_URL", &base),
    ])
    .await;
    let error = expect_error(
        gateway
            .post(
                "/v1/chat/completions",
                &chat_body("openrouter/fake-openrouter-error"),
            )
            .await,
        502,
    )
    .await;
    assert_eq!(error["message"], "upstream model overloaded");
}

trait ChatCount {
    fn request_count_chat(&self) -> usize;
}

impl ChatCount for gomodel_fake_upstream::FakeUpstream {
    fn request_count_chat(&self) -> usize {
        self.received()
            .iter()
            .filter(|r| r.path.ends_with("/chat/completions"))
            .count()
    }
}
