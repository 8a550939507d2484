//! ConverseStream: the answer as AWS event stream messages (`eventstream.rs`), in Bedrock's
//! order (Bedrock Runtime API reference, "ConverseStreamOutput"):
//!
//! `messageStart {role}`; for reasoning, `contentBlockDelta` with `reasoningContent.text`
//! pieces then `reasoningContent.signature`, and `contentBlockStop`; for text, `text` deltas
//! (no `contentBlockStart`, as Bedrock sends none for text) and `contentBlockStop`; for each
//! tool call `contentBlockStart {start.toolUse}`, `toolUse.input` JSON fragments and
//! `contentBlockStop`; then `messageStop {stopReason}` and `metadata {usage, metrics}`. Every
//! payload carries Bedrock's random-length padding field `"p"`.
//!
//! Messages are handed to the socket one per body chunk, except that every third one is split
//! across two chunks, so a client's incremental decoder must join them. Stream faults:
//! `fake-error-event` (a `throttlingException` message after the first deltas),
//! `fake-model-stream-error` (a `modelStreamErrorException`), `fake-corrupt-frame` (a message
//! whose CRC is wrong), `fake-truncated-frame` (the body ends inside a message), and the
//! generic `fake-drop-<n>`, `fake-stall`, `fake-garbage`.

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::answer::{Content, Plan};
use super::errors::INTERNAL;
use super::eventstream;
use crate::app::App;
use crate::faults::Fault;
use crate::feed::{Ending, Feed};

/// Model names that script a stream fault only Bedrock has.
pub(super) const MODEL_STREAM_ERROR: &str = "fake-model-stream-error";
pub(super) const CORRUPT_FRAME: &str = "fake-corrupt-frame";
pub(super) const TRUNCATED_FRAME: &str = "fake-truncated-frame";

/// What Bedrock pads payloads with: a prefix of this, of varying length.
const PADDING: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The events of the whole answer, as (event type, payload without padding).
pub(super) fn events(
    plan: &Plan,
    latency_ms: u64,
    response_fields: Option<Value>,
) -> Vec<(&'static str, Value)> {
    let mut events = vec![("messageStart", json!({"role": "assistant"}))];
    let mut index = 0;
    if let Some(reasoning) = &plan.reasoning {
        for piece in &reasoning.pieces {
            events.push(delta(index, json!({"reasoningContent": {"text": piece}})));
        }
        let signature = json!({"reasoningContent": {"signature": reasoning.signature}});
        events.push(delta(index, signature));
        events.push(stop(index));
        index += 1;
    }
    match &plan.content {
        Content::Text(pieces) => {
            for piece in pieces {
                events.push(delta(index, json!({"text": piece})));
            }
            events.push(stop(index));
        }
        Content::Tools(calls) => {
            for call in calls {
                let start = json!({"toolUse": {"toolUseId": call.id, "name": call.name}});
                events.push((
                    "contentBlockStart",
                    json!({"contentBlockIndex": index, "start": start}),
                ));
                for fragment in fragments(&call.input.to_string()) {
                    events.push(delta(index, json!({"toolUse": {"input": fragment}})));
                }
                events.push(stop(index));
                index += 1;
            }
        }
    }
    let mut message_stop = json!({"stopReason": plan.stop_reason});
    if let Some(fields) = response_fields {
        message_stop["additionalModelResponseFields"] = fields;
    }
    events.push(("messageStop", message_stop));
    events.push((
        "metadata",
        json!({"usage": plan.usage, "metrics": {"latencyMs": latency_ms}}),
    ));
    events
}

fn delta(index: usize, delta: Value) -> (&'static str, Value) {
    (
        "contentBlockDelta",
        json!({"contentBlockIndex": index, "delta": delta}),
    )
}

fn stop(index: usize) -> (&'static str, Value) {
    ("contentBlockStop", json!({"contentBlockIndex": index}))
}

/// The arguments JSON in two or three pieces, cut on character boundaries.
fn fragments(json: &str) -> Vec<String> {
    let count = if json.len() > 12 { 3 } else { 2 };
    let mut pieces = Vec::new();
    let mut start = 0;
    for k in 1..count {
        let mut cut = json.len() * k / count;
        while !json.is_char_boundary(cut) {
            cut += 1;
        }
        if cut > start {
            pieces.push(json[start..cut].to_owned());
            start = cut;
        }
    }
    if start < json.len() {
        pieces.push(json[start..].to_owned());
    }
    pieces
}

/// Encodes the events, applies the stream fault, and streams the result.
pub(super) fn respond(
    app: &Arc<App>,
    events: Vec<(&'static str, Value)>,
    fault: Fault,
    model_id: &str,
) -> Response {
    let mut frames: Vec<Vec<u8>> = events
        .into_iter()
        .map(|(kind, mut payload)| {
            let length = (app.next_id() % PADDING.len() as u64) as usize + 1;
            payload["p"] = Value::from(&PADDING[..length]);
            eventstream::event(kind, payload.to_string().as_bytes())
        })
        .collect();
    // messageStart and the first two deltas, then the failure.
    let keep = frames.len().min(3);
    let (pieces, ending) = match (fault, model_id) {
        (Fault::Garbage, _) => (
            vec![Bytes::from_static(b"<html>not an event stream</html>")],
            Ending::Done,
        ),
        (Fault::ErrorEvent, _) => {
            frames.truncate(keep);
            let payload = json!({"message": "Too many tokens, please wait before trying again."});
            let exception =
                eventstream::exception("throttlingException", payload.to_string().as_bytes());
            frames.push(exception);
            (chunks(frames), Ending::Done)
        }
        (_, MODEL_STREAM_ERROR) => {
            frames.truncate(keep);
            let payload = json!({
                "message": INTERNAL,
                "originalStatusCode": 500,
                "originalMessage": "The model stream failed.",
            });
            let exception =
                eventstream::exception("modelStreamErrorException", payload.to_string().as_bytes());
            frames.push(exception);
            (chunks(frames), Ending::Done)
        }
        (_, CORRUPT_FRAME) => {
            if let Some(frame) = frames.get_mut(keep - 1) {
                *frame = eventstream::corrupt(std::mem::take(frame));
            }
            (chunks(frames), Ending::Done)
        }
        (_, TRUNCATED_FRAME) => {
            frames.truncate(keep);
            let mut pieces = chunks(frames[..keep - 1].to_vec());
            let last = &frames[keep - 1];
            pieces.push(Bytes::copy_from_slice(&last[..last.len() / 2]));
            (pieces, Ending::Done)
        }
        (Fault::Drop(n), _) => {
            frames.truncate(n);
            (chunks(frames), Ending::Abort)
        }
        (Fault::Stall, _) => {
            frames.truncate(1);
            (chunks(frames), Ending::Stall)
        }
        _ => (chunks(frames), Ending::Done),
    };
    let feed = Feed::new(app.clone(), pieces, app.options.chunk_delay, ending);
    let mut response = Response::new(feed.into_body());
    *response.status_mut() = StatusCode::OK;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.amazon.eventstream"),
    );
    response
}

/// One body chunk per message, except every third message, which is split in two.
fn chunks(frames: Vec<Vec<u8>>) -> Vec<Bytes> {
    let mut pieces = Vec::with_capacity(frames.len() + frames.len() / 3);
    for (i, frame) in frames.into_iter().enumerate() {
        if i % 3 == 2 && frame.len() > 1 {
            let (head, tail) = frame.split_at(frame.len() / 2);
            pieces.push(Bytes::copy_from_slice(head));
            pieces.push(Bytes::copy_from_slice(tail));
        } else {
            pieces.push(Bytes::from(frame));
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_rejoin() {
        for json in ["{}", r#"{"location":"Tokyo"}"#, r#"{"city":"東京都"}"#] {
            let pieces = fragments(json);
            assert!((2..=3).contains(&pieces.len()), "{json}: {pieces:?}");
            assert_eq!(pieces.concat(), json);
        }
    }

    #[test]
    fn some_frames_span_two_chunks() {
        let frames: Vec<Vec<u8>> = (0..6).map(|i| vec![i; 10]).collect();
        let pieces = chunks(frames.clone());
        assert_eq!(pieces.len(), 8);
        let joined: Vec<u8> = pieces.iter().flat_map(|p| p.to_vec()).collect();
        assert_eq!(joined, frames.concat());
        assert_eq!(pieces[2].len(), 5, "the third frame is split");
    }
}
