//! Canonical chat request → Bedrock Converse request (an OpenAI-dialect client calling any
//! Bedrock model: Claude, Nova, Llama, Mistral, …). What Converse cannot express is reported,
//! never silently lost (docs/translation.md, "OpenAI → Bedrock").

use std::collections::HashMap;

use serde_json::{Value, json};

use super::model::{claude_id, is_nova_2};
use super::wire::{
    ContentBlock, ConverseRequest, Document, Image, InferenceConfig, InputSchema, Message,
    ReasoningContent, ReasoningText, Source, SystemBlock, Tool, ToolConfig, ToolResult,
    ToolResultContent, ToolSpec, ToolUse,
};
use crate::anthropic::request::ClaudeThinking;
use crate::canonical::{ChatRequest, Content, ContentPart, Message as ChatMessage, ToolChoice};
use crate::report::{TranslationError, TranslationReport};

const TARGET: &str = "Bedrock";

/// OpenAI fields with no Converse counterpart that lose nothing when left out.
const IGNORED: [&str; 6] = [
    "stream_options",
    "store",
    "service_tier",
    "provider",
    "user",
    "metadata",
];

pub fn to_converse(
    request: &ChatRequest,
    report: &mut TranslationReport,
) -> Result<ConverseRequest, TranslationError> {
    let (system, messages) = convert_messages(&request.messages)?;
    let mut out = ConverseRequest {
        messages,
        system,
        ..ConverseRequest::default()
    };
    let mut config = InferenceConfig {
        max_tokens: request.output_limit(),
        temperature: request.temperature,
        top_p: request.top_p,
        ..InferenceConfig::default()
    };
    let stops = request.stop_sequences();
    if !stops.is_empty() {
        config.stop_sequences = Some(stops);
    }
    convert_tools(request, &mut out, report)?;
    let mut extra = serde_json::Map::new();
    apply_reasoning(request, &mut config, &mut extra, report);
    carry_extras(request, &mut extra, report)?;
    if request.response_format.as_ref().is_some_and(|f| {
        f.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "text")
    }) {
        report.drop("response_format", TARGET)?;
    }
    if !config.is_empty() {
        out.inference_config = Some(config);
    }
    if !extra.is_empty() {
        out.additional_model_request_fields = Some(Value::Object(extra));
    }
    Ok(out)
}

/// System messages go to `system`; tool results become `toolResult` blocks in a user turn;
/// consecutive messages of one role are merged, as Converse requires turns to alternate.
fn convert_messages(
    messages: &[ChatMessage],
) -> Result<(Option<Vec<SystemBlock>>, Vec<Message>), TranslationError> {
    let mut system = Vec::new();
    let mut turns: Vec<Message> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        let (role, blocks) = match message.role.as_str() {
            "system" | "developer" => {
                system.extend(system_blocks(message.content.as_ref(), index)?);
                continue;
            }
            "user" => ("user", user_blocks(message.content.as_ref(), index)?),
            "assistant" => ("assistant", assistant_blocks(message, index)?),
            "tool" => ("user", vec![tool_result(message, index)?]),
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
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => turns.push(Message {
                role: role.to_owned(),
                content: blocks,
            }),
        }
    }
    Ok(((!system.is_empty()).then_some(system), turns))
}

fn system_blocks(
    content: Option<&Content>,
    index: usize,
) -> Result<Vec<SystemBlock>, TranslationError> {
    let mut blocks = Vec::new();
    for part in content.map(Content::parts).unwrap_or_default() {
        if part.kind != "text" {
            return Err(TranslationError::new(
                format!("messages[{index}].content"),
                format!(
                    "system messages must be text only (found a '{}' part)",
                    part.kind
                ),
            ));
        }
        if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
            blocks.push(SystemBlock {
                text: Some(text.to_owned()),
                cache_point: None,
            });
        }
        // Anthropic-style `cache_control` on a part is a cache point after it.
        if part.cache_control().is_some() {
            blocks.push(SystemBlock {
                text: None,
                cache_point: Some(Default::default()),
            });
        }
    }
    Ok(blocks)
}

fn user_blocks(
    content: Option<&Content>,
    index: usize,
) -> Result<Vec<ContentBlock>, TranslationError> {
    let param = format!("messages[{index}].content");
    let mut blocks = Vec::new();
    for part in content.map(Content::parts).unwrap_or_default() {
        match part.kind.as_str() {
            "text" => {
                if let Some(text) = part.text.as_deref().filter(|t| !t.is_empty()) {
                    blocks.push(ContentBlock::text(text));
                }
            }
            "image_url" => blocks.push(image_block(&part, &param)?),
            "file" => blocks.push(document_block(&part, &param, blocks.len())?),
            other => {
                return Err(TranslationError::new(
                    param,
                    format!(
                        "content part type '{other}' is not supported by {TARGET} (text, image_url and file are)"
                    ),
                ));
            }
        }
        if part.cache_control().is_some() {
            blocks.push(ContentBlock::cache_point());
        }
    }
    Ok(blocks)
}

/// Converse takes image bytes only: a `data:` URL's base64 is passed on; web URLs are refused
/// (the gateway does not fetch addresses a client chooses).
fn image_block(part: &ContentPart, param: &str) -> Result<ContentBlock, TranslationError> {
    let url = part.image_url.as_ref().map_or("", |i| i.url.as_str());
    let (media_type, data) = data_url(url).ok_or_else(|| {
        TranslationError::new(
            param,
            format!("{TARGET} takes images as bytes: send a base64 data: URL (remote image URLs are not fetched)"),
        )
    })?;
    let format = match media_type {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(TranslationError::new(
                param,
                format!(
                    "image type '{other}' is not supported by {TARGET} (png, jpeg, gif, webp are)"
                ),
            ));
        }
    };
    Ok(ContentBlock {
        image: Some(Image {
            format: format.to_owned(),
            source: Source {
                bytes: data.to_owned(),
            },
        }),
        ..ContentBlock::default()
    })
}

/// `{"type": "file", "file": {"file_data": "data:application/pdf;base64,…", "filename"}}`.
fn document_block(
    part: &ContentPart,
    param: &str,
    position: usize,
) -> Result<ContentBlock, TranslationError> {
    let file = part.extra.get("file");
    let url = file
        .and_then(|f| f.get("file_data"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let (media_type, data) = data_url(url)
        .ok_or_else(|| TranslationError::new(param, "file.file_data must be a base64 data: URL"))?;
    let format = match media_type {
        "application/pdf" => "pdf",
        "text/csv" => "csv",
        "text/html" => "html",
        "text/plain" => "txt",
        "text/markdown" => "md",
        "application/msword" => "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        other => {
            return Err(TranslationError::new(
                param,
                format!("document type '{other}' is not supported by {TARGET}"),
            ));
        }
    };
    // Converse names must be letters, digits, spaces, hyphens, parentheses and brackets.
    let name: String = file
        .and_then(|f| f.get("filename"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -()[]".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = if name.trim().is_empty() {
        format!("document-{position}")
    } else {
        name
    };
    Ok(ContentBlock {
        document: Some(Document {
            format: format.to_owned(),
            name,
            source: Source {
                bytes: data.to_owned(),
            },
        }),
        ..ContentBlock::default()
    })
}

/// `(media type, base64 data)` of a base64 `data:` URL.
fn data_url(url: &str) -> Option<(&str, &str)> {
    let (meta, data) = url.strip_prefix("data:")?.split_once(',')?;
    Some((meta.strip_suffix(";base64")?, data))
}

/// Reasoning first (each block with its signature, untouched), then text, then tool calls.
fn assistant_blocks(
    message: &ChatMessage,
    index: usize,
) -> Result<Vec<ContentBlock>, TranslationError> {
    let mut blocks = Vec::new();
    for reasoning in message.reasoning_blocks.iter().flatten() {
        let content = match (&reasoning.redacted_data, &reasoning.signature) {
            (Some(data), _) => ReasoningContent {
                reasoning_text: None,
                redacted_content: Some(data.clone()),
            },
            (None, Some(signature)) => ReasoningContent {
                reasoning_text: Some(ReasoningText {
                    text: reasoning.thinking.clone().unwrap_or_default(),
                    signature: Some(signature.clone()),
                }),
                redacted_content: None,
            },
            // Unsigned thinking cannot be verified by the model: not sent back.
            (None, None) => continue,
        };
        blocks.push(ContentBlock {
            reasoning_content: Some(content),
            ..ContentBlock::default()
        });
    }
    if let Some(text) = message
        .content
        .as_ref()
        .map(Content::text)
        .filter(|t| !t.is_empty())
    {
        blocks.push(ContentBlock::text(text));
    }
    for (call_index, call) in message.tool_calls.iter().flatten().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        let input: Value = if call.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.function.arguments).map_err(|_| {
                TranslationError::new(&param, "tool call arguments must be a JSON object")
            })?
        };
        if !input.is_object() {
            return Err(TranslationError::new(
                param,
                "tool call arguments must be a JSON object",
            ));
        }
        blocks.push(ContentBlock {
            tool_use: Some(ToolUse {
                tool_use_id: call.id.clone(),
                name: call.function.name.clone(),
                input,
            }),
            ..ContentBlock::default()
        });
    }
    Ok(blocks)
}

fn tool_result(message: &ChatMessage, index: usize) -> Result<ContentBlock, TranslationError> {
    let Some(id) = message.tool_call_id.clone() else {
        return Err(TranslationError::new(
            format!("messages[{index}].tool_call_id"),
            "tool messages need a tool_call_id",
        ));
    };
    let text = message
        .content
        .as_ref()
        .map(Content::text)
        .unwrap_or_default();
    Ok(ContentBlock {
        tool_result: Some(ToolResult {
            tool_use_id: id,
            // Converse refuses an empty text block.
            content: vec![ToolResultContent {
                text: Some(if text.is_empty() {
                    " ".to_owned()
                } else {
                    text
                }),
                json: None,
            }],
            status: None,
        }),
        ..ContentBlock::default()
    })
}

fn convert_tools(
    request: &ChatRequest,
    out: &mut ConverseRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let tools = request.tools.as_deref().unwrap_or_default();
    let history_has_tools = out.messages.iter().any(|m| {
        m.content
            .iter()
            .any(|b| b.tool_use.is_some() || b.tool_result.is_some())
    });
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
        if history_has_tools {
            return Err(TranslationError::new(
                "tools",
                format!(
                    "{TARGET} needs the tools of a conversation that used them: send tools with the request"
                ),
            ));
        }
        return Ok(());
    }
    let mut specs = Vec::with_capacity(tools.len());
    let mut names = HashMap::new();
    for (index, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            return Err(TranslationError::new(
                format!("tools[{index}].type"),
                format!(
                    "tool type '{}' is not supported by {TARGET} (function is)",
                    tool.kind
                ),
            ));
        }
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
        names.insert(tool.function.name.as_str(), index);
        specs.push(Tool {
            tool_spec: ToolSpec {
                name: tool.function.name.clone(),
                // Converse refuses an empty description.
                description: tool.function.description.clone().filter(|d| !d.is_empty()),
                input_schema: InputSchema { json: schema },
            },
        });
    }
    if request.parallel_tool_calls == Some(false) {
        report.drop("parallel_tool_calls", TARGET)?;
    }
    let choice = match &request.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(json!({"auto": {}})),
            "required" | "any" => Some(json!({"any": {}})),
            "none" if history_has_tools => {
                // Converse has no "none" and needs the tools when the history uses them.
                report.clamp("tool_choice", "Bedrock has no 'none'; auto used");
                Some(json!({"auto": {}}))
            }
            "none" => return Ok(()),
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
            if !names.contains_key(name) {
                return Err(TranslationError::new(
                    "tool_choice",
                    format!("tool_choice names '{name}', which is not among the tools"),
                ));
            }
            Some(json!({"tool": {"name": name}}))
        }
    };
    out.tool_config = Some(ToolConfig {
        tools: specs,
        tool_choice: choice,
    });
    Ok(())
}

/// Claude: extended thinking in `additionalModelRequestFields` (the same settings as on
/// Anthropic's API); Nova 2: `reasoningConfig`; other models do not reason on request.
fn apply_reasoning(
    request: &ChatRequest,
    config: &mut InferenceConfig,
    extra: &mut serde_json::Map<String, Value>,
    report: &mut TranslationReport,
) {
    let Some(effort) = request.effort() else {
        return;
    };
    if let Some(claude) = claude_id(&request.model) {
        let Some(thinking) = ClaudeThinking::for_effort(claude, &effort) else {
            return;
        };
        extra.insert("thinking".to_owned(), thinking.thinking_value());
        if let ClaudeThinking::Adaptive { effort } = &thinking {
            extra.insert("output_config".to_owned(), json!({"effort": effort}));
        }
        if let Some(needed) = thinking.min_max_tokens()
            && config.max_tokens.unwrap_or(0) < needed
        {
            report.clamp(
                "max_tokens",
                &format!("raised to {needed} to fit the thinking budget"),
            );
            config.max_tokens = Some(needed);
        }
        if config
            .temperature
            .is_some_and(|t| (t - 1.0).abs() > f64::EPSILON)
        {
            report.clamp(
                "temperature",
                "removed: Claude allows only the default with thinking on",
            );
            config.temperature = None;
        }
        if config.top_p.is_some() {
            report.clamp("top_p", "removed: Claude allows no top_p with thinking on");
            config.top_p = None;
        }
    } else if is_nova_2(&request.model) {
        if matches!(effort.as_str(), "none" | "minimal") {
            return;
        }
        let level = match effort.as_str() {
            "low" | "medium" | "high" => effort.as_str(),
            _ => "high",
        };
        extra.insert(
            "reasoningConfig".to_owned(),
            json!({"type": "enabled", "maxReasoningEffort": level}),
        );
    } else if effort != "none" {
        report.clamp(
            "reasoning_effort",
            "ignored: this Bedrock model does not take one",
        );
    }
}

/// Fields with a place in `additionalModelRequestFields` (Claude's `top_k`) move there; the
/// rest is reported as dropped.
fn carry_extras(
    request: &ChatRequest,
    extra: &mut serde_json::Map<String, Value>,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    for (key, value) in &request.extra {
        match key.as_str() {
            key if IGNORED.contains(&key) => {}
            "top_k" if claude_id(&request.model).is_some() => {
                extra.insert("top_k".to_owned(), value.clone());
            }
            "n" if value.as_u64() == Some(1) => {}
            "logprobs" | "top_logprobs" if value == &Value::Bool(false) || value.is_null() => {}
            other => report.drop(other, TARGET)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
