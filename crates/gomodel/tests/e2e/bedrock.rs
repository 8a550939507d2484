//! Amazon Bedrock end to end: the gateway in front of the fake Bedrock runtime, which checks
//! the SigV4 signature of everything it receives (with its own signer), answers Converse and
//! ConverseStream (binary event-stream frames), lists foundation models, and plays STS, the
//! ECS credentials endpoint and EC2 instance metadata.

use std::sync::Arc;
use std::time::Duration;

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::harness::*;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOVA: &str = "bedrock/amazon.nova-pro-v1:0";
const CLAUDE: &str = "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0";

async fn bedrock_fake(tweak: impl FnOnce(&mut FakeOptions)) -> FakeUpstream {
    let mut options = FakeOptions::default();
    tweak(&mut options);
    fake_with(options).await
}

/// A gateway with one Bedrock provider on `fake`, static keys unless `extra` says otherwise.
async fn bedrock_gateway(fake: &FakeUpstream, extra: &[(&str, &str)]) -> TestGateway {
    let base = fake.base_url();
    let mut env = vec![
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("BEDROCK_BASE_URL", base.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    if !extra
        .iter()
        .any(|(k, _)| k.starts_with("AWS_") && *k != "AWS_REGION")
    {
        env.push(("AWS_ACCESS_KEY_ID", AKID));
        env.push(("AWS_SECRET_ACCESS_KEY", SECRET));
    }
    env.extend_from_slice(extra);
    TestGateway::start(&env).await
}

fn tools() -> Value {
    json!([
        {"type": "function", "function": {"name": "get_weather", "description": "Weather for a place",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}},
        {"type": "function", "function": {"name": "get_time", "description": "Local time",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
    ])
}

#[tokio::test]
async fn chat_is_signed_and_translated_to_converse() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let body = json!({"model": NOVA, "max_tokens": 100, "temperature": 0.2, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["provider"], "bedrock");
    assert!(
        !answer["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(answer["choices"][0]["finish_reason"], "stop");
    assert!(answer["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let sent = last_to(&fake, "/converse");
    assert_eq!(sent.path, "/model/amazon.nova-pro-v1%3A0/converse");
    let authorization = sent.header("authorization").unwrap();
    assert!(
        authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={AKID}/")),
        "{authorization}"
    );
    assert!(authorization.contains("/us-east-1/bedrock/aws4_request"));
    let upstream = sent.json();
    assert_eq!(upstream["system"][0]["text"], "Be brief.");
    assert_eq!(upstream["inferenceConfig"]["maxTokens"], 100);
    assert_eq!(upstream["messages"][0]["content"][0]["text"], "Say hello");
}

#[tokio::test]
async fn stream_is_decoded_from_event_stream_frames() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let body = json!({"model": NOVA, "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "Say hello"}]});
    let (chunks, text) = stream_chat(&gateway, &body).await;
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(!content.is_empty(), "{text}");
    assert!(
        chunks
            .iter()
            .any(|c| c["choices"][0]["finish_reason"] == "stop")
    );
    assert!(
        chunks.last().unwrap()["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        last_to(&fake, "/converse-stream")
            .path
            .starts_with("/model/")
    );
}

#[tokio::test]
async fn claude_thinking_and_parallel_tools_round_trip() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let question = json!({"role": "user", "content": "Weather and time in Tokyo?"});
    let body = json!({"model": CLAUDE, "messages": [question], "tools": tools(), "reasoning_effort": "low"});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
    let message = answer["choices"][0]["message"].clone();
    let calls = message["tool_calls"].as_array().unwrap().clone();
    assert_eq!(calls.len(), 2, "{message}");
    assert!(
        message["reasoning_blocks"][0]["signature"].is_string(),
        "{message}"
    );
    let sent = last_to(&fake, "/converse").json();
    assert_eq!(
        sent["additionalModelRequestFields"]["thinking"]["type"],
        "enabled"
    );
    assert_eq!(
        sent["toolConfig"]["tools"][1]["toolSpec"]["name"],
        "get_time"
    );

    // Sent back as received: the fake checks the signed reasoning block precedes the calls
    // and that every call has its result.
    let mut messages = vec![question, message];
    for call in &calls {
        messages
            .push(json!({"role": "tool", "tool_call_id": call["id"], "content": "{\"ok\": true}"}));
    }
    let second =
        json!({"model": CLAUDE, "messages": messages, "tools": tools(), "reasoning_effort": "low"});
    let response = gateway.post("/v1/chat/completions", &second).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let sent = last_to(&fake, "/converse").json();
    let turns = sent["messages"].as_array().unwrap();
    assert_eq!(turns.len(), 3);
    assert!(turns[1]["content"][0]["reasoningContent"]["reasoningText"]["signature"].is_string());
    assert_eq!(turns[2]["content"].as_array().unwrap().len(), 2);
    assert!(turns[2]["content"][0]["toolResult"]["toolUseId"].is_string());
}

/// Tool calls rebuilt from stream deltas, by index: (id, name, argument fragments).
fn streamed_calls(chunks: &[Value]) -> Vec<(String, String, Vec<String>)> {
    let mut calls: Vec<(String, String, Vec<String>)> = Vec::new();
    for delta in chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].as_array())
    {
        for call in delta {
            let index = call["index"].as_u64().unwrap() as usize;
            if index == calls.len() {
                calls.push((String::new(), String::new(), Vec::new()));
            }
            let entry = &mut calls[index];
            if let Some(id) = call["id"].as_str() {
                entry.0 = id.to_owned();
            }
            if let Some(name) = call["function"]["name"].as_str() {
                entry.1 = name.to_owned();
            }
            if let Some(fragment) = call["function"]["arguments"].as_str() {
                entry.2.push(fragment.to_owned());
            }
        }
    }
    calls
}

#[tokio::test]
async fn claude_stream_delivers_signed_thinking_and_tool_argument_fragments() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let question = json!({"role": "user", "content": "Weather and time in Tokyo?"});
    let body = json!({"model": CLAUDE, "messages": [question], "tools": tools(),
        "reasoning_effort": "low", "stream": true, "stream_options": {"include_usage": true}});
    let response = gateway.post("/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let chunks = done_chunks(&text);
    assert_eq!(
        last_to(&fake, "/converse-stream").json()["additionalModelRequestFields"]["thinking"]["type"],
        "enabled"
    );

    // Reasoning text arrives as it is produced; its signature once, when the block ends.
    let reasoning: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_content"].as_str())
        .collect();
    assert!(!reasoning.is_empty(), "{text}");
    let blocks: Vec<&Value> = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["reasoning_blocks"].as_array())
        .flatten()
        .collect();
    assert_eq!(blocks.len(), 1, "{text}");
    let signature = blocks[0]["signature"].as_str().unwrap();
    assert!(!signature.is_empty());
    assert_eq!(blocks[0]["thinking"], reasoning.as_str());

    // Each call's arguments come in several fragments that join to valid JSON.
    let calls = streamed_calls(&chunks);
    assert_eq!(calls.len(), 2, "{text}");
    let mut tool_calls = Vec::new();
    for ((id, name, fragments), (expected, city)) in calls
        .iter()
        .zip([("get_weather", "Tokyo"), ("get_time", "Paris")])
    {
        assert!(id.starts_with("tooluse_"), "{id}");
        assert_eq!(name, expected);
        assert!(fragments.len() > 1, "{name}: {fragments:?}");
        let arguments = fragments.concat();
        let parsed: Value = serde_json::from_str(&arguments)
            .unwrap_or_else(|e| panic!("{name}: {arguments:?} is not JSON: {e}"));
        assert_eq!(parsed, json!({"location": city}));
        tool_calls.push(json!({"id": id, "type": "function",
            "function": {"name": name, "arguments": arguments}}));
    }
    let finishes: Vec<&Value> = chunks
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finishes, [&json!("tool_calls")], "{text}");
    assert!(
        chunks.last().unwrap()["usage"]["completion_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    // The streamed pieces make a valid next turn: the fake checks the signature is the one it
    // issued and that the signed block precedes the calls.
    let assistant = json!({"role": "assistant", "content": null, "tool_calls": tool_calls,
        "reasoning_blocks": [{"thinking": reasoning, "signature": signature}]});
    let mut messages = vec![question, assistant];
    for (id, _, _) in &calls {
        messages.push(json!({"role": "tool", "tool_call_id": id, "content": "{\"ok\": true}"}));
    }
    let second =
        json!({"model": CLAUDE, "messages": messages, "tools": tools(), "reasoning_effort": "low"});
    let response = gateway.post("/v1/chat/completions", &second).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let sent = last_to(&fake, "/converse").json();
    let reasoning_sent = &sent["messages"][1]["content"][0]["reasoningContent"]["reasoningText"];
    assert_eq!(reasoning_sent["signature"], signature);
    assert_eq!(reasoning_sent["text"], reasoning.as_str());
}

#[tokio::test]
async fn errors_keep_their_meaning_and_explain_inference_profiles() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let error = expect_error(
        gateway
            .chat("bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0")
            .await,
        400,
    )
    .await;
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("on-demand throughput"), "{message}");
    assert!(
        message.contains("inference profile") && message.contains("us."),
        "{message}"
    );
    assert_eq!(error["code"], "ValidationException");

    let error = expect_error(gateway.chat("bedrock/fake-error-429").await, 429).await;
    assert_eq!(error["code"], "ThrottlingException");
    let error = expect_error(gateway.chat("bedrock/fake-model-not-ready").await, 429).await;
    assert_eq!(error["code"], "ModelNotReadyException");
    let error = expect_error(gateway.chat("bedrock/fake-error-403").await, 403).await;
    assert_eq!(error["code"], "AccessDeniedException");

    // Service and model failures are the provider's: AWS's 5xx kept, and the model's own
    // timeout (408) and invalid answer (424) become 504 and 502 rather than client errors.
    for (model, status, exception) in [
        ("bedrock/fake-error-500", 500, "InternalServerException"),
        ("bedrock/fake-error-503", 503, "ServiceUnavailableException"),
        ("bedrock/fake-error-408", 504, "ModelTimeoutException"),
        ("bedrock/fake-error-424", 502, "ModelErrorException"),
    ] {
        let error = expect_error(gateway.chat(model).await, status).await;
        assert_eq!(error["code"], exception, "{model}: {error}");
        assert_eq!(error["type"], "provider_error", "{model}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(exception),
            "{model}: {error}"
        );
    }

    // A wrong secret: the fake's signature check fails; the secret is never echoed.
    let wrong = bedrock_gateway(
        &fake,
        &[
            ("AWS_ACCESS_KEY_ID", AKID),
            ("AWS_SECRET_ACCESS_KEY", "not-the-secret-0123456789"),
        ],
    )
    .await;
    let error = expect_error(wrong.chat(NOVA).await, 403).await;
    assert_eq!(error["code"], "InvalidSignatureException");
    assert!(
        !error["message"]
            .as_str()
            .unwrap()
            .contains("not-the-secret")
    );
}

#[tokio::test]
async fn corrupt_and_truncated_frames_end_the_stream_clearly() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    // The fake breaks the third message (messageStart, "Hello", then " World!"), or sends an
    // exception after it: the text of the whole frames before the failure reaches the client,
    // then an error naming the cause.
    for (model, delivered_text, cause) in [
        (
            "bedrock/fake-corrupt-frame",
            "Hello",
            "provider sent a corrupt event-stream frame",
        ),
        (
            "bedrock/fake-truncated-frame",
            "Hello",
            "stream ended in the middle of an event-stream frame",
        ),
        (
            "bedrock/fake-error-event",
            "Hello World!",
            "provider stream error (throttlingException): Too many tokens",
        ),
    ] {
        let body =
            json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "x"}]});
        let text = gateway
            .post("/v1/chat/completions", &body)
            .await
            .text()
            .await
            .unwrap();
        assert!(!text.contains("[DONE]"), "{model}: {text}");
        let events: Vec<Value> = sse_data(&text)
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let (last, delivered) = events.split_last().unwrap();
        let message = last["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(cause), "{model}: {text}");
        let content: String = delivered
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(content, delivered_text, "{model}: {text}");
    }
}

/// An inference-profile ARN as the model: pinned with `BEDROCK_MODELS`, listed, and sent as
/// one path segment (`:` and `/` percent-encoded) whose signature the fake accepts.
#[tokio::test]
async fn inference_profile_arn_is_one_encoded_signed_path_segment() {
    const ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    const ENCODED: &str = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0";
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[("BEDROCK_MODELS", ARN)]).await;
    let model = format!("bedrock/{ARN}");
    let models: Value = gateway.get("/v1/models").await.json().await.unwrap();
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == model.as_str()),
        "{models}"
    );

    let response = gateway.chat(&model).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["model"], ARN);
    let sent = last_to(&fake, "/converse");
    assert_eq!(sent.path, format!("/model/{ENCODED}/converse"));
    assert!(
        sent.header("authorization")
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256 ")
    );

    let body = json!({"model": model, "stream": true,
        "messages": [{"role": "user", "content": "Say hello"}]});
    let text = gateway
        .post("/v1/chat/completions", &body)
        .await
        .text()
        .await
        .unwrap();
    let content: String = done_chunks(&text)
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert!(!content.is_empty(), "{text}");
    assert_eq!(
        last_to(&fake, "/converse-stream").path,
        format!("/model/{ENCODED}/converse-stream")
    );
}

#[tokio::test]
async fn api_key_model_list_and_suffixed_instances() {
    let fake =
        bedrock_fake(|o| o.bedrock_api_key = Some("ABSKbedrockapikey0123456789".to_owned())).await;
    let base = fake.base_url();
    let gateway = TestGateway::start(&[
        ("GOMODEL_MASTER_KEY", MASTER_KEY),
        ("BEDROCK_US_BASE_URL", base.as_str()),
        (
            "BEDROCK_US_MODELS",
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ),
        ("AWS_REGION", "us-east-1"),
        ("AWS_BEARER_TOKEN_BEDROCK", "ABSKbedrockapikey0123456789"),
    ])
    .await;
    let response = gateway.chat("bedrock-us/amazon.nova-pro-v1:0").await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    assert_eq!(
        last_to(&fake, "/converse").header("authorization"),
        Some("Bearer ABSKbedrockapikey0123456789")
    );
    let models: Value = gateway.get("/v1/models").await.json().await.unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"bedrock-us/amazon.nova-pro-v1:0"), "{ids:?}");
    assert!(
        ids.contains(&"bedrock-us/us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        "{ids:?}"
    );
    assert!(!ids.iter().any(|id| id.contains("titan-embed")), "{ids:?}");
    let sent = last_to(&fake, "/foundation-models");
    assert!(
        sent.query
            .as_deref()
            .unwrap_or("")
            .contains("byInferenceType=ON_DEMAND")
    );
}

#[tokio::test]
async fn web_identity_credentials_are_fetched_once_and_used_with_their_session_token() {
    let fake = bedrock_fake(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.web-identity.token").unwrap();
    let token_path = token_file.display().to_string();
    let sts = format!("{}/", fake.base_url());
    let gateway = Arc::new(
        bedrock_gateway(
            &fake,
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token_path.as_str()),
                ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/gateway"),
                ("AWS_ENDPOINT_URL_STS", sts.as_str()),
            ],
        )
        .await,
    );
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let gateway = Arc::clone(&gateway);
            tokio::spawn(async move { gateway.chat(NOVA).await.status().as_u16() })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(fake.aws_credential_requests(), 1);
    let sent = last_to(&fake, "/converse");
    assert!(sent.header("x-amz-security-token").is_some());
    assert!(
        sent.header("authorization")
            .unwrap()
            .contains("Credential=ASIA")
    );
}

#[tokio::test]
async fn container_and_instance_metadata_credentials() {
    let fake =
        bedrock_fake(|o| o.aws_container_token = Some("container-token-0123".to_owned())).await;
    let creds = format!("{}/ecs-creds", fake.base_url());
    let gateway = bedrock_gateway(
        &fake,
        &[
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", creds.as_str()),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token-0123"),
        ],
    )
    .await;
    assert_eq!(gateway.chat(NOVA).await.status(), 200);

    let fake = bedrock_fake(|_| {}).await;
    let endpoint = fake.base_url();
    let gateway = bedrock_gateway(
        &fake,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str())],
    )
    .await;
    assert_eq!(gateway.chat(NOVA).await.status(), 200);
    assert!(
        fake.received()
            .iter()
            .any(|r| r.method == "PUT" && r.path == "/latest/api/token")
    );

    // No reachable source: a clear error naming it.
    let gateway = bedrock_gateway(
        &fake,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1")],
    )
    .await;
    let error = expect_error(gateway.chat(NOVA).await, 502).await;
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("instance metadata"),
        "{error}"
    );
}

#[tokio::test]
async fn expired_temporary_credentials_are_renewed() {
    let fake = bedrock_fake(|o| o.aws_credential_lifetime = Duration::from_secs(2)).await;
    let endpoint = fake.base_url();
    let gateway = bedrock_gateway(
        &fake,
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.as_str())],
    )
    .await;
    assert_eq!(gateway.chat(NOVA).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(gateway.chat(NOVA).await.status(), 200);
    assert_eq!(fake.aws_credential_requests(), 2);
}

#[tokio::test]
async fn messages_api_reaches_bedrock_claude() {
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let response = gateway
        .client
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": CLAUDE, "max_tokens": 100, "messages": [{"role": "user", "content": "Say hello"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["type"], "message");
    assert!(
        answer["content"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["type"] == "text")
    );

    // Streamed: ConverseStream frames become Anthropic SSE events.
    let text = gateway
        .client
        .post(gateway.url("/v1/messages"))
        .header("x-api-key", MASTER_KEY)
        .header("anthropic-version", "2023-06-01")
        .json(&json!({"model": CLAUDE, "max_tokens": 100, "stream": true,
            "messages": [{"role": "user", "content": "Say hello"}]}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for event in [
        "message_start",
        "content_block_delta",
        "message_delta",
        "message_stop",
    ] {
        assert!(
            text.contains(&format!("event: {event}")),
            "{event} missing: {text}"
        );
    }
}

/// The OpenAI Python SDK against Bedrock: chat, stream and a two-turn tool conversation.
#[tokio::test]
async fn official_openai_python_sdk_against_bedrock() {
    let python = crate::sdk::python_with_openai();
    let fake = bedrock_fake(|_| {}).await;
    let gateway = bedrock_gateway(&fake, &[]).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/sdk_bedrock.py");
    let args = [
        script.to_owned(),
        gateway.url("/v1"),
        MASTER_KEY.to_owned(),
        NOVA.to_owned(),
        CLAUDE.to_owned(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "SDK script failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        !result["chat_content"].as_str().unwrap().is_empty(),
        "{result}"
    );
    assert!(result["chat_usage_total"].as_u64().unwrap() > 0);
    assert_eq!(result["stream_content"], result["chat_content"], "{result}");
    assert!(result["stream_usage_total"].as_u64().unwrap() > 0);
    assert_eq!(result["tool_finish"], "tool_calls");
    assert_eq!(result["tool_calls"][0]["name"], "get_weather");
    assert_eq!(result["tool_calls"][1]["name"], "get_time");
    assert_eq!(result["after_tools_finish"], "stop", "{result}");
}
