//! A provider's event stream → OpenAI chat-completion SSE bytes, incrementally, for any
//! dialect.
//!
//! The upstream body is split into events — SSE events (Anthropic, Gemini) or AWS
//! event-stream frames (Bedrock) — and each event's payload goes to the dialect's
//! [`EventTranslator`], whose chunks are written out as `data:` lines as soon as they
//! exist. AWS exception frames and corrupt frames end the output with an error event (after
//! the events decoded before them). A provider error event, an undecodable event or a transport failure ends the
//! output with an OpenAI error event (never a hang); a stream that ends early is reported to
//! the relay as an invalid response (no `[DONE]` was sent).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use gomodel_protocol::canonical::ChatChunk;
use gomodel_protocol::eventstream::Decoder;
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

/// How the upstream body is framed.
pub(crate) enum Framing {
    /// `text/event-stream`: the `data:` payload of each event.
    Sse,
    /// `application/vnd.amazon.eventstream`: each frame's payload, with its `:event-type`
    /// (or `:exception-type` for exception frames) as the event kind.
    AwsEventStream,
}

/// A dialect's stream state machine, fed one event at a time.
pub(crate) trait EventTranslator: Send + Unpin + 'static {
    /// `kind` is the AWS frame's event or exception type; SSE events have none.
    fn on_data(&mut self, kind: Option<&str>, data: &[u8]) -> Step;
    /// The upstream ended: the last chunks (and `[DONE]`), or why the stream is incomplete.
    /// Not called after [`Step::Done`].
    fn on_end(&mut self) -> Result<Vec<ChatChunk>, String>;
}

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    framing: Framing,
    translator: impl EventTranslator,
) -> UpstreamStream {
    Box::pin(Translated {
        upstream: Box::pin(response.bytes_stream()),
        framer: match framing {
            Framing::Sse => Framer::Sse(EventSplitter::new()),
            Framing::AwsEventStream => Framer::Aws(Decoder::new()),
        },
        translator,
        out: VecDeque::new(),
        provider,
        finished: false,
    })
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

enum Framer {
    Sse(EventSplitter),
    Aws(Decoder),
}

/// One event taken from the framer: its kind (AWS) and payload, or the provider's failure.
struct RawEvent {
    kind: Option<String>,
    data: Bytes,
    /// An AWS exception or error frame: (exception type, message). It ends the stream
    /// whatever the dialect, so the translator never sees it.
    failure: Option<(String, String)>,
}

/// An AWS frame as an event. `:message-type` tells events (`:event-type`) from modelled
/// exceptions (`:exception-type`, message in the payload) and errors (`:error-code`,
/// `:error-message` headers, empty payload).
fn aws_event(frame: gomodel_protocol::eventstream::Frame) -> RawEvent {
    let failure = match frame.header(":message-type") {
        Some("exception") => {
            let kind = frame
                .header(":exception-type")
                .unwrap_or("exception")
                .to_owned();
            let message = payload_message(&frame.payload);
            Some((
                kind.clone(),
                format!("provider stream error ({kind}): {message}"),
            ))
        }
        Some("error") => {
            let kind = frame.header(":error-code").unwrap_or("error").to_owned();
            let message = frame.header(":error-message").unwrap_or("").to_owned();
            Some((
                kind.clone(),
                format!("provider stream error ({kind}): {message}"),
            ))
        }
        _ => None,
    };
    RawEvent {
        kind: frame.header(":event-type").map(str::to_owned),
        data: frame.payload,
        failure,
    }
}

/// `message` (or `Message`) of an exception payload.
fn payload_message(payload: &[u8]) -> String {
    #[derive(serde::Deserialize, Default)]
    struct Body {
        #[serde(default, alias = "Message")]
        message: String,
    }
    serde_json::from_slice::<Body>(payload)
        .unwrap_or_default()
        .message
}

struct Translated<T> {
    upstream: ByteStream,
    framer: Framer,
    translator: T,
    out: VecDeque<Result<Bytes, ProviderError>>,
    provider: String,
    finished: bool,
}

impl<T: EventTranslator> Translated<T> {
    fn accept(&mut self, chunk: &[u8]) {
        let mut batch = Vec::new();
        // Frames decoded before a corrupt one are still delivered, then the error.
        let (events, broken) = self.take_events(chunk);
        for event in events {
            if let Some((kind, message)) = event.failure {
                write_error(&mut batch, &kind, &message);
                self.finished = true;
                break;
            }
            let data = event.data.trim_ascii();
            if data.is_empty() {
                continue;
            }
            match self.translator.on_data(event.kind.as_deref(), data) {
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
        if let Some(message) = broken.filter(|_| !self.finished) {
            write_error(&mut batch, "invalid_provider_response", &message);
            self.finished = true;
        }
        if !batch.is_empty() {
            self.out.push_back(Ok(Bytes::from(batch)));
        }
    }

    /// The complete events in the bytes received so far, and why framing broke if it did.
    fn take_events(&mut self, chunk: &[u8]) -> (Vec<RawEvent>, Option<String>) {
        match &mut self.framer {
            Framer::Sse(splitter) => {
                splitter.push(chunk);
                let events = splitter
                    .drain_events()
                    .iter()
                    .filter_map(|event| {
                        data_payload(event).map(|data| RawEvent {
                            kind: None,
                            data: Bytes::copy_from_slice(&data),
                            failure: None,
                        })
                    })
                    .collect();
                (events, None)
            }
            Framer::Aws(decoder) => {
                decoder.push(chunk);
                let mut events = Vec::new();
                loop {
                    match decoder.next_frame() {
                        Ok(Some(frame)) => events.push(aws_event(frame)),
                        Ok(None) => return (events, None),
                        Err(err) => {
                            let message =
                                format!("provider sent a corrupt event-stream frame: {err}");
                            return (events, Some(message));
                        }
                    }
                }
            }
        }
    }

    /// Bytes left over when the upstream ended: an unfinished SSE event (still counted) or
    /// half an AWS frame (an error).
    fn remainder(&mut self) -> Result<Option<Vec<u8>>, String> {
        match &mut self.framer {
            Framer::Sse(splitter) => Ok(splitter.take_remainder().map(|rest| {
                let mut last = rest.to_vec();
                last.extend_from_slice(b"\n\n");
                last
            })),
            Framer::Aws(decoder) if decoder.pending() > 0 => {
                Err("stream ended in the middle of an event-stream frame".to_owned())
            }
            Framer::Aws(_) => Ok(None),
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
                    match this.remainder() {
                        // A last SSE event without its blank line still counts.
                        Ok(Some(last)) => {
                            this.accept(&last);
                            if this.finished {
                                continue;
                            }
                        }
                        Ok(None) => {}
                        Err(detail) => {
                            this.finished = true;
                            this.out.push_back(Err(ProviderError::InvalidResponse {
                                provider: this.provider.clone(),
                                detail,
                            }));
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
