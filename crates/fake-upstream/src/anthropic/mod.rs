//! Anthropic's Messages API: `POST …/messages`, `POST …/messages/count_tokens`, and the model
//! list in Anthropic's shape.
//!
//! Answers are the recordings in `fixtures/anthropic/` with this request's model, ids and token
//! counts. The request decides the content: `tools` (unless `tool_choice` is `none`) makes the
//! model call the first tool, `thinking` (`enabled` or `adaptive`) puts a signed thinking block
//! first. Faults are the same model names as on the OpenAI side (see `faults.rs`), answered in
//! Anthropic's vocabulary.

mod models;
mod recordings;
mod stream;

use std::borrow::Cow;
use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::app::App;
use crate::faults::Fault;
use crate::options::FakeOptions;
use crate::request::text_tokens;
use crate::scripted::{self, Dialect};
use crate::split::split_before;
use crate::template::{Slot, Template, push_hex_id, push_json_str, push_u64};
use crate::{errors, reply};

use recordings::Recordings;

/// Anthropic's recordings and everything rendered from them once, when the fake starts.
pub(crate) struct Anthropic {
    rec: Recordings,
    /// The plain answer's text, in stream pieces ("Hello", " World"; repeated for `stream_chunks`).
    text_pieces: Vec<String>,
    /// The pieces joined: the non-stream answer's text.
    text: String,
    text_output_tokens: u64,
    /// The text before a tool call, in stream pieces (one per word).
    tool_text_pieces: Vec<String>,
    /// The recorded thinking, in stream pieces (one per paragraph).
    thinking_pieces: Vec<String>,
    /// Output tokens a thinking block adds to an answer.
    thinking_tokens: u64,
    pub(crate) models_body: Bytes,
}

impl Anthropic {
    pub(crate) fn new(options: &FakeOptions) -> anyhow::Result<Self> {
        let rec = Recordings::load()?;
        let recorded = split_before(&rec.text, " ");
        let (text_pieces, text_output_tokens): (Vec<String>, u64) = match options.stream_chunks {
            None => (
                recorded.iter().map(|p| (*p).to_owned()).collect(),
                rec.text_output_tokens,
            ),
            Some(count) => (
                recorded
                    .iter()
                    .cycle()
                    .take(count)
                    .map(|p| (*p).to_owned())
                    .collect(),
                count as u64,
            ),
        };
        Ok(Self {
            text: text_pieces.concat(),
            text_pieces,
            text_output_tokens,
            tool_text_pieces: owned(split_before(&rec.tool_text, " ")),
            thinking_pieces: owned(split_before(&rec.thinking, "\n\n")),
            thinking_tokens: text_tokens(rec.thinking.len()),
            models_body: models::list_body(options.models.as_deref()),
            rec,
        })
    }
}

/// The fields of a Messages request the fake acts on; everything else is skipped unparsed.
#[derive(Deserialize)]
struct MessagesRequest<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    max_tokens: Option<IgnoredAny>,
    #[serde(borrow, default)]
    tools: Option<Vec<Tool<'a>>>,
    #[serde(borrow, default)]
    tool_choice: Option<Typed<'a>>,
    #[serde(borrow, default)]
    thinking: Option<Typed<'a>>,
}

#[derive(Deserialize)]
struct Tool<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
}

/// Any object whose `type` picks a variant (`thinking`, `tool_choice`).
#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

impl Typed<'_> {
    fn is(&self, kind: &str) -> bool {
        self.kind.as_deref() == Some(kind)
    }
}

/// `POST …/messages/count_tokens` needs only the model.
#[derive(Deserialize)]
struct CountRequest<'a> {
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
}

/// What one answer holds, decided from the request.
struct Plan<'r> {
    id: u64,
    model: &'r str,
    input_tokens: u64,
    output_tokens: u64,
    thinking: bool,
    /// The first and last tool names, when the answer calls tools.
    tools: Option<(&'r str, &'r str)>,
}

impl<'r> Plan<'r> {
    fn new(app: &'r App, request: &'r MessagesRequest<'r>, model: &'r str, input: u64) -> Self {
        let anthropic = &app.anthropic;
        let offered = request.tools.as_deref().unwrap_or_default();
        let refused = request.tool_choice.as_ref().is_some_and(|c| c.is("none"));
        // A tool without a name (not valid on the real API) calls the recorded tool's name.
        let name = |tool: Option<&'r Tool<'r>>| -> &'r str {
            tool.and_then(|t| t.name.as_deref())
                .unwrap_or(anthropic.rec.tool_name.as_str())
        };
        let tools = (!offered.is_empty() && !refused)
            .then(|| (name(offered.first()), name(offered.last())));
        let thinking = request
            .thinking
            .as_ref()
            .is_some_and(|t| t.is("enabled") || t.is("adaptive"));
        let mut output_tokens = if tools.is_some() {
            anthropic.rec.tool_output_tokens
        } else {
            anthropic.text_output_tokens
        };
        if thinking {
            output_tokens += anthropic.thinking_tokens;
        }
        Self {
            id: app.next_id(),
            model,
            input_tokens: input,
            output_tokens,
            thinking,
            tools,
        }
    }

    fn stop_reason<'a>(&self, rec: &'a Recordings) -> &'a [u8] {
        if self.tools.is_some() {
            &rec.tool_use
        } else {
            &rec.end_turn
        }
    }
}

/// `POST …/messages`.
pub(crate) async fn respond(app: Arc<App>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<MessagesRequest<'_>>(&body) else {
        return errors::anthropic_bad_json();
    };
    let Some(model) = request.model.as_deref().filter(|m| !m.is_empty()) else {
        return errors::anthropic_bad_request("model: Field required");
    };
    let fault = Fault::from_model(model);
    let streaming = request.stream == Some(true);
    if let Some(response) =
        scripted::before_answer(fault, model, Dialect::Anthropic, streaming).await
    {
        return response;
    }
    // The real API rejects a request without max_tokens, so a gateway that forgets it must fail.
    if request.max_tokens.is_none() {
        return errors::anthropic_bad_request("max_tokens: Field required");
    }
    let plan = Plan::new(&app, &request, model, text_tokens(body.len()));
    if streaming {
        stream::respond(&app, &plan, fault)
    } else {
        message(&app, &plan)
    }
}

/// `POST …/messages/count_tokens`: `{"input_tokens":N}`, N the same estimate `usage` reports.
pub(crate) async fn count_tokens(body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<CountRequest<'_>>(&body) else {
        return errors::anthropic_bad_json();
    };
    let Some(model) = request.model.as_deref().filter(|m| !m.is_empty()) else {
        return errors::anthropic_bad_request("model: Field required");
    };
    let fault = Fault::from_model(model);
    if let Some(response) = scripted::before_answer(fault, model, Dialect::Anthropic, false).await {
        return response;
    }
    let mut out = Vec::with_capacity(32);
    out.extend_from_slice(br#"{"input_tokens":"#);
    push_u64(&mut out, text_tokens(body.len()));
    out.push(b'}');
    reply::json(StatusCode::OK, out)
}

/// The non-stream answer: `messages.json` with this request's blocks, stop reason and usage.
fn message(app: &App, plan: &Plan<'_>) -> Response {
    let rec = &app.anthropic.rec;
    let mut out = Vec::with_capacity(
        rec.message.literal_len() + rec.usage.literal_len() + rec.thinking_block.len() + 512,
    );
    rec.message.render(&mut out, &mut |slot, out| match slot {
        Slot::Model => push_json_str(out, plan.model),
        Slot::Id => push_hex_id(out, "msg_fake", plan.id),
        Slot::Blocks => push_blocks(app, plan, out),
        Slot::StopReason => out.extend_from_slice(plan.stop_reason(rec)),
        Slot::Usage => push_usage(&rec.usage, plan, out),
        _ => {}
    });
    reply::json(StatusCode::OK, out)
}

/// The `content` array: [thinking], text, [tool_use].
fn push_blocks(app: &App, plan: &Plan<'_>, out: &mut Vec<u8>) {
    let anthropic = &app.anthropic;
    let rec = &anthropic.rec;
    out.push(b'[');
    if plan.thinking {
        out.extend_from_slice(&rec.thinking_block);
        out.push(b',');
    }
    let text = if plan.tools.is_some() {
        &rec.tool_text
    } else {
        &anthropic.text
    };
    rec.text_block.render(out, &mut |slot, out| {
        if slot == Slot::Content {
            push_json_str(out, text);
        }
    });
    if let Some((name, _)) = plan.tools {
        out.push(b',');
        push_tool_block(app, name, rec.tool_input.as_bytes(), out);
    }
    out.push(b']');
}

/// A tool_use block with a fresh id; the stream's block start passes `{}` as the input.
fn push_tool_block(app: &App, name: &str, input: &[u8], out: &mut Vec<u8>) {
    let id = app.next_id();
    app.anthropic
        .rec
        .tool_block
        .render(out, &mut |slot, out| match slot {
            Slot::Id => push_hex_id(out, "toolu_fake", id),
            Slot::Name => push_json_str(out, name),
            Slot::Input => out.extend_from_slice(input),
            _ => {}
        });
}

fn push_usage(template: &Template, plan: &Plan<'_>, out: &mut Vec<u8>) {
    template.render(out, &mut |slot, out| match slot {
        Slot::PromptTokens => push_u64(out, plan.input_tokens),
        Slot::CompletionTokens => push_u64(out, plan.output_tokens),
        _ => {}
    });
}

fn owned(pieces: Vec<&str>) -> Vec<String> {
    pieces.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_flags() {
        let body = r#"{"model":"m","max_tokens":5,"stream":true,"tools":[{"name":"a"},{"name":"b"}],
            "tool_choice":{"type":"none"},"thinking":{"type":"enabled","budget_tokens":1024}}"#;
        let request: MessagesRequest<'_> = serde_json::from_str(body).unwrap();
        assert!(request.max_tokens.is_some() && request.stream == Some(true));
        assert!(request.tool_choice.as_ref().unwrap().is("none"));
        assert!(request.thinking.as_ref().unwrap().is("enabled"));
        let names: Vec<_> = request
            .tools
            .iter()
            .flatten()
            .map(|t| t.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
    }
}
