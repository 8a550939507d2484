//! Converse usage and stop reasons → OpenAI's.
//!
//! Bedrock counts prompt tokens read from or written to the prompt cache beside
//! `inputTokens` (as Anthropic does); OpenAI counts them inside `prompt_tokens`. So
//! prompt = input + cache reads + cache writes, with the reads in
//! `prompt_tokens_details.cached_tokens`; Bedrock's own object is kept raw for pricing.

use serde_json::json;

use super::wire::Usage as BedrockUsage;
use crate::Usage;
use crate::canonical::UsageOut;

pub fn to_usage_out(usage: &BedrockUsage) -> UsageOut {
    let read = usage.cache_read_input_tokens.unwrap_or(0);
    let write = usage.cache_write_input_tokens.unwrap_or(0);
    let prompt = usage
        .input_tokens
        .saturating_add(read)
        .saturating_add(write);
    UsageOut {
        prompt_tokens: prompt,
        completion_tokens: usage.output_tokens,
        total_tokens: usage
            .total_tokens
            .max(prompt.saturating_add(usage.output_tokens)),
        prompt_tokens_details: usage
            .cache_read_input_tokens
            .map(|cached| json!({"cached_tokens": cached})),
        completion_tokens_details: None,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_write_input_tokens,
    }
}

/// Usage as the gateway records it (Bedrock's object kept raw).
pub fn to_usage(usage: &BedrockUsage) -> Usage {
    let out = to_usage_out(usage);
    Usage {
        prompt_tokens: out.prompt_tokens,
        completion_tokens: out.completion_tokens,
        total_tokens: out.total_tokens,
        cached_tokens: usage.cache_read_input_tokens,
        reasoning_tokens: None,
        raw: serde_json::value::to_raw_value(usage).ok(),
    }
}

/// `stopReason` → `finish_reason`.
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "tool_use" => "tool_calls",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "guardrail_intervened" | "content_filtered" => "content_filter",
        _ => "stop",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_tokens_join_the_prompt() {
        let usage = BedrockUsage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 1_215,
            cache_read_input_tokens: Some(1_000),
            cache_write_input_tokens: Some(200),
        };
        let out = to_usage_out(&usage);
        assert_eq!((out.prompt_tokens, out.total_tokens), (1_210, 1_215));
        assert_eq!(out.cached_tokens(), Some(1_000));
        assert!(
            to_usage(&usage)
                .raw
                .unwrap()
                .get()
                .contains("cacheWriteInputTokens")
        );
        assert_eq!(finish_reason("tool_use"), "tool_calls");
        assert_eq!(finish_reason("guardrail_intervened"), "content_filter");
    }
}
