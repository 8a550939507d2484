//! The operator surface: the admin API routes added for the dashboard (runtime flags,
//! provider status, refresh, model inventory), who may call the admin API (every operation
//! needs the key; without one, local clients only), its 400s for bad parameters, readiness,
//! and the OpenAPI document, whose every route must exist.

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
    // Swagger UI must not send the document to validator.swagger.io.
    let init = gateway
        .client
        .get(gateway.url("/swagger/init.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("validatorUrl: null"), "{init}");
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

async fn openapi(gateway: &TestGateway) -> Value {
    gateway
        .client
        .get(gateway.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every admin operation the document lists (method, path).
fn admin_operations(doc: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/admin/api/v1/") {
            continue;
        }
        for (method, _) in item.as_object().unwrap() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

/// With a master key, every admin operation in `/openapi.json` answers 401 in the OpenAI
/// envelope to a request without the key and to one with a wrong key, before looking at
/// anything else the request says.
#[tokio::test]
async fn every_admin_operation_needs_the_master_key() {
    let (gateway, _fake) = gateway_and_fake().await;
    let operations = admin_operations(&openapi(&gateway).await);
    assert!(operations.len() >= 17, "{operations:?}");
    for (method, path) in &operations {
        let request = |key: Option<&str>| {
            let mut request = gateway
                .client
                .request(method.parse().unwrap(), gateway.url(path))
                .json(&json!({"confirm": "recalculate"}));
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request
        };
        for (key, code) in [
            (None, "missing_authorization"),
            (Some("gm-wrong-key"), "invalid_api_key"),
        ] {
            let response = request(key).send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with key {key:?}");
            let error = expect_error(response, 401).await;
            assert_eq!(error["type"], "authentication_error", "{method} {path}");
            assert_eq!(error["code"], code, "{method} {path}");
        }
    }
}

/// Without a master key the admin API serves loopback clients that addressed the gateway by a
/// loopback name and came through no proxy; anything else is a 403 that says how to set a key.
#[tokio::test]
async fn without_a_master_key_only_local_clients_may_use_admin() {
    let gateway = TestGateway::start(&[]).await;
    let url = gateway.url("/admin/api/v1/dashboard/config");
    let port = gateway.gateway.as_ref().unwrap().local_addr().port();
    let plain = gateway.client.get(&url).send().await.unwrap();
    assert_eq!(plain.status(), 200);
    let flags: Value = plain.json().await.unwrap();
    assert_eq!(flags["master_key_set"], false);
    let localhost = gateway
        .client
        .get(&url)
        .header("host", format!("localhost:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(localhost.status(), 200, "localhost is a loopback name");
    for (header, value) in [
        ("x-forwarded-for", "203.0.113.7".to_owned()),
        ("forwarded", "for=203.0.113.7".to_owned()),
        ("x-real-ip", "203.0.113.7".to_owned()),
        ("host", "example.com".to_owned()),
        ("host", format!("example.com:{port}")),
        ("host", format!("localhost.example.com:{port}")),
    ] {
        let response = gateway
            .client
            .get(&url)
            .header(header, &value)
            .send()
            .await
            .unwrap();
        let error = expect_error(response, 403).await;
        assert_eq!(
            error["code"], "admin_requires_master_key",
            "{header}: {value}"
        );
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("GOMODEL_MASTER_KEY")
        );
    }
}

/// Each admin route that takes parameters answers a bad one with a 400 in the OpenAI envelope
/// naming it: values it cannot use, a query string it cannot parse (a parameter given twice,
/// an unknown one where unknown ones are refused) and JSON bodies of the wrong shape. The
/// routes without parameters (storage/status, dashboard/config, providers/status,
/// runtime/refresh, models/categories, GET model-pricing-overrides) have no 400 to give.
#[tokio::test]
async fn bad_parameters_get_a_json_400_naming_them() {
    let (gateway, _fake) = gateway_and_fake().await;
    for (path, param) in [
        ("/usage/summary?days=0", "days"),
        ("/usage/summary?days=1&days=2", "days"),
        ("/usage/daily?interval=hourly", "interval"),
        ("/usage/models?start_date=2026-13-01", "start_date"),
        (
            "/usage/models?start_date=2026-02-01&end_date=2026-01-01",
            "start_date",
        ),
        ("/usage/user-paths?user_path=/team/../other", "user_path"),
        ("/usage/user-paths?end_date=tomorrow", "end_date"),
        ("/usage/log?offset=-1", "offset"),
        ("/usage/log?limit=1&limit=2", "limit"),
        ("/audit/log?status_code=abc", "status_code"),
        ("/audit/log?stream=maybe", "stream"),
        ("/audit/log?limit=0", "limit"),
        ("/audit/conversation", "log_id"),
        ("/audit/conversation?log_id=x&limit=0", "limit"),
        ("/audit/conversation?log_id=x&limit=201", "limit"),
        ("/models?category=nope", "category"),
        ("/models?colour=red", "colour"),
    ] {
        let response = gateway.get(&format!("/admin/api/v1{path}")).await;
        assert_eq!(response.status(), 400, "{path}");
        let error = expect_error(response, 400).await;
        assert_eq!(error["param"], param, "{path}: {error}");
        assert_eq!(error["type"], "invalid_request_error", "{path}");
    }

    let overrides = gateway.url("/admin/api/v1/model-pricing-overrides");
    let delete = gateway
        .client
        .delete(&overrides)
        .bearer_auth(MASTER_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(expect_error(delete, 400).await["param"], "selector");

    let put = |body: &'static str, content_type: &'static str| {
        gateway
            .client
            .put(&overrides)
            .bearer_auth(MASTER_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let json = "application/json";
    for (body, param) in [
        (
            r#"{"selector": "openai/gpt-4o", "pricing": "cheap"}"#,
            "pricing",
        ),
        (r#"{"pricing": {}}"#, "selector"),
        (r#"{"selector": "openai/gpt-4o""#, "body"),
        (r#"{"selector": "a/b/c/", "pricing": {}}"#, "selector"),
        (r#"{"selector": "openai/gpt-4o", "pricing": {}}"#, "pricing"),
    ] {
        let response = put(body, json).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error = expect_error(response, 400).await;
        assert_eq!(error["param"], param, "{body}: {error}");
    }
    let form = put(
        "selector=openai/gpt-4o",
        "application/x-www-form-urlencoded",
    )
    .await
    .unwrap();
    assert_eq!(
        expect_error(form, 415).await["code"],
        "unsupported_content_type"
    );

    for (body, param) in [
        (json!({"confirm": 1}), "confirm"),
        (json!({"confirm": "yes"}), "confirm"),
        (json!({"confirm": "recalculate", "days": 0}), "days"),
        (json!({"confirm": "recalculate", "days": [7]}), "days"),
        (
            json!({"confirm": "recalculate", "start_date": "soon"}),
            "start_date",
        ),
    ] {
        let response = gateway
            .post("/admin/api/v1/usage/recalculate-pricing", &body)
            .await;
        assert_eq!(response.status(), 400, "{body}");
        let error = expect_error(response, 400).await;
        assert_eq!(error["param"], param, "{body}: {error}");
    }
    // `days` may be a JSON number as well as a string.
    let days = gateway
        .post(
            "/admin/api/v1/usage/recalculate-pricing",
            &json!({"confirm": "recalculate", "days": 7}),
        )
        .await;
    assert_eq!(days.status(), 200);
}
