//! The OpenAI error envelope as providers send it: `{"error":{"message","type","param","code"}}`.
//!
//! Providers bend it: `code` may be a number, `error` may be a bare string, OpenRouter wraps the
//! real upstream message in `error.metadata.raw`. This reader accepts all of those.

use serde::Deserialize;
use serde_json::Value;

/// The parts of an upstream error body the gateway passes on.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UpstreamErrorBody {
    pub message: Option<String>,
    pub error_type: Option<String>,
    pub param: Option<String>,
    pub code: Option<String>,
    /// `error.metadata.raw` (OpenRouter's provider error, often itself JSON).
    pub metadata_raw: Option<String>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    detail: Option<Value>,
}

impl UpstreamErrorBody {
    /// Reads an error body; unknown shapes give an empty result (the caller falls back to the
    /// status line).
    pub fn parse(body: &[u8]) -> Self {
        let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else {
            return Self::default();
        };
        match envelope.error {
            Some(Value::Object(map)) => Self {
                message: map.get("message").and_then(scalar_string),
                error_type: map.get("type").and_then(scalar_string),
                param: map.get("param").and_then(scalar_string),
                code: map.get("code").and_then(scalar_string),
                metadata_raw: map
                    .get("metadata")
                    .and_then(|m| m.get("raw"))
                    .and_then(scalar_string),
            },
            Some(Value::String(message)) => Self {
                message: Some(message),
                ..Self::default()
            },
            _ => Self {
                // FastAPI-style servers (vLLM, some proxies) answer {"detail": ...} or {"message": ...}.
                message: envelope
                    .message
                    .as_ref()
                    .and_then(scalar_string)
                    .or_else(|| envelope.detail.as_ref().map(value_text)),
                ..Self::default()
            },
        }
    }
}

fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openai_envelope() {
        let body = br#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#;
        let parsed = UpstreamErrorBody::parse(body);
        assert_eq!(
            parsed.message.as_deref(),
            Some("Incorrect API key provided")
        );
        assert_eq!(parsed.code.as_deref(), Some("invalid_api_key"));
        assert_eq!(parsed.param, None);
    }

    #[test]
    fn reads_numeric_codes_openrouter_metadata_and_other_shapes() {
        let body = br#"{"error":{"message":"Provider returned error","code":429,"metadata":{"raw":"{\"error\":\"slow down\"}","provider_name":"X"}}}"#;
        let parsed = UpstreamErrorBody::parse(body);
        assert_eq!(parsed.code.as_deref(), Some("429"));
        assert_eq!(
            parsed.metadata_raw.as_deref(),
            Some("{\"error\":\"slow down\"}")
        );
        assert_eq!(
            UpstreamErrorBody::parse(br#"{"error":"bad"}"#)
                .message
                .as_deref(),
            Some("bad")
        );
        assert_eq!(
            UpstreamErrorBody::parse(br#"{"detail":"Not Found"}"#)
                .message
                .as_deref(),
            Some("Not Found")
        );
        assert_eq!(
            UpstreamErrorBody::parse(b"<html>"),
            UpstreamErrorBody::default()
        );
    }
}
