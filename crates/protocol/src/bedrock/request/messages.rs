//! Messages → Converse `messages` and `system`: alternating turns, text, image and document
//! bytes, tool calls and results, and signed reasoning handed back untouched.

use serde_json::{Value, json};

use super::TARGET;
use crate::bedrock::wire::{
    ContentBlock, Document, Image, Message, ReasoningContent, ReasoningText, Source, SystemBlock,
    ToolResult, ToolResultContent, ToolUse,
};
use crate::canonical::{Content, ContentPart, Message as ChatMessage};
use crate::report::TranslationError;

/// System messages go to `system`; tool results become `toolResult` blocks in a user turn;
/// consecutive messages of one role are merged, as Converse requires turns to alternate.
pub(super) fn convert_messages(
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
