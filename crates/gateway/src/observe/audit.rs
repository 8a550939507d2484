//! The audit log: one row per audited request with what crossed the gateway — headers
//! (credentials redacted), request and response bodies (capped at 1 MiB each; streamed answers
//! reassembled into one message), model, provider, status and timing.
//!
//! Secrets never reach storage: credential headers become `[REDACTED]`, and every provider key
//! and the master key are scrubbed from bodies too (GoModel stored bodies unredacted, L4).
//! Enabled with `LOGGING_ENABLED`; bodies with `LOGGING_LOG_BODIES`, headers with
//! `LOGGING_LOG_HEADERS`; `LOGGING_ONLY_MODEL_INTERACTIONS` limits it to model routes.

use bytes::Bytes;
use gomodel_protocol::sse::{EventSplitter, data_payload};
use gomodel_store::AuditRow;
use serde_json::{Map, Value, json};

use super::record::{RecordSnapshot, RequestRecord};
use super::writer::BatchWriter;

/// Largest body (or reassembled stream) kept per request.
pub const BODY_CAP: usize = 1024 * 1024;

const REDACTED_HEADERS: [&str; 9] = [
    "authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
    "x-auth-token",
    "x-access-token",
    "proxy-authorization",
    "x-gomodel-key",
];

/// What a request captured for its audit row, filled in as it goes.
#[derive(Debug, Default)]
pub struct AuditCapture {
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub request_body: Option<Bytes>,
    pub response_body: Option<Bytes>,
    /// Raw SSE bytes of a streamed answer (capped).
    pub stream: Vec<u8>,
    pub stream_truncated: bool,
}

impl AuditCapture {
    pub fn push_stream(&mut self, chunk: &[u8]) {
        let room = BODY_CAP.saturating_sub(self.stream.len());
        if chunk.len() > room {
            self.stream_truncated = true;
        }
        self.stream
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

/// Header pairs with credentials redacted.
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if REDACTED_HEADERS.contains(&name.as_str()) {
                "[REDACTED]".to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect()
}

/// Builds and queues audit rows.
#[derive(Debug)]
pub struct AuditRecorder {
    writer: BatchWriter<AuditRow>,
    secrets: Vec<String>,
    log_bodies: bool,
    log_headers: bool,
}

impl AuditRecorder {
    pub fn new(
        writer: BatchWriter<AuditRow>,
        secrets: Vec<String>,
        log_bodies: bool,
        log_headers: bool,
    ) -> Self {
        // Longest first, so a key that contains another is replaced whole.
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 8).collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Self {
            writer,
            secrets,
            log_bodies,
            log_headers,
        }
    }

    pub fn writer(&self) -> &BatchWriter<AuditRow> {
        &self.writer
    }

    pub fn log_bodies(&self) -> bool {
        self.log_bodies
    }

    pub fn log_headers(&self) -> bool {
        self.log_headers
    }

    pub fn record(
        &self,
        record: &RequestRecord,
        facts: &RecordSnapshot,
        method: &str,
        path: &str,
        status: u16,
    ) {
        let capture = record.take_audit().unwrap_or_default();
        let mut data = Map::new();
        if let Some(agent) = &capture.user_agent {
            data.insert("user_agent".to_owned(), Value::String(self.scrub(agent)));
        }
        if self.log_headers {
            data.insert(
                "request_headers".to_owned(),
                self.headers(&capture.request_headers),
            );
            data.insert(
                "response_headers".to_owned(),
                self.headers(&capture.response_headers),
            );
        }
        if self.log_bodies {
            if let Some(body) = &capture.request_body {
                data.insert("request_body".to_owned(), self.body(body));
                if body.len() > BODY_CAP {
                    data.insert(
                        "request_body_too_big_to_handle".to_owned(),
                        Value::Bool(true),
                    );
                }
            }
            if let Some(body) = &capture.response_body {
                data.insert("response_body".to_owned(), self.body(body));
                if body.len() > BODY_CAP {
                    data.insert(
                        "response_body_too_big_to_handle".to_owned(),
                        Value::Bool(true),
                    );
                }
            } else if !capture.stream.is_empty() {
                data.insert("response_body".to_owned(), self.reassemble(&capture.stream));
                if capture.stream_truncated {
                    data.insert(
                        "response_body_too_big_to_handle".to_owned(),
                        Value::Bool(true),
                    );
                }
            }
        }
        if let Some(code) = &facts.error_code {
            data.insert("error_code".to_owned(), Value::String(code.clone()));
        }
        if let Some(message) = &facts.error_message {
            data.insert(
                "error_message".to_owned(),
                Value::String(self.scrub(message)),
            );
        }
        if let Some(usage) = &facts.usage {
            data.insert(
                "usage".to_owned(),
                json!({"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                       "total_tokens": usage.total_tokens, "cached_tokens": usage.cached_tokens}),
            );
        }
        let response_id = data
            .get("response_body")
            .and_then(|b| b.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| facts.response_id.clone());
        let previous_response_id = data
            .get("request_body")
            .and_then(|b| b.get("previous_response_id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let row = AuditRow {
            id: super::request_id::time_ordered(record.started_at_us),
            request_id: record.request_id.clone(),
            ts_us: record.started_at_us,
            duration_ms: record.started.elapsed().as_secs_f64() * 1000.0,
            requested_model: facts.requested_model.clone(),
            resolved_model: facts.upstream_model.clone(),
            provider_type: facts.provider_type.map(str::to_owned),
            provider_name: facts.provider.clone(),
            status_code: i32::from(status),
            method: method.to_owned(),
            path: path.to_owned(),
            user_path: if facts.user_path.is_empty() {
                "/".to_owned()
            } else {
                facts.user_path.clone()
            },
            stream: facts.stream,
            client_ip: capture.client_ip.clone(),
            error_type: facts.error_code.as_ref().map(|_| {
                if facts.stream && status < 400 {
                    "stream_error".to_owned()
                } else {
                    error_type(status)
                }
            }),
            response_id,
            previous_response_id,
            data: Value::Object(data),
        };
        self.writer.submit(row);
    }

    fn headers(&self, pairs: &[(String, String)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(self.scrub(v))))
                .collect(),
        )
    }

    /// A body as JSON when it parses, else as (lossy UTF-8) text; secrets scrubbed either way.
    fn body(&self, body: &[u8]) -> Value {
        let text = String::from_utf8_lossy(&body[..body.len().min(BODY_CAP)]);
        let text = self.scrub(&text);
        serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
    }

    /// Rebuilds one message from an OpenAI chunk stream (content, reasoning, tool calls, finish
    /// reason, usage); other streams are kept as text.
    fn reassemble(&self, stream: &[u8]) -> Value {
        let mut splitter = EventSplitter::new();
        splitter.push(stream);
        let mut events = splitter.drain_events();
        events.extend(splitter.take_remainder());
        let mut id = Value::Null;
        let mut model = Value::Null;
        let mut content = String::new();
        let mut reasoning = String::new();
        let mut finish = Value::Null;
        let mut usage = Value::Null;
        let mut calls: Vec<(String, String, String)> = Vec::new();
        let mut openai = false;
        for event in &events {
            let Some(data) = data_payload(event) else {
                continue;
            };
            let Ok(chunk) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
                continue;
            };
            if chunk.get("object").and_then(Value::as_str) != Some("chat.completion.chunk") {
                continue;
            }
            openai = true;
            id = chunk.get("id").cloned().unwrap_or(id);
            model = chunk.get("model").cloned().unwrap_or(model);
            if chunk.get("usage").is_some_and(|u| !u.is_null()) {
                usage = chunk["usage"].clone();
            }
            let choice = &chunk["choices"][0];
            if let Some(text) = choice["delta"]["content"].as_str() {
                content.push_str(text);
            }
            if let Some(text) = choice["delta"]["reasoning_content"].as_str() {
                reasoning.push_str(text);
            }
            for call in choice["delta"]["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let index = call["index"].as_u64().unwrap_or(0) as usize;
                while calls.len() <= index {
                    calls.push(Default::default());
                }
                if let Some(call_id) = call["id"].as_str() {
                    calls[index].0 = call_id.to_owned();
                }
                if let Some(name) = call["function"]["name"].as_str() {
                    calls[index].1.push_str(name);
                }
                if let Some(arguments) = call["function"]["arguments"].as_str() {
                    calls[index].2.push_str(arguments);
                }
            }
            if !choice["finish_reason"].is_null() {
                finish = choice["finish_reason"].clone();
            }
        }
        if !openai {
            return Value::String(self.scrub(&String::from_utf8_lossy(stream)));
        }
        let tool_calls: Vec<Value> = calls
            .into_iter()
            .map(|(id, name, arguments)| json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}))
            .collect();
        let mut message = json!({"role": "assistant", "content": self.scrub(&content)});
        if !reasoning.is_empty() {
            message["reasoning_content"] = Value::String(self.scrub(&reasoning));
        }
        if !tool_calls.is_empty() {
            message["tool_calls"] = Value::Array(tool_calls);
        }
        json!({"id": id, "object": "chat.completion", "model": model, "reassembled_from_stream": true,
               "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage})
    }

    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "[REDACTED]");
            }
        }
        out
    }
}

fn error_type(status: u16) -> String {
    match status {
        401 | 403 => "authentication_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "provider_error",
    }
    .to_owned()
}

/// Routes the audit log covers by default (`LOGGING_ONLY_MODEL_INTERACTIONS`).
pub fn is_model_interaction(endpoint: &str) -> bool {
    endpoint.starts_with("/v1/chat/completions")
        || endpoint.starts_with("/v1/embeddings")
        || endpoint.starts_with("/v1/messages")
        || endpoint.starts_with("/v1/responses")
        || endpoint.starts_with("/p/")
}
