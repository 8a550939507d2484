//! Canonical chat request → Gemini `generateContent` request (an OpenAI-dialect client calling
//! a Gemini model, on AI Studio or Vertex AI). What Gemini cannot express is reported, never
//! silently lost (docs/providers/gemini.md lists every mapping).

mod messages;
mod tools;

use serde_json::Value;

use super::model::{self, Thinking};
use super::schema::to_gemini_schema;
use super::wire::{GenerateContentRequest, GenerationConfig, ThinkingConfig};
use crate::canonical::ChatRequest;
use crate::report::{TranslationError, TranslationReport};

use messages::convert_messages;
use tools::convert_tools;

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
