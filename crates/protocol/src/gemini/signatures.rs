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

/// Which part of an answer a signature belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedPart {
    /// The answer text.
    Text,
    /// Tool call `n` of the answer.
    Call(usize),
}

/// Anthropic clients (Claude Code) keep and resend `thinking` blocks with their `signature`
/// verbatim, so a Gemini signature travels through the Messages API as a thinking block with
/// no text whose signature is `gemini:text:<sig>` or `gemini:call:<n>:<sig>`.
const ANTHROPIC_PREFIX: &str = "gemini:";

pub fn to_anthropic_signature(part: SignedPart, signature: &str) -> String {
    match part {
        SignedPart::Text => format!("{ANTHROPIC_PREFIX}text:{signature}"),
        SignedPart::Call(n) => format!("{ANTHROPIC_PREFIX}call:{n}:{signature}"),
    }
}

/// The Gemini signature inside an Anthropic thinking block's signature, if it is one.
pub fn from_anthropic_signature(signature: &str) -> Option<(SignedPart, String)> {
    let rest = signature.strip_prefix(ANTHROPIC_PREFIX)?;
    if let Some(sig) = rest.strip_prefix("text:") {
        return Some((SignedPart::Text, sig.to_owned()));
    }
    let (n, sig) = rest.strip_prefix("call:")?.split_once(':')?;
    Some((SignedPart::Call(n.parse().ok()?), sig.to_owned()))
}

/// The signature in an `extra_content` value (`{"google": {"thought_signature": …}}`).
pub fn signature_in(extra_content: Option<&Value>) -> Option<String> {
    from_extra_content(extra_content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anthropic_signatures_round_trip() {
        for part in [SignedPart::Text, SignedPart::Call(3)] {
            let encoded = to_anthropic_signature(part, "Ep:x/y=");
            assert_eq!(
                from_anthropic_signature(&encoded),
                Some((part, "Ep:x/y=".to_owned()))
            );
        }
        assert_eq!(from_anthropic_signature("EqQBCkgIAhABGAIiQ"), None);
        assert_eq!(from_anthropic_signature("gemini:call:x:s"), None);
    }
}
