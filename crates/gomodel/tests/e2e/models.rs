//! /v1/models: merged lists, configured-list modes, warm start from the cache file.

use std::time::Duration;

use gomodel_fake_upstream::FakeOptions;
use serde_json::Value;

use crate::harness::*;

async fn model_ids(gateway: &TestGateway) -> Vec<String> {
    let response = gateway.get("/v1/models").await;
    assert_eq!(response.status(), 200);
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["object"], "list");
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["object"], "model");
            m["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn lists_every_provider_as_provider_slash_model() {
    let a = fake_with(FakeOptions {
        models: Some(vec!["m-a".into(), "shared".into()]),
        ..FakeOptions::default()
    })
    .await;
    let b = fake_with(FakeOptions {
        models: Some(vec!["shared".into()]),
        ..FakeOptions::default()
    })
    .await;
    let (ua, ub) = (
        format!("{}/v1", a.base_url()),
        format!("{}/v1", b.base_url()),
    );
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", &ua),
        ("GROQ_API_KEY", PROVIDER_KEY),
        ("GROQ_BASE_URL", &ub),
    ])
    .await;
    let mut ids = model_ids(&gateway).await;
    ids.sort();
    assert_eq!(ids, ["groq/shared", "openai/m-a", "openai/shared"]);
    // The client's key never goes upstream on the model fetch either.
    assert_eq!(
        a.received()[0].header("authorization"),
        Some(format!("Bearer {PROVIDER_KEY}").as_str())
    );
}

#[tokio::test]
async fn configured_lists_fall_back_or_restrict() {
    let fake = fake_with(FakeOptions {
        models: Some(vec!["upstream-model".into()]),
        ..FakeOptions::default()
    })
    .await;
    let base = format!("{}/v1", fake.base_url());
    let env = [
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_MODELS", "configured-a,configured-b"),
    ];
    // fallback (default): the upstream list wins when the fetch works.
    let gateway = TestGateway::start(&env).await;
    assert_eq!(model_ids(&gateway).await, ["openai/upstream-model"]);
    // allowlist: only the configured list, and /models is not called.
    fake.clear();
    let mut allow = env.to_vec();
    allow.push(("CONFIGURED_PROVIDER_MODELS_MODE", "allowlist"));
    let gateway = TestGateway::start(&allow).await;
    assert_eq!(
        model_ids(&gateway).await,
        ["openai/configured-a", "openai/configured-b"]
    );
    assert!(fake.received().iter().all(|r| !r.path.ends_with("/models")));
    // fallback with a failing upstream: the configured list.
    let mut failing = env.to_vec();
    failing.retain(|(k, _)| *k != "OPENAI_BASE_URL");
    failing.push(("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"));
    let gateway = TestGateway::start(&failing).await;
    assert_eq!(
        model_ids(&gateway).await,
        ["openai/configured-a", "openai/configured-b"]
    );
}

#[tokio::test]
async fn a_restart_serves_the_cached_list_while_the_provider_is_down() {
    let fake = fake_with(FakeOptions {
        models: Some(vec!["cached-model".into()]),
        ..FakeOptions::default()
    })
    .await;
    let base = format!("{}/v1", fake.base_url());
    let env = [
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    let gateway = TestGateway::start(&env).await;
    assert_eq!(model_ids(&gateway).await, ["openai/cached-model"]);
    let cache_dir = gateway.stop().await;
    assert!(cache_dir.path().join("models.json").is_file());
    drop(fake);

    // Same name and type, provider now unreachable: the cached list is served at once.
    let env = [
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", "http://127.0.0.1:9/v1"),
    ];
    let started = std::time::Instant::now();
    let gateway = TestGateway::start_with_cache(&env, cache_dir).await;
    assert_eq!(model_ids(&gateway).await, ["openai/cached-model"]);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn refresh_interval_refetches_model_lists() {
    let fake = fake_with(FakeOptions {
        models: Some(vec!["first".into()]),
        ..FakeOptions::default()
    })
    .await;
    let base = format!("{}/v1", fake.base_url());
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", &base),
        ("CACHE_REFRESH_INTERVAL", "200ms"),
    ])
    .await;
    assert_eq!(model_ids(&gateway).await, ["openai/first"]);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let fetches = fake
        .received()
        .iter()
        .filter(|r| r.path.ends_with("/models"))
        .count();
    assert!(fetches >= 3, "expected periodic refreshes, saw {fetches}");
}

/// A tiny HTTP/1.1 server answering every request whose path ends with one of `routes`' suffixes
/// with that JSON body (404 otherwise): for lists the fake does not serve (OpenRouter's, the
/// ai-model-list registry).
async fn serve_json(routes: Vec<(&'static str, String)>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("");
                let path = path.split('?').next().unwrap_or("");
                let (status, body) = match routes.iter().find(|(suffix, _)| path.ends_with(suffix))
                {
                    Some((_, body)) => ("200 OK", body.clone()),
                    None => ("404 Not Found", "{}".to_owned()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}")
}

/// The admin model list fills `context_window` and `max_output_tokens` from the provider's own
/// list (OpenRouter's `context_length` and `top_provider.max_completion_tokens`) and, where it
/// is silent, from the `MODEL_LIST_URL` registry, field by field; `null` when neither knows.
#[tokio::test]
async fn admin_models_show_limits_from_the_list_then_the_registry() {
    let openrouter_list = serde_json::json!({"data": [
        {"id": "openai/gpt-4o-mini", "context_length": 128000,
         "top_provider": {"context_length": 128000, "max_completion_tokens": 16384}},
        {"id": "anthropic/claude-sonnet-4.5", "context_length": 1000000},
        {"id": "meta-llama/llama-3.3-70b-instruct"},
        {"id": "acme/unknown"}
    ]})
    .to_string();
    let registry = serde_json::json!({
        "version": 1, "providers": {},
        "models": {
            "llama-3.3-70b": {"context_window": 131072, "max_output_tokens": 8192},
            "claude-sonnet-4-5": {"context_window": 200000, "max_output_tokens": 64000},
            "gpt-4o-mini": {"context_window": 1, "max_output_tokens": 1}
        },
        "provider_models": {
            "openrouter/meta-llama/llama-3.3-70b-instruct": {"model_ref": "llama-3.3-70b"},
            "openrouter/anthropic/claude-sonnet-4.5": {"model_ref": "claude-sonnet-4-5"},
            "openrouter/openai/gpt-4o-mini": {"model_ref": "gpt-4o-mini"}
        }
    })
    .to_string();
    let server = serve_json(vec![
        ("/api/v1/models", openrouter_list),
        ("/ai-model-list.json", registry),
    ])
    .await;
    let base = format!("{server}/api/v1");
    let list_url = format!("{server}/ai-model-list.json");
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("OPENROUTER_API_KEY", PROVIDER_KEY),
        ("OPENROUTER_BASE_URL", &base),
        ("MODEL_LIST_URL", &list_url),
    ])
    .await;
    // Both lists load in the background.
    let mut models = Value::Null;
    for _ in 0..200 {
        models = gateway
            .get("/admin/api/v1/models")
            .await
            .json()
            .await
            .unwrap();
        let llama_known = models["models"].as_array().unwrap().iter().any(|m| {
            m["model"] == "meta-llama/llama-3.3-70b-instruct" && !m["context_window"].is_null()
        });
        if llama_known {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let model = |id: &str| {
        models["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["model"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} not listed: {models}"))
    };
    let limits = |id: &str| {
        let m = model(id);
        (
            m["context_window"].as_u64(),
            m["max_output_tokens"].as_u64(),
        )
    };
    // The provider's own list wins over the registry.
    assert_eq!(limits("openai/gpt-4o-mini"), (Some(128_000), Some(16_384)));
    // Field by field: the list's context window, the registry's output limit.
    assert_eq!(
        limits("anthropic/claude-sonnet-4.5"),
        (Some(1_000_000), Some(64_000))
    );
    // Only the registry knows.
    assert_eq!(
        limits("meta-llama/llama-3.3-70b-instruct"),
        (Some(131_072), Some(8192))
    );
    // Nobody knows: null, not 0.
    let unknown = model("acme/unknown");
    assert!(unknown["context_window"].is_null() && unknown["max_output_tokens"].is_null());
    let access = &model("openai/gpt-4o-mini")["access"];
    assert_eq!(access["selector"], "openrouter/openai/gpt-4o-mini");
    assert_eq!(access["effective_enabled"], true);
}
