//! Canonical chat request → Anthropic Messages request (an OpenAI-dialect client calling an
//! Anthropic model). Follows GoModel's mapping (reference §3.3 "Anthropic"), with what it
//! could not express reported instead of lost.

use serde_json::{Value, json};

use super::wire::{
    Block, MessageContent, MessageParam, MessagesRequest, System, ToolChoiceParam, ToolParam,
};
use crate::canonical::{ChatRequest, Content, ContentPart, Message, ToolChoice};
use crate::report::{TranslationError, TranslationReport};

const TARGET: &str = "Anthropic";

/// Settings of the translation.
#[derive(Debug, Clone, Copy)]
pub struct RequestOptions {
    /// `ANTHROPIC_DEFAULT_MAX_TOKENS`: Anthropic requires `max_tokens`; OpenAI clients often omit it.
    pub default_max_tokens: u64,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            default_max_tokens: 4096,
        }
    }
}

/// OpenAI fields that need no counterpart (handled elsewhere or meaningless upstream).
const IGNORED: [&str; 4] = ["stream_options", "store", "service_tier", "provider"];

pub fn to_anthropic(
    request: &ChatRequest,
    options: RequestOptions,
    report: &mut TranslationReport,
) -> Result<MessagesRequest, TranslationError> {
    let (system, messages) = convert_messages(&request.messages)?;
    let mut out = MessagesRequest {
        model: request.model.clone(),
        messages,
        system,
        max_tokens: Some(request.output_limit().unwrap_or(options.default_max_tokens)),
        temperature: request.temperature,
        top_p: request.top_p,
        stream: request.stream,
        ..MessagesRequest::default()
    };
    let stops = request.stop_sequences();
    if !stops.is_empty() {
        out.stop_sequences = Some(stops);
    }
    convert_tools(request, &mut out)?;
    apply_reasoning(request, &mut out, report);
    apply_response_format(request, &mut out, report)?;
    carry_extras(request, &mut out, report)?;
    Ok(out)
}

/// System messages are hoisted into `system`; tool results become `tool_result` blocks in a
/// user turn; consecutive messages of one role are merged into one turn.
fn convert_messages(
    messages: &[Message],
) -> Result<(Option<System>, Vec<MessageParam>), TranslationError> {
    let mut system_blocks: Vec<Block> = Vec::new();
    let mut turns: Vec<MessageParam> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let (role, blocks) = match message.role.as_str() {
            "system" | "developer" => {
                system_blocks.extend(text_blocks(message.content.as_ref(), index)?);
                continue;
            }
            "user" => ("user", user_blocks(message.content.as_ref(), index)?),
            "assistant" => ("assistant", assistant_blocks(message, index)?),
            "tool" => ("user", vec![tool_result_block(message, index)?]),
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].role"),
                    format!("unsupported message role '{other}'"),
                ));
            }
        };
        if blocks.is_empty() {
            continue;
        }
        match turns.last_mut() {
            Some(last) if last.role == role => {
                if let MessageContent::Blocks(existing) = &mut last.content {
                    existing.extend(blocks);
                }
            }
            _ => turns.push(MessageParam {
                role: role.to_owned(),
                content: MessageContent::Blocks(blocks),
            }),
        }
    }
    let system = match system_blocks.len() {
        0 => None,
        _ if system_blocks.iter().all(|b| b.cache_control.is_none()) => Some(System::Text(
            system_blocks
                .iter()
                .filter_map(|b| b.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n\n"),
        )),
        _ => Some(System::Blocks(system_blocks)),
    };
    Ok((system, turns))
}

fn text_blocks(content: Option<&Content>, index: usize) -> Result<Vec<Block>, TranslationError> {
    let Some(content) = content else {
        return Ok(Vec::new());
    };
    content
        .parts()
        .iter()
        .map(|part| match part.kind.as_str() {
            "text" => Ok(text_block(part)),
            other => Err(TranslationError::new(
                format!("messages[{index}].content"),
                format!("system messages must be text only (found a '{other}' part)"),
            )),
        })
        .collect()
}

fn text_block(part: &ContentPart) -> Block {
    Block {
        cache_control: part.cache_control().cloned(),
        ..Block::text(part.text.as_deref().unwrap_or(""))
    }
}

fn user_blocks(content: Option<&Content>, index: usize) -> Result<Vec<Block>, TranslationError> {
    let Some(content) = content else {
        return Ok(Vec::new());
    };
    let mut blocks = Vec::new();
    for part in content.parts() {
        match part.kind.as_str() {
            "text" => blocks.push(text_block(&part)),
            "image_url" => blocks.push(image_block(&part, index)?),
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].content"),
                    format!(
                        "content part type '{other}' is not supported by {TARGET} (text and image_url are)"
                    ),
                ));
            }
        }
    }
    Ok(blocks)
}

/// `data:` URLs become base64 sources (JPEG, PNG, GIF, WebP only); http(s) URLs become URL
/// sources.
fn image_block(part: &ContentPart, index: usize) -> Result<Block, TranslationError> {
    let param = format!("messages[{index}].content");
    let url = part
        .image_url
        .as_ref()
        .map(|i| i.url.as_str())
        .unwrap_or("");
    let source = if let Some(rest) = url.strip_prefix("data:") {
        let Some((meta, data)) = rest.split_once(',') else {
            return Err(TranslationError::new(
                param,
                "image data URL has no ',' separator",
            ));
        };
        let Some(media_type) = meta.strip_suffix(";base64") else {
            return Err(TranslationError::new(
                param,
                "image data URLs must be base64 encoded",
            ));
        };
        if !matches!(
            media_type,
            "image/jpeg" | "image/png" | "image/gif" | "image/webp"
        ) {
            return Err(TranslationError::new(
                param,
                format!(
                    "image type '{media_type}' is not supported by {TARGET} (jpeg, png, gif, webp are)"
                ),
            ));
        }
        json!({"type": "base64", "media_type": media_type, "data": data})
    } else if url.starts_with("http://") || url.starts_with("https://") {
        json!({"type": "url", "url": url})
    } else {
        return Err(TranslationError::new(
            param,
            "image_url.url must be a data: URL or an http(s) URL",
        ));
    };
    Ok(Block {
        kind: "image".to_owned(),
        source: Some(source),
        cache_control: part.cache_control().cloned(),
        ..Block::default()
    })
}

/// Thinking blocks (with their signatures, untouched) first, then text, then tool calls.
fn assistant_blocks(message: &Message, index: usize) -> Result<Vec<Block>, TranslationError> {
    let mut blocks = Vec::new();
    for reasoning in message.reasoning_blocks.iter().flatten() {
        if let Some(data) = &reasoning.redacted_data {
            blocks.push(Block {
                kind: "redacted_thinking".to_owned(),
                data: Some(data.clone()),
                ..Block::default()
            });
        } else if reasoning.signature.is_some() {
            blocks.push(Block {
                kind: "thinking".to_owned(),
                thinking: Some(reasoning.thinking.clone().unwrap_or_default()),
                signature: reasoning.signature.clone(),
                ..Block::default()
            });
        }
    }
    if let Some(content) = &message.content {
        for part in content.parts() {
            if part.kind == "text" && part.text.as_deref().is_some_and(|t| !t.is_empty()) {
                blocks.push(text_block(&part));
            }
        }
    }
    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let input: Value = if call.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.function.arguments).map_err(|_| {
                TranslationError::new(
                    format!("messages[{index}].tool_calls[{call_index}].function.arguments"),
                    "tool call arguments must be a JSON object",
                )
            })?
        };
        if !input.is_object() {
            return Err(TranslationError::new(
                format!("messages[{index}].tool_calls[{call_index}].function.arguments"),
                "tool call arguments must be a JSON object",
            ));
        }
        blocks.push(Block {
            kind: "tool_use".to_owned(),
            id: Some(call.id.clone()),
            name: Some(call.function.name.clone()),
            input: Some(input),
            ..Block::default()
        });
    }
    Ok(blocks)
}

fn tool_result_block(message: &Message, index: usize) -> Result<Block, TranslationError> {
    let Some(id) = message.tool_call_id.clone() else {
        return Err(TranslationError::new(
            format!("messages[{index}].tool_call_id"),
            "tool messages need a tool_call_id",
        ));
    };
    let content = match &message.content {
        None => Value::String(String::new()),
        Some(Content::Text(text)) => Value::String(text.clone()),
        Some(Content::Parts(parts)) => Value::Array(
            parts
                .iter()
                .map(|p| json!({"type": "text", "text": p.text.as_deref().unwrap_or("")}))
                .collect(),
        ),
    };
    Ok(Block {
        kind: "tool_result".to_owned(),
        tool_use_id: Some(id),
        content: Some(content),
        ..Block::default()
    })
}

fn convert_tools(request: &ChatRequest, out: &mut MessagesRequest) -> Result<(), TranslationError> {
    let tools = request.tools.as_deref().unwrap_or_default();
    if tools.is_empty() {
        if request
            .tool_choice
            .as_ref()
            .is_some_and(|c| !matches!(c, ToolChoice::Mode(m) if m == "none"))
        {
            return Err(TranslationError::new(
                "tool_choice",
                "tool_choice was given without tools",
            ));
        }
        return Ok(());
    }
    let mut converted = Vec::with_capacity(tools.len());
    for (index, tool) in tools.iter().enumerate() {
        let schema = tool
            .function
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(TranslationError::new(
                format!("tools[{index}].function.parameters"),
                "tool parameters must be a JSON schema of type object",
            ));
        }
        converted.push(ToolParam {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            input_schema: Some(schema),
            kind: None,
            cache_control: tool.extra.get("cache_control").cloned(),
            extra: Default::default(),
        });
    }
    out.tools = Some(converted);
    let disable_parallel = request.parallel_tool_calls == Some(false);
    let kind = match &request.tool_choice {
        None => "auto".to_owned(),
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => "auto".to_owned(),
            "required" | "any" => "any".to_owned(),
            "none" => "none".to_owned(),
            other => {
                return Err(TranslationError::new(
                    "tool_choice",
                    format!("unknown tool_choice '{other}'"),
                ));
            }
        },
        Some(named @ ToolChoice::Named(_)) => {
            let Some(name) = named.function_name() else {
                return Err(TranslationError::new(
                    "tool_choice",
                    "tool_choice object needs function.name",
                ));
            };
            out.tool_choice = Some(ToolChoiceParam {
                kind: "tool".to_owned(),
                name: Some(name.to_owned()),
                disable_parallel_tool_use: disable_parallel.then_some(true),
            });
            return Ok(());
        }
    };
    if request.tool_choice.is_some() || disable_parallel {
        out.tool_choice = Some(ToolChoiceParam {
            disable_parallel_tool_use: (disable_parallel && kind != "none").then_some(true),
            kind,
            name: None,
        });
    }
    Ok(())
}

/// How a reasoning effort maps to Claude's extended thinking (shared with Bedrock, which
/// carries the same settings in `additionalModelRequestFields`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaudeThinking {
    /// Claude Opus/Sonnet 4.6 and later: `thinking: {type: adaptive}` + `output_config.effort`.
    Adaptive { effort: String },
    /// Older models: `thinking: {type: enabled, budget_tokens}`; `max_tokens` must exceed it.
    Budget(u64),
}

impl ClaudeThinking {
    /// `None` for efforts that mean "no thinking".
    pub fn for_effort(model: &str, effort: &str) -> Option<Self> {
        if matches!(effort, "none" | "minimal") {
            return None;
        }
        Some(if adaptive_thinking(model) {
            let effort = match effort {
                "low" | "medium" | "high" | "max" => effort.to_owned(),
                "xhigh" => "max".to_owned(),
                _ => "medium".to_owned(),
            };
            Self::Adaptive { effort }
        } else {
            Self::Budget(match effort {
                "low" => 5_000,
                "medium" => 10_000,
                "high" => 20_000,
                _ => 32_000,
            })
        })
    }

    /// The `thinking` object.
    pub fn thinking_value(&self) -> Value {
        match self {
            Self::Adaptive { .. } => json!({"type": "adaptive"}),
            Self::Budget(budget) => json!({"type": "enabled", "budget_tokens": budget}),
        }
    }

    /// The smallest `max_tokens` that leaves room for the budget.
    pub fn min_max_tokens(&self) -> Option<u64> {
        match self {
            Self::Adaptive { .. } => None,
            Self::Budget(budget) => Some(budget + 1_024),
        }
    }
}

/// Reasoning effort → extended thinking. Models with adaptive thinking (Claude Opus/Sonnet 4.6
/// and later) take `thinking: {type: adaptive}` plus `output_config.effort`; the others take a
/// token budget (low 5,000, medium 10,000, high 20,000, max 32,000), and `max_tokens` is raised
/// to fit the budget. With thinking on, Anthropic accepts only the default temperature.
fn apply_reasoning(
    request: &ChatRequest,
    out: &mut MessagesRequest,
    report: &mut TranslationReport,
) {
    let Some(effort) = request.effort() else {
        return;
    };
    let Some(thinking) = ClaudeThinking::for_effort(&request.model, &effort) else {
        return;
    };
    out.thinking = Some(thinking.thinking_value());
    if let ClaudeThinking::Adaptive { effort } = &thinking {
        merge_output_config(out, "effort", Value::String(effort.clone()));
    }
    if let Some(needed) = thinking.min_max_tokens()
        && out.max_tokens.unwrap_or(0) < needed
    {
        report.clamp(
            "max_tokens",
            &format!("raised to {needed} to fit the thinking budget"),
        );
        out.max_tokens = Some(needed);
    }
    if let Some(temperature) = out.temperature
        && (temperature - 1.0).abs() > f64::EPSILON
    {
        report.clamp(
            "temperature",
            "removed: Anthropic allows only the default with thinking on",
        );
        out.temperature = None;
    }
}

fn adaptive_thinking(model: &str) -> bool {
    let model = model.rsplit('/').next().unwrap_or(model);
    [
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-opus-4-7",
        "claude-sonnet-4-7",
        "claude-opus-5",
        "claude-sonnet-5",
    ]
    .iter()
    .any(|prefix| model.starts_with(prefix))
}

fn merge_output_config(out: &mut MessagesRequest, key: &str, value: Value) {
    let config = out.output_config.get_or_insert_with(|| json!({}));
    if let Some(map) = config.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
}

/// `response_format: json_schema` → structured outputs (`output_config.format`).
/// `json_object` has no Anthropic counterpart.
fn apply_response_format(
    request: &ChatRequest,
    out: &mut MessagesRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let Some(format) = &request.response_format else {
        return Ok(());
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") | None => Ok(()),
        Some("json_schema") => {
            let Some(schema) = format.get("json_schema").and_then(|s| s.get("schema")) else {
                return Err(TranslationError::new(
                    "response_format",
                    "json_schema.schema is required",
                ));
            };
            merge_output_config(
                out,
                "format",
                json!({"type": "json_schema", "schema": schema}),
            );
            Ok(())
        }
        Some(_) => report.drop("response_format", TARGET),
    }
}

/// Fields Anthropic has a place for move there; everything else is reported as dropped.
fn carry_extras(
    request: &ChatRequest,
    out: &mut MessagesRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    for (key, value) in &request.extra {
        match key.as_str() {
            key if IGNORED.contains(&key) => {}
            "user" => {
                if let Some(user) = value.as_str() {
                    out.metadata = Some(json!({"user_id": user}));
                }
            }
            "top_k" => out.top_k = value.as_u64(),
            "metadata" => {}
            "n" if value.as_u64() == Some(1) => {}
            "logprobs" | "top_logprobs" if value == &Value::Bool(false) || value.is_null() => {}
            other => report.drop(other, TARGET)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
