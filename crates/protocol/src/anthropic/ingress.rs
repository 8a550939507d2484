//! Anthropic Messages ingress: a Messages request → canonical chat request (so any provider can
//! serve an Anthropic client), and the canonical answer → a Messages response.

use serde_json::{Value, json};

use super::usage::{from_openai, stop_reason};
use super::wire::{
    Block, MessageContent, MessagesRequest, MessagesResponse, System, ToolChoiceParam,
};
use crate::canonical::{
    ChatRequest, ChatResponse, Content, ContentPart, Extra, FunctionCall, FunctionDef, ImageUrl,
    Message, ReasoningBlock, ResponseMessage, Tool, ToolCall, ToolChoice,
};
use crate::gemini::signatures::{self, SignedPart};
use crate::report::{TranslationError, TranslationReport};

const TARGET: &str = "an OpenAI-compatible provider";

/// Messages request → canonical chat request.
pub fn to_canonical(
    request: &MessagesRequest,
    report: &mut TranslationReport,
) -> Result<ChatRequest, TranslationError> {
    let Some(max_tokens) = request.max_tokens else {
        return Err(TranslationError::new(
            "max_tokens",
            "max_tokens is required",
        ));
    };
    let mut messages = Vec::new();
    match &request.system {
        Some(System::Text(text)) if !text.is_empty() => messages.push(text_message("system", text)),
        Some(System::Blocks(blocks)) => {
            let parts: Vec<ContentPart> = blocks.iter().map(text_part).collect();
            if !parts.is_empty() {
                messages.push(Message {
                    role: "system".to_owned(),
                    content: Some(Content::Parts(parts)),
                    ..Message::default()
                });
            }
        }
        _ => {}
    }
    for (index, message) in request.messages.iter().enumerate() {
        match message.role.as_str() {
            "user" => user_turn(&message.content, index, &mut messages, report)?,
            "assistant" => messages.push(assistant_turn(&message.content, index)?),
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].role"),
                    format!("unsupported role '{other}'"),
                ));
            }
        }
    }
    let mut out = ChatRequest {
        model: request.model.clone(),
        messages,
        max_tokens: Some(max_tokens),
        temperature: request.temperature,
        top_p: request.top_p,
        stop: request
            .stop_sequences
            .as_ref()
            .filter(|s| !s.is_empty())
            .map(|s| json!(s)),
        stream: request.stream,
        ..ChatRequest::default()
    };
    if request.stream == Some(true) {
        out.stream_options = Some(json!({"include_usage": true}));
    }
    if request.top_k.is_some() {
        report.drop("top_k", TARGET)?;
    }
    convert_tools(request, &mut out, report)?;
    convert_thinking(request, &mut out);
    if let Some(user) = request
        .metadata
        .as_ref()
        .and_then(|m| m.get("user_id"))
        .and_then(Value::as_str)
    {
        out.extra
            .insert("user".to_owned(), Value::String(user.to_owned()));
    }
    for key in request.extra.keys() {
        report.drop(key, TARGET)?;
    }
    Ok(out)
}

fn text_message(role: &str, text: &str) -> Message {
    Message {
        role: role.to_owned(),
        content: Some(Content::Text(text.to_owned())),
        ..Message::default()
    }
}

fn text_part(block: &Block) -> ContentPart {
    let mut part = ContentPart::text(block.text.as_deref().unwrap_or(""));
    if let Some(cache_control) = &block.cache_control {
        part.extra
            .insert("cache_control".to_owned(), cache_control.clone());
    }
    part
}

/// Tool results become `tool` messages (in order, before the rest of the turn); text and images
/// become one user message.
fn user_turn(
    content: &MessageContent,
    index: usize,
    messages: &mut Vec<Message>,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let mut parts = Vec::new();
    for block in content.blocks() {
        match block.kind.as_str() {
            "text" => parts.push(text_part(&block)),
            "image" => parts.push(image_part(&block, index)?),
            "tool_result" => {
                let Some(id) = block.tool_use_id.clone() else {
                    return Err(TranslationError::new(
                        format!("messages[{index}].content"),
                        "tool_result needs tool_use_id",
                    ));
                };
                let mut text = tool_result_text(block.content.as_ref());
                if block.is_error == Some(true) {
                    text = format!("Error: {text}");
                }
                messages.push(Message {
                    role: "tool".to_owned(),
                    content: Some(Content::Text(text)),
                    tool_call_id: Some(id),
                    ..Message::default()
                });
            }
            "document" => report.drop(&format!("messages[{index}].content (document)"), TARGET)?,
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].content"),
                    format!("content block type '{other}' is not supported in user messages"),
                ));
            }
        }
    }
    if !parts.is_empty() {
        let content = match parts.as_slice() {
            [only] if only.kind == "text" && only.extra.is_empty() => {
                Content::Text(only.text.clone().unwrap_or_default())
            }
            _ => Content::Parts(parts),
        };
        messages.push(Message {
            role: "user".to_owned(),
            content: Some(content),
            ..Message::default()
        });
    }
    Ok(())
}

fn tool_result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    }
}

fn image_part(block: &Block, index: usize) -> Result<ContentPart, TranslationError> {
    let source = block.source.as_ref();
    let url = match source.and_then(|s| s.get("type")).and_then(Value::as_str) {
        Some("base64") => {
            let media = source
                .and_then(|s| s.get("media_type"))
                .and_then(Value::as_str)
                .unwrap_or("image/png");
            let data = source
                .and_then(|s| s.get("data"))
                .and_then(Value::as_str)
                .unwrap_or("");
            format!("data:{media};base64,{data}")
        }
        Some("url") => source
            .and_then(|s| s.get("url"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        _ => {
            return Err(TranslationError::new(
                format!("messages[{index}].content"),
                "image source must be base64 or url",
            ));
        }
    };
    Ok(ContentPart {
        kind: "image_url".to_owned(),
        text: None,
        image_url: Some(ImageUrl { url, detail: None }),
        extra: Default::default(),
    })
}

fn assistant_turn(content: &MessageContent, index: usize) -> Result<Message, TranslationError> {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut blocks = Vec::new();
    let mut calls = Vec::new();
    let mut gemini_signatures = Vec::new();
    for block in content.blocks() {
        match block.kind.as_str() {
            "text" => text.push_str(block.text.as_deref().unwrap_or("")),
            // A Gemini thought signature carried through an Anthropic client.
            "thinking"
                if let Some(signed) = block
                    .signature
                    .as_deref()
                    .and_then(signatures::from_anthropic_signature) =>
            {
                gemini_signatures.push(signed);
            }
            "thinking" => {
                reasoning.push_str(block.thinking.as_deref().unwrap_or(""));
                blocks.push(ReasoningBlock {
                    thinking: block.thinking.clone(),
                    signature: block.signature.clone(),
                    redacted_data: None,
                });
            }
            "redacted_thinking" => blocks.push(ReasoningBlock {
                thinking: None,
                signature: None,
                redacted_data: block.data.clone(),
            }),
            "tool_use" => calls.push(ToolCall {
                id: block.id.clone().unwrap_or_default(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: block.name.clone().unwrap_or_default(),
                    arguments: block
                        .input
                        .as_ref()
                        .map_or_else(|| "{}".to_owned(), ToString::to_string),
                },
                extra_content: None,
            }),
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].content"),
                    format!("content block type '{other}' is not supported in assistant messages"),
                ));
            }
        }
    }
    let mut extra = Extra::new();
    for (part, signature) in gemini_signatures {
        let value = signatures::extra_content(&signature);
        match part {
            SignedPart::Text => {
                extra.insert("extra_content".to_owned(), value);
            }
            SignedPart::Call(n) => {
                if let Some(call) = calls.get_mut(n) {
                    call.extra_content = Some(value);
                }
            }
        }
    }
    Ok(Message {
        role: "assistant".to_owned(),
        content: (!text.is_empty() || calls.is_empty()).then_some(Content::Text(text)),
        tool_calls: (!calls.is_empty()).then_some(calls),
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        reasoning_blocks: (!blocks.is_empty()).then_some(blocks),
        extra,
        ..Message::default()
    })
}

fn convert_tools(
    request: &MessagesRequest,
    out: &mut ChatRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let tools = request.tools.as_deref().unwrap_or_default();
    if tools.is_empty() {
        if request
            .tool_choice
            .as_ref()
            .is_some_and(|c| c.kind != "none")
        {
            return Err(TranslationError::new(
                "tool_choice",
                "tool_choice was given without tools",
            ));
        }
        return Ok(());
    }
    let mut converted = Vec::new();
    for tool in tools {
        if tool.kind.as_deref().is_some_and(|k| k != "custom") {
            report.drop(
                &format!("tools ({})", tool.kind.as_deref().unwrap_or_default()),
                TARGET,
            )?;
            continue;
        }
        converted.push(Tool {
            kind: "function".to_owned(),
            function: FunctionDef {
                name: tool.name.clone(),
                description: tool.description.clone(),
                parameters: tool.input_schema.clone(),
                extra: Default::default(),
            },
            extra: Default::default(),
        });
    }
    out.tools = (!converted.is_empty()).then_some(converted);
    if let Some(ToolChoiceParam {
        kind,
        name,
        disable_parallel_tool_use,
    }) = &request.tool_choice
    {
        out.tool_choice = Some(match kind.as_str() {
            "auto" => ToolChoice::Mode("auto".to_owned()),
            "any" => ToolChoice::Mode("required".to_owned()),
            "none" => ToolChoice::Mode("none".to_owned()),
            "tool" => ToolChoice::named(name.as_deref().unwrap_or_default()),
            other => {
                return Err(TranslationError::new(
                    "tool_choice",
                    format!("unknown tool_choice type '{other}'"),
                ));
            }
        });
        if *disable_parallel_tool_use == Some(true) {
            out.parallel_tool_calls = Some(false);
        }
    }
    Ok(())
}

/// `thinking` → `reasoning_effort`: a budget maps to low (< 8,000), medium (< 16,000) or
/// high; adaptive thinking takes `output_config.effort`.
fn convert_thinking(request: &MessagesRequest, out: &mut ChatRequest) {
    let Some(thinking) = &request.thinking else {
        return;
    };
    let effort = match thinking.get("type").and_then(Value::as_str) {
        Some("enabled") => match thinking
            .get("budget_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0)
        {
            0..8_000 => "low",
            8_000..16_000 => "medium",
            _ => "high",
        }
        .to_owned(),
        Some("adaptive") => request
            .output_config
            .as_ref()
            .and_then(|c| c.get("effort"))
            .and_then(Value::as_str)
            .unwrap_or("medium")
            .to_owned(),
        _ => return,
    };
    out.reasoning_effort = Some(effort);
}

/// Canonical chat response → Messages response.
pub fn to_messages_response(response: &ChatResponse, model: &str) -> MessagesResponse {
    let choice = response.choices.first();
    let message = choice.map(|c| &c.message);
    let mut content = Vec::new();
    if let Some(message) = message {
        match &message.reasoning_blocks {
            Some(blocks) => content.extend(blocks.iter().map(thinking_block)),
            None => {
                if let Some(reasoning) = message
                    .reasoning_content
                    .as_deref()
                    .filter(|r| !r.is_empty())
                {
                    content.push(Block {
                        kind: "thinking".to_owned(),
                        thinking: Some(reasoning.to_owned()),
                        signature: Some(String::new()),
                        ..Block::default()
                    });
                }
            }
        }
        content.extend(gemini_signature_blocks(message));
        if let Some(text) = message.content.as_deref().filter(|t| !t.is_empty()) {
            content.push(Block::text(text));
        }
        for call in message.tool_calls.iter().flatten() {
            content.push(Block {
                kind: "tool_use".to_owned(),
                id: Some(call.id.clone()),
                name: Some(call.function.name.clone()),
                input: Some(parse_arguments(&call.function.arguments)),
                ..Block::default()
            });
        }
    }
    MessagesResponse {
        id: message_id(&response.id),
        kind: "message".to_owned(),
        role: "assistant".to_owned(),
        model: model.to_owned(),
        content,
        stop_reason: stop_reason(choice.and_then(|c| c.finish_reason.as_deref()))
            .or_else(|| Some("end_turn".to_owned())),
        stop_sequence: None,
        usage: response.usage.as_ref().map(from_openai).unwrap_or_default(),
    }
}

/// Gemini thought signatures as text-less thinking blocks (see
/// [`crate::gemini::signatures::to_anthropic_signature`]).
fn gemini_signature_blocks(message: &ResponseMessage) -> Vec<Block> {
    let text = signatures::signature_in(message.extra.get("extra_content"))
        .map(|sig| (SignedPart::Text, sig));
    let calls = message
        .tool_calls
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(n, call)| {
            signatures::signature_in(call.extra_content.as_ref())
                .map(|sig| (SignedPart::Call(n), sig))
        });
    text.into_iter()
        .chain(calls)
        .map(|(part, sig)| Block {
            kind: "thinking".to_owned(),
            thinking: Some(String::new()),
            signature: Some(signatures::to_anthropic_signature(part, &sig)),
            ..Block::default()
        })
        .collect()
}

pub(crate) fn thinking_block(block: &ReasoningBlock) -> Block {
    match &block.redacted_data {
        Some(data) => Block {
            kind: "redacted_thinking".to_owned(),
            data: Some(data.clone()),
            ..Block::default()
        },
        None => Block {
            kind: "thinking".to_owned(),
            thinking: Some(block.thinking.clone().unwrap_or_default()),
            signature: Some(block.signature.clone().unwrap_or_default()),
            ..Block::default()
        },
    }
}

/// Tool arguments are JSON text in OpenAI and a JSON object in Anthropic. Text that is not an
/// object (a model's malformed output) is wrapped rather than lost.
pub(crate) fn parse_arguments(arguments: &str) -> Value {
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => value,
        _ if arguments.trim().is_empty() => json!({}),
        _ => json!({"_raw_arguments": arguments}),
    }
}

/// Anthropic ids start with `msg_`.
pub(crate) fn message_id(upstream: &str) -> String {
    if upstream.starts_with("msg_") {
        upstream.to_owned()
    } else {
        format!("msg_{upstream}")
    }
}

#[cfg(test)]
mod tests;
