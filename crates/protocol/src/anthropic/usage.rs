//! Usage and stop reasons between the dialects.
//!
//! Token arithmetic differs: Anthropic's `input_tokens` excludes cache reads and writes, while
//! OpenAI's `prompt_tokens` includes cached tokens (`prompt_tokens_details.cached_tokens`). The
//! raw Anthropic counts ride along in `cache_read_input_tokens` / `cache_creation_input_tokens`
//! so pricing can charge each at its own rate.

use serde_json::json;

use super::wire::Usage;
use crate::canonical::UsageOut;

/// Anthropic usage → OpenAI usage.
pub fn to_openai(usage: &Usage) -> UsageOut {
    let cache_read = usage.cache_read_input_tokens.unwrap_or(0);
    let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
    let prompt = usage.input_tokens + cache_read + cache_write;
    UsageOut {
        prompt_tokens: prompt,
        completion_tokens: usage.output_tokens,
        total_tokens: prompt + usage.output_tokens,
        prompt_tokens_details: Some(json!({"cached_tokens": cache_read})),
        completion_tokens_details: None,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
    }
}

/// OpenAI usage → Anthropic usage (the reverse split).
pub fn from_openai(usage: &UsageOut) -> Usage {
    let cache_read = usage
        .cache_read_input_tokens
        .or(usage.cached_tokens())
        .unwrap_or(0);
    let cache_write = usage.cache_creation_input_tokens.unwrap_or(0);
    Usage {
        input_tokens: usage.prompt_tokens.saturating_sub(cache_read + cache_write),
        output_tokens: usage.completion_tokens,
        cache_creation_input_tokens: Some(cache_write),
        cache_read_input_tokens: Some(cache_read),
        extra: Default::default(),
    }
}

/// Anthropic `stop_reason` → OpenAI `finish_reason`.
pub fn finish_reason(stop_reason: Option<&str>) -> Option<String> {
    let mapped = match stop_reason? {
        "tool_use" => "tool_calls",
        "max_tokens" | "model_context_window_exceeded" => "length",
        "refusal" => "content_filter",
        _ => "stop",
    };
    Some(mapped.to_owned())
}

/// OpenAI `finish_reason` → Anthropic `stop_reason`.
pub fn stop_reason(finish_reason: Option<&str>) -> Option<String> {
    let mapped = match finish_reason? {
        "tool_calls" | "function_call" => "tool_use",
        "length" => "max_tokens",
        "content_filter" => "refusal",
        _ => "end_turn",
    };
    Some(mapped.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_tokens_move_between_conventions() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 5,
            cache_read_input_tokens: Some(100),
            cache_creation_input_tokens: Some(20),
            ..Usage::default()
        };
        let openai = to_openai(&usage);
        assert_eq!(
            (
                openai.prompt_tokens,
                openai.completion_tokens,
                openai.total_tokens
            ),
            (130, 5, 135)
        );
        assert_eq!(openai.cached_tokens(), Some(100));
        assert_eq!(openai.cache_creation_input_tokens, Some(20));
        let back = from_openai(&openai);
        assert_eq!(
            (
                back.input_tokens,
                back.cache_read_input_tokens,
                back.cache_creation_input_tokens
            ),
            (10, Some(100), Some(20))
        );
    }

    #[test]
    fn stop_reasons() {
        assert_eq!(
            finish_reason(Some("tool_use")).as_deref(),
            Some("tool_calls")
        );
        assert_eq!(finish_reason(Some("end_turn")).as_deref(), Some("stop"));
        assert_eq!(
            finish_reason(Some("stop_sequence")).as_deref(),
            Some("stop")
        );
        assert_eq!(finish_reason(Some("max_tokens")).as_deref(), Some("length"));
        assert_eq!(finish_reason(None), None);
        assert_eq!(stop_reason(Some("tool_calls")).as_deref(), Some("tool_use"));
        assert_eq!(stop_reason(Some("length")).as_deref(), Some("max_tokens"));
        assert_eq!(stop_reason(Some("stop")).as_deref(), Some("end_turn"));
    }
}

#[cfg(test)]
mod error_tests {
    use crate::anthropic::wire::ErrorEnvelope;
    use crate::openai::UpstreamErrorBody;
    use crate::testing::fixture;

    #[test]
    fn overloaded_error_body_parses_both_ways() {
        let text = fixture("anthropic/error_overloaded.json");
        let envelope: ErrorEnvelope = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (envelope.kind.as_str(), envelope.error.kind.as_str()),
            ("error", "overloaded_error")
        );
        // The generic reader the providers use picks the message and type out of it too.
        let generic = UpstreamErrorBody::parse(text.as_bytes());
        assert_eq!(generic.message.as_deref(), Some("Overloaded"));
        assert_eq!(generic.error_type.as_deref(), Some("overloaded_error"));
    }
}
