//! Anthropic SSE bytes → OpenAI chat-completion SSE bytes, incrementally.
//!
//! The upstream body is split into events, each decoded and fed to the protocol crate's
//! `AnthropicToOpenAi` state machine; its chunks are written out as `data:` lines as soon as
//! they exist. A provider `error` event, an undecodable event or a transport failure ends the
//! output with an OpenAI error event (never a hang).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use gomodel_protocol::anthropic::stream_in::{AnthropicToOpenAi, Output};
use gomodel_protocol::anthropic::wire::StreamEvent;
use gomodel_protocol::sse::{EventSplitter, data_payload};
use serde_json::json;

use crate::ProviderError;
use crate::http::classify;
use crate::provider::UpstreamStream;

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    model: String,
    created: i64,
) -> UpstreamStream {
    Box::pin(Translated {
        upstream: Box::pin(response.bytes_stream()),
        splitter: EventSplitter::new(),
        machine: AnthropicToOpenAi::new(&model, created),
        out: VecDeque::new(),
        provider,
        finished: false,
    })
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

struct Translated {
    upstream: ByteStream,
    splitter: EventSplitter,
    machine: AnthropicToOpenAi,
    out: VecDeque<Result<Bytes, ProviderError>>,
    provider: String,
    finished: bool,
}

impl Translated {
    fn accept(&mut self, chunk: &[u8]) {
        self.splitter.push(chunk);
        let mut batch = Vec::new();
        for event in self.splitter.drain_events() {
            let Some(data) = data_payload(&event) else {
                continue;
            };
            let decoded = match serde_json::from_slice::<StreamEvent>(data.trim_ascii()) {
                Ok(decoded) => decoded,
                Err(err) => {
                    self.error_event(
                        &mut batch,
                        "invalid_provider_response",
                        &format!("provider sent an undecodable stream event: {err}"),
                    );
                    break;
                }
            };
            match self.machine.on_event(decoded) {
                Output::Chunks(chunks) => {
                    for chunk in chunks {
                        batch.extend_from_slice(b"data: ");
                        batch.extend_from_slice(&serde_json::to_vec(&chunk).unwrap_or_default());
                        batch.extend_from_slice(b"\n\n");
                    }
                }
                Output::Done => {
                    batch.extend_from_slice(b"data: [DONE]\n\n");
                    self.finished = true;
                    break;
                }
                Output::Error { kind, message } => {
                    self.error_event(&mut batch, &kind, &message);
                    break;
                }
            }
        }
        if !batch.is_empty() {
            self.out.push_back(Ok(Bytes::from(batch)));
        }
    }

    fn error_event(&mut self, batch: &mut Vec<u8>, kind: &str, message: &str) {
        let event =
            json!({"error": {"message": message, "type": kind, "param": null, "code": kind}});
        batch.extend_from_slice(b"data: ");
        batch.extend_from_slice(event.to_string().as_bytes());
        batch.extend_from_slice(b"\n\n");
        self.finished = true;
    }
}

impl Stream for Translated {
    type Item = Result<Bytes, ProviderError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.out.pop_front() {
                return Poll::Ready(Some(item));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            match this.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(chunk))) => this.accept(&chunk),
                Poll::Ready(Some(Err(err))) => {
                    this.finished = true;
                    return Poll::Ready(Some(Err(ProviderError::Transport {
                        provider: this.provider.clone(),
                        failure: classify(&err),
                    })));
                }
                Poll::Ready(None) => {
                    // A last event without its blank line still counts.
                    if let Some(rest) = this.splitter.take_remainder() {
                        let mut last = rest.to_vec();
                        last.extend_from_slice(b"\n\n");
                        this.accept(&last);
                        if !this.out.is_empty() {
                            continue;
                        }
                    }
                    // Ended without message_stop: the relay reports it (no [DONE] was sent).
                    this.finished = true;
                    if !this.machine.is_finished() {
                        return Poll::Ready(Some(Err(ProviderError::InvalidResponse {
                            provider: this.provider.clone(),
                            detail: "stream ended before message_stop".to_owned(),
                        })));
                    }
                }
            }
        }
    }
}
