//! `streamGenerateContent`: the answer as a series of GenerateContentResponse chunks, framed
//! as server-sent events with `?alt=sse` (`data: <json>\r\n\r\n`, CRLF as Google sends, no
//! `[DONE]`), or else as one JSON array streamed element by element, as the API does.
//!
//! Every chunk carries `usageMetadata` with the running counts; the last one has the final
//! counts and the `finishReason`. A thought summary comes first in chunks of its own; the
//! thought signature rides on the last text chunk or on the first function call.

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;

use super::answer::{Outcome, Plan};
use super::errors::{ApiError, INTERNAL_MESSAGE};
use super::response::{
    self, Candidate, GenerateContentResponse, Stamp, call_parts, model_content, text_part,
    thought_part,
};
use crate::app::App;
use crate::faults::Fault;
use crate::feed::{Ending, Feed};
use crate::reply;
use crate::request::text_tokens;
use crate::split::split_before;

const SSE_GARBAGE: &[u8] = b"data: <html>not json\r\n\r\n";
const ARRAY_GARBAGE: &[u8] = b"[<html>not json";

/// The chunks of the whole answer, in order.
pub(super) fn chunks(plan: &Plan, stamp: &Stamp) -> Vec<GenerateContentResponse> {
    let mut chunks = Vec::new();
    if let Some(thought) = plan.thought {
        for piece in split_before(thought, "\n\n") {
            let candidate = open(vec![thought_part(piece)]);
            chunks.push(stamp.response(vec![candidate], response::usage(plan, 0, stamp)));
        }
    }
    let final_tokens = plan.candidates_tokens();
    match &plan.outcome {
        Outcome::PromptBlocked => chunks.push(response::whole(plan, stamp)),
        Outcome::Text { pieces, finish } => {
            let mut sent = 0;
            for (i, piece) in pieces.iter().enumerate() {
                sent += piece.len();
                let mut part = text_part(piece);
                let last = i + 1 == pieces.len();
                let (candidate, tokens) = if last {
                    part.thought_signature = plan.signature.clone();
                    (response::finished(vec![part], finish), final_tokens)
                } else {
                    (open(vec![part]), text_tokens(sent))
                };
                chunks.push(stamp.response(vec![candidate], response::usage(plan, tokens, stamp)));
            }
        }
        Outcome::Calls(calls) => {
            let candidate = response::finished(call_parts(calls, plan.signature.as_ref()), "STOP");
            chunks
                .push(stamp.response(vec![candidate], response::usage(plan, final_tokens, stamp)));
        }
        Outcome::Stopped { reason, pieces } => {
            let mut sent = 0;
            for piece in pieces {
                sent += piece.len();
                let candidate = open(vec![text_part(piece)]);
                chunks.push(stamp.response(
                    vec![candidate],
                    response::usage(plan, text_tokens(sent), stamp),
                ));
            }
            let candidate = Candidate {
                content: None,
                finish_reason: Some(reason),
                index: 0,
                safety_ratings: response::safety_ratings(*reason == "SAFETY"),
            };
            chunks
                .push(stamp.response(vec![candidate], response::usage(plan, final_tokens, stamp)));
        }
    }
    chunks
}

/// A candidate still being generated: parts, no finish reason.
fn open(parts: Vec<response::Part>) -> Candidate {
    Candidate {
        content: model_content(parts),
        finish_reason: None,
        index: 0,
        safety_ratings: Vec::new(),
    }
}

/// Frames `chunks` and applies the stream faults.
pub(super) fn respond(
    app: &Arc<App>,
    chunks: &[GenerateContentResponse],
    sse: bool,
    fault: Fault,
) -> Response {
    let mut items: Vec<Vec<u8>> = chunks.iter().map(|c| encode(c, sse)).collect();
    let (pieces, ending) = match fault {
        Fault::Garbage => {
            let garbage = if sse { SSE_GARBAGE } else { ARRAY_GARBAGE };
            (vec![Bytes::from_static(garbage)], Ending::Done)
        }
        Fault::ErrorEvent => {
            // The first chunk, then the failure as Google reports it mid-stream.
            items.truncate(1);
            items.push(encode(&ApiError::new(500, INTERNAL_MESSAGE).body(), sse));
            (frame(items, sse), Ending::Done)
        }
        Fault::Drop(n) => (take(frame(items, sse), n), Ending::Abort),
        Fault::Stall => (take(frame(items, sse), 1), Ending::Stall),
        _ => (frame(items, sse), Ending::Done),
    };
    let feed = Feed::new(app.clone(), pieces, app.options.chunk_delay, ending);
    if sse {
        reply::event_stream(feed.into_body())
    } else {
        reply::json_stream(feed.into_body())
    }
}

fn take(mut pieces: Vec<Bytes>, n: usize) -> Vec<Bytes> {
    pieces.truncate(n);
    pieces
}

fn encode(value: &impl serde::Serialize, sse: bool) -> Vec<u8> {
    if sse {
        let mut event = b"data: ".to_vec();
        event.extend(serde_json::to_vec(value).unwrap_or_default());
        event.extend_from_slice(b"\r\n\r\n");
        event
    } else {
        serde_json::to_vec_pretty(value).unwrap_or_default()
    }
}

/// SSE events go out as they are; array elements get `[`, `,\r\n` and a closing `]` (its own
/// piece, so a dropped stream leaves the array open).
fn frame(items: Vec<Vec<u8>>, sse: bool) -> Vec<Bytes> {
    if sse {
        return items.into_iter().map(Bytes::from).collect();
    }
    let mut pieces: Vec<Bytes> = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut piece = if i == 0 {
                b"[".to_vec()
            } else {
                b"\r\n,\r\n".to_vec()
            };
            piece.extend(item);
            Bytes::from(piece)
        })
        .collect();
    pieces.push(Bytes::from_static(b"]"));
    pieces
}
