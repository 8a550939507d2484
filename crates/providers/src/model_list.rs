//! A provider's model list with what some lists say beyond the ids: each model's context
//! window and output limit ([`ModelLimits`]), which the admin model list shows.
//!
//! Google's list states `inputTokenLimit` and `outputTokenLimit` (AI Studio; read in
//! `gemini::models`). Of the OpenAI-compatible lists, each provider says it in its own words:
//! OpenRouter `context_length` and `top_provider.max_completion_tokens`
//! (<https://openrouter.ai/docs/api-reference/list-available-models>), Groq `context_window`
//! and `max_completion_tokens` (<https://console.groq.com/docs/api-reference#models-list>),
//! vLLM `max_model_len`. OpenAI's own list has none. A value that is not a positive whole
//! number is ignored, never an error: the limits are informative, the ids are what matters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::provider::UpstreamModel;

/// A model's limits in tokens, where its provider's list states them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelLimits {
    /// Prompt plus completion (what OpenRouter calls `context_length`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    /// The most tokens one completion may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
}

impl ModelLimits {
    pub fn is_empty(&self) -> bool {
        self.context_window.is_none() && self.max_output_tokens.is_none()
    }

    /// These limits, with each unknown one taken from `other`.
    pub fn or(self, other: ModelLimits) -> ModelLimits {
        ModelLimits {
            context_window: self.context_window.or(other.context_window),
            max_output_tokens: self.max_output_tokens.or(other.max_output_tokens),
        }
    }
}

/// A model list and the limits of the models whose entries state them (by model id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelListing {
    pub models: Vec<UpstreamModel>,
    pub limits: BTreeMap<String, ModelLimits>,
}

impl From<Vec<UpstreamModel>> for ModelListing {
    fn from(models: Vec<UpstreamModel>) -> Self {
        Self {
            models,
            limits: BTreeMap::new(),
        }
    }
}

/// Parses an OpenAI-style `{"data": [...]}` list. An entry without a string `id` fails the
/// whole list, as before limits were read.
pub(crate) fn parse_openai_list(body: &[u8]) -> Result<ModelListing, serde_json::Error> {
    #[derive(Deserialize)]
    struct List {
        data: Vec<Value>,
    }
    let list: List = serde_json::from_slice(body)?;
    let mut listing = ModelListing::default();
    for entry in list.data {
        let limits = limits_of(&entry);
        let model: UpstreamModel = serde_json::from_value(entry)?;
        if !limits.is_empty() {
            listing.limits.insert(model.id.clone(), limits);
        }
        listing.models.push(model);
    }
    Ok(listing)
}

fn limits_of(entry: &Value) -> ModelLimits {
    let count = |value: Option<&Value>| value.and_then(Value::as_u64).filter(|n| *n > 0);
    let first = |paths: &[&[&str]]| {
        paths
            .iter()
            .find_map(|path| count(path.iter().try_fold(entry, |v, key| v.get(key))))
    };
    ModelLimits {
        context_window: first(&[
            &["context_length"],
            &["context_window"],
            &["max_model_len"],
            &["top_provider", "context_length"],
        ]),
        max_output_tokens: first(&[
            &["max_completion_tokens"],
            &["top_provider", "max_completion_tokens"],
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_in_each_providers_words() {
        let body = br#"{"object":"list","data":[
            {"id":"openai/gpt-4o-mini","context_length":128000,
             "top_provider":{"context_length":128000,"max_completion_tokens":16384}},
            {"id":"llama-3.3-70b-versatile","object":"model","owned_by":"Meta",
             "context_window":131072,"max_completion_tokens":32768},
            {"id":"served-by-vllm","max_model_len":8192},
            {"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},
            {"id":"odd","context_length":"lots","max_completion_tokens":null,
             "top_provider":{"max_completion_tokens":0}}
        ]}"#;
        let listing = parse_openai_list(body).unwrap();
        assert_eq!(listing.models.len(), 5);
        assert_eq!(listing.models[3].owned_by.as_deref(), Some("system"));
        let limits = |id: &str| listing.limits.get(id).copied();
        assert_eq!(
            limits("openai/gpt-4o-mini"),
            Some(ModelLimits {
                context_window: Some(128_000),
                max_output_tokens: Some(16_384)
            })
        );
        assert_eq!(
            limits("llama-3.3-70b-versatile"),
            Some(ModelLimits {
                context_window: Some(131_072),
                max_output_tokens: Some(32_768)
            })
        );
        assert_eq!(limits("served-by-vllm").unwrap().context_window, Some(8192));
        assert_eq!(limits("gpt-4o"), None, "OpenAI's list has no limits");
        assert_eq!(limits("odd"), None, "unusable values are ignored");
        assert!(parse_openai_list(br#"{"data":[{"object":"model"}]}"#).is_err());
    }
}
