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
