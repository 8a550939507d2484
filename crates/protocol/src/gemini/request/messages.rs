//! Messages → `contents` and `systemInstruction`: roles, parts (text, images, audio, files),
//! function calls and their responses, and thought signatures sent back where they belong.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::TARGET;
use crate::canonical::{self, ContentPart, Message};
use crate::gemini::signatures::{SKIP_SIGNATURE, message_signature, tool_call_signature};
use crate::gemini::wire::{Blob, Content, FileData, FunctionCall, FunctionResponse, Part};
use crate::gemini::{ids, image_mime_from_uri, model};
use crate::report::{TranslationError, TranslationReport};

/// System and developer messages become `systemInstruction` (Gemini has one, so messages
/// from anywhere in the list are gathered there); `assistant` turns are `model` turns; the
/// results of one parallel call (consecutive `tool` messages) share one `user` turn, as
/// Gemini requires.
pub(super) fn convert_messages(
    messages: &[Message],
    model_id: &str,
    report: &mut TranslationReport,
) -> Result<(Option<Content>, Vec<Content>), TranslationError> {
    let mut system_parts = Vec::new();
    let mut contents: Vec<Content> = Vec::new();
    // Function names by tool-call id: a function response must name its function.
    let mut call_names: HashMap<&str, &str> = HashMap::new();
    let mut previous_was_tool = false;
    for (index, message) in messages.iter().enumerate() {
        let is_tool = message.role == "tool";
        match message.role.as_str() {
            "system" | "developer" => {
                system_parts.extend(system_text_parts(message, index)?);
            }
            "user" => {
                // Gemini refuses empty turns; an empty user message says nothing anyway.
                let parts = user_parts(message, index)?;
                if !parts.is_empty() {
                    contents.push(Content {
                        role: Some("user".to_owned()),
                        parts,
                    });
                }
            }
            "assistant" => {
                for call in message.tool_calls.iter().flatten() {
                    call_names.insert(call.id.as_str(), call.function.name.as_str());
                }
                let parts = model_parts(message, index, model_id, report)?;
                if !parts.is_empty() {
                    contents.push(Content {
                        role: Some("model".to_owned()),
                        parts,
                    });
                }
            }
            "tool" => {
                let part = function_response_part(message, index, &call_names)?;
                match contents.last_mut() {
                    Some(last) if previous_was_tool => last.parts.push(part),
                    _ => contents.push(Content {
                        role: Some("user".to_owned()),
                        parts: vec![part],
                    }),
                }
            }
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].role"),
                    format!("unsupported message role '{other}'"),
                ));
            }
        }
        previous_was_tool = is_tool;
    }
    let system = (!system_parts.is_empty()).then_some(Content {
        role: None,
        parts: system_parts,
    });
    Ok((system, contents))
}

fn system_text_parts(message: &Message, index: usize) -> Result<Vec<Part>, TranslationError> {
    let Some(content) = &message.content else {
        return Ok(Vec::new());
    };
    let mut parts = Vec::new();
    for part in content.parts() {
        match part.kind.as_str() {
            "text" => parts.extend(text_part(&part)),
            other => {
                return Err(TranslationError::new(
                    format!("messages[{index}].content"),
                    format!("system messages must be text only (found a '{other}' part)"),
                ));
            }
        }
    }
    Ok(parts)
}

/// A text part, or nothing for empty text (Gemini refuses `{"text": ""}`).
fn text_part(part: &ContentPart) -> Option<Part> {
    part.text
        .as_deref()
        .filter(|text| !text.is_empty())
        .map(Part::text)
}

fn user_parts(message: &Message, index: usize) -> Result<Vec<Part>, TranslationError> {
    let Some(content) = &message.content else {
        return Ok(Vec::new());
    };
    let param = format!("messages[{index}].content");
    let mut parts = Vec::new();
    for part in content.parts() {
        match part.kind.as_str() {
            "text" => parts.extend(text_part(&part)),
            "image_url" => parts.push(image_part(&part, &param)?),
            "input_audio" => parts.push(audio_part(&part, &param)?),
            "file" => parts.push(file_part(&part, &param)?),
            other => {
                return Err(TranslationError::new(
                    param,
                    format!(
                        "content part type '{other}' is not supported by {TARGET} (text, image_url, input_audio and file are)"
                    ),
                ));
            }
        }
    }
    Ok(parts)
}

/// `data:` URLs are sent inline; Cloud Storage (`gs://`) and Gemini Files API URIs are sent
/// by reference. Other web URLs are refused rather than fetched: the gateway does not make
/// requests to addresses a client chooses (docs/providers.md).
fn image_part(part: &ContentPart, param: &str) -> Result<Part, TranslationError> {
    let url = part
        .image_url
        .as_ref()
        .map(|i| i.url.as_str())
        .unwrap_or("");
    if url.starts_with("data:") {
        return data_url_part(url, param);
    }
    // Cloud Storage (Vertex AI) and Files API (AI Studio) URIs: the type comes from the
    // extension when there is one; Google knows an uploaded file's type otherwise.
    if url.starts_with("gs://") || url.starts_with("https://generativelanguage.googleapis.com/") {
        return Ok(Part {
            file_data: Some(FileData {
                mime_type: image_mime_from_uri(url).map(str::to_owned),
                file_uri: url.to_owned(),
            }),
            ..Part::default()
        });
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return Err(TranslationError::new(
            param,
            format!(
                "{TARGET} takes images inline: send the image as a base64 data: URL (remote image URLs are not fetched by the gateway; gs:// URIs are passed through)"
            ),
        ));
    }
    Err(TranslationError::new(
        param,
        "image_url.url must be a data: URL, a gs:// URI or a Gemini file URI",
    ))
}

fn data_url_part(url: &str, param: &str) -> Result<Part, TranslationError> {
    let rest = url.strip_prefix("data:").unwrap_or(url);
    let Some((meta, data)) = rest.split_once(',') else {
        return Err(TranslationError::new(
            param,
            "data URL has no ',' separator",
        ));
    };
    let Some(mime_type) = meta.strip_suffix(";base64") else {
        return Err(TranslationError::new(
            param,
            "data URLs must be base64 encoded",
        ));
    };
    let mime_type = if mime_type.is_empty() {
        "application/octet-stream"
    } else {
        mime_type
    };
    Ok(Part {
        inline_data: Some(Blob {
            mime_type: mime_type.to_owned(),
            data: data.to_owned(),
        }),
        ..Part::default()
    })
}

/// `{"type": "input_audio", "input_audio": {"data": base64, "format": "wav"|"mp3"}}`.
fn audio_part(part: &ContentPart, param: &str) -> Result<Part, TranslationError> {
    let audio = part.extra.get("input_audio");
    let data = audio.and_then(|a| a.get("data")).and_then(Value::as_str);
    let format = audio.and_then(|a| a.get("format")).and_then(Value::as_str);
    let (Some(data), Some(format)) = (data, format) else {
        return Err(TranslationError::new(
            param,
            "input_audio needs data and format",
        ));
    };
    Ok(Part {
        inline_data: Some(Blob {
            mime_type: format!("audio/{format}"),
            data: data.to_owned(),
        }),
        ..Part::default()
    })
}

/// `{"type": "file", "file": {"file_data": "data:…"}}` (PDFs, mostly).
fn file_part(part: &ContentPart, param: &str) -> Result<Part, TranslationError> {
    let file = part.extra.get("file");
    match file
        .and_then(|f| f.get("file_data"))
        .and_then(Value::as_str)
    {
        Some(data) if data.starts_with("data:") => data_url_part(data, param),
        _ => Err(TranslationError::new(
            param,
            format!("{TARGET} takes files inline: file.file_data must be a base64 data: URL"),
        )),
    }
}

/// Text, then function calls. Thought text is not sent back (Gemini does not take it), but
/// thought signatures are, in the parts they came with: a text answer's on its last text
/// part, a call's on the call.
fn model_parts(
    message: &Message,
    index: usize,
    model_id: &str,
    report: &mut TranslationReport,
) -> Result<Vec<Part>, TranslationError> {
    let mut parts = Vec::new();
    if let Some(content) = &message.content {
        for part in content.parts() {
            if part.kind == "text" && part.text.as_deref().is_some_and(|t| !t.is_empty()) {
                parts.push(Part::text(part.text.clone().unwrap_or_default()));
            }
        }
    }
    if let Some(signature) = message_signature(message)
        && let Some(last) = parts.last_mut()
    {
        last.thought_signature = Some(signature);
    }
    let calls = message.tool_calls.as_deref().unwrap_or_default();
    let first_call = parts.len();
    for (call_index, call) in calls.iter().enumerate() {
        let param = format!("messages[{index}].tool_calls[{call_index}].function.arguments");
        let args: Value = if call.function.arguments.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str(&call.function.arguments).map_err(|_| {
                TranslationError::new(&param, "tool call arguments must be a JSON object")
            })?
        };
        if !args.is_object() {
            return Err(TranslationError::new(
                param,
                "tool call arguments must be a JSON object",
            ));
        }
        parts.push(Part {
            function_call: Some(FunctionCall {
                id: ids::upstream_id(&call.id),
                name: call.function.name.clone(),
                args: Some(args),
            }),
            thought_signature: tool_call_signature(call),
            ..Part::default()
        });
    }
    // Gemini 3 refuses a function-call turn whose first call lacks its signature. A client
    // that dropped it (or a conversation begun on another model) gets Google's documented
    // placeholder, and the report says so.
    if !calls.is_empty()
        && model::requires_signatures(model_id)
        && parts[first_call..]
            .iter()
            .all(|p| p.thought_signature.is_none())
    {
        parts[first_call].thought_signature = Some(SKIP_SIGNATURE.to_owned());
        report.clamp(
            &format!("messages[{index}].tool_calls"),
            "no thought signature was sent back; Gemini's validator skip value used",
        );
    }
    Ok(parts)
}

fn function_response_part(
    message: &Message,
    index: usize,
    call_names: &HashMap<&str, &str>,
) -> Result<Part, TranslationError> {
    let Some(id) = message.tool_call_id.as_deref() else {
        return Err(TranslationError::new(
            format!("messages[{index}].tool_call_id"),
            "tool messages need a tool_call_id",
        ));
    };
    let Some(name) = call_names
        .get(id)
        .copied()
        .or(message.name.as_deref())
        .map(str::to_owned)
    else {
        return Err(TranslationError::new(
            format!("messages[{index}].tool_call_id"),
            format!(
                "tool_call_id '{id}' matches no tool call of an earlier assistant message; {TARGET} needs the function's name"
            ),
        ));
    };
    let text = message
        .content
        .as_ref()
        .map(canonical::Content::text)
        .unwrap_or_default();
    // A JSON object result is passed as it is; anything else is wrapped, as the response
    // must be an object.
    let response = match serde_json::from_str::<Value>(&text) {
        Ok(object @ Value::Object(_)) => object,
        Ok(other) => json!({ "result": other }),
        Err(_) => json!({ "result": text }),
    };
    Ok(Part {
        function_response: Some(FunctionResponse {
            id: ids::upstream_id(id),
            name,
            response,
        }),
        ..Part::default()
    })
}
