//! `/p/{provider}/...`: bytes both ways, credentials swapped, instances by name.

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::harness::*;

async fn start_gateway(
    extra: &[(&str, &str)],
) -> (
    TestGateway,
    gomodel_fake_upstream::FakeUpstream,
    gomodel_fake_upstream::FakeUpstream,
) {
    let main = fake().await;
    let east = fake().await;
    let (m, e) = (
        format!("{}/v1", main.base_url()),
        format!("{}/v1", east.base_url()),
    );
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
        ("ANTHROPIC_BASE_URL", m.as_str()),
        ("OPENAI_API_KEY", "sk-main-aaaaaaaaaaaaaaaa"),
        ("OPENAI_BASE_URL", m.as_str()),
        ("OPENAI_EAST_API_KEY", "sk-east-bbbbbbbbbbbbbbbb"),
        ("OPENAI_EAST_BASE_URL", e.as_str()),
        ("GROQ_API_KEY", PROVIDER_KEY),
        ("GROQ_BASE_URL", m.as_str()),
    ];
    env.extend_from_slice(extra);
    (TestGateway::start(&env).await, main, east)
}

#[tokio::test]
async fn anthropic_messages_pass_through_with_the_provider_key() {
    let (gateway, fake, _) = start_gateway(&[]).await;
    let body = json!({"model": "claude-sonnet-4-5", "max_tokens": 10, "stream": true, "messages": [{"role": "user", "content": "Hi"}]});
    for path in ["/p/anthropic/messages", "/p/anthropic/v1/messages"] {
        let response = gateway
            .client
            .post(gateway.url(path))
            .header("x-api-key", MASTER_KEY)
            .header("anthropic-beta", "prompt-caching-2024-07-31")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let text = response.text().await.unwrap();
        assert!(
            text.starts_with("event: message_start") && text.contains("event: message_stop"),
            "{text}"
        );
        let sent = fake.last_request().unwrap();
        assert_eq!(sent.path, "/v1/messages");
        assert_eq!(sent.header("x-api-key"), Some(PROVIDER_KEY));
        assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(
            sent.header("anthropic-beta"),
            Some("prompt-caching-2024-07-31")
        );
        assert_eq!(sent.json(), body);
    }
}

#[tokio::test]
async fn instances_are_reached_by_name_and_bytes_cross_untouched() {
    let (gateway, main, east) = start_gateway(&[]).await;
    let raw = "{\"exact\":  \"bytes\", \"n\": 1.50}";
    let response = gateway
        .client
        .post(gateway.url("/p/openai-east/echo?x=1&y=two"))
        .bearer_auth(MASTER_KEY)
        .header("content-type", "application/json")
        .header("x-custom", "kept")
        .header("cookie", "session=secret")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-fake-echo"], "1");
    let echo: Value = response.json().await.unwrap();
    assert_eq!(echo["body"], raw);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["query"], "x=1&y=two");
    assert_eq!(
        echo["headers"]["authorization"],
        "Bearer sk-east-bbbbbbbbbbbbbbbb"
    );
    assert_eq!(echo["headers"]["x-custom"], "kept");
    assert!(echo["headers"].get("cookie").is_none());
    assert!(main.received().iter().all(|r| !r.path.ends_with("/echo")));
    assert_eq!(east.last_request().unwrap().path, "/v1/echo");

    let binary = gateway
        .client
        .get(gateway.url("/p/openai/binary"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(binary.headers()["content-type"], "application/octet-stream");
    let mut bytes = Vec::new();
    let mut stream = binary.bytes_stream();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(bytes, (0..=255u8).collect::<Vec<_>>());
}

#[tokio::test]
async fn upstream_errors_are_preserved_and_policy_errors_are_clear() {
    let (gateway, _main, _east) = start_gateway(&[]).await;
    let response = gateway
        .client
        .post(gateway.url("/p/openai/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&json!({"model": "fake-error-429", "messages": [{"role": "user", "content": "x"}]}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response.headers().get("retry-after").cloned();
    let text = response.text().await.unwrap();
    assert_eq!(status, 429, "{text}");
    assert!(retry_after.is_some());
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body["error"]["code"], "rate_limit_exceeded",
        "upstream body must be preserved: {body}"
    );

    let disabled = gateway
        .client
        .get(gateway.url("/p/groq/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    let error = expect_error(disabled, 400).await;
    assert_eq!(error["code"], "passthrough_disabled");
    let unknown = gateway
        .client
        .get(gateway.url("/p/nowhere/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(unknown, 400).await["code"], "unknown_provider");
    let unauthenticated = gateway
        .client
        .get(gateway.url("/p/openai/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);

    let (no_alias, _main2, _east2) = start_gateway(&[
        ("ALLOW_PASSTHROUGH_V1_ALIAS", "false"),
        ("ENABLED_PASSTHROUGH_PROVIDERS", "openai,groq"),
    ])
    .await;
    let response = no_alias
        .client
        .get(no_alias.url("/p/openai/v1/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(response, 400).await["code"],
        "passthrough_v1_alias_disabled"
    );
    let groq = no_alias
        .client
        .get(no_alias.url("/p/groq/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(groq.status(), 200);
    let (off, _main3, _east3) = start_gateway(&[("ENABLE_PASSTHROUGH_ROUTES", "false")]).await;
    let response = off
        .client
        .get(off.url("/p/openai/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}
