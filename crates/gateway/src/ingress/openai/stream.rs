//! Relaying an OpenAI-dialect event stream to the client.
//!
//! [`SseRelay`] forwards each complete event as soon as it has arrived (nothing buffers the
//! whole response), byte for byte, while it:
//! - records usage from whichever event carries it (the usage-only chunk, or the finishing
//!   chunk as Groq sends it);
//! - drops the usage-only chunk when the gateway asked for usage on the client's behalf
//!   (`ENFORCE_RETURNING_USAGE_DATA`) and the client did not;
//! - ends the stream with an OpenAI error event when the upstream connection fails or sends
//!   something that is not an event stream, so the client never hangs;
//! - synthesises `data: [DONE]` when an upstream ends cleanly without it (not after an error
//!   event: a failed stream ends without `[DONE]`).
//!
//! Dropping the relay (the client went away) drops the upstream body, which closes the
//! upstream connection and so cancels the generation.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use gomodel_protocol::openai::{StreamEvent, inspect_data};
use gomodel_protocol::sse::{EventSplitter, data_payload};
use gomodel_providers::UpstreamStream;
use http::{HeaderValue, StatusCode, header};

use super::error::envelope_json;
use crate::error::GatewayError;
use crate::observe::RequestRecord;
use crate::observe::response_id::top_level_id;

const DONE_EVENT: &[u8] = b"data: [DONE]\n\n";
/// An event larger than this without a terminator means the upstream is not sending SSE.
const MAX_PENDING_EVENT: usize = 16 * 1024 * 1024;

/// The relay stream; see the module docs.
pub struct SseRelay {
    upstream: UpstreamStream,
    splitter: EventSplitter,
    record: Arc<RequestRecord>,
    hide_usage_only_events: bool,
    out: VecDeque<Bytes>,
    saw_done: bool,
    /// The provider sent an error event: the stream failed, so no `[DONE]` is added.
    saw_error: bool,
    finished: bool,
    sent_any: bool,
    /// The answer's id has been read (from the first chunk).
    id_seen: bool,
}

impl SseRelay {
    pub fn new(
        upstream: UpstreamStream,
        record: Arc<RequestRecord>,
        hide_usage_only_events: bool,
    ) -> Self {
        Self {
            upstream,
            splitter: EventSplitter::new(),
            record,
            hide_usage_only_events,
            out: VecDeque::new(),
            saw_done: false,
            saw_error: false,
            finished: false,
            sent_any: false,
            id_seen: false,
        }
    }

    /// Splits a chunk into events, inspects them and queues what the client should get.
    fn accept_chunk(&mut self, chunk: &[u8]) {
        if self.record.is_audited() {
            self.record.capture(|c| c.push_stream(chunk));
        }
        self.splitter.push(chunk);
        let mut batch = BytesMut::new();
        for event in self.splitter.drain_events() {
            if !self.accept_event(&event, &mut batch) {
                break;
            }
        }
        if !batch.is_empty() {
            self.out.push_back(batch.freeze());
        }
        if !self.finished && self.splitter.pending_len() > MAX_PENDING_EVENT {
            self.fail(
                "stream_protocol_error",
                "provider sent an oversized or unterminated stream event",
            );
        }
    }

    /// Handles one event; returns false when the stream must end.
    fn accept_event(&mut self, event: &Bytes, batch: &mut BytesMut) -> bool {
        if self.saw_done || self.finished {
            return false;
        }
        let inspected = match data_payload(event) {
            Some(data) => {
                let data = data.trim_ascii();
                if data != b"[DONE]" && !data.starts_with(b"{") {
                    self.out.push_back(std::mem::take(batch).freeze());
                    self.fail(
                        "invalid_provider_response",
                        "provider sent a stream event that is not JSON",
                    );
                    return false;
                }
                if !self.id_seen && data != b"[DONE]" {
                    self.id_seen = true;
                    self.record.set_response_id(top_level_id(data));
                }
                inspect_data(data)
            }
            // Comments (`: ping`) and events without data are relayed as they are.
            None => StreamEvent::default(),
        };
        if let Some(usage) = inspected.usage {
            self.record.set_usage(usage);
        }
        if inspected.error {
            self.saw_error = true;
            self.record.set_error(
                "provider_stream_error",
                "provider sent an error event mid-stream",
            );
        }
        if inspected.done {
            self.saw_done = true;
        }
        if !(inspected.usage_only && self.hide_usage_only_events) {
            batch.extend_from_slice(event);
        }
        true
    }

    /// Ends the stream with an error event.
    fn fail(&mut self, code: &'static str, message: &str) {
        let mut error =
            GatewayError::from_provider(gomodel_providers::ProviderError::InvalidResponse {
                provider: self.record.snapshot().provider.unwrap_or_default(),
                detail: message.to_owned(),
            });
        error.code = Some(code.into());
        self.push_error(&error);
    }

    fn push_error(&mut self, error: &GatewayError) {
        self.record
            .set_error(error.code.as_deref().unwrap_or("error"), &error.message);
        let mut event = Vec::with_capacity(128);
        event.extend_from_slice(b"data: ");
        event.extend_from_slice(&envelope_json(error));
        event.extend_from_slice(b"\n\n");
        self.out.push_back(Bytes::from(event));
        self.finished = true;
    }

    /// The upstream ended: flush an unterminated last event, add `[DONE]` if missing.
    fn finish_cleanly(&mut self) {
        if let Some(rest) = self.splitter.take_remainder() {
            let mut event = BytesMut::from(rest.as_ref());
            event.extend_from_slice(b"\n\n");
            let mut batch = BytesMut::new();
            if self.accept_event(&event.freeze(), &mut batch) && !batch.is_empty() {
                self.out.push_back(batch.freeze());
            }
        }
        if !self.finished && !self.saw_done && !self.saw_error {
            self.out.push_back(Bytes::from_static(DONE_EVENT));
        }
        self.finished = true;
    }
}

impl Stream for SseRelay {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(bytes) = this.out.pop_front() {
                if bytes.is_empty() {
                    continue;
                }
                if !this.sent_any {
                    this.sent_any = true;
                    this.record.mark_first_byte();
                }
                return Poll::Ready(Some(Ok(bytes)));
            }
            if this.finished || this.saw_done {
                return Poll::Ready(None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.accept_chunk(&chunk),
                Poll::Ready(Some(Err(err))) => {
                    let mut error = GatewayError::from_provider(err);
                    error.code = Some("stream_interrupted".into());
                    error.message = format!("stream interrupted: {}", error.message);
                    this.push_error(&error);
                }
                Poll::Ready(None) => this.finish_cleanly(),
            }
        }
    }
}

impl Drop for SseRelay {
    fn drop(&mut self) {
        if !self.finished && !self.saw_done {
            self.record.update(|r| r.client_disconnected = true);
        }
    }
}

/// Wraps a relay in a `text/event-stream` response.
pub fn sse_response(relay: SseRelay) -> Response {
    let mut response = Response::new(Body::from_stream(relay));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tell nginx-style proxies in front of the gateway not to buffer the stream.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}
