//! The operator surface: the admin API routes added for the dashboard (runtime flags,
//! provider status, refresh, model inventory), readiness, and the OpenAPI document, whose
//! every route must exist.

use serde_json::{Value, json};

use crate::harness::*;

async fn admin_get(gateway: &TestGateway, path: &str) -> Value {
    let response = gateway.get(&format!("/admin/api/v1{path}")).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn provider_status_models_refresh_and_flags() {
    let (gateway, _fake) = gateway_and_fake().await;
    for _ in 0..3 {
        gateway
            .post("/v1/chat/completions", &chat_body("openai/gpt-4o-mini"))
            .await;
    }
    gateway
        .post("/v1/chat/completions", &chat_body("openai/fake-error-503"))
        .await;

    let status = admin_get(&gateway, "/providers/status").await;
    assert_eq!(status["summary"]["total"], 1, "{status}");
    let openai = &status["providers"][0];
    assert_eq!(openai["name"], "openai");
    assert_eq!(openai["runtime"]["recent_requests"], 4, "{openai}");
    assert_eq!(openai["runtime"]["recent_errors"], 1);
    assert_eq!(openai["status"], "degraded");
    assert!(openai["last_error"].as_str().is_some());
    assert!(
        openai["runtime"]["last_model_fetch_success_at"]
            .as_i64()
            .is_some()
    );
    let config = openai["config"].to_string();
    assert!(
        !config.contains(PROVIDER_KEY),
        "the key is masked: {config}"
    );

    let refresh: Value = gateway
        .post("/admin/api/v1/runtime/refresh", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(refresh["status"], "ok", "{refresh}");
    assert!(refresh["model_count"].as_u64().unwrap() > 0);
    assert_eq!(refresh["steps"][0]["name"], "model_list:openai");

    let models = admin_get(&gateway, "/models").await;
    let first = &models["models"][0];
    assert!(first["id"].as_str().unwrap().starts_with("openai/"));
    let priced = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "gpt-4o-mini")
        .unwrap();
    assert!(
        priced["pricing"]["input_per_mtok"].as_f64().unwrap() > 0.0,
        "{priced}"
    );
    let embeddings = admin_get(&gateway, "/models?category=embedding").await;
    assert!(
        embeddings["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["category"] == "embedding")
    );
    let categories = admin_get(&gateway, "/models/categories").await;
    assert_eq!(categories["categories"][0]["category"], "all");
    let error = expect_error(gateway.get("/admin/api/v1/models?category=nope").await, 400).await;
    assert_eq!(error["param"], "category");

    let flags = admin_get(&gateway, "/dashboard/config").await;
    assert_eq!(flags["master_key_set"], true);
    assert_eq!(flags["USAGE_ENABLED"], "on");

    for path in [
        "/providers/status",
        "/models",
        "/models/categories",
        "/dashboard/config",
    ] {
        let response = gateway
            .client
            .get(gateway.url(&format!("/admin/api/v1{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{path} needs the key");
    }
}

#[tokio::test]
async fn readiness_needs_providers_with_models() {
    let (gateway, _fake) = gateway_and_fake().await;
    // The first model list loads in the background.
    let mut ready = 0;
    for _ in 0..100 {
        let response = gateway
            .client
            .get(gateway.url("/health/ready"))
            .send()
            .await
            .unwrap();
        ready = response.status().as_u16();
        if ready == 200 {
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["checks"]["storage"]["ok"], true, "{body}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 200);

    let empty = TestGateway::start(&[("GOMODEL_MASTER_KEY", MASTER_KEY)]).await;
    let response = empty
        .client
        .get(empty.url("/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["checks"]["providers"]["ok"], false);
    assert_eq!(
        empty
            .client
            .get(empty.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

/// Every operation in `/openapi.json` answers (no 404 route-not-found, no 405), so the
/// document cannot list a route the gateway lacks; Swagger UI is served offline.
#[tokio::test]
async fn every_documented_route_exists() {
    let fake = fake().await;
    let mut env = openai_env(&fake);
    for (k, v) in [
        ("SWAGGER_ENABLED", "true"),
        ("METRICS_ENABLED", "true"),
        ("ADMIN_UI_ENABLED", "true"),
        ("PASSTHROUGH_ENABLED_PROVIDERS", "openai"),
    ] {
        env.push((k.into(), v.into()));
    }
    let gateway = TestGateway::start(&as_refs(&env)).await;
    let doc: Value = gateway
        .client
        .get(gateway.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{}", paths.len());
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            let url = gateway.url(
                &path
                    .replace("{provider}", "openai")
                    .replace("{endpoint}", "echo"),
            );
            let request = gateway
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .bearer_auth(MASTER_KEY)
                .header("x-api-key", MASTER_KEY)
                .json(&json!({}));
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert!(
                status != 405,
                "{method} {path} is not routed: {status} {body}"
            );
            assert!(
                !(status == 404 && body.contains("route_not_found")),
                "{method} {path} is documented but not routed: {body}"
            );
        }
    }
    let page = gateway
        .client
        .get(gateway.url("/swagger/index.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let bundle = gateway
        .client
        .get(gateway.url("/swagger/swagger-ui-bundle.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(bundle.status(), 200);
    assert!(
        bundle.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
}
