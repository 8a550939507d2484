//! The provider recordings, compiled once per server into templates and parsed facts.
//!
//! Every response shape the fake sends comes from here, so it stays faithful to what OpenAI
//! really put on the wire; only ids, model, timestamps, text and token counts vary.

use anyhow::Context as _;
use serde_json::Value;

use crate::fixtures;
use crate::template::{Slot, Template, TemplateBuilder, compact, marker, value_text};

/// The tool call recorded in `openai/chat_with_tools.json`.
pub(crate) struct ToolCall {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) arguments: String,
}

/// One entry of the recorded model list.
pub(crate) struct ModelEntry {
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) owned_by: String,
}

pub(crate) struct Recordings {
    /// `chat_completion.json` with Id, Model, Created, Content, Usage.
    pub(crate) chat: Template,
    /// `chat_with_tools.json` with Id, Model, Created, Usage.
    pub(crate) chat_tools: Template,
    /// The recorded `usage` object with PromptTokens, CompletionTokens, TotalTokens.
    pub(crate) usage: Template,
    /// A recorded content chunk with Id, Model, Created, Delta, FinishReason and UsageNull.
    pub(crate) chunk: Template,
    /// The same chunk with `"choices":[]` and a `usage` object: OpenAI's `include_usage` tail.
    pub(crate) usage_chunk: Template,
    /// A recorded content delta with Content.
    pub(crate) content_delta: Template,
    /// The first chunk's delta (`role`, empty content, refusal), verbatim.
    pub(crate) role_delta: Box<[u8]>,
    /// The finish chunk's delta and finish_reason, verbatim.
    pub(crate) finish_delta: Box<[u8]>,
    pub(crate) finish_reason: Box<[u8]>,
    /// The tool-call answer's finish_reason, verbatim (`"tool_calls"`).
    pub(crate) tool_finish_reason: Box<[u8]>,
    /// The text of each recorded content chunk, in order.
    pub(crate) contents: Vec<String>,
    pub(crate) tool_call: ToolCall,
    pub(crate) models: Vec<ModelEntry>,
}

impl Recordings {
    pub(crate) fn load() -> anyhow::Result<Self> {
        let chat_text = compact(fixtures::OPENAI_CHAT_COMPLETION);
        let stream = StreamRecording::parse(fixtures::OPENAI_CHAT_COMPLETION_STREAM)?;
        let tools: Value = serde_json::from_str(fixtures::OPENAI_CHAT_WITH_TOOLS)?;
        Ok(Self {
            chat: TemplateBuilder::new(&chat_text)
                .slot("id", Slot::Id)?
                .slot("model", Slot::Model)?
                .slot("created", Slot::Created)?
                .slot("content", Slot::Content)?
                .slot("usage", Slot::Usage)?
                .build(),
            chat_tools: TemplateBuilder::new(fixtures::OPENAI_CHAT_WITH_TOOLS)
                .slot("id", Slot::Id)?
                .slot("model", Slot::Model)?
                .slot("created", Slot::Created)?
                .slot("usage", Slot::Usage)?
                .build(),
            usage: TemplateBuilder::new(value_text(&chat_text, "usage")?)
                .slot("prompt_tokens", Slot::PromptTokens)?
                .slot("completion_tokens", Slot::CompletionTokens)?
                .slot("total_tokens", Slot::TotalTokens)?
                .build(),
            chunk: chunk_header(&stream.content_line)?
                .slot("delta", Slot::Delta)?
                .slot("finish_reason", Slot::FinishReason)?
                .insert_after("choices", &marker(Slot::UsageNull))?
                .build(),
            usage_chunk: chunk_header(&stream.content_line)?
                .literal("choices", "[]")?
                .insert_after("choices", &format!(",\"usage\":{}", marker(Slot::Usage)))?
                .build(),
            content_delta: TemplateBuilder::new(value_text(&stream.content_line, "delta")?)
                .slot("content", Slot::Content)?
                .build(),
            role_delta: value_text(&stream.role_line, "delta")?.as_bytes().into(),
            finish_delta: value_text(&stream.finish_line, "delta")?.as_bytes().into(),
            finish_reason: value_text(&stream.finish_line, "finish_reason")?
                .as_bytes()
                .into(),
            tool_finish_reason: value_text(
                &compact(fixtures::OPENAI_CHAT_WITH_TOOLS),
                "finish_reason",
            )?
            .as_bytes()
            .into(),
            contents: stream.contents,
            tool_call: tool_call(&tools)?,
            models: model_entries(fixtures::OPENAI_MODELS)?,
        })
    }
}

fn chunk_header(line: &str) -> anyhow::Result<TemplateBuilder> {
    TemplateBuilder::new(line)
        .slot("id", Slot::Id)?
        .slot("model", Slot::Model)?
        .slot("created", Slot::Created)
}

/// The recorded stream, sorted into the chunk kinds the fake replays.
struct StreamRecording {
    role_line: String,
    content_line: String,
    finish_line: String,
    contents: Vec<String>,
}

impl StreamRecording {
    fn parse(sse: &str) -> anyhow::Result<Self> {
        let (mut role_line, mut content_line, mut finish_line) = (None, None, None);
        let mut contents = Vec::new();
        for line in sse.lines() {
            let Some(data) = line.strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                continue;
            }
            let chunk: Value = serde_json::from_str(data)?;
            let choice = &chunk["choices"][0];
            let delta = &choice["delta"];
            if !choice["finish_reason"].is_null() {
                finish_line.get_or_insert_with(|| compact(data));
            } else if delta.get("role").is_some() {
                role_line.get_or_insert_with(|| compact(data));
            } else if let Some(text) = delta["content"].as_str() {
                content_line.get_or_insert_with(|| compact(data));
                contents.push(text.to_owned());
            }
        }
        Ok(Self {
            role_line: role_line.context("stream recording has no role chunk")?,
            content_line: content_line.context("stream recording has no content chunk")?,
            finish_line: finish_line.context("stream recording has no finish chunk")?,
            contents,
        })
    }
}

fn tool_call(answer: &Value) -> anyhow::Result<ToolCall> {
    let call = &answer["choices"][0]["message"]["tool_calls"][0];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    Ok(ToolCall {
        id: text(&call["id"]).context("tool call has no id")?,
        name: text(&call["function"]["name"]).context("tool call has no name")?,
        arguments: text(&call["function"]["arguments"]).context("tool call has no arguments")?,
    })
}

fn model_entries(list: &str) -> anyhow::Result<Vec<ModelEntry>> {
    let list: Value = serde_json::from_str(list)?;
    let data = list["data"].as_array().context("model list has no data")?;
    data.iter()
        .map(|m| {
            Ok(ModelEntry {
                id: m["id"].as_str().context("model has no id")?.to_owned(),
                created: m["created"].as_u64().unwrap_or(0),
                owned_by: m["owned_by"].as_str().unwrap_or("system").to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_compile_and_hold_the_expected_facts() {
        let rec = Recordings::load().unwrap();
        assert_eq!(rec.contents, ["Hello", ",", " World", "!"]);
        assert_eq!(&*rec.finish_reason, b"\"stop\"");
        assert_eq!(&*rec.tool_finish_reason, b"\"tool_calls\"");
        assert_eq!(rec.tool_call.name, "get_weather");
        assert!(rec.models.iter().any(|m| m.id == "gpt-4o-mini"));
    }

    #[test]
    fn groq_stream_has_the_same_chunk_kinds() {
        // The fake replays OpenAI's stream; Groq's recording must sort into the same kinds, which is
        // what lets one fake stand in for every OpenAI-compatible provider.
        let groq = StreamRecording::parse(fixtures::GROQ_CHAT_COMPLETION_STREAM).unwrap();
        assert_eq!(groq.contents, ["Hello", " World", "!"]);
        assert!(model_entries(fixtures::GROQ_MODELS).unwrap().len() > 1);
    }
}
