//! Thought signatures in OpenAI shapes.
//!
//! Gemini attaches an opaque `thoughtSignature` to parts of its answer and wants each back in
//! the same part on the next turn. OpenAI's shapes have no field for it, so the gateway uses
//! the convention of Google's own OpenAI-compatible endpoint: `extra_content.google.
//! thought_signature`, on a tool call for a function call's signature and on the message for
//! a text part's. Clients that send the assistant message back as they received it (the
//! OpenAI SDKs keep unknown fields) round-trip it without knowing.

use serde_json::{Value, json};

use crate::canonical::{Message, ToolCall};

/// Google's documented placeholder that skips signature validation (for turns whose
/// signature is unknown, such as history from another model).
pub const SKIP_SIGNATURE: &str = "skip_thought_signature_validator";

/// `{"google": {"thought_signature": …}}`.
pub fn extra_content(signature: &str) -> Value {
    json!({"google": {"thought_signature": signature}})
}

fn from_extra_content(extra_content: Option<&Value>) -> Option<String> {
    extra_content?
        .get("google")?
        .get("thought_signature")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub fn tool_call_signature(call: &ToolCall) -> Option<String> {
    from_extra_content(call.extra_content.as_ref())
}

pub fn message_signature(message: &Message) -> Option<String> {
    from_extra_content(message.extra.get("extra_content"))
}
