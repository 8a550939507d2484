//! Streamed Messages: the recorded event shapes as `event: <type>\ndata: <json>\n\n`, and the
//! stream faults.
//!
//! The envelopes (`message_start`, `content_block_start|delta|stop`, `ping`, `message_delta`,
//! `message_stop`) and the text block are the recorded ones. Tool use and thinking were not
//! recorded in a stream; they follow Anthropic's streaming docs ("Streaming Messages"):
//!
//! - a tool_use block starts with `{"type":"tool_use","id","name","input":{}}`, then its input
//!   arrives as `input_json_delta` fragments (`partial_json`, the first one empty);
//! - a thinking block starts with `{"type":"thinking","thinking":""}`, then `thinking_delta`s,
//!   then one `signature_delta` right before its `content_block_stop`.

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;

use super::Plan;
use crate::app::App;
use crate::faults::Fault;
use crate::feed::{Ending, Feed};
use crate::reply;
use crate::stream::GARBAGE;
use crate::template::{Slot, push_hex_id, push_json_str, push_u64};
use crate::tool_stream::fragments;

/// What Anthropic sends when a stream fails after it started (Streaming docs, "Error events").
const ERROR_EVENT: &[u8] = b"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
const THINKING_START: &[u8] = br#"{"type":"thinking","thinking":""}"#;

pub(super) fn respond(app: &Arc<App>, plan: &Plan<'_>, fault: Fault) -> Response {
    let (events, ending) = match fault {
        Fault::Garbage => (vec![Bytes::from_static(GARBAGE)], Ending::Done),
        Fault::ErrorEvent => (error_events(app, plan), Ending::Done),
        _ => {
            let mut events = events(app, plan);
            match fault {
                Fault::Drop(n) => {
                    events.truncate(n);
                    (events, Ending::Abort)
                }
                Fault::Stall => {
                    events.truncate(1);
                    (events, Ending::Stall)
                }
                _ => (events, Ending::Done),
            }
        }
    };
    let feed = Feed::new(app.clone(), events, app.options.chunk_delay, ending);
    reply::event_stream(feed.into_body())
}

/// The whole normal stream: message_start, [thinking], text, [two tool_use], message_delta,
/// message_stop, with a ping after the first block starts (where the recording has it).
fn events(app: &App, plan: &Plan<'_>) -> Vec<Bytes> {
    let anthropic = &app.anthropic;
    let rec = &anthropic.rec;
    let mut events = Events::new(app, plan);
    events.message_start();
    if plan.thinking {
        events.start_block(THINKING_START);
        for piece in &anthropic.thinking_pieces {
            events.delta(|out| {
                out.extend_from_slice(br#"{"type":"thinking_delta","thinking":"#);
                push_json_str(out, piece);
                out.push(b'}');
            });
        }
        events.delta(|out| {
            out.extend_from_slice(br#"{"type":"signature_delta","signature":"#);
            push_json_str(out, &rec.signature);
            out.push(b'}');
        });
        events.stop_block();
    }
    let pieces = if plan.tools.is_some() {
        &anthropic.tool_text_pieces
    } else {
        &anthropic.text_pieces
    };
    events.start_block(&rec.stream.text_block_start);
    for piece in pieces {
        events.text_delta(piece);
    }
    events.stop_block();
    if let Some((first, last)) = plan.tools {
        // Two parallel calls: the recorded one, then the last tool with the city swapped.
        for (name, input) in [(first, &rec.tool_input), (last, &rec.second_tool_input)] {
            let mut start = Vec::with_capacity(128);
            super::push_tool_block(app, name, b"{}", &mut start);
            events.start_block(&start);
            for fragment in std::iter::once("").chain(fragments(input)) {
                events.delta(|out| {
                    out.extend_from_slice(br#"{"type":"input_json_delta","partial_json":"#);
                    push_json_str(out, fragment);
                    out.push(b'}');
                });
            }
            events.stop_block();
        }
    }
    events.message_delta();
    events.message_stop();
    events.list
}

/// `fake-error-event`: message_start, a text block's start and first delta, then an error event.
fn error_events(app: &App, plan: &Plan<'_>) -> Vec<Bytes> {
    let anthropic = &app.anthropic;
    let mut events = Events::new(app, plan);
    events.pinged = true;
    events.message_start();
    events.start_block(&anthropic.rec.stream.text_block_start);
    if let Some(piece) = anthropic.text_pieces.first() {
        events.text_delta(piece);
    }
    events.list.push(Bytes::from_static(ERROR_EVENT));
    events.list
}

/// Builds the event list, numbering content blocks as they open.
struct Events<'a> {
    app: &'a App,
    plan: &'a Plan<'a>,
    list: Vec<Bytes>,
    index: u64,
    pinged: bool,
}

impl<'a> Events<'a> {
    fn new(app: &'a App, plan: &'a Plan<'a>) -> Self {
        Self {
            app,
            plan,
            list: Vec::with_capacity(32),
            index: 0,
            pinged: false,
        }
    }

    fn push(&mut self, name: &str, data: impl FnOnce(&mut Vec<u8>)) {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"event: ");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\ndata: ");
        data(&mut out);
        out.extend_from_slice(b"\n\n");
        self.list.push(out.into());
    }

    fn message_start(&mut self) {
        let (app, plan) = (self.app, self.plan);
        let rec = &app.anthropic.rec.stream;
        self.push("message_start", |out| {
            rec.message_start.render(out, &mut |slot, out| match slot {
                Slot::Id => push_hex_id(out, "msg_fake", plan.id),
                Slot::Model => push_json_str(out, plan.model),
                Slot::Usage => rec.start_usage.render(out, &mut |slot, out| {
                    if slot == Slot::PromptTokens {
                        push_u64(out, plan.input_tokens);
                    }
                }),
                _ => {}
            });
        });
    }

    fn start_block(&mut self, block: &[u8]) {
        let (app, index) = (self.app, self.index);
        let rec = &app.anthropic.rec.stream;
        self.push("content_block_start", |out| {
            rec.block_start.render(out, &mut |slot, out| match slot {
                Slot::Index => push_u64(out, index),
                Slot::Block => out.extend_from_slice(block),
                _ => {}
            });
        });
        if !self.pinged {
            self.pinged = true;
            let ping = &rec.ping;
            self.push("ping", |out| out.extend_from_slice(ping));
        }
    }

    /// A `content_block_delta` of the open block; `delta` writes the `delta` object.
    fn delta(&mut self, delta: impl FnOnce(&mut Vec<u8>)) {
        let (app, index) = (self.app, self.index);
        let rec = &app.anthropic.rec.stream;
        let mut delta = Some(delta);
        self.push("content_block_delta", |out| {
            rec.block_delta.render(out, &mut |slot, out| match slot {
                Slot::Index => push_u64(out, index),
                Slot::Delta => {
                    if let Some(delta) = delta.take() {
                        delta(out);
                    }
                }
                _ => {}
            });
        });
    }

    fn text_delta(&mut self, text: &str) {
        let app = self.app;
        let rec = &app.anthropic.rec.stream;
        self.delta(|out| {
            rec.text_delta.render(out, &mut |slot, out| {
                if slot == Slot::Content {
                    push_json_str(out, text);
                }
            });
        });
    }

    fn stop_block(&mut self) {
        let (app, index) = (self.app, self.index);
        let rec = &app.anthropic.rec.stream;
        self.push("content_block_stop", |out| {
            rec.block_stop.render(out, &mut |slot, out| {
                if slot == Slot::Index {
                    push_u64(out, index);
                }
            });
        });
        self.index += 1;
    }

    fn message_delta(&mut self) {
        let (app, plan) = (self.app, self.plan);
        let rec = &app.anthropic.rec;
        self.push("message_delta", |out| {
            rec.stream
                .message_delta
                .render(out, &mut |slot, out| match slot {
                    Slot::StopReason => out.extend_from_slice(plan.stop_reason(rec)),
                    Slot::Usage => super::push_usage(&rec.stream.delta_usage, plan, out),
                    _ => {}
                });
        });
    }

    fn message_stop(&mut self) {
        let app = self.app;
        let stop = &app.anthropic.rec.stream.message_stop;
        self.push("message_stop", |out| out.extend_from_slice(stop));
    }
}
