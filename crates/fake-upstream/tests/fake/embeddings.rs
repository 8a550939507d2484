//! OpenAI `/embeddings` (floats, base64, dimensions, input shapes) and Ollama `/api/embed`.

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::client::{base64_decode, post};

fn floats(value: &Value) -> Vec<f32> {
    serde_json::from_value(value.clone()).unwrap()
}

#[tokio::test]
async fn embeddings_default_to_1536_floats() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "text-embedding-3-small", "input": "hello world, hello"});
    let response = post(fake.addr(), "/v1/embeddings", &request).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "text-embedding-3-small");
    assert_eq!(body["data"][0]["object"], "embedding");
    assert_eq!(body["data"][0]["index"], 0);
    assert_eq!(floats(&body["data"][0]["embedding"]).len(), 1536);
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 4, "total_tokens": 4})
    );
}

#[tokio::test]
async fn embeddings_honour_dimensions_and_batches() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "e", "input": ["a", "b", "c"], "dimensions": 8});
    let body = post(fake.addr(), "/v1/embeddings", &request).await.json();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["index"], i);
        assert_eq!(floats(&item["embedding"]).len(), 8);
    }
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);
    assert_eq!(body["usage"]["prompt_tokens"], 3);
}

#[tokio::test]
async fn embeddings_accept_token_arrays() {
    let fake = FakeUpstream::start().await.unwrap();
    let one = json!({"model": "e", "input": [1, 2, 3, 4, 5], "dimensions": 2});
    let body = post(fake.addr(), "/v1/embeddings", &one).await.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["usage"]["prompt_tokens"], 5);
    let two = json!({"model": "e", "input": [[1, 2], [3]], "dimensions": 2});
    let body = post(fake.addr(), "/v1/embeddings", &two).await.json();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["usage"]["prompt_tokens"], 3);
}

#[tokio::test]
async fn base64_embeddings_carry_the_same_little_endian_floats() {
    let options = FakeOptions {
        embed_dim: 32,
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    for input in [json!("x"), json!(["x", "y"])] {
        let plain = json!({"model": "e", "input": input});
        let encoded = json!({"model": "e", "input": input, "encoding_format": "base64"});
        let plain = post(fake.addr(), "/v1/embeddings", &plain).await.json();
        let encoded = post(fake.addr(), "/v1/embeddings", &encoded).await.json();
        for (p, e) in plain["data"]
            .as_array()
            .unwrap()
            .iter()
            .zip(encoded["data"].as_array().unwrap())
        {
            let bytes = base64_decode(e["embedding"].as_str().unwrap());
            let decoded: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            assert_eq!(decoded, floats(&p["embedding"]));
            assert_eq!(decoded.len(), 32);
        }
    }
}

#[tokio::test]
async fn embeddings_reject_missing_input() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = post(fake.addr(), "/v1/embeddings", &json!({"model": "e"})).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.json()["error"]["type"], "invalid_request_error");
}

#[tokio::test]
async fn ollama_embed_answers_the_native_shape() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "nomic-embed-text", "input": ["why is the sky blue?", "x"]});
    let body = post(fake.addr(), "/api/embed", &request).await.json();
    assert_eq!(body["model"], "nomic-embed-text");
    let embeddings = body["embeddings"].as_array().unwrap();
    assert_eq!(embeddings.len(), 2);
    assert_eq!(floats(&embeddings[0]).len(), 1536);
    assert_eq!(body["total_duration"], 1);
    assert_eq!(body["load_duration"], 1);
    assert_eq!(body["prompt_eval_count"], 6);
}
