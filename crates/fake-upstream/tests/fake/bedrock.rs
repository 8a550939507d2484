//! Amazon Bedrock: SigV4 and API key authentication, Converse answers (text, parallel tools,
//! thinking with signatures, prompt caching), the strict request checks with Bedrock's
//! messages, inference-profile-only models, the foundation model list, and scripted errors.
//! Streams are in `bedrock_stream.rs`, the credential endpoints in `aws_credentials.rs`.

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::aws::{Credentials, converse, error, post_signed, send_with, sign};

const HAIKU: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const TEXT: &str = "Hello World! How can I help you today?";
const BEDROCK_ERROR: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";
const FRONT_END_ERROR: &str = "http://internal.amazon.com/coral/com.amazon.coral.service/";
const MISMATCH: &str = "The request signature we calculated does not match the signature you \
     provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";

pub fn hello() -> Value {
    json!({"messages": [{"role": "user", "content": [{"text": "Hello"}]}]})
}

pub fn with(mut body: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

pub fn weather_tools() -> Value {
    json!({"tools": [
        {"toolSpec": {
            "name": "get_weather",
            "description": "Weather in a city",
            "inputSchema": {"json": {
                "type": "object",
                "properties": {"location": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location", "unit"],
            }},
        }},
        {"toolSpec": {
            "name": "get_time",
            "inputSchema": {"json": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]}},
        }},
    ]})
}

fn content(answer: &Value) -> &Vec<Value> {
    answer["output"]["message"]["content"].as_array().unwrap()
}

fn profile(base: &str) -> String {
    format!("us.{base}")
}

#[tokio::test]
async fn signed_converse_answers_text_with_usage() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = converse(&fake, HAIKU, &hello()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert!(
        response
            .header("x-amzn-requestid")
            .is_some_and(|id| id.len() == 36)
    );
    let answer = response.json();
    assert_eq!(answer["output"]["message"]["role"], "assistant");
    assert_eq!(content(&answer), &vec![json!({"text": TEXT})]);
    assert_eq!(answer["stopReason"], "end_turn");
    let usage = &answer["usage"];
    assert_eq!(usage["inputTokens"], 1, "\"Hello\" is 5 bytes");
    assert_eq!(usage["outputTokens"], TEXT.len() / 4);
    assert_eq!(usage["totalTokens"], 1 + TEXT.len() / 4);
    assert!(usage.get("cacheReadInputTokens").is_none());
    assert!(answer["metrics"]["latencyMs"].as_u64().unwrap() >= 1);
    let request = fake.last_request().unwrap();
    assert_eq!(
        request.path,
        "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    );
    assert_eq!(request.bedrock_model_id().as_deref(), Some(HAIKU));
    assert_eq!(fake.request_count(), 1);
}

#[tokio::test]
async fn inference_profile_arns_are_decoded() {
    let fake = FakeUpstream::start().await.unwrap();
    let arn = format!("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{SONNET_45}");
    let response = converse(&fake, &arn, &hello()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let request = fake.last_request().unwrap();
    assert!(
        request
            .path
            .contains("arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.")
    );
    assert_eq!(request.bedrock_model_id(), Some(arn));
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_signature() {
    let fake = FakeUpstream::start().await.unwrap();
    let wrong = Credentials::new("AKIDEXAMPLE", "not-the-secret", None);
    let path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
    let response = post_signed(&fake, Some(&wrong), path, &hello()).await;
    let (status, kind, message) = error(&response);
    assert_eq!(status, 403);
    assert_eq!(kind, format!("InvalidSignatureException:{FRONT_END_ERROR}"));
    assert!(message.starts_with(MISMATCH), "{message}");
    // AWS spells out what it signed: the id encoded twice.
    assert!(
        message.contains("\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse\n"),
        "{message}"
    );
    assert!(message.contains("The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n"));
}

#[tokio::test]
async fn stale_dates_scopes_and_unknown_keys_are_refused() {
    let fake = FakeUpstream::start().await.unwrap();
    let path = "/model/amazon.nova-micro-v1%3A0/converse";
    let stale = Credentials {
        clock_offset: -20 * 60,
        ..Credentials::example()
    };
    let (status, kind, message) = error(&post_signed(&fake, Some(&stale), path, &hello()).await);
    assert_eq!(
        (status, kind.as_str()),
        (
            403,
            &*format!("InvalidSignatureException:{FRONT_END_ERROR}")
        )
    );
    assert!(message.starts_with("Signature expired: "), "{message}");
    assert!(message.ends_with(" - 15 min.)"), "{message}");

    let future = Credentials {
        clock_offset: 20 * 60,
        ..Credentials::example()
    };
    let (_, _, message) = error(&post_signed(&fake, Some(&future), path, &hello()).await);
    assert!(
        message.starts_with("Signature not yet current: "),
        "{message}"
    );

    let elsewhere = Credentials {
        region: "eu-west-1".into(),
        ..Credentials::example()
    };
    let (status, _, message) = error(&post_signed(&fake, Some(&elsewhere), path, &hello()).await);
    assert_eq!(
        (status, message.as_str()),
        (403, "Credential should be scoped to a valid region. ")
    );

    let stranger = Credentials::new("AKIASTRANGER0000000", "x", None);
    let (status, kind, message) = error(&post_signed(&fake, Some(&stranger), path, &hello()).await);
    assert_eq!(status, 403);
    assert_eq!(
        kind,
        format!("UnrecognizedClientException:{FRONT_END_ERROR}")
    );
    assert_eq!(
        message,
        "The security token included in the request is invalid."
    );

    let (status, kind, message) = error(&post_signed(&fake, None, path, &hello()).await);
    assert_eq!(status, 403);
    assert_eq!(
        kind,
        format!("MissingAuthenticationTokenException:{FRONT_END_ERROR}")
    );
    assert_eq!(message, "Missing Authentication Token");

    // A token sent with a long-term key names no session.
    let with_token = Credentials::new("AKIDEXAMPLE", crate::aws::SECRET_KEY, Some("token"));
    let (status, kind, _) = error(&post_signed(&fake, Some(&with_token), path, &hello()).await);
    assert_eq!(
        (status, kind.starts_with("UnrecognizedClientException")),
        (403, true)
    );
    assert_eq!(
        fake.request_count(),
        6,
        "refused calls are still provider requests"
    );
}

#[tokio::test]
async fn host_and_date_must_be_signed() {
    let fake = FakeUpstream::start().await.unwrap();
    let path = "/model/amazon.nova-micro-v1%3A0/converse";
    let body = serde_json::to_vec(&hello()).unwrap();
    let mut headers = sign(&Credentials::example(), "POST", path, "", &body);
    for (name, value) in &mut headers {
        if name == "authorization" {
            *value = value.replace(
                "SignedHeaders=content-type;host;x-amz-date",
                "SignedHeaders=content-type;x-amz-date",
            );
        }
    }
    let (status, kind, message) = error(&send_with(&fake, "POST", path, &headers, &body).await);
    assert_eq!(status, 400);
    assert!(kind.starts_with("IncompleteSignatureException:"));
    assert_eq!(
        message,
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
    let headers: Vec<(String, String)> = sign(&Credentials::example(), "POST", path, "", &body)
        .into_iter()
        .filter(|(name, _)| name != "x-amz-date")
        .collect();
    let (status, _, message) = error(&send_with(&fake, "POST", path, &headers, &body).await);
    assert_eq!(status, 400);
    assert!(
        message.starts_with("Authorization header requires existence of either a 'X-Amz-Date'")
    );
}

#[tokio::test]
async fn bedrock_api_keys_are_bearer_tokens() {
    let key = "ABSKQmVkcm9ja0FQSUtleS1mYWtl";
    let fake = FakeUpstream::start_with(FakeOptions {
        bedrock_api_key: Some(key.into()),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let path = "/model/amazon.nova-pro-v1%3A0/converse";
    let body = serde_json::to_vec(&hello()).unwrap();
    let bearer = |token: &str| {
        vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("authorization".to_owned(), format!("Bearer {token}")),
        ]
    };
    let ok = send_with(&fake, "POST", path, &bearer(key), &body).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let wrong = send_with(&fake, "POST", path, &bearer("ABSKd3Jvbmc="), &body).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(
        wrong.json(),
        json!({"Message": "Authentication failed: Please make sure your API Key is valid."})
    );
    let malformed = send_with(&fake, "POST", path, &bearer("sk-123"), &body).await;
    assert_eq!(
        error(&malformed).2,
        "Invalid API Key format: Must start with pre-defined prefix"
    );
    assert!(error(&malformed).1.starts_with("AccessDeniedException:"));
}

#[tokio::test]
async fn tools_are_called_in_parallel_then_answered() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = with(hello(), json!({"toolConfig": weather_tools()}));
    let answer = converse(&fake, HAIKU, &body).await.json();
    assert_eq!(answer["stopReason"], "tool_use");
    let blocks = content(&answer);
    assert_eq!(blocks.len(), 2);
    let first = &blocks[0]["toolUse"];
    assert_eq!(first["name"], "get_weather");
    assert_eq!(
        first["input"],
        json!({"location": "Tokyo", "unit": "celsius"})
    );
    assert_eq!(blocks[1]["toolUse"]["name"], "get_time");
    assert_eq!(blocks[1]["toolUse"]["input"], json!({"zone": "example"}));
    let ids: Vec<&str> = blocks
        .iter()
        .map(|b| b["toolUse"]["toolUseId"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(id.starts_with("tooluse_") && id.len() == 30, "{id}");
    }
    assert_ne!(ids[0], ids[1]);

    let mut messages = body["messages"].as_array().unwrap().clone();
    messages.push(json!({"role": "assistant", "content": blocks}));
    let results: Vec<Value> = ids
        .iter()
        .map(|id| json!({"toolResult": {"toolUseId": id, "content": [{"json": {"temp": 21}}], "status": "success"}}))
        .collect();
    messages.push(json!({"role": "user", "content": results}));
    let follow_up = with(body.clone(), json!({"messages": messages}));
    let answer = converse(&fake, HAIKU, &follow_up).await.json();
    assert_eq!(answer["stopReason"], "end_turn");
    assert_eq!(content(&answer)[0]["text"], TEXT);

    let mut forced = body.clone();
    forced["toolConfig"]["toolChoice"] = json!({"tool": {"name": "get_time"}});
    let answer = converse(&fake, HAIKU, &forced).await.json();
    let blocks = content(&answer);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["toolUse"]["name"], "get_time");
}

#[tokio::test]
async fn thinking_signatures_must_come_back_unchanged() {
    let fake = FakeUpstream::start().await.unwrap();
    let model = profile(SONNET_45);
    let body = with(
        hello(),
        json!({
            "toolConfig": {"tools": [weather_tools()["tools"][0].clone()]},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 2048}},
            "inferenceConfig": {"maxTokens": 4096},
        }),
    );
    let response = converse(&fake, &model, &body).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    let blocks = content(&answer).clone();
    let reasoning = &blocks[0]["reasoningContent"]["reasoningText"];
    assert!(!reasoning["text"].as_str().unwrap().is_empty());
    let signature = reasoning["signature"].as_str().unwrap().to_owned();
    assert!(signature.len() > 40);
    let call = &blocks[1]["toolUse"];
    assert_eq!(call["name"], "get_weather");
    assert_eq!(blocks.len(), 2);

    let turn = |assistant: Vec<Value>| {
        let result =
            json!({"toolResult": {"toolUseId": call["toolUseId"], "content": [{"text": "21C"}]}});
        let mut messages = body["messages"].as_array().unwrap().clone();
        messages.push(json!({"role": "assistant", "content": assistant}));
        messages.push(json!({"role": "user", "content": [result]}));
        with(body.clone(), json!({"messages": messages}))
    };
    let ok = converse(&fake, &model, &turn(blocks.clone())).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let answer = ok.json();
    assert_eq!(content(&answer).len(), 2, "reasoning, then text");
    assert_eq!(answer["stopReason"], "end_turn");

    let without_reasoning = converse(&fake, &model, &turn(vec![blocks[1].clone()])).await;
    let (status, kind, message) = error(&without_reasoning);
    assert_eq!(status, 400);
    assert_eq!(kind, format!("ValidationException:{BEDROCK_ERROR}"));
    assert!(
        message.starts_with(
            "The model returned the following errors: messages.1.content.0.type: Expected \
             `thinking` or `redacted_thinking`, but found `tool_use`."
        ),
        "{message}"
    );

    let mut forged = blocks.clone();
    forged[0]["reasoningContent"]["reasoningText"]["signature"] = json!("Zm9yZ2Vk");
    let (status, _, message) = error(&converse(&fake, &model, &turn(forged)).await);
    assert_eq!(status, 400);
    assert_eq!(
        message,
        "The model returned the following errors: messages.1.content.0: Invalid `signature` in \
         `thinking` block"
    );
}

#[tokio::test]
async fn conversation_rules_use_bedrocks_messages() {
    let fake = FakeUpstream::start().await.unwrap();
    let user = json!({"role": "user", "content": [{"text": "a"}]});
    let twice = json!({"messages": [user, user]});
    let (status, kind, message) = error(&converse(&fake, HAIKU, &twice).await);
    assert_eq!(
        (status, kind.as_str()),
        (400, &*format!("ValidationException:{BEDROCK_ERROR}"))
    );
    assert_eq!(
        message,
        "A conversation must alternate between user and assistant roles. Make sure the \
         conversation alternates between user and assistant roles and try again."
    );
    let call = |id: &str| json!({"toolUse": {"toolUseId": id, "name": "get_weather", "input": {}}});
    let result = |id: &str| json!({"toolResult": {"toolUseId": id, "content": [{"text": "x"}]}});
    let body = |results: Vec<Value>| {
        json!({
            "messages": [user, {"role": "assistant", "content": [call("a"), call("b")]}, {"role": "user", "content": results}],
            "toolConfig": weather_tools(),
        })
    };
    let (_, _, message) = error(&converse(&fake, HAIKU, &body(vec![result("a")])).await);
    assert_eq!(
        message,
        "Expected toolResult blocks at messages.2.content for the following Ids: b"
    );
    let (_, _, message) = error(
        &converse(
            &fake,
            HAIKU,
            &body(vec![result("a"), result("b"), result("c")]),
        )
        .await,
    );
    assert_eq!(
        message,
        "The number of toolResult blocks at messages.2.content exceeds the number of toolUse \
         blocks of previous turn."
    );
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    let fake = FakeUpstream::start().await.unwrap();
    let (status, kind, message) =
        error(&converse(&fake, HAIKU, &with(hello(), json!({"foo": 1}))).await);
    assert_eq!(status, 400);
    assert_eq!(kind, format!("ValidationException:{BEDROCK_ERROR}"));
    assert_eq!(
        message,
        "Malformed input request: #: extraneous key [foo] is not permitted, please reformat your \
         input and try again."
    );
    // OpenAI's spelling of a Converse field.
    let openai_style = with(hello(), json!({"inferenceConfig": {"max_tokens": 10}}));
    let (_, _, message) = error(&converse(&fake, HAIKU, &openai_style).await);
    assert!(
        message.contains("#/inferenceConfig: extraneous key [max_tokens]"),
        "{message}"
    );
}

#[tokio::test]
async fn profile_only_models_need_an_inference_profile() {
    let fake = FakeUpstream::start().await.unwrap();
    let (status, kind, message) = error(&converse(&fake, SONNET_45, &hello()).await);
    assert_eq!(status, 400);
    assert!(kind.starts_with("ValidationException:"));
    assert_eq!(
        message,
        "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand \
         throughput isn\u{2019}t supported. Retry your request with the ID or ARN of an inference \
         profile that contains this model."
    );
    for model in [profile(SONNET_45), format!("global.{SONNET_45}")] {
        let response = converse(&fake, &model, &hello()).await;
        assert_eq!(response.status, 200, "{model}: {}", response.text());
    }
    let (status, _, message) = error(&converse(&fake, "anthropic.claude-9-v1:0", &hello()).await);
    assert_eq!(
        (status, message.as_str()),
        (400, "The provided model identifier is invalid.")
    );
    let (_, _, message) =
        error(&converse(&fake, "eu.anthropic.claude-3-haiku-20240307-v1:0", &hello()).await);
    assert_eq!(
        message, "The provided model identifier is invalid.",
        "eu profiles are not in us-east-1"
    );
}

#[tokio::test]
async fn max_tokens_and_stop_sequences_cut_the_text() {
    let fake = FakeUpstream::start().await.unwrap();
    let one = with(hello(), json!({"inferenceConfig": {"maxTokens": 1}}));
    let answer = converse(&fake, HAIKU, &one).await.json();
    assert_eq!(content(&answer)[0]["text"], "Hello");
    assert_eq!(answer["stopReason"], "max_tokens");
    let stop = with(
        hello(),
        json!({
            "inferenceConfig": {"stopSequences": ["How", "!"]},
            "additionalModelResponseFieldPaths": ["/stop_sequence"],
        }),
    );
    let answer = converse(&fake, HAIKU, &stop).await.json();
    assert_eq!(content(&answer)[0]["text"], "Hello World");
    assert_eq!(answer["stopReason"], "stop_sequence");
    assert_eq!(
        answer["additionalModelResponseFields"],
        json!({"stop_sequence": "!"})
    );
}

#[tokio::test]
async fn cache_points_write_then_read() {
    let fake = FakeUpstream::start().await.unwrap();
    let instructions = "You answer questions about the weather. ".repeat(20);
    let body = |question: &str| {
        json!({
            "system": [{"text": instructions}, {"cachePoint": {"type": "default"}}],
            "messages": [{"role": "user", "content": [{"text": question}]}],
        })
    };
    let cached = (instructions.len() / 4) as u64;
    let first = converse(&fake, HAIKU, &body("Tokyo?")).await.json();
    assert_eq!(first["usage"]["cacheWriteInputTokens"], cached);
    assert_eq!(first["usage"]["cacheReadInputTokens"], 0);
    let second = converse(&fake, HAIKU, &body("Paris?")).await.json();
    assert_eq!(second["usage"]["cacheReadInputTokens"], cached);
    assert_eq!(second["usage"]["cacheWriteInputTokens"], 0);
    let usage = &second["usage"];
    let sum =
        usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap() + cached;
    assert_eq!(usage["totalTokens"], sum);
}

#[tokio::test]
async fn foundation_models_filter_like_bedrock() {
    let fake = FakeUpstream::start().await.unwrap();
    let query = "byOutputModality=TEXT&byInferenceType=ON_DEMAND";
    let headers = sign(
        &Credentials::example(),
        "GET",
        "/foundation-models",
        query,
        b"",
    );
    let target = format!("/foundation-models?{query}");
    let response = send_with(&fake, "GET", &target, &headers, b"").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let summaries = response.json()["modelSummaries"]
        .as_array()
        .unwrap()
        .clone();
    let ids: Vec<&str> = summaries
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&HAIKU) && ids.contains(&"amazon.nova-pro-v1:0"));
    assert!(!ids.contains(&SONNET_45), "inference-profile only");
    assert!(
        !ids.contains(&"amazon.titan-embed-text-v2:0"),
        "an embedding model"
    );
    let haiku = summaries.iter().find(|m| m["modelId"] == HAIKU).unwrap();
    assert_eq!(
        haiku["modelArn"],
        format!("arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}")
    );
    assert_eq!(haiku["providerName"], "Anthropic");
    assert_eq!(haiku["responseStreamingSupported"], true);
    assert_eq!(haiku["inferenceTypesSupported"], json!(["ON_DEMAND"]));
    assert_eq!(haiku["modelLifecycle"]["status"], "ACTIVE");

    let all_headers = sign(
        &Credentials::example(),
        "GET",
        "/foundation-models",
        "",
        b"",
    );
    let all = send_with(&fake, "GET", "/foundation-models", &all_headers, b"")
        .await
        .json();
    let all = all["modelSummaries"].as_array().unwrap();
    let outputs: Vec<&str> = all
        .iter()
        .map(|m| m["outputModalities"][0].as_str().unwrap())
        .collect();
    assert!(outputs.contains(&"EMBEDDING") && outputs.contains(&"IMAGE"));
    let sonnet = all.iter().find(|m| m["modelId"] == SONNET_45).unwrap();
    assert_eq!(
        sonnet["inferenceTypesSupported"],
        json!(["INFERENCE_PROFILE"])
    );

    let unsigned = send_with(&fake, "GET", "/foundation-models", &[], b"").await;
    assert_eq!(unsigned.status, 403);
}

#[tokio::test]
async fn chosen_models_are_the_whole_catalog() {
    let fake = FakeUpstream::start_with(FakeOptions {
        models: Some(vec!["acme.model-a-v1:0".into(), "model-b".into()]),
        ..FakeOptions::default()
    })
    .await
    .unwrap();
    let headers = sign(
        &Credentials::example(),
        "GET",
        "/foundation-models",
        "",
        b"",
    );
    let body = send_with(&fake, "GET", "/foundation-models", &headers, b"")
        .await
        .json();
    let ids: Vec<&str> = body["modelSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acme.model-a-v1:0", "model-b"]);
    assert_eq!(converse(&fake, "model-b", &hello()).await.status, 200);
    assert_eq!(converse(&fake, HAIKU, &hello()).await.status, 400);
}

#[tokio::test]
async fn scripted_errors_speak_bedrocks_vocabulary() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        (400, "ValidationException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (408, "ModelTimeoutException"),
        (424, "ModelErrorException"),
        (429, "ThrottlingException"),
        (500, "InternalServerException"),
        (503, "ServiceUnavailableException"),
    ];
    for (status, exception) in cases {
        let model = format!("fake-error-{status}");
        let (got, kind, message) = error(&converse(&fake, &model, &hello()).await);
        assert_eq!(got, status, "{model}");
        assert_eq!(kind, format!("{exception}:{BEDROCK_ERROR}"), "{model}");
        assert!(!message.is_empty());
    }
    let (_, _, message) = error(&converse(&fake, "fake-error-403", &hello()).await);
    assert_eq!(
        message,
        "You don't have access to the model with the specified model ID."
    );
    let (_, _, message) = error(&converse(&fake, "fake-error-429", &hello()).await);
    assert_eq!(
        message,
        "Too many requests, please wait before trying again."
    );
    let (status, kind, _) = error(&converse(&fake, "fake-model-not-ready", &hello()).await);
    assert_eq!(
        (status, kind.starts_with("ModelNotReadyException:")),
        (429, true)
    );
    let slow = converse(&fake, "fake-slow-10", &hello()).await;
    assert_eq!(slow.status, 200);
}
