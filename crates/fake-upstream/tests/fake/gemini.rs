//! Google's Gemini API and Vertex AI: answers, streams, tools, thinking and signatures, the
//! strict request reading, safety blocks, embeddings, the model list, API keys, faults.
//! Tokens and the Vertex bearer check with JWTs are in `google_oauth.rs`.

use gomodel_fake_upstream::{FakeOptions, FakeUpstream};
use serde_json::{Value, json};

use crate::client::{Response, send};

pub const API_KEY: &str = "AIza-fake-test-key";
const TEXT: &str = "Hello World! How can I help you today?";
const VERTEX: &str = "/v1/projects/proj/locations/us-central1/publishers/google/models";

/// `POST /v1beta/models/{model}:{method}` with an API key.
pub async fn call(fake: &FakeUpstream, model: &str, method: &str, body: &Value) -> Response {
    let path = format!("/v1beta/models/{model}:{method}");
    post_with(fake, &path, &[("x-goog-api-key", API_KEY)], body).await
}

pub async fn post_with(
    fake: &FakeUpstream,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> Response {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let body = serde_json::to_vec(body).unwrap();
    send(fake.addr(), "POST", path, &all, &body)
        .await
        .expect("no response")
}

fn hello() -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": "Hello"}]}]})
}

fn with(mut body: Value, extra: Value) -> Value {
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// The data of each SSE event, checking Google's CRLF framing.
fn sse(response: &Response) -> Vec<Value> {
    let text = response.text();
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    text.split_terminator("\r\n\r\n")
        .map(|event| {
            let data = event.strip_prefix("data: ").unwrap();
            assert!(!data.contains('\n'), "one line per event: {data:?}");
            serde_json::from_str(data).unwrap()
        })
        .collect()
}

fn parts(answer: &Value) -> &Vec<Value> {
    answer["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
}

fn error(response: &Response) -> (u16, String, String) {
    let body = response.json();
    let error = &body["error"];
    assert_eq!(error["code"], response.status, "{body}");
    (
        response.status,
        error["status"].as_str().unwrap().to_owned(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

fn weather_tools() -> Value {
    json!([{"functionDeclarations": [
        {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {
                "type": "OBJECT",
                "properties": {"location": {"type": "STRING"}, "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location"],
            },
        },
        {
            "name": "get_time",
            "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
        },
    ]}])
}

#[tokio::test]
async fn generate_content_answers_text_with_usage() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = call(&fake, "gemini-2.0-flash", "generateContent", &hello()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let answer = response.json();
    let candidate = &answer["candidates"][0];
    assert_eq!(candidate["content"]["role"], "model");
    assert_eq!(candidate["content"]["parts"], json!([{"text": TEXT}]));
    assert_eq!(candidate["finishReason"], "STOP");
    assert_eq!(candidate["index"], 0);
    let ratings = candidate["safetyRatings"].as_array().unwrap();
    assert_eq!(ratings.len(), 4);
    assert!(ratings.iter().all(|r| r["probability"] == "NEGLIGIBLE"));
    let usage = &answer["usageMetadata"];
    assert_eq!(usage["promptTokenCount"], 1, "\"Hello\" is 5 bytes");
    assert_eq!(usage["candidatesTokenCount"], TEXT.len() / 4);
    assert_eq!(usage["totalTokenCount"], 1 + TEXT.len() / 4);
    assert_eq!(
        usage["promptTokensDetails"],
        json!([{"modality": "TEXT", "tokenCount": 1}])
    );
    assert!(
        usage.get("thoughtsTokenCount").is_none(),
        "2.0 does not think"
    );
    assert_eq!(answer["modelVersion"], "gemini-2.0-flash");
    let id = answer["responseId"].as_str().unwrap();
    assert_eq!(id.len(), 22);
    let again = call(&fake, "gemini-2.0-flash", "generateContent", &hello()).await;
    assert_ne!(again.json()["responseId"], id);

    let received = fake.last_request().unwrap();
    assert_eq!(
        received.path,
        "/v1beta/models/gemini-2.0-flash:generateContent"
    );
    assert_eq!(received.header("x-goog-api-key"), Some(API_KEY));
    assert_eq!(received.json(), hello());
    assert_eq!(fake.request_count(), 2);
}

#[tokio::test]
async fn stream_sends_crlf_events_with_running_usage() {
    let fake = FakeUpstream::start().await.unwrap();
    let response = call(
        &fake,
        "gemini-2.0-flash",
        "streamGenerateContent?alt=sse",
        &hello(),
    )
    .await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    assert!(!response.text().contains("[DONE]"));
    let chunks = sse(&response);
    assert_eq!(chunks.len(), 3);
    let text: String = chunks
        .iter()
        .map(|c| parts(c)[0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(text, TEXT);
    let mut previous = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let usage = &chunk["usageMetadata"];
        assert_eq!(usage["promptTokenCount"], 1, "every chunk has usage");
        let candidates = usage["candidatesTokenCount"].as_u64().unwrap();
        assert!(candidates >= previous, "running count");
        previous = candidates;
        let last = i + 1 == chunks.len();
        assert_eq!(chunk["candidates"][0]["finishReason"].is_string(), last);
        assert_eq!(chunk["modelVersion"], "gemini-2.0-flash");
        assert_eq!(chunk["responseId"], chunks[0]["responseId"]);
    }
    assert_eq!(
        previous,
        (TEXT.len() / 4) as u64,
        "final counts in the last chunk"
    );

    // Without alt=sse the same chunks come as one JSON array.
    let array = call(&fake, "gemini-2.0-flash", "streamGenerateContent", &hello()).await;
    assert_eq!(array.header("content-type"), Some("application/json"));
    let items = array.json();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[2]["candidates"][0]["finishReason"], "STOP");
}

#[tokio::test]
async fn stream_chunks_option_sets_the_number_of_text_chunks() {
    let options = FakeOptions {
        stream_chunks: Some(5),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let response = call(
        &fake,
        "gemini-2.0-flash",
        "streamGenerateContent?alt=sse",
        &hello(),
    )
    .await;
    assert_eq!(sse(&response).len(), 5);
}

#[tokio::test]
async fn tools_get_parallel_calls_without_ids() {
    let fake = FakeUpstream::start().await.unwrap();
    let body = with(hello(), json!({"tools": weather_tools()}));
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &body)
        .await
        .json();
    assert_eq!(
        parts(&answer),
        &vec![
            json!({"functionCall": {"name": "get_weather", "args": {"location": "Tokyo"}}}),
            json!({"functionCall": {"name": "get_time", "args": {"zone": "x"}}}),
        ]
    );
    assert_eq!(answer["candidates"][0]["finishReason"], "STOP");

    // Streamed, the calls come whole in the last chunk.
    let stream = call(
        &fake,
        "gemini-2.0-flash",
        "streamGenerateContent?alt=sse",
        &body,
    )
    .await;
    let chunks = sse(&stream);
    assert_eq!(chunks.len(), 1);
    assert_eq!(parts(&chunks[0]).len(), 2);

    // ANY with allowed names calls only those; NONE answers text.
    let only_time = with(
        body.clone(),
        json!({"toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_time"]}}}),
    );
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &only_time)
        .await
        .json();
    assert_eq!(parts(&answer).len(), 1);
    assert_eq!(parts(&answer)[0]["functionCall"]["name"], "get_time");
    let none = with(
        body.clone(),
        json!({"tool_config": {"function_calling_config": {"mode": "NONE"}}}),
    );
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &none)
        .await
        .json();
    assert_eq!(parts(&answer)[0]["text"], TEXT);

    // After the function responses, the model answers in text.
    let follow_up = json!({
        "contents": [
            {"role": "user", "parts": [{"text": "Weather and time in Tokyo?"}]},
            {"role": "model", "parts": parts(&call(&fake, "gemini-2.0-flash", "generateContent", &body).await.json())},
            {"role": "user", "parts": [
                {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
                {"functionResponse": {"name": "get_time", "response": {"time": "10:00"}}},
            ]},
        ],
        "tools": weather_tools(),
    });
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &follow_up).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(parts(&answer.json())[0]["text"], TEXT);

    // One response for two calls is refused.
    let mut short = follow_up.clone();
    short["contents"][2]["parts"].as_array_mut().unwrap().pop();
    let refused = call(&fake, "gemini-2.0-flash", "generateContent", &short).await;
    let (status, kind, message) = error(&refused);
    assert_eq!((status, kind.as_str()), (400, "INVALID_ARGUMENT"));
    assert!(
        message.contains("number of function response parts"),
        "{message}"
    );
}

#[tokio::test]
async fn thinking_models_sign_their_answers() {
    let fake = FakeUpstream::start().await.unwrap();
    // Gemini 2.5 thinks by default: a signature on the text, thought tokens in usage.
    let answer = call(&fake, "gemini-2.5-flash", "generateContent", &hello())
        .await
        .json();
    let signed = parts(&answer);
    assert_eq!(signed.len(), 1, "no thought summary unless asked");
    let signature = signed[0]["thoughtSignature"].as_str().unwrap().to_owned();
    let usage = &answer["usageMetadata"];
    let thoughts = usage["thoughtsTokenCount"].as_u64().unwrap();
    assert!(thoughts > 0);
    assert_eq!(
        usage["totalTokenCount"].as_u64().unwrap(),
        usage["promptTokenCount"].as_u64().unwrap()
            + usage["candidatesTokenCount"].as_u64().unwrap()
            + thoughts
    );
    // A zero budget turns it off.
    let off = with(
        hello(),
        json!({"generationConfig": {"thinkingConfig": {"thinkingBudget": 0}}}),
    );
    let plain = call(&fake, "gemini-2.5-flash", "generateContent", &off)
        .await
        .json();
    assert!(parts(&plain)[0].get("thoughtSignature").is_none());
    assert!(plain["usageMetadata"].get("thoughtsTokenCount").is_none());
    // 2.5 Pro cannot turn it off.
    let refused = call(&fake, "gemini-2.5-pro", "generateContent", &off).await;
    assert_eq!(refused.status, 400);

    // includeThoughts: a thought part first, in its own stream chunks.
    let include = with(
        hello(),
        json!({"generationConfig": {"thinkingConfig": {"includeThoughts": true}}}),
    );
    let answer = call(&fake, "gemini-2.5-flash", "generateContent", &include)
        .await
        .json();
    let both = parts(&answer);
    assert_eq!(both[0]["thought"], true);
    assert!(both[0]["text"].as_str().unwrap().len() > 10);
    assert_eq!(both[1]["text"], TEXT);
    assert!(both[1]["thoughtSignature"].is_string());
    let stream = call(
        &fake,
        "gemini-2.5-flash",
        "streamGenerateContent?alt=sse",
        &include,
    )
    .await;
    let chunks = sse(&stream);
    let kinds: Vec<bool> = chunks
        .iter()
        .map(|c| parts(c)[0]["thought"] == true)
        .collect();
    assert_eq!(kinds, [true, true, false, false, false]);
    assert!(
        chunks[..4]
            .iter()
            .all(|c| parts(c)[0].get("thoughtSignature").is_none())
    );
    assert!(
        parts(&chunks[4])[0]["thoughtSignature"].is_string(),
        "on the last text chunk"
    );
    assert!(
        chunks[0]["usageMetadata"]["thoughtsTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Signatures go back unchanged on the next turn; an invented one is refused.
    let turn = |signature: &str| {
        json!({"contents": [
            {"role": "user", "parts": [{"text": "Hello"}]},
            {"role": "model", "parts": [{"text": TEXT, "thoughtSignature": signature}]},
            {"role": "user", "parts": [{"text": "And?"}]},
        ]})
    };
    let accepted = call(
        &fake,
        "gemini-2.5-flash",
        "generateContent",
        &turn(&signature),
    )
    .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    let forged = call(
        &fake,
        "gemini-2.5-flash",
        "generateContent",
        &turn("Zm9yZ2Vk"),
    )
    .await;
    assert_eq!(error(&forged).2, "Corrupted thought signature.");
}

#[tokio::test]
async fn gemini_3_requires_the_signature_of_the_first_call() {
    let fake = FakeUpstream::start().await.unwrap();
    let model = "gemini-3-pro-preview";
    let body = with(
        json!({"contents": [{"role": "user", "parts": [{"text": "Weather in Tokyo?"}]}]}),
        json!({"tools": weather_tools()}),
    );
    let answer = call(&fake, model, "generateContent", &body).await.json();
    let calls = parts(&answer).clone();
    assert!(
        calls[0]["thoughtSignature"].is_string(),
        "on the first call"
    );
    assert!(calls[1].get("thoughtSignature").is_none(), "only the first");
    let follow_up = |model_parts: Value| {
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Weather in Tokyo?"}]},
                {"role": "model", "parts": model_parts},
                {"role": "user", "parts": [
                    {"functionResponse": {"name": "get_weather", "response": {"temp": 21}}},
                    {"functionResponse": {"name": "get_time", "response": {"time": "10:00"}}},
                ]},
            ],
            "tools": weather_tools(),
        })
    };
    let signed = call(&fake, model, "generateContent", &follow_up(json!(calls))).await;
    assert_eq!(signed.status, 200, "{}", signed.text());

    let mut stripped = calls.clone();
    stripped[0]
        .as_object_mut()
        .unwrap()
        .remove("thoughtSignature");
    let refused = call(&fake, model, "generateContent", &follow_up(json!(stripped))).await;
    let (status, kind, message) = error(&refused);
    assert_eq!((status, kind.as_str()), (400, "INVALID_ARGUMENT"));
    assert!(
        message.starts_with("Function call is missing a thought_signature in functionCall parts."),
        "{message}"
    );
    assert!(message.contains("function call `default_api:get_weather` , position 2."));

    stripped[0]["thoughtSignature"] = json!("skip_thought_signature_validator");
    let skipped = call(&fake, model, "generateContent", &follow_up(json!(stripped))).await;
    assert_eq!(skipped.status, 200);
    // Gemini 2.5 does not enforce it.
    stripped[0]
        .as_object_mut()
        .unwrap()
        .remove("thoughtSignature");
    let older = call(
        &fake,
        "gemini-2.5-flash",
        "generateContent",
        &follow_up(json!(stripped)),
    )
    .await;
    assert_eq!(older.status, 200);
}

#[tokio::test]
async fn unknown_fields_are_refused_like_google_does() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        (
            with(hello(), json!({"temperature": 0.5})),
            "Invalid JSON payload received. Unknown name \"temperature\": Cannot find field.",
        ),
        (
            json!({"contents": [{"role": "user", "parts": [{"text": "a", "cache_control": {}}]}]}),
            "Invalid JSON payload received. Unknown name \"cache_control\" at 'contents[0].parts[0]': Cannot find field.",
        ),
        (
            with(hello(), json!({"generationConfig": {"max_tokens": 5}})),
            "Invalid JSON payload received. Unknown name \"max_tokens\" at 'generation_config': Cannot find field.",
        ),
        (
            with(
                hello(),
                json!({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object", "additionalProperties": false}}]}]}),
            ),
            "Invalid JSON payload received. Unknown name \"additionalProperties\" at 'tools[0].function_declarations[0].parameters': Cannot find field.",
        ),
        (
            with(
                hello(),
                json!({"generationConfig": {"responseMimeType": "application/json", "responseSchema": {"type": "object", "properties": {"a": {"type": "string", "$schema": "x"}}}}}),
            ),
            "Invalid JSON payload received. Unknown name \"$schema\" at 'generation_config.response_schema.properties[0].value': Cannot find field.",
        ),
        (
            json!({"contents": [{"role": "assistant", "parts": [{"text": "a"}]}]}),
            "Please use a valid role: user, model.",
        ),
        (
            json!({"contents": []}),
            "* GenerateContentRequest.contents: contents is not specified\n",
        ),
        (
            with(
                hello(),
                json!({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object", "properties": {"u": {"type": "string", "format": "uri"}}}}]}]}),
            ),
            "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[0].value.format: only 'enum' and 'date-time' are supported for STRING type",
        ),
        (
            with(
                hello(),
                json!({"tools": [{"functionDeclarations": [{"name": "f", "parameters": {"type": "object", "properties": {"n": {"type": "integer", "enum": ["1"]}}}}]}]}),
            ),
            "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[0].value.enum: only allowed for STRING type",
        ),
    ];
    for (body, expected) in cases {
        let response = call(&fake, "gemini-2.5-flash", "generateContent", &body).await;
        let (status, kind, message) = error(&response);
        assert_eq!((status, kind.as_str()), (400, "INVALID_ARGUMENT"), "{body}");
        assert_eq!(message, expected, "{body}");
    }
    // snake_case spellings are the proto's own names and are accepted.
    let snake = json!({
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
        "system_instruction": {"parts": [{"text": "Be brief"}]},
        "generation_config": {"max_output_tokens": 100, "thinking_config": {"thinking_budget": 0}},
    });
    let response = call(&fake, "gemini-2.5-flash", "generateContent", &snake).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn json_mode_and_token_limits_shape_the_text() {
    let fake = FakeUpstream::start().await.unwrap();
    let json_mode = with(
        hello(),
        json!({"generationConfig": {"responseMimeType": "application/json", "responseSchema": {
            "type": "OBJECT",
            "properties": {"city": {"type": "STRING"}, "temp": {"type": "INTEGER"}, "sunny": {"type": "BOOLEAN"}},
        }}}),
    );
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &json_mode)
        .await
        .json();
    let text = parts(&answer)[0]["text"].as_str().unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(value, json!({"city": "Tokyo", "temp": 1, "sunny": true}));

    let one_token = with(hello(), json!({"generationConfig": {"maxOutputTokens": 1}}));
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &one_token)
        .await
        .json();
    assert_eq!(parts(&answer)[0]["text"], "Hello");
    assert_eq!(answer["candidates"][0]["finishReason"], "MAX_TOKENS");

    let cached = with(hello(), json!({"cachedContent": "cachedContents/abc"}));
    let answer = call(&fake, "gemini-2.0-flash", "generateContent", &cached)
        .await
        .json();
    let usage = &answer["usageMetadata"];
    let cached_tokens = usage["cachedContentTokenCount"].as_u64().unwrap();
    assert!(cached_tokens > 0);
    assert!(cached_tokens <= usage["promptTokenCount"].as_u64().unwrap());

    let counted = call(&fake, "gemini-2.0-flash", "countTokens", &hello())
        .await
        .json();
    assert_eq!(counted["totalTokens"], 1);
}

#[tokio::test]
async fn safety_and_recitation_models_block() {
    let fake = FakeUpstream::start().await.unwrap();
    let answer = call(&fake, "fake-safety-prompt", "generateContent", &hello())
        .await
        .json();
    assert!(answer.get("candidates").is_none());
    let feedback = &answer["promptFeedback"];
    assert_eq!(feedback["blockReason"], "SAFETY");
    let blocked: Vec<&Value> = feedback["safetyRatings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["blocked"] == true)
        .collect();
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["category"], "HARM_CATEGORY_DANGEROUS_CONTENT");
    assert_eq!(blocked[0]["probability"], "HIGH");
    let usage = &answer["usageMetadata"];
    assert_eq!(usage["totalTokenCount"], usage["promptTokenCount"]);
    assert!(usage.get("candidatesTokenCount").is_none());

    let answer = call(&fake, "fake-safety-candidate", "generateContent", &hello())
        .await
        .json();
    let candidate = &answer["candidates"][0];
    assert_eq!(candidate["finishReason"], "SAFETY");
    assert!(candidate.get("content").is_none());
    assert!(
        candidate["safetyRatings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["blocked"] == true && r["probability"] == "HIGH")
    );
    let stream = call(
        &fake,
        "fake-safety-candidate",
        "streamGenerateContent?alt=sse",
        &hello(),
    )
    .await;
    let chunks = sse(&stream);
    assert_eq!(chunks.len(), 2);
    assert_eq!(parts(&chunks[0])[0]["text"], "Hello");
    assert_eq!(chunks[1]["candidates"][0]["finishReason"], "SAFETY");

    let answer = call(&fake, "fake-recitation", "generateContent", &hello())
        .await
        .json();
    assert_eq!(answer["candidates"][0]["finishReason"], "RECITATION");
}

#[tokio::test]
async fn embeddings_on_both_apis() {
    let fake = FakeUpstream::start().await.unwrap();
    let single = json!({"content": {"parts": [{"text": "hello"}]}, "taskType": "RETRIEVAL_QUERY"});
    let answer = call(&fake, "text-embedding-004", "embedContent", &single)
        .await
        .json();
    let values = answer["embedding"]["values"].as_array().unwrap();
    assert_eq!(values.len(), 768);
    assert!(values.iter().all(|v| v.as_f64().unwrap().abs() < 1.0));
    let again = call(&fake, "text-embedding-004", "embedContent", &single)
        .await
        .json();
    assert_eq!(again, answer, "deterministic per text");

    let batch = json!({"requests": [
        {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 8},
        {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 8},
    ]});
    let answer = call(&fake, "gemini-embedding-001", "batchEmbedContents", &batch)
        .await
        .json();
    let embeddings = answer["embeddings"].as_array().unwrap();
    assert_eq!(embeddings.len(), 2);
    assert_eq!(embeddings[0]["values"].as_array().unwrap().len(), 8);
    assert_ne!(embeddings[0], embeddings[1]);
    let mismatch = call(&fake, "text-embedding-004", "batchEmbedContents", &batch).await;
    let (status, kind, message) = error(&mismatch);
    assert_eq!((status, kind.as_str()), (400, "INVALID_ARGUMENT"));
    assert!(message.contains("requests[0].model"), "{message}");

    // Vertex AI's predict, with a token from the metadata server.
    let token = crate::google_oauth::metadata_token(&fake).await;
    let bearer = format!("Bearer {token}");
    let predict = json!({
        "instances": [{"content": "hello world", "task_type": "RETRIEVAL_DOCUMENT", "title": "t"}, {"content": "b"}],
        "parameters": {"outputDimensionality": 16, "autoTruncate": true},
    });
    let path = format!("{VERTEX}/text-embedding-005:predict");
    let response = post_with(&fake, &path, &[("authorization", &bearer)], &predict).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    let predictions = answer["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 2);
    let first = &predictions[0]["embeddings"];
    assert_eq!(first["values"].as_array().unwrap().len(), 16);
    assert_eq!(
        first["statistics"],
        json!({"truncated": false, "token_count": 2})
    );
    assert_eq!(answer["metadata"]["billableCharacterCount"], 11);
}

#[tokio::test]
async fn model_list_pages_and_mixes_model_kinds() {
    let fake = FakeUpstream::start().await.unwrap();
    let list = |query: String| {
        let fake = &fake;
        async move {
            let path = format!("/v1beta/models{query}");
            let response = send(
                fake.addr(),
                "GET",
                &path,
                &[("x-goog-api-key", API_KEY)],
                b"",
            )
            .await
            .unwrap();
            assert_eq!(response.status, 200, "{}", response.text());
            response.json()
        }
    };
    let mut all = Vec::new();
    let mut page = list(String::new()).await;
    assert_eq!(
        page["models"].as_array().unwrap().len(),
        50,
        "the default page size"
    );
    loop {
        all.extend(page["models"].as_array().unwrap().clone());
        let Some(token) = page["nextPageToken"].as_str() else {
            break;
        };
        page = list(format!("?pageToken={token}")).await;
    }
    assert!(all.len() > 50);
    let methods = |id: &str| -> Vec<String> {
        let model = all
            .iter()
            .find(|m| m["name"] == format!("models/{id}"))
            .unwrap_or_else(|| panic!("{id} is listed"));
        model["supportedGenerationMethods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_owned())
            .collect()
    };
    assert!(methods("gemini-2.5-flash").contains(&"generateContent".to_owned()));
    assert!(methods("gemini-embedding-001").contains(&"embedContent".to_owned()));
    assert!(methods("text-embedding-004").contains(&"embedContent".to_owned()));
    assert_eq!(methods("imagen-4.0-generate-001"), ["predict"]);
    assert_eq!(methods("aqa"), ["generateAnswer"]);
    assert_eq!(methods("veo-3.0-generate-001"), ["predictLongRunning"]);
    let flash = all
        .iter()
        .find(|m| m["name"] == "models/gemini-2.5-flash")
        .unwrap();
    for field in [
        "version",
        "displayName",
        "description",
        "inputTokenLimit",
        "outputTokenLimit",
    ] {
        assert!(!flash[field].is_null(), "{field}");
    }
    assert_eq!(flash["thinking"], true);

    let small = list("?pageSize=2".to_owned()).await;
    assert_eq!(small["models"].as_array().unwrap().len(), 2);
    assert!(small["nextPageToken"].is_string());

    // OpenAI's and Anthropic's lists still answer on the same path without Google's key.
    let openai = send(fake.addr(), "GET", "/v1/models", &[], b"")
        .await
        .unwrap();
    assert_eq!(openai.json()["object"], "list");
    let anthropic = send(fake.addr(), "GET", "/v1/models", &[("x-api-key", "k")], b"")
        .await
        .unwrap();
    assert!(anthropic.json()["data"][0]["display_name"].is_string());
}

#[tokio::test]
async fn chosen_models_are_listed_with_the_embedding_models() {
    let options = FakeOptions {
        models: Some(vec!["gemini-2.5-flash".into(), "my-tuned-model".into()]),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let path = format!("/v1beta/models?key={API_KEY}");
    let body = send(fake.addr(), "GET", &path, &[], b"")
        .await
        .unwrap()
        .json();
    let names: Vec<&str> = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "models/gemini-2.5-flash",
            "models/my-tuned-model",
            "models/text-embedding-004",
            "models/gemini-embedding-001"
        ]
    );
    assert!(body.get("nextPageToken").is_none());
}

#[tokio::test]
async fn api_keys_are_checked() {
    let options = FakeOptions {
        google_api_key: Some(API_KEY.into()),
        ..FakeOptions::default()
    };
    let fake = FakeUpstream::start_with(options).await.unwrap();
    let path = "/v1beta/models/gemini-2.5-flash:generateContent";
    let missing = post_with(&fake, path, &[], &hello()).await;
    let (status, kind, message) = error(&missing);
    assert_eq!((status, kind.as_str()), (403, "PERMISSION_DENIED"));
    assert!(message.starts_with("Method doesn't allow unregistered callers"));

    let wrong = post_with(&fake, path, &[("x-goog-api-key", "AIza-wrong")], &hello()).await;
    let (status, kind, message) = error(&wrong);
    assert_eq!((status, kind.as_str()), (400, "INVALID_ARGUMENT"));
    assert_eq!(message, "API key not valid. Please pass a valid API key.");
    let info = &wrong.json()["error"]["details"][0];
    assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(info["reason"], "API_KEY_INVALID");
    assert_eq!(info["domain"], "googleapis.com");

    let right = post_with(&fake, path, &[("x-goog-api-key", API_KEY)], &hello()).await;
    assert_eq!(right.status, 200);
    let in_query = format!("{path}?key={API_KEY}");
    assert_eq!(post_with(&fake, &in_query, &[], &hello()).await.status, 200);
    let list = send(
        fake.addr(),
        "GET",
        "/v1beta/models",
        &[("x-goog-api-key", "bad")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(list.status, 400);
}

#[tokio::test]
async fn vertex_routes_want_a_bearer_token_from_this_fake() {
    let fake = FakeUpstream::start().await.unwrap();
    let path = format!("{VERTEX}/gemini-2.5-flash:generateContent");
    let missing = post_with(&fake, &path, &[], &hello()).await;
    let (status, kind, message) = error(&missing);
    assert_eq!((status, kind.as_str()), (401, "UNAUTHENTICATED"));
    assert!(message.starts_with("Request had invalid authentication credentials."));
    let unknown = post_with(
        &fake,
        &path,
        &[("authorization", "Bearer ya29.made-up")],
        &hello(),
    )
    .await;
    assert_eq!(unknown.status, 401);
    let api_key_only = post_with(&fake, &path, &[("x-goog-api-key", API_KEY)], &hello()).await;
    assert_eq!(
        api_key_only.status, 401,
        "Vertex does not take the AI Studio key"
    );

    let token = crate::google_oauth::metadata_token(&fake).await;
    let bearer = format!("Bearer {token}");
    let response = post_with(&fake, &path, &[("authorization", &bearer)], &hello()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let answer = response.json();
    assert_eq!(answer["modelVersion"], "gemini-2.5-flash");
    assert!(answer["createTime"].as_str().unwrap().ends_with('Z'));
    assert_eq!(answer["usageMetadata"]["trafficType"], "ON_DEMAND");
    let global = "/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse";
    let stream = post_with(&fake, global, &[("authorization", &bearer)], &hello()).await;
    assert_eq!(sse(&stream).len(), 3);
}

#[tokio::test]
async fn faults_answer_in_googles_error_format() {
    let fake = FakeUpstream::start().await.unwrap();
    let cases = [
        ("fake-error-400", 400, "INVALID_ARGUMENT"),
        ("fake-error-401", 401, "UNAUTHENTICATED"),
        ("fake-error-403", 403, "PERMISSION_DENIED"),
        ("fake-error-404", 404, "NOT_FOUND"),
        ("fake-error-429", 429, "RESOURCE_EXHAUSTED"),
        ("fake-error-500", 500, "INTERNAL"),
        ("fake-error-503", 503, "UNAVAILABLE"),
    ];
    for (model, code, kind) in cases {
        let response = call(&fake, model, "generateContent", &hello()).await;
        let (status, status_name, _) = error(&response);
        assert_eq!((status, status_name.as_str()), (code, kind), "{model}");
    }
    let not_found = call(&fake, "fake-error-404", "generateContent", &hello()).await;
    assert_eq!(
        error(&not_found).2,
        "models/fake-error-404 is not found for API version v1beta, or is not supported for \
         generateContent. Call ListModels to see the list of available models and their \
         supported methods."
    );
    let quota = call(&fake, "fake-error-429", "generateContent", &hello()).await;
    assert_eq!(
        error(&quota).2,
        "Resource has been exhausted (e.g. check quota)."
    );
    assert_eq!(quota.json()["error"]["details"][0]["retryDelay"], "1s");
    let overloaded = call(&fake, "fake-error-503", "embedContent", &json!({})).await;
    assert_eq!(
        error(&overloaded).2,
        "The model is overloaded. Please try again later."
    );

    let failing = call(
        &fake,
        "fake-error-event",
        "streamGenerateContent?alt=sse",
        &hello(),
    )
    .await;
    let events = sse(&failing);
    assert_eq!(events.len(), 2);
    assert_eq!(parts(&events[0])[0]["text"], "Hello");
    assert_eq!(events[1]["error"]["code"], 500);
    assert_eq!(events[1]["error"]["status"], "INTERNAL");

    let dropped = call(
        &fake,
        "fake-drop-1",
        "streamGenerateContent?alt=sse",
        &hello(),
    )
    .await;
    assert!(!dropped.complete);
    assert_eq!(dropped.text().matches("data: ").count(), 1);
}
