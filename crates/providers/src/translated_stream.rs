//! A provider's SSE bytes → OpenAI chat-completion SSE bytes, incrementally, for any dialect.
//!
//! The upstream body is split into events; each event's `data:` payload goes to the
//! dialect's [`EventTranslator`], whose chunks are written out as `data:` lines as soon as
//! they exist. A provider error event, an undecodable event or a transport failure ends the
//! output with an OpenAI error event (never a hang); a stream that ends early is reported to
//! the relay as an invalid response (no `[DONE]` was sent).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use gomodel_protocol::canonical::ChatChunk;
use gomodel_protocol::sse::{EventSplitter, data_payload};
use serde_json::json;

use crate::ProviderError;
use crate::http::classify;
use crate::provider::UpstreamStream;

/// What one upstream event means.
pub(crate) enum Step {
    Chunks(Vec<ChatChunk>),
    /// The stream is complete: `[DONE]` follows these chunks.
    Done(Vec<ChatChunk>),
    Error {
        kind: String,
        message: String,
    },
}

/// A dialect's stream state machine, fed one event payload at a time.
pub(crate) trait EventTranslator: Send + Unpin + 'static {
    fn on_data(&mut self, data: &[u8]) -> Step;
    /// The upstream ended: the last chunks (and `[DONE]`), or why the stream is incomplete.
    /// Not called after [`Step::Done`].
    fn on_end(&mut self) -> Result<Vec<ChatChunk>, String>;
}

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    translator: impl EventTranslator,
) -> UpstreamStream {
    Box::pin(Translated {
        upstream: Box::pin(response.bytes_stream()),
        splitter: EventSplitter::new(),
        translator,
        out: VecDeque::new(),
        provider,
        finished: false,
    })
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

struct Translated<T> {
    upstream: ByteStream,
    splitter: EventSplitter,
    translator: T,
    out: VecDeque<Result<Bytes, ProviderError>>,
    provider: String,
    finished: bool,
}

impl<T: EventTranslator> Translated<T> {
    fn accept(&mut self, chunk: &[u8]) {
        self.splitter.push(chunk);
        let mut batch = Vec::new();
        for event in self.splitter.drain_events() {
            let Some(data) = data_payload(&event) else {
                continue;
            };
            let data = data.trim_ascii();
            if data.is_empty() {
                continue;
            }
            match self.translator.on_data(data) {
                Step::Chunks(chunks) => write_chunks(&mut batch, &chunks),
                Step::Done(chunks) => {
                    write_chunks(&mut batch, &chunks);
                    batch.extend_from_slice(b"data: [DONE]\n\n");
                    self.finished = true;
                    break;
                }
                Step::Error { kind, message } => {
                    write_error(&mut batch, &kind, &message);
                    self.finished = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            self.out.push_back(Ok(Bytes::from(batch)));
        }
    }
}

fn write_chunks(batch: &mut Vec<u8>, chunks: &[ChatChunk]) {
    for chunk in chunks {
        batch.extend_from_slice(b"data: ");
        batch.extend_from_slice(&serde_json::to_vec(chunk).unwrap_or_default());
        batch.extend_from_slice(b"\n\n");
    }
}

fn write_error(batch: &mut Vec<u8>, kind: &str, message: &str) {
    let event = json!({"error": {"message": message, "type": kind, "param": null, "code": kind}});
    batch.extend_from_slice(b"data: ");
    batch.extend_from_slice(event.to_string().as_bytes());
    batch.extend_from_slice(b"\n\n");
}

impl<T: EventTranslator> Stream for Translated<T> {
    type Item = Result<Bytes, ProviderError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // Every field is Unpin (the upstream is boxed), so the struct is too.
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
                        if this.finished {
                            continue;
                        }
                    }
                    this.finished = true;
                    match this.translator.on_end() {
                        Ok(chunks) => {
                            let mut batch = Vec::new();
                            write_chunks(&mut batch, &chunks);
                            batch.extend_from_slice(b"data: [DONE]\n\n");
                            this.out.push_back(Ok(Bytes::from(batch)));
                        }
                        Err(detail) => this.out.push_back(Err(ProviderError::InvalidResponse {
                            provider: this.provider.clone(),
                            detail,
                        })),
                    }
                }
            }
        }
    }
}
