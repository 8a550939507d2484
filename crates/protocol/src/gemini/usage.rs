//! `usageMetadata` → OpenAI usage, and Gemini's finish and block reasons → OpenAI's.
//!
//! Gemini counts cached prompt tokens inside `promptTokenCount` (as OpenAI does) but thought
//! tokens beside `candidatesTokenCount`; OpenAI counts reasoning inside `completion_tokens`.
//! So: prompt = prompt + tool-use prompt, completion = candidates + thoughts, with cached and
//! reasoning counts in the details objects.

use serde_json::json;

use super::wire::{Candidate, SafetyRating, UsageMetadata};
use crate::Usage;
use crate::canonical::UsageOut;

pub fn to_usage_out(meta: &UsageMetadata) -> UsageOut {
    let prompt = meta
        .prompt_token_count
        .saturating_add(meta.tool_use_prompt_token_count.unwrap_or(0));
    let completion = meta
        .candidates_token_count
        .saturating_add(meta.thoughts_token_count.unwrap_or(0));
    UsageOut {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: meta
            .total_token_count
            .max(prompt.saturating_add(completion)),
        prompt_tokens_details: meta
            .cached_content_token_count
            .map(|cached| json!({"cached_tokens": cached})),
        completion_tokens_details: meta
            .thoughts_token_count
            .map(|thoughts| json!({"reasoning_tokens": thoughts})),
        cache_read_input_tokens: None,
        cache_creation_input_tokens: None,
    }
}

/// Usage as the gateway records it, with Gemini's own object kept raw for pricing.
pub fn to_usage(meta: &UsageMetadata) -> Usage {
    let out = to_usage_out(meta);
    Usage {
        prompt_tokens: out.prompt_tokens,
        completion_tokens: out.completion_tokens,
        total_tokens: out.total_tokens,
        cached_tokens: meta.cached_content_token_count,
        reasoning_tokens: meta.thoughts_token_count,
        raw: serde_json::value::to_raw_value(meta).ok(),
    }
}

/// Reasons Gemini stops that mean "filtered": OpenAI's `content_filter`.
const FILTERED: [&str; 10] = [
    "SAFETY",
    "RECITATION",
    "LANGUAGE",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
];

/// `finishReason` → `finish_reason`. Calls in the answer make it `tool_calls` whatever Gemini
/// said (Gemini says `STOP`).
pub fn finish_reason(reason: &str, has_tool_calls: bool) -> &'static str {
    if FILTERED.contains(&reason) {
        return "content_filter";
    }
    if has_tool_calls {
        return "tool_calls";
    }
    match reason {
        "MAX_TOKENS" => "length",
        _ => "stop",
    }
}

pub fn is_filtered(reason: &str) -> bool {
    FILTERED.contains(&reason)
}

/// Why a candidate stopped, for the client, when it did not simply finish: a filter
/// (`SAFETY (HARM_CATEGORY_HARASSMENT: MEDIUM)`) or a failure such as `MALFORMED_FUNCTION_CALL`
/// (with Gemini's `finishMessage`). It goes in the message's `refusal`, the one field OpenAI
/// clients show for an answer that is not content.
pub fn stop_explanation(candidate: &Candidate) -> Option<String> {
    let reason = candidate.finish_reason.as_deref()?;
    if matches!(
        reason,
        "STOP" | "MAX_TOKENS" | "FINISH_REASON_UNSPECIFIED" | ""
    ) {
        return None;
    }
    Some(format!(
        "Gemini stopped the answer: {}",
        describe_block(
            reason,
            candidate.finish_message.as_deref(),
            candidate.safety_ratings.as_deref().unwrap_or_default()
        )
    ))
}

/// A human-readable reason for a block: `SAFETY (HARM_CATEGORY_HARASSMENT: HIGH)`.
pub fn describe_block(reason: &str, message: Option<&str>, ratings: &[SafetyRating]) -> String {
    let mut text = reason.to_owned();
    let flagged: Vec<String> = ratings
        .iter()
        .filter(|r| r.blocked == Some(true) || matches!(r.probability.as_str(), "HIGH" | "MEDIUM"))
        .map(|r| format!("{}: {}", r.category, r.probability))
        .collect();
    if !flagged.is_empty() {
        text.push_str(&format!(" ({})", flagged.join(", ")));
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        text.push_str(": ");
        text.push_str(message);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thoughts_count_as_output_and_cached_stays_inside_prompt() {
        let meta: UsageMetadata = serde_json::from_value(json!({
            "promptTokenCount": 100, "candidatesTokenCount": 20, "thoughtsTokenCount": 30,
            "cachedContentTokenCount": 60, "totalTokenCount": 150,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 100}]
        }))
        .unwrap();
        let out = to_usage_out(&meta);
        assert_eq!(
            (out.prompt_tokens, out.completion_tokens, out.total_tokens),
            (100, 50, 150)
        );
        assert_eq!(out.cached_tokens(), Some(60));
        assert_eq!(out.reasoning_tokens(), Some(30));
        let usage = to_usage(&meta);
        assert!(usage.raw.unwrap().get().contains("promptTokensDetails"));
    }

    #[test]
    fn finish_reasons() {
        assert_eq!(finish_reason("STOP", false), "stop");
        assert_eq!(finish_reason("STOP", true), "tool_calls");
        assert_eq!(finish_reason("MAX_TOKENS", false), "length");
        assert_eq!(finish_reason("SAFETY", true), "content_filter");
        assert_eq!(finish_reason("MALFORMED_FUNCTION_CALL", false), "stop");
    }
}
