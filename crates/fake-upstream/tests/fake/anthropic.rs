//! Anthropic's Messages API: recorded shapes, streams, faults, token counting, the model list.

use std::time::{Duration, Instant};

use gomodel_fake_upstream::{FakeOptions, FakeUpstream, fixtures};
use serde_json::{Value, json};

use crate::client::{Response, get, open, post, read_until, send};

const ANTHROPIC_HEADERS: [(&str, &str); 3] = [
    ("content-type", "application/json"),
    ("x-api-key", "sk-ant-test"),
    ("anthropic-version", "2023-06-01"),
];

async fn messages(fake: &FakeUpstream, body: &Value) -> Response {
    let body = serde_json::to_vec(body).unwrap();
    send(
        fake.addr(),
        "POST",
        "/v1/messages",
        &ANTHROPIC_HEADERS,
        &body,
    )
    .await
    .expect("no response")
}

fn request(extra: Value) -> Value {
    let mut body = json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": "Hello"}],
    });
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

fn body_tokens(body: &Value) -> u64 {
    (serde_json::to_vec(body).unwrap().len() as u64 / 4).max(1)
}

fn recorded(fixture: &str) -> Value {
    serde_json::from_str(fixture).unwrap()
}

/// `(event name, data)` of each event, checking Anthropic's framing: `event: <type>`, then
/// `data: <json>` whose `type` is the event's name, then a blank line.
fn sse(text: &str) -> Vec<(String, Value)> {
    assert!(text.ends_with("\n\n"), "{text:?}");
    text.split_terminator("\n\n")
        .map(|event| {
            let (name, data) = event.split_once('\n').unwrap();
            let name = name.strip_prefix("event: ").unwrap().to_owned();
            let data: Value = serde_json::from_str(data.strip_prefix("data: ").unwrap()).unwrap();
            assert_eq!(data["type"], name.as_str(), "{event}");
            (name, data)
        })
        .collect()
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(name, _)| name.as_str()).collect()
}

/// The deltas of block `index`, in order.
fn deltas(events: &[(String, Value)], index: u64) -> Vec<&Value> {
    events
        .iter()
        .filter(|(name, data)| name == "content_block_delta" && data["index"] == index)
        .map(|(_, data)| &data["delta"])
        .collect()
}

fn joined(deltas: &[&Value], kind: &str, field: &str) -> String {
    deltas
        .iter()
        .filter(|d| d["type"] == kind)
        .map(|d| d[field].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn message_replays_the_recording_with_the_request_model() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = request(json!({}));
    let response = messages(&fake, &body).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    // The recording's field order.
    assert!(
        response
            .text()
            .starts_with(r#"{"model":"claude-sonnet-4-5","id":"msg_fake"#)
    );
    let answer = response.json();
    let recorded = recorded(fixtures::ANTHROPIC_MESSAGES);
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["content"], recorded["content"]);
    assert_eq!(
        answer["content"],
        json!([{"type": "text", "text": "Hello World"}])
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(answer["stop_sequence"].is_null());
    let usage = &answer["usage"];
    assert_eq!(usage["input_tokens"], body_tokens(&body));
    assert_eq!(usage["output_tokens"], 5);
    assert_eq!(usage["cache_creation_input_tokens"], 0);
    assert_eq!(usage["cache_read_input_tokens"], 0);
    let again = messages(&fake, &body).await.json();
    assert_ne!(again["id"], answer["id"], "every answer gets a fresh id");
}

#[tokio::test]
async fn message_with_tools_calls_the_first_tool() {
    let fake = FakeUpstream::start().await.unwrap();
    let tools = json!([
        {"name": "lookup_weather", "input_schema": {"type": "object"}},
        {"name": "lookup_time", "input_schema": {"type": "object"}},
    ]);
    let answer = messages(&fake, &request(json!({"tools": tools})))
        .await
        .json();
    let recorded = recorded(fixtures::ANTHROPIC_MESSAGES_WITH_TOOLS);
    let content = answer["content"].as_array().unwrap();
    assert_eq!(content.len(), 2);
    assert_eq!(
        content[0], recorded["content"][0],
        "the recorded text block"
    );
    let call = &content[1];
    assert_eq!(call["type"], "tool_use");
    assert!(call["id"].as_str().unwrap().starts_with("toolu_"));
    assert_eq!(call["name"], "lookup_weather");
    assert_eq!(call["input"], json!({"location": "Paris"}));
    assert_eq!(answer["stop_reason"], "tool_use");
    assert_eq!(answer["usage"]["output_tokens"], 65);

    let refused = json!({"tools": tools, "tool_choice": {"type": "none"}});
    let plain = messages(&fake, &request(refused)).await.json();
    assert_eq!(plain["content"][0]["text"], "Hello World");
    assert_eq!(plain["stop_reason"], "end_turn");
}

#[tokio::test]
async fn message_with_thinking_starts_with_the_signed_thinking_block() {
    let fake = FakeUpstream::start().await.unwrap();
    let recorded = recorded(fixtures::ANTHROPIC_MESSAGES_EXTENDED_THINKING);
    for thinking in [
        json!({"type": "enabled", "budget_tokens": 2048}),
        json!({"type": "adaptive"}),
    ] {
        let answer = messages(&fake, &request(json!({"thinking": thinking})))
            .await
            .json();
        let content = answer["content"].as_array().unwrap();
        assert_eq!(content.len(), 2, "{thinking}");
        assert_eq!(
            content[0], recorded["content"][0],
            "the recorded thinking block"
        );
        assert!(!content[0]["signature"].as_str().unwrap().is_empty());
        assert_eq!(content[1], json!({"type": "text", "text": "Hello World"}));
        assert!(answer["usage"]["output_tokens"].as_u64().unwrap() > 5);
    }
    let disabled = json!({"thinking": {"type": "disabled"}});
    let answer = messages(&fake, &request(disabled)).await.json();
    assert_eq!(answer["content"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn stream_sends_the_recorded_events_in_order() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = request(json!({"stream": true}));
    let response = messages(&fake, &body).await;
    assert_eq!(response.status, 200);
    assert!(response.complete);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = response.text();
    assert!(text.starts_with("event: message_start\ndata: {"));
    let events = sse(&text);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    let message = &events[0].1["message"];
    assert!(message["id"].as_str().unwrap().starts_with("msg_fake"));
    assert_eq!(message["model"], "claude-sonnet-4-5");
    assert_eq!(message["content"], json!([]));
    assert!(message["stop_reason"].is_null());
    assert_eq!(message["usage"]["input_tokens"], body_tokens(&body));
    assert_eq!(message["usage"]["cache_creation_input_tokens"], 0);
    assert_eq!(message["usage"]["cache_read_input_tokens"], 0);
    assert_eq!(
        events[1].1,
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    );
    let pieces: Vec<&str> = deltas(&events, 0)
        .iter()
        .map(|d| {
            assert_eq!(d["type"], "text_delta");
            d["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(pieces, ["Hello", " World"]);
    assert_eq!(
        events[5].1,
        json!({"type": "content_block_stop", "index": 0})
    );
    let delta = &events[6].1;
    assert_eq!(
        delta["delta"],
        json!({"stop_reason": "end_turn", "stop_sequence": null})
    );
    assert_eq!(delta["usage"]["output_tokens"], 5);
    assert_eq!(delta["usage"]["input_tokens"], body_tokens(&body));
    assert_eq!(events[7].1, json!({"type": "message_stop"}));
    assert_eq!(fake.cancelled_streams(), 0);
}

#[tokio::test]
async fn stream_with_tools_sends_two_parallel_tool_use_blocks() {
    let fake = FakeUpstream::start().await.unwrap();
    let tools = json!([{"name": "get_weather"}, {"name": "get_forecast"}]);
    let text = messages(&fake, &request(json!({"stream": true, "tools": tools})))
        .await
        .text();
    let events = sse(&text);
    let starts: Vec<&Value> = events
        .iter()
        .filter(|(name, _)| name == "content_block_start")
        .map(|(_, data)| data)
        .collect();
    assert_eq!(starts.len(), 3);
    assert_eq!(starts[0]["content_block"]["type"], "text");
    let recorded = recorded(fixtures::ANTHROPIC_MESSAGES_WITH_TOOLS);
    assert_eq!(
        joined(&deltas(&events, 0), "text_delta", "text"),
        recorded["content"][0]["text"].as_str().unwrap()
    );
    let mut ids = Vec::new();
    for (index, name, city) in [(1, "get_weather", "Paris"), (2, "get_forecast", "Rome")] {
        let start = starts[index];
        assert_eq!(start["index"], index);
        let block = &start["content_block"];
        assert_eq!(block["type"], "tool_use");
        assert_eq!(block["name"], name);
        assert_eq!(block["input"], json!({}));
        ids.push(block["id"].as_str().unwrap().to_owned());
        let fragments = deltas(&events, index as u64);
        assert!(fragments.iter().all(|d| d["type"] == "input_json_delta"));
        let non_empty = fragments
            .iter()
            .filter(|d| !d["partial_json"].as_str().unwrap().is_empty())
            .count();
        assert!(non_empty >= 2, "the input arrives in pieces");
        let input: Value =
            serde_json::from_str(&joined(&fragments, "input_json_delta", "partial_json")).unwrap();
        assert_eq!(input, json!({"location": city}));
    }
    assert!(ids.iter().all(|id| id.starts_with("toolu_")));
    assert_ne!(ids[0], ids[1]);
    let stops = events
        .iter()
        .filter(|(name, _)| name == "content_block_stop")
        .count();
    assert_eq!(stops, 3);
    let (_, delta) = &events[events.len() - 2];
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
    assert_eq!(names(&events).last(), Some(&"message_stop"));
}

#[tokio::test]
async fn stream_with_thinking_signs_the_thinking_block() {
    let fake = FakeUpstream::start().await.unwrap();
    let thinking = json!({"type": "enabled", "budget_tokens": 2048});
    let text = messages(
        &fake,
        &request(json!({"stream": true, "thinking": thinking})),
    )
    .await
    .text();
    let events = sse(&text);
    assert_eq!(
        names(&events)[..3],
        ["message_start", "content_block_start", "ping"]
    );
    assert_eq!(events[1].1["content_block"]["type"], "thinking");
    assert_eq!(events[1].1["index"], 0);
    let recorded = recorded(fixtures::ANTHROPIC_MESSAGES_EXTENDED_THINKING);
    let block = &recorded["content"][0];
    let thinking_deltas = deltas(&events, 0);
    assert!(thinking_deltas.len() > 2, "thinking arrives in pieces");
    assert_eq!(
        joined(&thinking_deltas, "thinking_delta", "thinking"),
        block["thinking"].as_str().unwrap()
    );
    let last = thinking_deltas.last().unwrap();
    assert_eq!(last["type"], "signature_delta", "the signature comes last");
    assert_eq!(last["signature"], block["signature"]);
    let stop_at = events
        .iter()
        .position(|(name, data)| name == "content_block_stop" && data["index"] == 0)
        .unwrap();
    assert_eq!(events[stop_at - 1].1["delta"]["type"], "signature_delta");
    assert_eq!(events[stop_at + 1].1["content_block"]["type"], "text");
    assert_eq!(
        joined(&deltas(&events, 1), "text_delta", "text"),
        "Hello World"
    );
    assert_eq!(names(&events).last(), Some(&"message_stop"));
}

#[tokio::test]
async fn stream_honours_chunk_delay_and_stream_chunks() {
    let options = FakeOptions {
        stream_chunks: Some(5),
        chunk_delay: Duration::from_millis(15),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let started = Instant::now();
    let text = messages(&fake, &request(json!({"stream": true})))
        .await
        .text();
    let events = sse(&text);
    // message_start, block start, ping, 5 deltas, block stop, message_delta, message_stop.
    assert_eq!(events.len(), 11);
    assert!(started.elapsed() >= Duration::from_millis(10 * 15));
    assert_eq!(
        joined(&deltas(&events, 0), "text_delta", "text"),
        "Hello WorldHello WorldHello"
    );
    assert_eq!(events[9].1["usage"]["output_tokens"], 5);
}

#[tokio::test]
async fn error_models_answer_anthropics_error_envelope() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (429, "rate_limit_error"),
        (500, "api_error"),
        (529, "overloaded_error"),
    ];
    for (status, kind) in cases {
        let model = format!("fake-error-{status}");
        for (path, body) in [
            ("/v1/messages", request(json!({"model": model}))),
            (
                "/v1/messages",
                request(json!({"model": model, "stream": true})),
            ),
            (
                "/v1/messages/count_tokens",
                json!({"model": model, "messages": []}),
            ),
        ] {
            let bytes = serde_json::to_vec(&body).unwrap();
            let response = send(fake.addr(), "POST", path, &ANTHROPIC_HEADERS, &bytes)
                .await
                .unwrap();
            assert_eq!(response.status, status, "{model} {path}");
            assert_eq!(response.header("content-type"), Some("application/json"));
            let answer = response.json();
            assert_eq!(answer["type"], "error", "{model}");
            assert_eq!(answer["error"]["type"], kind, "{model}");
            assert!(!answer["error"]["message"].as_str().unwrap().is_empty());
            assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");
            assert_eq!(answer["error"].as_object().unwrap().len(), 2, "{answer}");
            let retry_after = response.header("retry-after");
            assert_eq!(retry_after.is_some(), status == 429, "{model}");
        }
    }
    let overloaded = messages(&fake, &request(json!({"model": "fake-error-529"}))).await;
    assert_eq!(overloaded.json()["error"]["message"], "Overloaded");
    let missing = messages(&fake, &request(json!({"model": "fake-error-404"}))).await;
    assert_eq!(missing.json()["error"]["message"], "model: fake-error-404");
}

#[tokio::test]
async fn drop_model_resets_the_stream_after_n_events() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = messages(
        &fake,
        &request(json!({"model": "fake-drop-3", "stream": true})),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(
        !response.complete,
        "the body must end without its terminator"
    );
    let events = sse(&response.text());
    assert_eq!(
        names(&events),
        ["message_start", "content_block_start", "ping"]
    );
    assert_eq!(
        fake.cancelled_streams(),
        0,
        "the fake's own abort is not a client cancel"
    );

    let body = serde_json::to_vec(&request(json!({"model": "fake-drop-0"}))).unwrap();
    let answer = send(
        fake.addr(),
        "POST",
        "/v1/messages",
        &ANTHROPIC_HEADERS,
        &body,
    )
    .await;
    assert!(
        answer.is_none_or(|r| !r.complete),
        "no complete answer may arrive"
    );
}

#[tokio::test]
async fn stall_model_sends_message_start_then_waits_for_the_client_to_leave() {
    let fake = FakeUpstream::start().await.unwrap();
    let body =
        serde_json::to_vec(&request(json!({"model": "fake-stall", "stream": true}))).unwrap();
    let mut stream = open(fake.addr(), "POST", "/v1/messages", &body).await;
    let seen = read_until(&mut stream, "\n\n").await;
    assert!(seen.contains("event: message_start\ndata: "));
    assert!(!seen.contains("content_block_start"));
    assert_eq!(fake.cancelled_streams(), 0);
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

#[tokio::test]
async fn error_event_model_fails_mid_stream() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = messages(
        &fake,
        &request(json!({"model": "fake-error-event", "stream": true})),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(response.complete);
    let text = response.text();
    assert!(text.ends_with(
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
    ));
    let events = sse(&text);
    assert_eq!(
        names(&events),
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "error"
        ]
    );
    assert_eq!(events[2].1["delta"]["text"], "Hello");
}

#[tokio::test]
async fn slow_and_garbage_models() {
    let fake = FakeUpstream::start().await.unwrap();
    let started = Instant::now();
    let slow = messages(&fake, &request(json!({"model": "fake-slow-200"}))).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(slow.status, 200);
    assert_eq!(slow.json()["model"], "fake-slow-200");

    let garbage = messages(&fake, &request(json!({"model": "fake-garbage"}))).await;
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&garbage.body).is_err());

    let stream = request(json!({"model": "fake-garbage", "stream": true}));
    let garbage = messages(&fake, &stream).await;
    assert!(
        garbage
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(garbage.complete);
    assert_eq!(garbage.text(), "data: <html>not json\n\n");
}

#[tokio::test]
async fn invalid_requests_get_anthropic_errors() {
    let fake = FakeUpstream::start().await.unwrap();
    let not_json = send(
        fake.addr(),
        "POST",
        "/v1/messages",
        &ANTHROPIC_HEADERS,
        b"{nope",
    )
    .await
    .unwrap();
    assert_eq!(not_json.status, 400);
    assert_eq!(not_json.json()["error"]["type"], "invalid_request_error");
    let no_model = messages(&fake, &json!({"max_tokens": 5, "messages": []})).await;
    assert_eq!(no_model.status, 400);
    assert_eq!(no_model.json()["error"]["message"], "model: Field required");
    let no_max_tokens = messages(
        &fake,
        &json!({"model": "claude-sonnet-4-5", "messages": []}),
    )
    .await;
    assert_eq!(no_max_tokens.status, 400);
    assert_eq!(no_max_tokens.json()["type"], "error");
    assert_eq!(
        no_max_tokens.json()["error"]["message"],
        "max_tokens: Field required"
    );
}

#[tokio::test]
async fn count_tokens_answers_the_usage_estimate() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "Hello there"}]});
    let response = post(fake.addr(), "/v1/messages/count_tokens", &body).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json(), json!({"input_tokens": body_tokens(&body)}));
    let tiny = json!({"model": "m"});
    let response = post(fake.addr(), "/v1/messages/count_tokens", &tiny).await;
    assert_eq!(response.json()["input_tokens"], body_tokens(&tiny));
    let no_model = post(fake.addr(), "/v1/messages/count_tokens", &json!({})).await;
    assert_eq!(no_model.status, 400);
    assert_eq!(no_model.json()["type"], "error");
}

#[tokio::test]
async fn models_answer_anthropics_list_to_anthropic_clients() {
    let fake = FakeUpstream::start().await.unwrap();
    for header in [
        ("x-api-key", "sk-ant-test"),
        ("anthropic-version", "2023-06-01"),
    ] {
        let response = send(fake.addr(), "GET", "/v1/models", &[header], b"")
            .await
            .unwrap();
        assert_eq!(response.status, 200);
        let body = response.json();
        let data = body["data"].as_array().unwrap();
        let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["claude-sonnet-4-5", "claude-opus-4-6", "claude-haiku-4-5"]
        );
        assert_eq!(
            data[0],
            json!({"type": "model", "id": "claude-sonnet-4-5", "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z"})
        );
        assert_eq!(body["has_more"], false);
        assert_eq!(body["first_id"], "claude-sonnet-4-5");
        assert_eq!(body["last_id"], "claude-haiku-4-5");
        assert!(body.get("object").is_none());
    }
    let openai = get(fake.addr(), "/v1/models").await.json();
    assert_eq!(
        openai,
        recorded(fixtures::OPENAI_MODELS),
        "OpenAI's list without the headers"
    );
}

#[tokio::test]
async fn anthropic_models_list_the_chosen_ids() {
    let options = FakeOptions {
        models: Some(vec!["claude-opus-4-6".into(), "my-model-2".into()]),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let headers = [("x-api-key", "k")];
    let body = send(fake.addr(), "GET", "/v1/models", &headers, b"")
        .await
        .unwrap()
        .json();
    let data = body["data"].as_array().unwrap();
    let ids: Vec<&str> = data.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["claude-opus-4-6", "my-model-2"]);
    assert_eq!(data[0]["display_name"], "Claude Opus 4.6");
    assert_eq!(data[1]["display_name"], "My Model 2");
    assert_eq!(body["last_id"], "my-model-2");
    let openai = get(fake.addr(), "/v1/models").await.json();
    assert_eq!(openai["data"][1]["id"], "my-model-2");
}

#[tokio::test]
async fn anthropic_requests_are_recorded_with_their_headers() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = request(json!({"system": "Be brief."}));
    messages(&fake, &body).await;
    let sent = fake.last_request().unwrap();
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.json(), body);
    assert_eq!(fake.request_count(), 1);
}
