//! Canonical chat request → Bedrock Converse request (an OpenAI-dialect client calling any
//! Bedrock model: Claude, Nova, Llama, Mistral, …). What Converse cannot express is reported,
//! never silently lost (docs/translation.md, "OpenAI → Bedrock").

mod messages;
mod tools;

use serde_json::{Value, json};

use super::model::{claude_id, is_nova_2};
use super::wire::{ConverseRequest, InferenceConfig};
use crate::anthropic::request::ClaudeThinking;
use crate::canonical::ChatRequest;
use crate::report::{TranslationError, TranslationReport};

use messages::convert_messages;
use tools::convert_tools;

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
