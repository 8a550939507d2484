//! Streamed chat completions: recorded chunk shapes, `include_usage`, tool-call deltas, pacing.

use std::time::{Duration, Instant};

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::client::post;

fn chunks(events: &[String]) -> Vec<Value> {
    assert_eq!(events.last().map(String::as_str), Some("[DONE]"));
    events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect()
}

fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test]
async fn stream_replays_the_recorded_chunks() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({"model": "gpt-4o-mini", "stream": true, "messages": []});
    let response = post(fake.addr(), "/v1/chat/completions", &request).await;
    assert_eq!(response.status, 200);
    assert!(response.complete);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let chunks = chunks(&response.events());
    // Role chunk, the four recorded content chunks, the finish chunk.
    assert_eq!(chunks.len(), 6);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(content(&chunks), "Hello, World!");
    assert_eq!(chunks[5]["choices"][0]["finish_reason"], "stop");
    let id = &chunks[0]["id"];
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "gpt-4o-mini");
        assert_eq!(&chunk["id"], id, "one id per stream");
        assert!(
            chunk.get("usage").is_none(),
            "no usage without include_usage"
        );
    }
}

#[tokio::test]
async fn include_usage_adds_openais_usage_chunk() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({
        "model": "gpt-4o-mini",
        "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [],
    });
    let body_len = serde_json::to_vec(&request).unwrap().len() as u64;
    let response = post(fake.addr(), "/v1/chat/completions", &request).await;
    let chunks = chunks(&response.events());
    assert_eq!(chunks.len(), 7);
    let (usage_chunk, earlier) = chunks.split_last().unwrap();
    for chunk in earlier {
        assert_eq!(
            chunk.get("usage"),
            Some(&Value::Null),
            "OpenAI sends usage:null"
        );
    }
    assert_eq!(
        earlier.last().unwrap()["choices"][0]["finish_reason"],
        "stop"
    );
    assert_eq!(usage_chunk["choices"], json!([]));
    let usage = &usage_chunk["usage"];
    assert_eq!(usage["prompt_tokens"], body_len / 4);
    assert_eq!(usage["completion_tokens"], 4);
    assert_eq!(usage["total_tokens"], body_len / 4 + 4);
    assert_eq!(usage["prompt_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["completion_tokens_details"]["reasoning_tokens"], 0);
}

#[tokio::test]
async fn stream_with_tools_sends_tool_call_deltas() {
    let fake = FakeUpstream::start().await.unwrap();
    let request = json!({
        "model": "gpt-4o-mini",
        "stream": true,
        "tools": [{"type": "function", "function": {"name": "get_weather"}}],
    });
    let chunks = chunks(
        &post(fake.addr(), "/v1/chat/completions", &request)
            .await
            .events(),
    );
    let head = &chunks[0]["choices"][0]["delta"];
    assert_eq!(head["role"], "assistant");
    let call = &head["tool_calls"][0];
    assert_eq!(call["index"], 0);
    assert!(call["id"].as_str().unwrap().starts_with("call_"));
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    assert_eq!(call["function"]["arguments"], "");
    let (finish, fragments) = chunks[1..].split_last().unwrap();
    let arguments: String = fragments
        .iter()
        .map(|c| {
            let call = &c["choices"][0]["delta"]["tool_calls"][0];
            assert_eq!(call["index"], 0);
            call["function"]["arguments"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(fragments.len() > 1);
    assert_eq!(arguments, r#"{"location":"Paris"}"#);
    assert_eq!(finish["choices"][0]["finish_reason"], "tool_calls");
}

#[tokio::test]
async fn chunk_options_set_count_and_pacing() {
    let options = FakeOptions {
        stream_chunks: Some(10),
        chunk_delay: Duration::from_millis(15),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let started = Instant::now();
    let request = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true}});
    let chunks = chunks(
        &post(fake.addr(), "/v1/chat/completions", &request)
            .await
            .events(),
    );
    // Role, 10 contents, finish, usage, [DONE]: 13 gaps between 14 events.
    assert!(started.elapsed() >= Duration::from_millis(13 * 15));
    assert_eq!(chunks.len(), 13);
    assert_eq!(chunks[12]["usage"]["completion_tokens"], 10);
    assert_eq!(
        fake.cancelled_streams(),
        0,
        "a finished stream is not cancelled"
    );
}

#[tokio::test]
async fn a_client_leaving_mid_stream_counts_as_cancelled() {
    let options = FakeOptions {
        stream_chunks: Some(50),
        chunk_delay: Duration::from_millis(20),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let body = serde_json::to_vec(&json!({"model": "m", "stream": true})).unwrap();
    let mut stream = crate::client::open(fake.addr(), "POST", "/v1/chat/completions", &body).await;
    crate::client::read_until(&mut stream, "Hello").await;
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(5);
    while fake.cancelled_streams() == 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned stream was never counted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.cancelled_streams(), 1);
}
