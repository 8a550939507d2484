//! Anthropic's recordings, compiled once per server into templates and parsed facts.
//!
//! Non-stream answers take their envelope from `messages.json`, their `usage` object from
//! `messages_with_tools.json` (the recording with today's full usage fields), and their content
//! blocks from all three message recordings. Stream events take their envelopes from
//! `messages_stream.txt`; the tool_use and thinking deltas inside them were not recorded and
//! follow Anthropic's streaming docs (see `stream.rs`).

use anyhow::{Context as _, bail};
use serde_json::Value;

use crate::fixtures;
use crate::template::{Slot, Template, TemplateBuilder, array_items, compact, value_text};

pub(crate) struct Recordings {
    /// `messages.json` with Model, Id, Blocks, StopReason and Usage.
    pub(crate) message: Template,
    /// The full `usage` object of `messages_with_tools.json` with PromptTokens, CompletionTokens.
    pub(crate) usage: Template,
    /// The text block of `messages.json` with Content.
    pub(crate) text_block: Template,
    /// The tool_use block of `messages_with_tools.json` with Id, Name and Input.
    pub(crate) tool_block: Template,
    /// The thinking block of `messages_extended_thinking.json`, verbatim (text and signature).
    pub(crate) thinking_block: Box<[u8]>,
    /// `"end_turn"` and `"tool_use"`, verbatim.
    pub(crate) end_turn: Box<[u8]>,
    pub(crate) tool_use: Box<[u8]>,
    /// The answer text of `messages.json` ("Hello World") and its output tokens.
    pub(crate) text: String,
    pub(crate) text_output_tokens: u64,
    /// The text before the tool call in `messages_with_tools.json`, and its output tokens.
    pub(crate) tool_text: String,
    pub(crate) tool_output_tokens: u64,
    /// The recorded tool input (`{"location":"Paris"}`), compact.
    pub(crate) tool_input: String,
    /// The recorded input with the city swapped, for the second of two parallel calls.
    pub(crate) second_tool_input: String,
    /// The recorded tool's name, for requests whose tools have none.
    pub(crate) tool_name: String,
    /// The recorded thinking text and its signature.
    pub(crate) thinking: String,
    pub(crate) signature: String,
    pub(crate) stream: StreamRecordings,
}

/// The events of `messages_stream.txt`.
pub(crate) struct StreamRecordings {
    /// `message_start` with Id, Model and Usage.
    pub(crate) message_start: Template,
    /// `message_start`'s usage with PromptTokens.
    pub(crate) start_usage: Template,
    /// `content_block_start` with Index and Block.
    pub(crate) block_start: Template,
    /// The recorded `content_block` of a text block start (`{"type":"text","text":""}`).
    pub(crate) text_block_start: Box<[u8]>,
    /// `ping`'s data, verbatim.
    pub(crate) ping: Box<[u8]>,
    /// `content_block_delta` with Index and Delta.
    pub(crate) block_delta: Template,
    /// The recorded `text_delta` with Content.
    pub(crate) text_delta: Template,
    /// `content_block_stop` with Index.
    pub(crate) block_stop: Template,
    /// `message_delta` with StopReason and Usage.
    pub(crate) message_delta: Template,
    /// `message_delta`'s usage with PromptTokens and CompletionTokens.
    pub(crate) delta_usage: Template,
    /// `message_stop`'s data, verbatim.
    pub(crate) message_stop: Box<[u8]>,
}

/// What replaces the recorded city in the second parallel tool call.
const SECOND_CITY: &str = "Rome";

impl Recordings {
    pub(crate) fn load() -> anyhow::Result<Self> {
        let plain = compact(fixtures::ANTHROPIC_MESSAGES);
        let tools = compact(fixtures::ANTHROPIC_MESSAGES_WITH_TOOLS);
        let thinking = compact(fixtures::ANTHROPIC_MESSAGES_EXTENDED_THINKING);
        let plain_json: Value = serde_json::from_str(&plain)?;
        let tools_json: Value = serde_json::from_str(&tools)?;
        let thinking_json: Value = serde_json::from_str(&thinking)?;

        let plain_blocks = array_items(value_text(&plain, "content")?)?;
        let tool_blocks = array_items(value_text(&tools, "content")?)?;
        let thinking_blocks = array_items(value_text(&thinking, "content")?)?;
        let text_block = block_of(&plain_blocks, "text")?;
        let tool_block = block_of(&tool_blocks, "tool_use")?;
        let thinking_block = block_of(&thinking_blocks, "thinking")?;

        let tool_content = &tools_json["content"];
        let call = find_block(tool_content, "tool_use")?;
        let tool_input = compact(value_text(tool_block, "input")?);
        let city = call["input"]["location"]
            .as_str()
            .context("recorded tool input has no location")?;
        let second_tool_input =
            tool_input.replace(&format!("\"{city}\""), &format!("\"{SECOND_CITY}\""));
        let thinking_call = find_block(&thinking_json["content"], "thinking")?;

        Ok(Self {
            message: TemplateBuilder::new(&plain)
                .slot("model", Slot::Model)?
                .slot("id", Slot::Id)?
                .slot("content", Slot::Blocks)?
                .slot("stop_reason", Slot::StopReason)?
                .slot("usage", Slot::Usage)?
                .build(),
            usage: TemplateBuilder::new(value_text(&tools, "usage")?)
                .slot("input_tokens", Slot::PromptTokens)?
                .slot("output_tokens", Slot::CompletionTokens)?
                .build(),
            text_block: TemplateBuilder::new(text_block)
                .slot("text", Slot::Content)?
                .build(),
            tool_block: TemplateBuilder::new(tool_block)
                .slot("id", Slot::Id)?
                .slot("name", Slot::Name)?
                .slot("input", Slot::Input)?
                .build(),
            thinking_block: thinking_block.as_bytes().into(),
            end_turn: value_text(&plain, "stop_reason")?.as_bytes().into(),
            tool_use: value_text(&tools, "stop_reason")?.as_bytes().into(),
            text: text_of(&find_block(&plain_json["content"], "text")?["text"])?,
            text_output_tokens: output_tokens(&plain_json)?,
            tool_text: text_of(&find_block(tool_content, "text")?["text"])?,
            tool_output_tokens: output_tokens(&tools_json)?,
            tool_input,
            second_tool_input,
            tool_name: text_of(&call["name"])?,
            thinking: text_of(&thinking_call["thinking"])?,
            signature: text_of(&thinking_call["signature"])?,
            stream: StreamRecordings::load(fixtures::ANTHROPIC_MESSAGES_STREAM)?,
        })
    }
}

impl StreamRecordings {
    fn load(sse: &str) -> anyhow::Result<Self> {
        let events = parse_events(sse)?;
        let data = |name: &str| {
            events
                .iter()
                .find(|(event, _)| event == name)
                .map(|(_, data)| data.as_str())
                .with_context(|| format!("stream recording has no {name} event"))
        };
        let start = data("message_start")?;
        let block_start = data("content_block_start")?;
        let block_delta = data("content_block_delta")?;
        let message_delta = data("message_delta")?;
        Ok(Self {
            message_start: TemplateBuilder::new(start)
                .slot("id", Slot::Id)?
                .slot("model", Slot::Model)?
                .slot("usage", Slot::Usage)?
                .build(),
            start_usage: TemplateBuilder::new(value_text(start, "usage")?)
                .slot("input_tokens", Slot::PromptTokens)?
                .build(),
            block_start: TemplateBuilder::new(block_start)
                .slot("index", Slot::Index)?
                .slot("content_block", Slot::Block)?
                .build(),
            text_block_start: value_text(block_start, "content_block")?.as_bytes().into(),
            ping: data("ping")?.as_bytes().into(),
            block_delta: TemplateBuilder::new(block_delta)
                .slot("index", Slot::Index)?
                .slot("delta", Slot::Delta)?
                .build(),
            text_delta: TemplateBuilder::new(value_text(block_delta, "delta")?)
                .slot("text", Slot::Content)?
                .build(),
            block_stop: TemplateBuilder::new(data("content_block_stop")?)
                .slot("index", Slot::Index)?
                .build(),
            message_delta: TemplateBuilder::new(message_delta)
                .slot("stop_reason", Slot::StopReason)?
                .slot("usage", Slot::Usage)?
                .build(),
            delta_usage: TemplateBuilder::new(value_text(message_delta, "usage")?)
                .slot("input_tokens", Slot::PromptTokens)?
                .slot("output_tokens", Slot::CompletionTokens)?
                .build(),
            message_stop: data("message_stop")?.as_bytes().into(),
        })
    }
}

/// `(event name, compact data)` for each event of an Anthropic SSE recording, checking that
/// every event's name matches its data's `type`.
fn parse_events(sse: &str) -> anyhow::Result<Vec<(String, String)>> {
    let mut events = Vec::new();
    let mut name = None;
    for line in sse.lines() {
        if let Some(event) = line.strip_prefix("event:") {
            name = Some(event.trim().to_owned());
        } else if let Some(data) = line.strip_prefix("data:") {
            let data = compact(data.trim());
            let kind: Value = serde_json::from_str(&data)?;
            let event = name.take().context("a data line without an event line")?;
            if kind["type"].as_str() != Some(event.as_str()) {
                bail!("event {event} carries data of type {}", kind["type"]);
            }
            events.push((event, data));
        }
    }
    Ok(events)
}

/// The first block of `kind` in a compact content array's items.
fn block_of<'t>(items: &[&'t str], kind: &str) -> anyhow::Result<&'t str> {
    let needle = format!("\"type\":\"{kind}\"");
    items
        .iter()
        .copied()
        .find(|item| item.starts_with(&format!("{{{needle}")))
        .with_context(|| format!("recording has no {kind} block"))
}

fn find_block<'v>(content: &'v Value, kind: &str) -> anyhow::Result<&'v Value> {
    content
        .as_array()
        .and_then(|blocks| blocks.iter().find(|b| b["type"] == kind))
        .with_context(|| format!("recording has no {kind} block"))
}

fn text_of(value: &Value) -> anyhow::Result<String> {
    value
        .as_str()
        .map(str::to_owned)
        .context("recorded value is not a string")
}

fn output_tokens(message: &Value) -> anyhow::Result<u64> {
    message["usage"]["output_tokens"]
        .as_u64()
        .context("recording has no usage.output_tokens")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_compile_and_hold_the_expected_facts() {
        let rec = Recordings::load().unwrap();
        assert_eq!(rec.text, "Hello World");
        assert_eq!(rec.text_output_tokens, 5);
        assert_eq!(rec.tool_name, "get_weather");
        assert_eq!(rec.tool_input, r#"{"location":"Paris"}"#);
        assert_eq!(rec.second_tool_input, r#"{"location":"Rome"}"#);
        assert_eq!(&*rec.end_turn, b"\"end_turn\"");
        assert_eq!(&*rec.tool_use, b"\"tool_use\"");
        assert!(rec.thinking.starts_with("I need to solve"));
        assert!(!rec.signature.is_empty());
        assert_eq!(
            &*rec.stream.text_block_start,
            br#"{"type":"text","text":""}"#
        );
        assert_eq!(&*rec.stream.ping, br#"{"type":"ping"}"#);
        assert_eq!(&*rec.stream.message_stop, br#"{"type":"message_stop"}"#);
    }

    #[test]
    fn stream_recording_has_every_event_kind_in_order() {
        let events = parse_events(fixtures::ANTHROPIC_MESSAGES_STREAM).unwrap();
        let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop",
            ]
        );
    }
}
