//! Token usage as the gateway records it, whatever the dialect it came from.

use serde::{Deserialize, Serialize};

/// Token counts of one exchange. `raw` keeps the provider's own usage object so later stages
/// (pricing) can read provider-specific fields without this type knowing them all.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// Prompt tokens served from the provider's prompt cache (inside `prompt_tokens` for OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_tokens: Option<u64>,
    /// Output tokens spent on reasoning (inside `completion_tokens` for OpenAI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<u64>,
    /// The provider's usage object as received (kept as raw JSON: building a `Value` tree for
    /// every response cost ~2% of gateway CPU, and only pricing reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<Box<serde_json::value::RawValue>>,
}
