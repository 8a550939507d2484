//! What the model answers, decided from the request: tool calls when tools are offered (one to
//! the first tool, or the first two in parallel; `toolChoice.tool` picks one), unless the last
//! user turn already holds their results and the choice is not forced; otherwise text in
//! stream pieces, cut by `maxTokens: 1` or a stop sequence. Claude with thinking on answers a
//! signed reasoning block first.
//!
//! Usage: prompt tokens are a quarter of the prompt's bytes (at least 1, as elsewhere in this
//! fake); with a `cachePoint`, the part before it is written to the cache the first time this
//! fake sees it and read from it afterwards, and `inputTokens` counts only the rest.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Bedrock;
use super::request::{Block, ConverseRequest, Role, Tool, ToolChoice};
use crate::app::App;
use crate::aws_credentials::random_bytes;
use crate::base64;
use crate::request::text_tokens;

/// The plain answer, in the pieces a stream sends.
pub(super) const TEXT_PIECES: [&str; 3] = ["Hello", " World!", " How can I help you today?"];
/// What a one-token budget leaves of it.
const TRUNCATED: &str = "Hello";
const REASONING: [&str; 2] = [
    "The user greets me.",
    " I will greet them back and offer to help.",
];
const TOOL_REASONING: [&str; 2] = [
    "The question needs live data.",
    " I will call the tools with the city the user named.",
];
/// The `location` of the first and second parallel call.
const CITIES: [&str; 2] = ["Tokyo", "Paris"];

pub(super) struct Plan {
    pub(super) reasoning: Option<Reasoning>,
    pub(super) content: Content,
    pub(super) stop_reason: &'static str,
    /// The stop sequence that ended the text, for `additionalModelResponseFields`.
    pub(super) stop_sequence: Option<String>,
    pub(super) usage: Usage,
}

pub(super) struct Reasoning {
    pub(super) pieces: Vec<&'static str>,
    pub(super) signature: String,
}

pub(super) enum Content {
    Text(Vec<String>),
    Tools(Vec<ToolCall>),
}

pub(super) struct ToolCall {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) input: Value,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct Usage {
    pub(super) input_tokens: u64,
    pub(super) output_tokens: u64,
    pub(super) total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cache_read_input_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) cache_write_input_tokens: Option<u64>,
}

pub(super) fn plan(app: &App, request: &ConverseRequest, thinking: bool) -> Plan {
    let bedrock = &app.bedrock;
    let calls = chosen_tools(request).map(|tools| calls(app, &tools));
    let (content, stop_reason, stop_sequence) = match calls {
        Some(calls) => (Content::Tools(calls), "tool_use", None),
        None => text(bedrock, request),
    };
    let reasoning = thinking.then(|| Reasoning {
        pieces: match content {
            Content::Tools(_) => TOOL_REASONING.to_vec(),
            Content::Text(_) => REASONING.to_vec(),
        },
        signature: bedrock.signatures.issue(&random_bytes(app, 48)),
    });
    let usage = usage(bedrock, request, reasoning.as_ref(), &content);
    Plan {
        reasoning,
        content,
        stop_reason,
        stop_sequence,
        usage,
    }
}

/// The tools the model calls, if any.
fn chosen_tools(request: &ConverseRequest) -> Option<Vec<&Tool>> {
    if request.tools.is_empty() {
        return None;
    }
    let answered = request.messages.last().is_some_and(|last| {
        last.role == Role::User
            && last
                .blocks
                .iter()
                .any(|b| matches!(b, Block::ToolResult { .. }))
    });
    match &request.tool_choice {
        Some(ToolChoice::Tool(name)) => {
            let tool = request.tools.iter().find(|t| &t.name == name)?;
            Some(vec![tool])
        }
        Some(ToolChoice::Any) => Some(request.tools.iter().take(2).collect()),
        Some(ToolChoice::Auto) | None if answered => None,
        Some(ToolChoice::Auto) | None => Some(request.tools.iter().take(2).collect()),
    }
}

fn calls(app: &App, tools: &[&Tool]) -> Vec<ToolCall> {
    tools
        .iter()
        .zip(CITIES)
        .map(|(tool, city)| ToolCall {
            id: format!("tooluse_{}", base64::encode_url(&random_bytes(app, 16))),
            name: tool.name.clone(),
            input: input_for(&tool.schema, city),
        })
        .collect()
}

/// An input satisfying `schema`'s required properties, plus `location` when it has one.
fn input_for(schema: &Value, city: &str) -> Value {
    let properties = schema.get("properties").and_then(Value::as_object);
    let mut names: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if properties.is_some_and(|p| p.contains_key("location")) && !names.contains(&"location") {
        names.push("location");
    }
    let mut input = Map::new();
    for name in names {
        let property = properties.and_then(|p| p.get(name));
        input.insert(name.to_owned(), example(property, name, city));
    }
    Value::Object(input)
}

fn example(property: Option<&Value>, name: &str, city: &str) -> Value {
    let property = property.unwrap_or(&Value::Null);
    if let Some(first) = property
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = property
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    match kind {
        "integer" => Value::from(1),
        "number" => Value::from(1.5),
        "boolean" => Value::Bool(true),
        "array" => Value::Array(Vec::new()),
        "object" => input_for(property, city),
        _ if matches!(name, "location" | "city") => Value::from(city),
        _ => Value::from("example"),
    }
}

fn text(bedrock: &Bedrock, request: &ConverseRequest) -> (Content, &'static str, Option<String>) {
    if request.inference.max_tokens == Some(1) {
        return (
            Content::Text(vec![TRUNCATED.to_owned()]),
            "max_tokens",
            None,
        );
    }
    let pieces = bedrock.text_pieces.clone();
    let full = pieces.concat();
    let earliest = request
        .inference
        .stop_sequences
        .iter()
        .filter_map(|stop| full.find(stop.as_str()).map(|at| (at, stop)))
        .min_by_key(|(at, _)| *at);
    let Some((cut, stop)) = earliest else {
        return (Content::Text(pieces), "end_turn", None);
    };
    let mut kept = Vec::new();
    let mut start = 0;
    for piece in pieces {
        if start >= cut {
            break;
        }
        let end = (start + piece.len()).min(cut);
        kept.push(piece[..end - start].to_owned());
        start += piece.len();
    }
    (Content::Text(kept), "stop_sequence", Some(stop.clone()))
}

fn usage(
    bedrock: &Bedrock,
    request: &ConverseRequest,
    reasoning: Option<&Reasoning>,
    content: &Content,
) -> Usage {
    let prompt_tokens = text_tokens(request.prompt_bytes);
    let (read, write) = match &request.cache {
        Some(prefix) => {
            let cached = (prefix.bytes / 4) as u64;
            if bedrock.remember_prefix(&prefix.key) {
                (Some(0), Some(cached))
            } else {
                (Some(cached), Some(0))
            }
        }
        None => (None, None),
    };
    let cached = read.unwrap_or(0) + write.unwrap_or(0);
    let input_tokens = prompt_tokens.saturating_sub(cached).max(1);
    let reasoning_bytes: usize = reasoning.map_or(0, |r| r.pieces.iter().map(|p| p.len()).sum());
    let content_bytes: usize = match content {
        Content::Text(pieces) => pieces.iter().map(String::len).sum(),
        Content::Tools(calls) => calls
            .iter()
            .map(|c| c.name.len() + c.input.to_string().len())
            .sum(),
    };
    let output_tokens = text_tokens(reasoning_bytes + content_bytes);
    Usage {
        input_tokens,
        output_tokens,
        total_tokens: input_tokens + output_tokens + cached,
        cache_read_input_tokens: read,
        cache_write_input_tokens: write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inputs_fill_required_properties() {
        let schema = json!({
            "type": "object",
            "properties": {
                "location": {"type": "string"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer"},
                "options": {"type": "object", "properties": {"detailed": {"type": "boolean"}}, "required": ["detailed"]},
            },
            "required": ["unit", "days", "options"],
        });
        assert_eq!(
            input_for(&schema, "Tokyo"),
            json!({"unit": "celsius", "days": 1, "options": {"detailed": true}, "location": "Tokyo"})
        );
        assert_eq!(input_for(&json!({}), "Paris"), json!({}));
    }
}
