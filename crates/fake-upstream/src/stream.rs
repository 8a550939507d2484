//! Streamed chat completions: the recorded chunk shapes as SSE events, and the stream faults.

use axum::response::Response;
use bytes::Bytes;

use crate::app::App;
use crate::chat::{Facts, tool_completion_tokens};
use crate::faults::Fault;
use crate::feed::{Ending, Feed};
use crate::reply;
use crate::request::ChatRequest;
use crate::template::Slot;

const DONE: &[u8] = b"data: [DONE]\n\n";
/// `fake-garbage` on a stream; shared with Anthropic's streams.
pub(crate) const GARBAGE: &[u8] = b"data: <html>not json\n\n";
const ERROR_EVENT: &[u8] =
    b"data: {\"error\":{\"message\":\"mid-stream failure\",\"type\":\"server_error\"}}\n\n";

pub(crate) fn respond(
    app: &std::sync::Arc<App>,
    request: &ChatRequest<'_>,
    mut facts: Facts<'_>,
    fault: Fault,
) -> Response {
    let (events, ending) = match fault {
        Fault::Garbage => (vec![Bytes::from_static(GARBAGE)], Ending::Done),
        _ => {
            let mut events = events(app, request, &mut facts);
            match fault {
                Fault::Drop(n) => {
                    events.truncate(n);
                    (events, Ending::Abort)
                }
                Fault::Stall => {
                    events.truncate(1);
                    (events, Ending::Stall)
                }
                Fault::ErrorEvent => {
                    // The role chunk and one content chunk, then the failure.
                    events.truncate(2);
                    events.push(Bytes::from_static(ERROR_EVENT));
                    (events, Ending::Done)
                }
                _ => (events, Ending::Done),
            }
        }
    };
    let feed = Feed::new(app.clone(), events, app.options.chunk_delay, ending);
    reply::event_stream(feed.into_body())
}

/// The whole normal stream: role (or tool-call head), deltas, finish, optional usage, `[DONE]`.
fn events(app: &App, request: &ChatRequest<'_>, facts: &mut Facts<'_>) -> Vec<Bytes> {
    let usage_null = request.include_usage();
    let (deltas, finish_reason) = if request.has_tools() {
        facts.usage.completion = tool_completion_tokens(app);
        (&app.canned.tool_deltas[..], &app.rec.tool_finish_reason)
    } else {
        (&app.canned.content_deltas[..], &app.rec.finish_reason)
    };
    let mut events = Vec::with_capacity(deltas.len() + 4);
    if !request.has_tools() {
        events.push(chunk(app, facts, &app.rec.role_delta, b"null", usage_null));
    }
    for delta in deltas {
        events.push(chunk(app, facts, delta, b"null", usage_null));
    }
    events.push(chunk(
        app,
        facts,
        &app.rec.finish_delta,
        finish_reason,
        usage_null,
    ));
    if usage_null {
        events.push(event(app, facts, &app.rec.usage_chunk, |_, _| {}));
    }
    events.push(Bytes::from_static(DONE));
    events
}

fn chunk(app: &App, facts: &Facts<'_>, delta: &[u8], finish: &[u8], usage_null: bool) -> Bytes {
    event(app, facts, &app.rec.chunk, |slot, out| match slot {
        Slot::Delta => out.extend_from_slice(delta),
        Slot::FinishReason => out.extend_from_slice(finish),
        Slot::UsageNull if usage_null => out.extend_from_slice(b",\"usage\":null"),
        _ => {}
    })
}

/// One `data: <json>\n\n` event; `extra` fills the chunk-only slots.
fn event(
    app: &App,
    facts: &Facts<'_>,
    template: &crate::template::Template,
    mut extra: impl FnMut(Slot, &mut Vec<u8>),
) -> Bytes {
    let mut out = Vec::with_capacity(template.literal_len() + facts.model.len() + 256);
    out.extend_from_slice(b"data: ");
    template.render(&mut out, &mut |slot, out| match slot {
        Slot::Delta | Slot::FinishReason | Slot::UsageNull => extra(slot, out),
        _ => facts.fill(app, slot, out),
    });
    out.extend_from_slice(b"\n\n");
    out.into()
}
