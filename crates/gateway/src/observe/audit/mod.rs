//! The audit log: one row per audited request with what crossed the gateway — headers
//! (credentials redacted), request and response bodies (capped at 1 MiB each; streamed answers
//! reassembled into one message), model, provider, status, timing, how the request
//! authenticated and the sampling settings it asked for (reference §4.13).
//!
//! Secrets never reach storage: credential headers become `[REDACTED]`, and every configured
//! credential is scrubbed from bodies and header values too ([`secrets`]; GoModel stored bodies
//! unredacted, L4). Enabled with `LOGGING_ENABLED`; bodies with `LOGGING_LOG_BODIES`, headers
//! with `LOGGING_LOG_HEADERS`; `LOGGING_ONLY_MODEL_INTERACTIONS` limits it to model routes.
//!
//! The request path only copies bytes into the [`AuditCapture`] (answers relayed chunk by
//! chunk are teed as they go out, never held back); parsing, reassembly and scrubbing happen in
//! [`AuditRecorder::record`], once the answer has been sent.

mod reassemble;
pub mod secrets;

use base64::Engine;
use bytes::Bytes;
use gomodel_providers::Secret;
use gomodel_store::{AuditRow, RawJson};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use self::reassemble::{Dialect, reassemble};
use self::secrets::{REDACTED, Scrubber};
use super::record::{RecordSnapshot, RequestRecord};
use super::writer::BatchWriter;

/// Largest body (or reassembled stream) kept per request.
pub const BODY_CAP: usize = 1024 * 1024;

/// Headers whose value is a credential: the gateway's own (`authorization`, `x-api-key`,
/// `x-gomodel-key`), each provider's (`api-key` for Azure, `x-goog-api-key` for Gemini,
/// `x-amz-security-token` for AWS, `ocp-apim-subscription-key` for Azure API Management),
/// cookies, and the generic token headers of proxies.
const REDACTED_HEADERS: [&str; 13] = [
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
    "ocp-apim-subscription-key",
    "cookie",
    "set-cookie",
    "x-auth-token",
    "x-access-token",
    "x-gomodel-key",
];

/// How the bytes in [`AuditCapture::stream`] are to be read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Server-sent events, reassembled into one answer.
    #[default]
    Events,
    /// A passthrough answer that is not an event stream: kept as the body it is.
    Body,
}

/// What a request captured for its audit row, filled in as it goes.
#[derive(Debug, Default)]
pub struct AuditCapture {
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    /// How the request authenticated (`master_key`, `no_key`); `None` when it did not.
    pub auth_method: Option<&'static str>,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub request_body: Option<Bytes>,
    pub response_body: Option<Bytes>,
    /// An answer relayed chunk by chunk (a stream, a passthrough body), copied as it went out;
    /// capped at [`BODY_CAP`].
    pub stream: Vec<u8>,
    pub stream_truncated: bool,
    pub stream_kind: StreamKind,
    /// A passthrough answer's `Content-Encoding` (gzip, br, ...): its bytes are encoded.
    pub content_encoding: Option<String>,
    /// Bodies are not logged (`LOGGING_LOG_BODIES=false`): relayed answers are not copied.
    pub skip_bodies: bool,
}

impl AuditCapture {
    pub fn push_stream(&mut self, chunk: &[u8]) {
        if self.skip_bodies {
            return;
        }
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
                REDACTED.to_owned()
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
    scrubber: Scrubber,
    master_key: Option<Secret>,
    log_bodies: bool,
    log_headers: bool,
}

/// The request's sampling settings, reference §4.13 `data.temperature` / `data.max_tokens`.
/// Chat and Messages name them at the top level, Responses says `max_output_tokens`, newer
/// OpenAI models `max_completion_tokens`, and a native Gemini body (passthrough) nests them in
/// `generationConfig`.
#[derive(Debug, Default, Deserialize)]
struct Sampling {
    temperature: Option<f64>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    max_output_tokens: Option<u64>,
    #[serde(rename = "generationConfig")]
    generation_config: Option<GenerationConfig>,
}

#[derive(Debug, Default, Deserialize)]
struct GenerationConfig {
    temperature: Option<f64>,
    #[serde(rename = "maxOutputTokens")]
    max_output_tokens: Option<u64>,
}

impl Sampling {
    fn insert_into(self, data: &mut Map<String, Value>) {
        let nested = self.generation_config.unwrap_or_default();
        if let Some(t) = self.temperature.or(nested.temperature) {
            data.insert("temperature".to_owned(), json!(t));
        }
        let max = self
            .max_tokens
            .or(self.max_completion_tokens)
            .or(self.max_output_tokens)
            .or(nested.max_output_tokens);
        if let Some(max) = max {
            data.insert("max_tokens".to_owned(), json!(max));
        }
    }
}

impl AuditRecorder {
    /// `secrets` is every credential to keep out of the rows ([`secrets::configured_secrets`]).
    pub fn new(
        writer: BatchWriter<AuditRow>,
        secrets: Vec<String>,
        master_key: Option<Secret>,
        log_bodies: bool,
        log_headers: bool,
    ) -> Self {
        Self {
            writer,
            scrubber: Scrubber::new(secrets),
            master_key,
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

    /// How a request with these headers authenticates: `master_key` when it carries the master
    /// key, `no_key` when the gateway has none (everything is open), `None` otherwise (it is
    /// refused, or the route needs no key). There are no managed keys here, so GoModel's
    /// `api_key` method and `api_key_hash` have nothing to describe.
    pub fn auth_method(&self, headers: &http::HeaderMap) -> Option<&'static str> {
        match &self.master_key {
            None => Some("no_key"),
            Some(key) => crate::pipeline::auth::check_master_key(Some(key), headers)
                .ok()
                .map(|()| "master_key"),
        }
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
        // Bodies stay JSON text from capture to the database (see [`Document`]).
        let mut bodies = Document::default();
        if let Some(agent) = &capture.user_agent {
            data.insert(
                "user_agent".to_owned(),
                Value::String(self.scrubber.scrub(agent).into_owned()),
            );
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
        let request_body = if self.log_bodies {
            capture.request_body.as_ref().map(|b| self.body(b))
        } else {
            None
        };
        // Read from the body as it came (the stored one may have become a string).
        let request_text = capture.request_body.as_deref();
        let sampling = request_text.and_then(|text| serde_json::from_slice::<Sampling>(text).ok());
        let previous_response_id = request_text.and_then(previous_response_id);
        if let Some(sampling) = sampling {
            sampling.insert_into(&mut data);
        }
        if self.log_bodies {
            if let (Some(body), Some(raw)) = (&capture.request_body, request_body) {
                bodies.push("request_body", raw);
                if body.len() > BODY_CAP {
                    data.insert(
                        "request_body_too_big_to_handle".to_owned(),
                        Value::Bool(true),
                    );
                }
            }
            self.response_body(&capture, path, &mut data, &mut bodies);
        }
        if let Some(code) = &facts.error_code {
            data.insert("error_code".to_owned(), Value::String(code.clone()));
        }
        if let Some(message) = &facts.error_message {
            data.insert(
                "error_message".to_owned(),
                Value::String(self.scrubber.scrub(message).into_owned()),
            );
        }
        if let Some(usage) = &facts.usage {
            data.insert(
                "usage".to_owned(),
                json!({"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                       "total_tokens": usage.total_tokens, "cached_tokens": usage.cached_tokens}),
            );
        }
        let response_id = facts
            .response_id
            .clone()
            .or_else(|| bodies.get("response_body").and_then(top_level_id));
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
            auth_method: capture.auth_method.map(str::to_owned),
            data: bodies.into_document(data),
            usage: None,
        };
        self.writer.submit(row);
    }

    /// `response_body` (and its flags) from whichever way the answer was captured.
    fn response_body(
        &self,
        capture: &AuditCapture,
        path: &str,
        data: &mut Map<String, Value>,
        bodies: &mut Document,
    ) {
        let (value, too_big) = if let Some(body) = &capture.response_body {
            (self.body(body), body.len() > BODY_CAP)
        } else if capture.stream.is_empty() {
            return;
        } else if let Some(encoding) = &capture.content_encoding {
            // No gzip/deflate/br decoder is linked into the gateway (it never needed one: it
            // relays encoded passthrough answers as they are), so the bytes are kept as they
            // came, in base64, and marked.
            data.insert(
                "response_content_encoding".to_owned(),
                Value::String(encoding.clone()),
            );
            data.insert("response_body_base64".to_owned(), Value::Bool(true));
            (
                raw_string(&base64_text(&capture.stream)),
                capture.stream_truncated,
            )
        } else if capture.stream_kind == StreamKind::Body {
            // Text, or text cut mid-character by the cap; anything else is binary.
            let text = std::str::from_utf8(&capture.stream)
                .map_or_else(|err| err.error_len().is_none(), |_| true);
            if text {
                (self.body(&capture.stream), capture.stream_truncated)
            } else {
                data.insert("response_body_base64".to_owned(), Value::Bool(true));
                (raw_string(&base64_text(&capture.stream)), false)
            }
        } else {
            let raw = match reassemble(&capture.stream, Dialect::of_endpoint(path)) {
                Some(answer) => self.scrub_json(answer),
                None => raw_string(
                    &self
                        .scrubber
                        .scrub(&String::from_utf8_lossy(&capture.stream)),
                ),
            };
            (raw, capture.stream_truncated)
        };
        bodies.push("response_body", value);
        if too_big {
            data.insert(
                "response_body_too_big_to_handle".to_owned(),
                Value::Bool(true),
            );
        }
    }

    fn headers(&self, pairs: &[(String, String)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(self.scrubber.scrub(v).into_owned()),
                    )
                })
                .collect(),
        )
    }

    /// A body as the JSON text it arrived as when it is JSON, else as a JSON string of its
    /// (lossy UTF-8) text; secrets scrubbed either way. Valid JSON is checked, not parsed into
    /// a tree: the text itself goes into the row.
    fn body(&self, body: &[u8]) -> Box<RawValue> {
        let text = utf8_lossy(&body[..body.len().min(BODY_CAP)]);
        let text = self.scrubber.scrub(&text).into_owned();
        // An unpaired surrogate escape passes the raw check but is no text PostgreSQL's jsonb
        // (or a strict reader) accepts; such a body is kept as a string, escapes and all.
        let lone_surrogate_possible = text.contains("\\ud") || text.contains("\\uD");
        if lone_surrogate_possible && serde_json::from_str::<Value>(&text).is_err() {
            return raw_string(&text);
        }
        if !storable_everywhere(text.as_bytes()) {
            return raw_string(&text);
        }
        // The copy keeps the text for the fallback; it is a memcpy, cheaper than a second scan.
        RawValue::from_string(text.clone()).unwrap_or_else(|_| raw_string(&text))
    }

    /// A rebuilt answer as JSON text, with secrets scrubbed from it.
    fn scrub_json(&self, value: Value) -> Box<RawValue> {
        let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".to_owned());
        let text = self.scrubber.scrub(&text).into_owned();
        RawValue::from_string(text).unwrap_or_else(|_| raw_string("[unserialisable answer]"))
    }
}

/// The bodies of an audit row, held as JSON text until the row's document is written.
#[derive(Default)]
struct Document {
    fields: Vec<(&'static str, Box<RawValue>)>,
}

impl Document {
    fn push(&mut self, key: &'static str, raw: Box<RawValue>) {
        self.fields.push((key, raw));
    }

    fn get(&self, key: &str) -> Option<&RawValue> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, raw)| raw.as_ref())
    }

    /// The row's `data` document: the bodies as the text they are, then the small fields.
    /// Serialising through [`serde_json::value::to_raw_value`] copies raw values as they are and
    /// does not re-check the result (re-checking the whole document cost as much as every body
    /// together).
    fn into_document(self, small: Map<String, Value>) -> RawJson {
        let document = WithBodies {
            bodies: &self.fields,
            small: &small,
        };
        serde_json::value::to_raw_value(&document)
            .map_or_else(|_| RawJson::new(Box::default()), RawJson::new)
    }
}

/// Serialises as one object: the bodies' members, then the small fields'.
struct WithBodies<'a> {
    bodies: &'a [(&'static str, Box<RawValue>)],
    small: &'a Map<String, Value>,
}

impl serde::Serialize for WithBodies<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.bodies.len() + self.small.len()))?;
        for (key, raw) in self.bodies {
            map.serialize_entry(key, raw)?;
        }
        for (key, value) in self.small {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Deepest nesting of a body kept as JSON: serde_json reads no deeper (a stored document the
/// admin API could not read back), and PostgreSQL's jsonb parser runs out of stack far below
/// what the raw check allows.
const MAX_DEPTH: usize = 128;

/// Longest digit run in a number of a body kept as JSON: longer ones overflow an `f64` when
/// read back (more than 308 integer digits) or PostgreSQL's numeric (more than 16,383
/// fractional digits, an exponent beyond about ±131,000); no API sends such numbers.
const MAX_NUMBER_DIGITS: usize = 300;

/// Whether JSON text (already known to be well formed) can be stored as a `jsonb` document and
/// read back into a `Value`: nesting within [`MAX_DEPTH`], no digit run longer than
/// [`MAX_NUMBER_DIGITS`], and exponents within ±300. One pass over the bytes, strings skipped;
/// a body that fails is kept as a string of its text instead (an insert PostgreSQL refuses
/// fails its whole batch, and retrying it would stall the audit log).
fn storable_everywhere(text: &[u8]) -> bool {
    let (mut depth, mut digits) = (0usize, 0usize);
    let mut exponent: Option<usize> = None;
    let mut i = 0;
    while let Some(&byte) = text.get(i) {
        i += 1;
        if byte.is_ascii_digit() {
            digits += 1;
            if digits > MAX_NUMBER_DIGITS {
                return false;
            }
            if let Some(value) = exponent.as_mut() {
                *value = *value * 10 + usize::from(byte - b'0');
                if *value > 300 {
                    return false;
                }
            }
            continue;
        }
        match byte {
            b'e' | b'E' => {
                digits = 0;
                exponent = Some(0);
                continue;
            }
            b'+' | b'-' if exponent == Some(0) => continue,
            _ => {}
        }
        digits = 0;
        exponent = None;
        match byte {
            // Most of a body is string content: jump from quote to quote (escapes skipped).
            b'"' => loop {
                let Some(at) = text
                    .get(i..)
                    .and_then(|rest| memchr::memchr2(b'"', b'\\', rest))
                else {
                    return true;
                };
                let stop = i + at;
                if text[stop] == b'\\' {
                    i = stop + 2;
                } else {
                    i = stop + 1;
                    break;
                }
            },
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

/// A request's `previous_response_id` (the Responses API's thread link), read on its own so a
/// mistyped sampling field elsewhere in the body cannot lose it; skipped unless named.
fn previous_response_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Thread {
        previous_response_id: Option<String>,
    }
    memchr::memmem::find(body, b"previous_response_id")?;
    serde_json::from_slice::<Thread>(body)
        .ok()?
        .previous_response_id
}

/// The top-level `"id"` of a JSON object, read without building the document.
fn top_level_id(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
    }
    serde_json::from_str::<Id>(raw.get()).ok()?.id
}

/// The bytes as text, invalid sequences replaced. Checks with `str::from_utf8` first: the
/// lossy decoder walks even valid text chunk by chunk, several times slower.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A JSON string literal holding `text`.
fn raw_string(text: &str) -> Box<RawValue> {
    serde_json::value::to_raw_value(text).unwrap_or_default()
}

fn base64_text(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
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

#[cfg(test)]
mod tests;
