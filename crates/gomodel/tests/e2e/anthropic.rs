//! Anthropic as a provider (OpenAI clients, translated) and the Messages API for every provider.

use serde_json::{Value, json};

use crate::harness::*;

/// A gateway with an Anthropic provider and an OpenAI provider, both on one fake.
async fn gateway_with_anthropic(
    extra: &[(&str, &str)],
) -> (TestGateway, gomodel_fake_upstream::FakeUpstream) {
    let fake = fake().await;
    let base = format!("{}/v1", fake.base_url());
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("ANTHROPIC_API_KEY", PROVIDER_KEY),
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", PROVIDER_KEY),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    env.extend_from_slice(extra);
    let gateway = TestGateway::start(&env).await;
    (gateway, fake)
}

async fn messages(gateway: &TestGateway, body: &Value) -> reqwest::Response {
    gateway
        .client
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn openai_client_to_anthropic_model() {
    let (gateway, fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "anthropic/claude-sonnet-4-5", "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["object"], "chat.completion");
    assert_eq!(answer["provider"], "anthropic");
    assert_eq!(answer["choices"][0]["message"]["content"], "Hello World");
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer["usage"]["prompt_tokens"].as_u64().unwrap() > 0);

    let sent = last_to(&fake, "/messages");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(PROVIDER_KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert!(sent.header("authorization").is_none());
    let upstream = sent.json();
    assert_eq!(upstream["system"], "Be brief.");
    assert_eq!(upstream["max_tokens"], 4096);
    assert_eq!(upstream["model"], "claude-sonnet-4-5");
    assert_eq!(upstream["messages"][0]["role"], "user");
}

#[tokio::test]
async fn openai_client_streams_from_anthropic_with_parallel_tools() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "anthropic/claude-sonnet-4-5", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Weather in Paris and Rome?"}],
        "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let events = sse_data(&response.text().await.unwrap());
    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let mut arguments = [String::new(), String::new()];
    let mut ids = Vec::new();
    for chunk in &chunks {
        for call in chunk["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = call["index"].as_u64().unwrap() as usize;
            if let Some(id) = call["id"].as_str() {
                ids.push((index, id.to_owned()));
            }
            arguments[index].push_str(call["function"]["arguments"].as_str().unwrap_or(""));
        }
    }
    assert_eq!(ids.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 1]);
    for args in &arguments {
        let parsed: Value =
            serde_json::from_str(args).unwrap_or_else(|_| panic!("bad arguments {args}"));
        assert!(parsed["location"].is_string());
    }
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "tool_calls")
    );
    assert!(
        chunks
            .iter()
            .any(|c| c["usage"]["total_tokens"].as_u64().is_some_and(|t| t > 0))
    );
}

#[tokio::test]
async fn dropped_parameters_are_reported_or_rejected() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "anthropic/claude-sonnet-4-5", "logprobs": true, "seed": 3,
        "messages": [{"role": "user", "content": "x"}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-gomodel-dropped-params"],
        "logprobs, seed"
    );

    let (strict, _fake) = gateway_with_anthropic(&[("TRANSLATION_MODE", "strict")]).await;
    let error = expect_error(strict.post("/v1/chat/completions", &body).await, 400).await;
    assert_eq!(error["param"], "logprobs");
    assert!(error["message"].as_str().unwrap().contains("logprobs"));
}

#[tokio::test]
async fn messages_to_anthropic_go_through_natively() {
    let (gateway, fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "anthropic/claude-sonnet-4-5", "max_tokens": 100, "x_unknown": {"kept": true},
        "messages": [{"role": "user", "content": "Hi"}]});
    let response = messages(&gateway, &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["content"][0]["text"], "Hello World");
    let sent = last_to(&fake, "/messages").json();
    assert_eq!(sent["model"], "claude-sonnet-4-5");
    assert_eq!(sent["x_unknown"], json!({"kept": true}));

    let mut stream = body.clone();
    stream["stream"] = json!(true);
    let text = messages(&gateway, &stream).await.text().await.unwrap();
    assert!(text.starts_with("event: message_start"), "{text}");
    assert!(text.contains("event: message_stop"));
}

#[tokio::test]
async fn messages_to_an_openai_model_are_translated() {
    let (gateway, fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "openai/gpt-4o-mini", "max_tokens": 100, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}]});
    let response = messages(&gateway, &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["role"], "assistant");
    assert_eq!(
        answer["content"][0],
        json!({"type": "text", "text": "Hello, World!"})
    );
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(answer["usage"]["input_tokens"].as_u64().unwrap() > 0);
    let sent = last_to(&fake, "/chat/completions").json();
    assert_eq!(
        sent["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(sent["max_tokens"], 100);

    let mut stream = body.clone();
    stream["stream"] = json!(true);
    let text = messages(&gateway, &stream).await.text().await.unwrap();
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(kinds.first(), Some(&"message_start"));
    assert_eq!(kinds.last(), Some(&"message_stop"));
    assert!(kinds.contains(&"content_block_delta") && kinds.contains(&"message_delta"));
}

#[tokio::test]
async fn claude_code_style_tool_round_trip_through_an_openai_model() {
    let (gateway, fake) = gateway_with_anthropic(&[]).await;
    let tools = json!([{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}}}]);
    let first = messages(
        &gateway,
        &json!({"model": "openai/gpt-4o-mini", "max_tokens": 200, "stream": true, "tools": tools,
        "messages": [{"role": "user", "content": "Weather in Paris?"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(first.contains(r#""type":"tool_use""#), "{first}");
    assert!(first.contains("input_json_delta"));
    assert!(first.contains(r#""stop_reason":"tool_use""#));

    let second = messages(&gateway, &json!({"model": "openai/gpt-4o-mini", "max_tokens": 200, "tools": tools,
        "system": [{"type": "text", "text": "You are a coding agent."}],
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "Paris"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C and sunny"}]}
        ]}))
    .await;
    assert_eq!(second.status(), 200);
    let sent = last_to(&fake, "/chat/completions").json();
    let upstream_messages = sent["messages"].as_array().unwrap();
    assert_eq!(upstream_messages[2]["tool_calls"][0]["id"], "toolu_1");
    assert_eq!(
        upstream_messages[3],
        json!({"role": "tool", "content": "18C and sunny", "tool_call_id": "toolu_1"})
    );
}

#[tokio::test]
async fn messages_errors_use_the_anthropic_envelope() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let missing_key = gateway
        .client
        .post(gateway.url("/v1/messages"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_key.status(), 401);
    let body: Value = missing_key.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "authentication_error");

    for (bad, status) in [
        (json!("not an object"), 400),
        (json!({"max_tokens": 5, "messages": []}), 400),
        (
            json!({"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}),
            400,
        ),
        (
            json!({"model": "openai/gpt-4o-mini", "max_tokens": 5, "tool_choice": {"type": "any"}, "messages": [{"role": "user", "content": "x"}]}),
            400,
        ),
        (
            json!({"model": "openai/gpt-4o-mini", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}),
            400,
        ),
        (
            json!({"model": "anthropic/fake-error-529", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}),
            529,
        ),
    ] {
        let response = messages(&gateway, &bad).await;
        assert_eq!(response.status().as_u16(), status, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["type"], "error", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        if status == 529 {
            assert_eq!(body["error"]["type"], "overloaded_error");
        }
    }
}

#[tokio::test]
async fn count_tokens_is_exact_for_anthropic_and_an_estimate_elsewhere() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let request = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "Hello there, how are you?"}]});
    for (model, kind) in [
        ("anthropic/claude-sonnet-4-5", "exact"),
        ("openai/gpt-4o-mini", "estimate"),
    ] {
        let response = gateway
            .client
            .post(gateway.url("/v1/messages/count_tokens"))
            .header("x-api-key", MASTER_KEY)
            .json(&request(model))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{model}");
        assert_eq!(response.headers()["x-gomodel-token-count"], kind);
        let body: Value = response.json().await.unwrap();
        assert!(body["input_tokens"].as_u64().unwrap() > 0);
    }
}

#[tokio::test]
async fn anthropic_upstream_drop_mid_stream_ends_cleanly() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let body = json!({"model": "anthropic/fake-drop-3", "stream": true, "messages": [{"role": "user", "content": "x"}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    let events = tokio::time::timeout(std::time::Duration::from_secs(10), response.text())
        .await
        .expect("hang")
        .unwrap();
    let events = sse_data(&events);
    let last: Value = serde_json::from_str(events.last().unwrap()).unwrap();
    assert!(last["error"].is_object(), "{events:?}");

    let native = messages(
        &gateway,
        &json!({"model": "anthropic/fake-error-event", "max_tokens": 5, "stream": true,
        "messages": [{"role": "user", "content": "x"}]}),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(native.contains("event: error"), "{native}");
}

#[tokio::test]
async fn messages_stream_from_an_openai_model_that_drops_ends_with_an_error_event() {
    let (gateway, _fake) = gateway_with_anthropic(&[]).await;
    let response = messages(
        &gateway,
        &json!({"model": "openai/fake-drop-2", "max_tokens": 5, "stream": true,
        "messages": [{"role": "user", "content": "x"}]}),
    )
    .await;
    let text = tokio::time::timeout(std::time::Duration::from_secs(10), response.text())
        .await
        .expect("hang")
        .unwrap();
    assert!(text.starts_with("event: message_start"), "{text}");
    assert!(text.contains("event: error"), "{text}");
    assert!(!text.contains("event: message_stop"), "{text}");
}
