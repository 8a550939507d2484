//! Reading usage out of non-streamed OpenAI-shaped responses.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::Usage;

/// Why a 2xx upstream body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResponseBodyError {
    #[error("provider returned a body that is not JSON: {0}")]
    NotJson(String),
    #[error("provider returned JSON that is not an object")]
    NotAnObject,
}

#[derive(Deserialize)]
struct UsageOnly<'a> {
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
}

/// Validates that `body` is a JSON object and extracts its `usage`, if any. This is the one
/// full scan a non-streamed response gets on the fast path.
pub fn extract_usage(body: &[u8]) -> Result<Option<Usage>, ResponseBodyError> {
    let trimmed = body.trim_ascii_start();
    if !trimmed.starts_with(b"{") {
        return match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => Err(ResponseBodyError::NotAnObject),
            Err(err) => Err(ResponseBodyError::NotJson(err.to_string())),
        };
    }
    let parsed: UsageOnly<'_> =
        serde_json::from_slice(body).map_err(|err| ResponseBodyError::NotJson(err.to_string()))?;
    Ok(parsed.usage.and_then(parse_usage))
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Option<u64>,
}

/// Parses an OpenAI `usage` object (`null` and non-objects give `None`).
pub fn parse_usage(raw: &RawValue) -> Option<Usage> {
    let wire: WireUsage = serde_json::from_str(raw.get()).ok()?;
    let prompt = wire.prompt_tokens.unwrap_or(0);
    let completion = wire.completion_tokens.unwrap_or(0);
    Some(Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: wire.total_tokens.unwrap_or(prompt + completion),
        cached_tokens: wire.prompt_tokens_details.and_then(|d| d.cached_tokens),
        reasoning_tokens: wire
            .completion_tokens_details
            .and_then(|d| d.reasoning_tokens),
        raw: Some(raw.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usage_with_details() {
        let body = br#"{"id":"x","usage":{"prompt_tokens":17,"completion_tokens":4,"total_tokens":21,
            "prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}"#;
        let usage = extract_usage(body).unwrap().unwrap();
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (17, 4, 21)
        );
        assert_eq!(usage.cached_tokens, Some(3));
        assert_eq!(usage.reasoning_tokens, Some(2));
    }

    #[test]
    fn missing_or_null_usage_is_none() {
        assert!(extract_usage(br#"{"id":"x"}"#).unwrap().is_none());
        assert!(extract_usage(br#"{"usage":null}"#).unwrap().is_none());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            extract_usage(b"<html>oops</html>"),
            Err(ResponseBodyError::NotJson(_))
        ));
        assert!(matches!(
            extract_usage(b"[1]"),
            Err(ResponseBodyError::NotAnObject)
        ));
        assert!(matches!(
            extract_usage(b"{\"a\":"),
            Err(ResponseBodyError::NotJson(_))
        ));
    }
}
