//! `POST …/chat/completions`: the recorded answer with this request's model, id and usage.

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;

use crate::app::App;
use crate::faults::Fault;
use crate::recordings::Recordings;
use crate::request::{ChatRequest, text_tokens};
use crate::scripted::{self, Dialect};
use crate::template::{Slot, push_hex_id, push_json_str, push_u64};
use crate::{errors, reply, stream};

pub(crate) async fn respond(app: Arc<App>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<ChatRequest<'_>>(&body) else {
        return errors::bad_json();
    };
    let Some(model) = request.model.as_deref().filter(|m| !m.is_empty()) else {
        return errors::bad_request("you must provide a model parameter");
    };
    let fault = Fault::from_model(model);
    let streaming = request.streams();
    if let Some(response) = scripted::before_answer(fault, model, Dialect::OpenAi, streaming).await
    {
        return response;
    }
    let facts = Facts::new(&app, model, text_tokens(body.len()));
    if streaming {
        stream::respond(&app, &request, facts, fault)
    } else {
        completion(&app, request.has_tools(), facts)
    }
}

fn completion(app: &App, tools: bool, mut facts: Facts<'_>) -> Response {
    let template = if tools {
        facts.usage.completion = tool_completion_tokens(app);
        &app.rec.chat_tools
    } else {
        &app.rec.chat
    };
    let capacity = template.literal_len()
        + app.rec.usage.literal_len()
        + app.canned.message_content.len()
        + facts.model.len()
        + 96;
    let mut out = Vec::with_capacity(capacity);
    template.render(&mut out, &mut |slot, out| facts.fill(app, slot, out));
    reply::json(StatusCode::OK, out)
}

pub(crate) fn tool_completion_tokens(app: &App) -> u64 {
    app.canned.tool_deltas.len().saturating_sub(1) as u64
}

/// Token counts in OpenAI's `usage` shape.
#[derive(Clone, Copy)]
pub(crate) struct Usage {
    pub(crate) prompt: u64,
    pub(crate) completion: u64,
}

impl Usage {
    pub(crate) fn render(self, rec: &Recordings, out: &mut Vec<u8>) {
        rec.usage.render(out, &mut |slot, out| match slot {
            Slot::PromptTokens => push_u64(out, self.prompt),
            Slot::CompletionTokens => push_u64(out, self.completion),
            Slot::TotalTokens => push_u64(out, self.prompt + self.completion),
            _ => {}
        });
    }
}

/// What varies between answers: one id and timestamp per request, shared by all its chunks.
pub(crate) struct Facts<'a> {
    pub(crate) id: u64,
    pub(crate) model: &'a str,
    pub(crate) created: u64,
    pub(crate) usage: Usage,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(app: &App, model: &'a str, prompt_tokens: u64) -> Self {
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Self {
            id: app.next_id(),
            model,
            created,
            usage: Usage {
                prompt: prompt_tokens,
                completion: app.canned.content_deltas.len() as u64,
            },
        }
    }

    /// Fills the slots every answer shares; chunk-only slots are the caller's.
    pub(crate) fn fill(&self, app: &App, slot: Slot, out: &mut Vec<u8>) {
        match slot {
            Slot::Id => push_id(out, self.id),
            Slot::Model => push_json_str(out, self.model),
            Slot::Created => push_u64(out, self.created),
            Slot::Content => out.extend_from_slice(&app.canned.message_content),
            Slot::Usage => self.usage.render(&app.rec, out),
            _ => {}
        }
    }
}

/// Writes `"chatcmpl-fake<16 hex digits>"`: OpenAI's prefix, and visibly not a real id.
fn push_id(out: &mut Vec<u8>, id: u64) {
    push_hex_id(out, "chatcmpl-fake", id);
}
