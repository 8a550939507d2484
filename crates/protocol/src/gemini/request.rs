//! Canonical chat request → Gemini `generateContent` request (an OpenAI-dialect client calling
//! a Gemini model, on AI Studio or Vertex AI). What Gemini cannot express is reported, never
//! silently lost (docs/providers/gemini.md lists every mapping).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::model::{self, Thinking};
use super::schema::to_gemini_schema;
use super::signatures::{SKIP_SIGNATURE, message_signature, tool_call_signature};
use super::wire::{
    Blob, Content, FileData, FunctionCall, FunctionCallingConfig, FunctionDeclaration,
    FunctionResponse, GenerateContentRequest, GenerationConfig, Part, ThinkingConfig, Tool,
    ToolConfig,
};
use super::{ids, image_mime_from_uri};
use crate::canonical::{self, ChatRequest, ContentPart, Message, ToolChoice};
use crate::report::{TranslationError, TranslationReport};

const TARGET: &str = "Gemini";

/// OpenAI fields with no Gemini counterpart that lose nothing when left out.
const IGNORED: [&str; 6] = [
    "stream_options",
    "store",
    "service_tier",
    "provider",
    "user",
    "metadata",
];

pub fn to_gemini(
    request: &ChatRequest,
    report: &mut TranslationReport,
) -> Result<GenerateContentRequest, TranslationError> {
    let model_id = request.model.as_str();
    let (system_instruction, contents) = convert_messages(&request.messages, model_id, report)?;
    let mut out = GenerateContentRequest {
        contents,
        system_instruction,
        ..GenerateContentRequest::default()
    };
    let mut config = GenerationConfig {
        temperature: request.temperature,
        top_p: request.top_p,
        max_output_tokens: request.output_limit(),
        ..GenerationConfig::default()
    };
    let stops = request.stop_sequences();
    if !stops.is_empty() {
        config.stop_sequences = Some(stops);
    }
    convert_tools(request, &mut out, report)?;
    apply_response_format(request, &mut config, report)?;
    apply_reasoning(request, &mut config, report);
    carry_extras(request, &mut out, &mut config, report)?;
    if !config.is_empty() {
        out.generation_config = Some(config);
    }
    Ok(out)
}

/// System and developer messages become `systemInstruction` (Gemini has one, so messages
/// from anywhere in the list are gathered there); `assistant` turns are `model` turns; the
/// results of one parallel call (consecutive `tool` messages) share one `user` turn, as
/// Gemini requires.
fn convert_messages(
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
            "user" => contents.push(Content {
                role: Some("user".to_owned()),
                parts: user_parts(message, index)?,
            }),
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
    content
        .parts()
        .iter()
        .map(|part| match part.kind.as_str() {
            "text" => Ok(Part::text(part.text.clone().unwrap_or_default())),
            other => Err(TranslationError::new(
                format!("messages[{index}].content"),
                format!("system messages must be text only (found a '{other}' part)"),
            )),
        })
        .collect()
}

fn user_parts(message: &Message, index: usize) -> Result<Vec<Part>, TranslationError> {
    let Some(content) = &message.content else {
        return Ok(Vec::new());
    };
    let param = format!("messages[{index}].content");
    let mut parts = Vec::new();
    for part in content.parts() {
        match part.kind.as_str() {
            "text" => parts.push(Part::text(part.text.clone().unwrap_or_default())),
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
/// requests to addresses a client chooses (docs/providers/gemini.md).
fn image_part(part: &ContentPart, param: &str) -> Result<Part, TranslationError> {
    let url = part
        .image_url
        .as_ref()
        .map(|i| i.url.as_str())
        .unwrap_or("");
    if url.starts_with("data:") {
        return data_url_part(url, param);
    }
    if url.starts_with("gs://") || url.starts_with("https://generativelanguage.googleapis.com/") {
        let Some(mime_type) = image_mime_from_uri(url) else {
            return Err(TranslationError::new(
                param,
                "cannot tell the image type from the file URI; use a .png, .jpg, .jpeg, .webp, .gif, .heic or .heif name",
            ));
        };
        return Ok(Part {
            file_data: Some(FileData {
                mime_type: mime_type.to_owned(),
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

fn convert_tools(
    request: &ChatRequest,
    out: &mut GenerateContentRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
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
    let mut declarations = Vec::with_capacity(tools.len());
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
        let path = format!("tools[{index}].function.parameters");
        let parameters = match &tool.function.parameters {
            None => None,
            Some(schema) => {
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    return Err(TranslationError::new(
                        path,
                        "tool parameters must be a JSON schema of type object",
                    ));
                }
                let converted = to_gemini_schema(schema, &path, report)?;
                // An object without properties is what "no parameters" looks like to Gemini.
                let empty = converted
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty);
                (!empty).then_some(converted)
            }
        };
        declarations.push(FunctionDeclaration {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            parameters,
        });
    }
    out.tools = Some(vec![Tool {
        function_declarations: Some(declarations),
    }]);
    if request.parallel_tool_calls == Some(false) {
        report.drop("parallel_tool_calls", TARGET)?;
    }
    let config = match &request.tool_choice {
        None => return Ok(()),
        Some(ToolChoice::Mode(mode)) => {
            let mode = match mode.as_str() {
                "auto" => "AUTO",
                "required" | "any" => "ANY",
                "none" => "NONE",
                other => {
                    return Err(TranslationError::new(
                        "tool_choice",
                        format!("unknown tool_choice '{other}'"),
                    ));
                }
            };
            FunctionCallingConfig {
                mode: mode.to_owned(),
                allowed_function_names: None,
            }
        }
        Some(named @ ToolChoice::Named(_)) => {
            let Some(name) = named.function_name() else {
                return Err(TranslationError::new(
                    "tool_choice",
                    "tool_choice object needs function.name",
                ));
            };
            FunctionCallingConfig {
                mode: "ANY".to_owned(),
                allowed_function_names: Some(vec![name.to_owned()]),
            }
        }
    };
    out.tool_config = Some(ToolConfig {
        function_calling_config: config,
    });
    Ok(())
}

/// `json_object` → JSON output; `json_schema` → JSON output constrained by the converted
/// schema.
fn apply_response_format(
    request: &ChatRequest,
    config: &mut GenerationConfig,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let Some(format) = &request.response_format else {
        return Ok(());
    };
    match format.get("type").and_then(Value::as_str) {
        Some("text") | None => Ok(()),
        Some("json_object") => {
            config.response_mime_type = Some("application/json".to_owned());
            Ok(())
        }
        Some("json_schema") => {
            let Some(schema) = format.get("json_schema").and_then(|s| s.get("schema")) else {
                return Err(TranslationError::new(
                    "response_format",
                    "json_schema.schema is required",
                ));
            };
            config.response_mime_type = Some("application/json".to_owned());
            config.response_schema = Some(to_gemini_schema(
                schema,
                "response_format.json_schema.schema",
                report,
            )?);
            Ok(())
        }
        Some(other) => Err(TranslationError::new(
            "response_format",
            format!("unknown response_format type '{other}'"),
        )),
    }
}

/// Reasoning effort → `thinkingConfig` (budgets on Gemini 2.5, levels on Gemini 3), with
/// thought summaries switched on so they come back as `reasoning_content`.
fn apply_reasoning(
    request: &ChatRequest,
    config: &mut GenerationConfig,
    report: &mut TranslationReport,
) {
    let Some(effort) = request.effort() else {
        return;
    };
    match model::thinking(&request.model, &effort) {
        Thinking::Budget { tokens, note } => {
            if let Some(note) = note {
                report.clamp("reasoning_effort", note);
            }
            config.thinking_config = Some(ThinkingConfig {
                include_thoughts: (tokens != 0).then_some(true),
                thinking_budget: Some(tokens),
                thinking_level: None,
            });
        }
        Thinking::Level { level, note } => {
            if let Some(note) = note {
                report.clamp("reasoning_effort", note);
            }
            config.thinking_config = Some(ThinkingConfig {
                include_thoughts: Some(true),
                thinking_budget: None,
                thinking_level: Some(level.to_owned()),
            });
        }
        Thinking::Unsupported => {
            if effort != "none" {
                // Not fatal even in strict mode: the model answers, just without thinking.
                report.clamp(
                    "reasoning_effort",
                    "ignored: this Gemini model does not think",
                );
            }
        }
    }
}

/// Fields Gemini has a place for move there; `extra_body.google` (Google's own OpenAI
/// extension) may set `thinking_config`, `cached_content` and `safety_settings`; everything
/// else is reported as dropped.
fn carry_extras(
    request: &ChatRequest,
    out: &mut GenerateContentRequest,
    config: &mut GenerationConfig,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    for (key, value) in &request.extra {
        match key.as_str() {
            key if IGNORED.contains(&key) => {}
            "n" => config.candidate_count = value.as_u64().filter(|n| *n != 1),
            "top_k" => config.top_k = value.as_u64(),
            "seed" => config.seed = value.as_i64(),
            "presence_penalty" => config.presence_penalty = value.as_f64(),
            "frequency_penalty" => config.frequency_penalty = value.as_f64(),
            "logprobs" => config.response_logprobs = value.as_bool().filter(|b| *b),
            "top_logprobs" => config.logprobs = value.as_u64(),
            "google" => apply_google_extension(value, out, config)?,
            other => report.drop(other, TARGET)?,
        }
    }
    Ok(())
}

fn apply_google_extension(
    value: &Value,
    out: &mut GenerateContentRequest,
    config: &mut GenerationConfig,
) -> Result<(), TranslationError> {
    let Value::Object(google) = value else {
        return Err(TranslationError::new("google", "must be an object"));
    };
    for (key, value) in google {
        match key.as_str() {
            "thinking_config" | "thinkingConfig" => {
                let camel = camel_case_keys(value);
                let thinking: ThinkingConfig = serde_json::from_value(camel).map_err(|err| {
                    TranslationError::new(format!("google.{key}"), err.to_string())
                })?;
                config.thinking_config = Some(thinking);
            }
            "cached_content" | "cachedContent" => {
                out.cached_content = value.as_str().map(str::to_owned);
            }
            "safety_settings" | "safetySettings" => {
                out.safety_settings = Some(camel_case_keys(value));
            }
            other => {
                return Err(TranslationError::new(
                    format!("google.{other}"),
                    "unknown Google extension field (thinking_config, cached_content and safety_settings are supported)",
                ));
            }
        }
    }
    Ok(())
}

/// `include_thoughts` → `includeThoughts`, recursively.
fn camel_case_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (camel(key), camel_case_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(camel_case_keys).collect()),
        other => other.clone(),
    }
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests;
