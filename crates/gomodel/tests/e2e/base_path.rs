//! BASE_PATH mounts every route under a prefix.

use crate::harness::*;

#[tokio::test]
async fn routes_live_under_the_base_path() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    env.push(("BASE_PATH".into(), "/gateway/".into()));
    let gateway = TestGateway::start(&as_refs(&env)).await;
    assert_eq!(
        gateway
            .client
            .get(gateway.url("/gateway/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = gateway
        .client
        .post(gateway.url("/gateway/v1/chat/completions"))
        .bearer_auth(MASTER_KEY)
        .json(&chat_body("gpt-4o-mini"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let outside = gateway
        .client
        .get(gateway.url("/v1/models"))
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(outside, 404).await["type"], "not_found_error");
}
