//! The master key guards every /v1 route; /health stays open; no key ever reaches a client.

use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn v1_routes_require_the_master_key() {
    let (gateway, fake) = gateway_and_fake().await;
    let url = gateway.url("/v1/chat/completions");
    let body = chat_body("gpt-4o-mini");

    let missing = gateway.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(
        expect_error(missing, 401).await["code"],
        "missing_authorization"
    );
    let wrong = gateway
        .client
        .post(&url)
        .bearer_auth("nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(wrong, 401).await["type"],
        "authentication_error"
    );
    let basic = gateway
        .client
        .post(&url)
        .header("authorization", "Basic abc")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(basic, 401).await["code"],
        "invalid_authorization"
    );
    let models = gateway
        .client
        .get(gateway.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 401);
    assert!(
        fake.received()
            .iter()
            .all(|r| !r.path.ends_with("/chat/completions"))
    );

    let ok = gateway
        .client
        .post(&url)
        .bearer_auth(MASTER_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let upstream = fake.last_request().unwrap();
    let headers = format!("{:?}", upstream.headers);
    assert!(
        !headers.contains(MASTER_KEY),
        "client's gateway key went upstream: {headers}"
    );

    let health = gateway
        .client
        .get(gateway.url("/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn without_a_master_key_requests_are_open() {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let gateway =
        TestGateway::start(&[("OPENAI_API_KEY", PROVIDER_KEY), ("OPENAI_BASE_URL", &base)]).await;
    let response = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .json(&chat_body("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn no_providers_gives_an_error_naming_the_variables() {
    let gateway = TestGateway::start(&[]).await;
    assert_eq!(
        gateway
            .client
            .get(gateway.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = gateway
        .client
        .post(gateway.url("/v1/chat/completions"))
        .json(&chat_body("gpt-4o"))
        .send()
        .await
        .unwrap();
    let error = expect_error(response, 503).await;
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("OPENAI_API_KEY") && message.contains("config.yaml"),
        "{message}"
    );
    let response = gateway
        .client
        .get(gateway.url("/v1/models"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_error(response, 503).await["code"],
        "no_providers_configured"
    );
}
