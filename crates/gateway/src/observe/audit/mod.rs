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

use std::borrow::Cow;

use base64::Engine;
use bytes::Bytes;
use gomodel_providers::Secret;
use gomodel_store::json_text::{ObjectWriter, storable_json};
use gomodel_store::{AuditFields, EncodedAudit};
use memchr::memmem;
use serde::Deserialize;
use serde_json::Value;

use self::reassemble::{Dialect, reassemble};
use self::secrets::{REDACTED, Scrubber};
use super::record::{RecordSnapshot, RequestRecord};
use super::response_id::top_level_id;
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
    /// The headers as they came and went (a clone shares their bytes: no copy per header);
    /// redacted and scrubbed only when the entry is written.
    pub request_headers: http::HeaderMap,
    pub response_headers: http::HeaderMap,
    pub request_body: Option<Bytes>,
    pub response_body: Option<Bytes>,
    /// The handler read the request body as JSON (it parsed), so it needs no second check
    /// before going into the document as it is.
    pub request_body_is_json: bool,
    /// The answer in `response_body` is JSON: checked by the provider adapter or written by the
    /// gateway itself (`JsonReply`'s promise).
    pub response_body_is_json: bool,
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

/// A header's value as stored: `[REDACTED]` for a credential header, else its text (lossy
/// UTF-8 for the rare non-ASCII value).
pub fn header_text<'a>(name: &http::HeaderName, value: &'a http::HeaderValue) -> Cow<'a, str> {
    if REDACTED_HEADERS.contains(&name.as_str()) {
        return Cow::Borrowed(REDACTED);
    }
    // Visible ASCII almost always: skip the lossy decoder's chunk walk.
    value
        .to_str()
        .map_or_else(|_| String::from_utf8_lossy(value.as_bytes()), Cow::Borrowed)
}

/// Builds and queues audit rows.
#[derive(Debug)]
pub struct AuditRecorder {
    writer: BatchWriter<EncodedAudit>,
    scrubber: Scrubber,
    master_key: Option<Secret>,
    log_bodies: bool,
    log_headers: bool,
}

/// The request's sampling settings, reference §4.13 `data.temperature` / `data.max_tokens`.
/// Chat and Messages name them at the top level, Responses says `max_output_tokens`, newer
/// OpenAI models `max_completion_tokens`, and a native Gemini body (passthrough) nests them in
/// `generationConfig`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct Sampling {
    temperature: Option<f64>,
    max_tokens: Option<u64>,
    max_completion_tokens: Option<u64>,
    max_output_tokens: Option<u64>,
    #[serde(rename = "generationConfig")]
    generation_config: Option<GenerationConfig>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct GenerationConfig {
    temperature: Option<f64>,
    #[serde(rename = "maxOutputTokens")]
    max_output_tokens: Option<u64>,
}

impl AuditRecorder {
    /// `secrets` is every credential to keep out of the rows ([`secrets::configured_secrets`]).
    pub fn new(
        writer: BatchWriter<EncodedAudit>,
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

    pub fn writer(&self) -> &BatchWriter<EncodedAudit> {
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
        let request_text = capture.request_body.as_deref();
        // Written first without a search per field (one per header value and body was a sixth
        // of what an entry cost), then searched once as a whole: a secret in any field shows
        // in the document as it was or JSON-escaped, and the scrubber looks for both forms
        // (`Scrubber::found_in`). Only a document with a hit is written again, field by field.
        let sampling = request_text.and_then(Sampling::of);
        let (mut data, mut body_response_id) =
            self.document(&capture, facts, path, sampling.as_ref(), false);
        if self.scrubber.found_in(data.as_bytes()) {
            (data, body_response_id) =
                self.document(&capture, facts, path, sampling.as_ref(), true);
        }
        let previous_response_id = request_text.and_then(previous_response_id);
        debug_assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&data).is_ok(),
            "the written document is JSON: {data}"
        );
        let id = super::request_id::time_ordered(record.started_at_us);
        let fields = AuditFields {
            id: &id,
            request_id: &record.request_id,
            ts_us: record.started_at_us,
            duration_ms: record.started.elapsed().as_secs_f64() * 1000.0,
            requested_model: facts.requested_model.as_deref(),
            resolved_model: facts.upstream_model.as_deref(),
            provider_type: facts.provider_type,
            provider_name: facts.provider.as_deref(),
            status_code: i32::from(status),
            method,
            path,
            user_path: if facts.user_path.is_empty() {
                "/"
            } else {
                &facts.user_path
            },
            stream: facts.stream,
            client_ip: capture.client_ip.as_deref(),
            error_type: facts.error_code.as_ref().map(|_| {
                if facts.stream && status < 400 {
                    "stream_error"
                } else {
                    error_type(status)
                }
            }),
            response_id: facts.response_id.as_deref().or(body_response_id.as_deref()),
            previous_response_id: previous_response_id.as_deref(),
            auth_method: capture.auth_method,
        };
        // Encoded here, into one buffer, from the request's own strings: no row of owned
        // copies, and the writer task frees one allocation per entry.
        self.writer
            .submit(EncodedAudit::from_fields(&fields, &data));
    }

    /// The entry's document; every field searched for secrets when `scrub`. Returns it with
    /// the answer's `id` when the handler did not note one.
    fn document(
        &self,
        capture: &AuditCapture,
        facts: &RecordSnapshot,
        path: &str,
        sampling: Option<&Sampling>,
        scrub: bool,
    ) -> (String, Option<String>) {
        let bodies_len = capture.request_body.as_ref().map_or(0, Bytes::len)
            + capture.response_body.as_ref().map_or(0, Bytes::len)
            + capture.stream.len();
        let mut data = ObjectWriter::with_capacity(bodies_len + 512);
        let mut body_response_id = None;
        if self.log_bodies {
            if let Some(body) = &capture.request_body {
                self.body(
                    &mut data,
                    "request_body",
                    body,
                    capture.request_body_is_json,
                    scrub,
                );
                if body.len() > BODY_CAP {
                    data.boolean("request_body_too_big_to_handle", true);
                }
            }
            body_response_id =
                self.response_body(capture, path, &mut data, facts.response_id.is_none(), scrub);
        }
        if let Some(agent) = &capture.user_agent {
            data.string("user_agent", &self.clean(agent, scrub));
        }
        if self.log_headers {
            data.object("request_headers", |h| {
                self.headers(h, &capture.request_headers, scrub);
            });
            data.object("response_headers", |h| {
                self.headers(h, &capture.response_headers, scrub);
            });
        }
        // Read from the body as it came (the stored one may have become a string).
        if let Some(sampling) = sampling {
            (*sampling).write_into(&mut data);
        }
        if let Some(code) = &facts.error_code {
            data.string("error_code", code);
        }
        if let Some(message) = &facts.error_message {
            data.string("error_message", &self.clean(message, scrub));
        }
        if let Some(usage) = &facts.usage {
            data.object("usage", |u| {
                u.integer("prompt_tokens", usage.prompt_tokens);
                u.integer("completion_tokens", usage.completion_tokens);
                u.integer("total_tokens", usage.total_tokens);
                match usage.cached_tokens {
                    Some(cached) => u.integer("cached_tokens", cached),
                    None => u.raw("cached_tokens", "null"),
                }
            });
        }
        (data.finish(), body_response_id)
    }

    /// `text` with secrets replaced when `scrub`, else as it is.
    fn clean<'t>(&self, text: &'t str, scrub: bool) -> Cow<'t, str> {
        if scrub {
            self.scrubber.scrub(text)
        } else {
            Cow::Borrowed(text)
        }
    }

    /// `response_body` (and its flags) from whichever way the answer was captured; returns the
    /// answer's top-level `id` when `want_id` (the handler did not note it: reading it again
    /// was ~1,000 instructions per entry).
    fn response_body(
        &self,
        capture: &AuditCapture,
        path: &str,
        data: &mut ObjectWriter,
        want_id: bool,
        scrub: bool,
    ) -> Option<String> {
        if let Some(body) = &capture.response_body {
            self.body(
                data,
                "response_body",
                body,
                capture.response_body_is_json,
                scrub,
            );
            if body.len() > BODY_CAP {
                data.boolean("response_body_too_big_to_handle", true);
            }
            return want_id.then(|| top_level_id(body)).flatten();
        }
        if capture.stream.is_empty() {
            return None;
        }
        let mut id = None;
        if let Some(encoding) = &capture.content_encoding {
            // No gzip/deflate/br decoder is linked into the gateway (it never needed one: it
            // relays encoded passthrough answers as they are), so the bytes are kept as they
            // came, in base64, and marked.
            data.string("response_content_encoding", encoding);
            data.boolean("response_body_base64", true);
            data.string("response_body", &base64_text(&capture.stream));
        } else if capture.stream_kind == StreamKind::Body {
            // Text, or text cut mid-character by the cap; anything else is binary.
            let text = std::str::from_utf8(&capture.stream)
                .map_or_else(|err| err.error_len().is_none(), |_| true);
            if text {
                self.body(data, "response_body", &capture.stream, false, scrub);
                id = want_id.then(|| top_level_id(&capture.stream)).flatten();
            } else {
                data.boolean("response_body_base64", true);
                data.string("response_body", &base64_text(&capture.stream));
            }
        } else {
            match reassemble(&capture.stream, Dialect::of_endpoint(path)) {
                Some(answer) => {
                    id = answer.get("id").and_then(Value::as_str).map(str::to_owned);
                    let text = serde_json::to_string(&answer).unwrap_or_else(|_| "null".to_owned());
                    self.body(data, "response_body", text.as_bytes(), true, scrub);
                }
                None => data.string(
                    "response_body",
                    &self.clean(&String::from_utf8_lossy(&capture.stream), scrub),
                ),
            }
        }
        if capture.stream_truncated {
            data.boolean("response_body_too_big_to_handle", true);
        }
        id
    }

    /// The headers as an object, one member per name (a repeated header keeps its last
    /// value): credential headers redacted by name, any configured credential in a value
    /// scrubbed.
    fn headers(&self, object: &mut ObjectWriter, headers: &http::HeaderMap, scrub: bool) {
        let mut pairs = headers.iter().peekable();
        while let Some((name, value)) = pairs.next() {
            if pairs.peek().is_some_and(|(next, _)| *next == name) {
                continue;
            }
            object.string(name.as_str(), &self.clean(&header_text(name, value), scrub));
        }
    }

    /// A body as the JSON text it arrived as when a reader can hold it ([`storable_json`]),
    /// else as a JSON string of its (lossy UTF-8) text; secrets scrubbed either way. Checked
    /// in one pass, never parsed into a tree: the text itself goes into the document.
    ///
    /// `is_json`: the gateway already parsed this body, so the check is skipped when nothing
    /// was scrubbed or cut from it (a whole answer is a third of the instructions an audit entry
    /// costs to check). Such a body can still hold what PostgreSQL's jsonb refuses (a number
    /// beyond its range, a lone surrogate escape), which the store handles when it binds the
    /// document there; SQLite keeps the text as it is, and the admin API hands it on raw.
    fn body(&self, data: &mut ObjectWriter, key: &str, body: &[u8], is_json: bool, scrub: bool) {
        let whole = body.len() <= BODY_CAP;
        let text = utf8_lossy(&body[..body.len().min(BODY_CAP)]);
        let lossless = matches!(text, std::borrow::Cow::Borrowed(_));
        let text = self.clean(&text, scrub);
        let untouched = whole && lossless && matches!(text, std::borrow::Cow::Borrowed(_));
        if (is_json && untouched) || storable_json(&text) {
            data.raw(key, &text);
        } else {
            data.string(key, &text);
        }
    }
}

/// Searchers for the request fields an entry records, built once (memmem builds a searcher
/// per call otherwise, which cost more than the search of a short body).
struct FieldFinders {
    previous_response_id: memmem::Finder<'static>,
    sampling: [memmem::Finder<'static>; 3],
}

fn finders() -> &'static FieldFinders {
    static FINDERS: std::sync::OnceLock<FieldFinders> = std::sync::OnceLock::new();
    FINDERS.get_or_init(|| FieldFinders {
        previous_response_id: memmem::Finder::new(b"previous_response_id"),
        sampling: [
            memmem::Finder::new(b"temperature"),
            memmem::Finder::new(b"max_"),
            memmem::Finder::new(b"maxOutputTokens"),
        ],
    })
}

impl Sampling {
    /// The settings of a request body; `None` when it names none (skips the parse) or is not
    /// a JSON object with well-typed settings.
    fn of(body: &[u8]) -> Option<Self> {
        if !finders().sampling.iter().any(|f| f.find(body).is_some()) {
            return None;
        }
        serde_json::from_slice(body).ok()
    }

    fn write_into(self, data: &mut ObjectWriter) {
        let nested = self.generation_config.unwrap_or_default();
        if let Some(t) = self.temperature.or(nested.temperature) {
            data.float("temperature", t);
        }
        let max = self
            .max_tokens
            .or(self.max_completion_tokens)
            .or(self.max_output_tokens)
            .or(nested.max_output_tokens);
        if let Some(max) = max {
            data.integer("max_tokens", max);
        }
    }
}

/// A request's `previous_response_id` (the Responses API's thread link), read on its own so a
/// mistyped sampling field elsewhere in the body cannot lose it; skipped unless named.
fn previous_response_id(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Thread {
        previous_response_id: Option<String>,
    }
    finders().previous_response_id.find(body)?;
    serde_json::from_slice::<Thread>(body)
        .ok()?
        .previous_response_id
}

/// The bytes as text, invalid sequences replaced. Checks with `str::from_utf8` first: the
/// lossy decoder walks even valid text chunk by chunk, several times slower.
fn utf8_lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn base64_text(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn error_type(status: u16) -> &'static str {
    match status {
        401 | 403 => "authentication_error",
        429 => "rate_limit_error",
        400..=499 => "invalid_request_error",
        _ => "provider_error",
    }
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
