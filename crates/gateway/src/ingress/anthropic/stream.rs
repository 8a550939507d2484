//! Answers to Messages-dialect clients.
//!
//! - [`native_response`]: an Anthropic provider's answer, relayed byte for byte; usage is read
//!   on the way (`message_start` and `message_delta` events, or the JSON body).
//! - [`translated_response`]: an OpenAI-dialect stream turned into Messages events through the
//!   protocol crate's `OpenAiToAnthropic` state machine, each event sent as soon as it exists.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use gomodel_protocol::Usage;
use gomodel_protocol::anthropic::stream_out::OpenAiToAnthropic;
use gomodel_protocol::anthropic::usage::to_openai;
use gomodel_protocol::anthropic::wire;
use gomodel_protocol::canonical::ChatChunk;
use gomodel_protocol::sse::{EventSplitter, data_payload};
use gomodel_providers::UpstreamStream;
use http::{HeaderValue, StatusCode, header};
use memchr::memmem::Finder;
use serde::Deserialize;

use crate::error::GatewayError;
use crate::observe::RequestRecord;
use crate::observe::response_id::top_level_id;

const MAX_BODY: usize = 256 * 1024 * 1024;

/// Relays an Anthropic answer untouched.
pub(super) async fn native_response(
    upstream: reqwest::Response,
    record: Arc<RequestRecord>,
    stream: bool,
) -> Result<Response, GatewayError> {
    let status = StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::OK);
    let content_type = upstream.headers().get(header::CONTENT_TYPE).cloned();
    if !stream {
        let mut collected = Vec::new();
        let mut body = upstream.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|_| {
                GatewayError::internal("provider connection lost while reading the answer")
            })?;
            if collected.len() + chunk.len() > MAX_BODY {
                return Err(GatewayError::internal("provider answer too large"));
            }
            collected.extend_from_slice(&chunk);
        }
        if let Some(usage) = usage_of_body(&collected) {
            record.set_usage(usage);
        }
        record.set_response_id(top_level_id(&collected));
        let collected = Bytes::from(collected);
        record.capture(|c| c.response_body = Some(collected.clone()));
        let mut response = (status, collected).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            content_type.unwrap_or_else(|| HeaderValue::from_static("application/json")),
        );
        return Ok(response);
    }
    let tap = UsageTap {
        upstream: Box::pin(upstream.bytes_stream()),
        splitter: EventSplitter::new(),
        usage: wire::Usage::default(),
        record,
        sent_any: false,
        seen_stop: false,
    };
    Ok(sse(status, Body::from_stream(tap)))
}

#[derive(Deserialize)]
struct UsageOnly {
    #[serde(default)]
    usage: Option<wire::Usage>,
}

fn usage_of_body(body: &[u8]) -> Option<Usage> {
    let parsed: UsageOnly = serde_json::from_slice(body).ok()?;
    parsed.usage.as_ref().map(record_usage)
}

fn record_usage(anthropic: &wire::Usage) -> Usage {
    let converted = to_openai(anthropic);
    Usage {
        prompt_tokens: converted.prompt_tokens,
        completion_tokens: converted.completion_tokens,
        total_tokens: converted.total_tokens,
        cached_tokens: anthropic.cache_read_input_tokens,
        reasoning_tokens: None,
        raw: serde_json::value::to_raw_value(anthropic).ok(),
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

/// Forwards each chunk at once; reads usage from the events as they complete.
struct UsageTap {
    upstream: ByteStream,
    splitter: EventSplitter,
    usage: wire::Usage,
    record: Arc<RequestRecord>,
    sent_any: bool,
    seen_stop: bool,
}

impl UsageTap {
    fn scan(&mut self, chunk: &[u8]) {
        if self.record.is_audited() {
            self.record.capture(|c| c.push_stream(chunk));
        }
        self.splitter.push(chunk);
        for event in self.splitter.drain_events() {
            let Some(data) = data_payload(&event) else {
                continue;
            };
            // Built once: `memmem::find` builds a searcher per call, for every event.
            static USAGE_KEY: LazyLock<Finder<'static>> =
                LazyLock::new(|| Finder::new(b"\"usage\""));
            static STOP: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"message_stop"));
            if USAGE_KEY.find(&data).is_none() && STOP.find(&data).is_none() {
                continue;
            }
            match serde_json::from_slice::<wire::StreamEvent>(data.trim_ascii()) {
                Ok(wire::StreamEvent::MessageStart { message }) => {
                    self.record.set_response_id(Some(message.id));
                    self.usage = message.usage;
                }
                Ok(wire::StreamEvent::MessageDelta {
                    usage: Some(usage), ..
                }) => {
                    self.usage.output_tokens = usage.output_tokens;
                    if usage.input_tokens > 0 {
                        self.usage.input_tokens = usage.input_tokens;
                    }
                    self.record.set_usage(record_usage(&self.usage));
                }
                Ok(wire::StreamEvent::MessageStop) => self.seen_stop = true,
                _ => {}
            }
        }
    }
}

impl Stream for UsageTap {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match this.upstream.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.scan(&chunk);
                if !this.sent_any {
                    this.sent_any = true;
                    this.record.mark_first_byte();
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(_))) => {
                this.record
                    .set_error("stream_interrupted", "provider connection lost mid-stream");
                // Anthropic clients understand an `error` event; then the stream ends.
                let event = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"stream interrupted: provider connection lost\"}}\n\n";
                this.seen_stop = true;
                Poll::Ready(Some(Ok(Bytes::from_static(event.as_bytes()))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for UsageTap {
    fn drop(&mut self) {
        if !self.seen_stop {
            self.record.update(|r| r.client_disconnected = true);
        }
    }
}

/// Translates an OpenAI-dialect stream into Messages events.
pub(super) fn translated_response(
    upstream: UpstreamStream,
    record: Arc<RequestRecord>,
    model: &str,
) -> Response {
    let translated = Translated {
        upstream,
        splitter: EventSplitter::new(),
        machine: OpenAiToAnthropic::new(model),
        out: VecDeque::new(),
        audited: record.is_audited(),
        record,
        done: false,
        sent_any: false,
        id_seen: false,
    };
    sse(StatusCode::OK, Body::from_stream(translated))
}

struct Translated {
    upstream: UpstreamStream,
    splitter: EventSplitter,
    machine: OpenAiToAnthropic,
    out: VecDeque<Bytes>,
    record: Arc<RequestRecord>,
    audited: bool,
    done: bool,
    sent_any: bool,
    /// The answer's id has been read (from the first chunk).
    id_seen: bool,
}

impl Translated {
    fn accept(&mut self, chunk: &[u8]) {
        self.splitter.push(chunk);
        let mut frames = Vec::new();
        for event in self.splitter.drain_events() {
            let Some(data) = data_payload(&event) else {
                continue;
            };
            let data = data.trim_ascii();
            if data == b"[DONE]" {
                frames.extend(self.machine.finish());
                self.done = true;
                break;
            }
            if let Ok(error) = serde_json::from_slice::<ErrorEvent>(data) {
                let message = error
                    .error
                    .message
                    .unwrap_or_else(|| "provider error".to_owned());
                self.record.set_error("provider_stream_error", &message);
                frames.extend(self.machine.error("api_error", &message));
                self.done = true;
                break;
            }
            match serde_json::from_slice::<ChatChunk>(data) {
                Ok(chunk) => {
                    if !self.id_seen {
                        self.id_seen = true;
                        self.record.set_response_id(Some(chunk.id.clone()));
                    }
                    if let Some(usage) = &chunk.usage {
                        self.record.set_usage(Usage {
                            prompt_tokens: usage.prompt_tokens,
                            completion_tokens: usage.completion_tokens,
                            total_tokens: usage.total_tokens,
                            cached_tokens: usage.cached_tokens(),
                            reasoning_tokens: usage.reasoning_tokens(),
                            raw: serde_json::value::to_raw_value(usage).ok(),
                        });
                    }
                    frames.extend(self.machine.on_chunk(&chunk));
                }
                Err(_) => {
                    self.record.set_error(
                        "invalid_provider_response",
                        "provider sent a stream event that is not a chat chunk",
                    );
                    frames.extend(self.machine.error(
                        "api_error",
                        "provider sent a stream event that is not a chat chunk",
                    ));
                    self.done = true;
                    break;
                }
            }
        }
        if !frames.is_empty() {
            self.out.push_back(Bytes::from(frames.concat()));
        }
    }
}

#[derive(Deserialize)]
struct ErrorEvent {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

impl Stream for Translated {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(bytes) = this.out.pop_front() {
                if !this.sent_any {
                    this.sent_any = true;
                    this.record.mark_first_byte();
                }
                // The audit row keeps the Messages events the client got (not the provider's
                // chat chunks), reassembled like a native Anthropic stream.
                if this.audited {
                    this.record.capture(|c| c.push_stream(&bytes));
                }
                return Poll::Ready(Some(Ok(bytes)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.accept(&chunk),
                Poll::Ready(Some(Err(err))) => {
                    let message = format!("stream interrupted: {err}");
                    this.record.set_error("stream_interrupted", &message);
                    this.out.push_back(Bytes::from(
                        this.machine.error("api_error", &message).concat(),
                    ));
                    this.done = true;
                }
                Poll::Ready(None) => {
                    // A clean end without [DONE] still closes the message properly.
                    this.out
                        .push_back(Bytes::from(this.machine.finish().concat()));
                    this.done = true;
                }
            }
        }
    }
}

impl Drop for Translated {
    fn drop(&mut self) {
        if !self.done {
            self.record.update(|r| r.client_disconnected = true);
        }
    }
}

fn sse(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
