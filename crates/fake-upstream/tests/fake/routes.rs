//! Models, health, stats, unknown routes, and the server's own lifecycle.

use gomodel_fake_upstream::{FakeOptions, FakeUpstream, fixtures};
use serde_json::json;

use crate::client::{get, send};

#[tokio::test]
async fn models_list_the_recorded_ids_by_default() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = get(fake.addr(), "/v1/models").await;
    assert_eq!(response.status, 200);
    let body = response.json();
    let recorded: serde_json::Value = serde_json::from_str(fixtures::OPENAI_MODELS).unwrap();
    assert_eq!(body, recorded, "the recorded list, field for field");
}

#[tokio::test]
async fn models_list_the_chosen_ids() {
    let options = FakeOptions {
        models: Some(vec!["alpha".into(), "beta".into()]),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let body = get(fake.addr(), "/openai/v1/models").await.json();
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alpha", "beta"]);
    for model in data {
        assert_eq!(model["object"], "model");
        assert!(model["created"].is_u64());
        assert!(model["owned_by"].is_string());
    }
}

#[tokio::test]
async fn health_and_unknown_routes() {
    let fake = FakeUpstream::start().await.unwrap();
    assert_eq!(
        get(fake.addr(), "/health").await.json(),
        json!({"status": "ok"})
    );
    let unknown = send(fake.addr(), "POST", "/v1/nope", &[], b"{}")
        .await
        .unwrap();
    assert_eq!(unknown.status, 404);
    let error = &unknown.json()["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["message"], "Invalid URL (POST /v1/nope)");
    let wrong_method = get(fake.addr(), "/v1/chat/completions").await;
    assert_eq!(wrong_method.status, 404);
}

#[tokio::test]
async fn base_url_points_at_the_bound_port() {
    let fake = FakeUpstream::start().await.unwrap();
    assert_eq!(
        fake.base_url(),
        format!("http://127.0.0.1:{}", fake.addr().port())
    );
    assert!(fake.addr().ip().is_loopback());
}

#[tokio::test]
async fn dropping_the_handle_stops_accepting() {
    let fake = FakeUpstream::start().await.unwrap();
    let addr = fake.addr();
    drop(fake);
    // Abort is asynchronous: the server task is dropped the next time the runtime gets to it.
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the listener is still open after the handle was dropped");
}
