//! Inspecting OpenAI chat-completion stream events on the fast path.
//!
//! The relay forwards events byte for byte; it only needs to know, per event, whether it is the
//! `[DONE]` sentinel, whether it carries usage (OpenAI sends it in a final chunk with empty
//! `choices` when `stream_options.include_usage` is set; Groq and others put it on the finishing
//! chunk), and whether it is an error event. Events without the bytes `"usage"` or `"error"`
//! are not parsed at all, which keeps the per-event cost to one `memmem` scan.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::Usage;
use crate::sse::data_payload;

/// What the relay needs to know about one SSE event.
#[derive(Debug, Default)]
pub struct StreamEvent {
    /// `data: [DONE]`.
    pub done: bool,
    /// Usage carried by this event.
    pub usage: Option<Usage>,
    /// The event is a usage-only chunk (`choices` empty): a client that did not ask for usage
    /// must not see it.
    pub usage_only: bool,
    /// The event is an error object (`{"error": {...}}`) rather than a chunk.
    pub error: bool,
}

#[derive(Deserialize)]
struct ChunkPeek<'a> {
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
    #[serde(borrow, default)]
    choices: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

/// Inspects one complete SSE event.
pub fn inspect_event(event: &[u8]) -> StreamEvent {
    match data_payload(event) {
        Some(data) => inspect_data(&data),
        None => StreamEvent::default(),
    }
}

/// Inspects the `data:` payload of one event.
///
/// With `include_usage` on, OpenAI (and the providers that copy it) put `"usage":null` in every
/// chunk; parsing each of those was a fifth of the relay's instructions. The payload is parsed
/// only when a `"usage"` or `"error"` key is followed by something other than `null`. The
/// pattern `"usage"` cannot occur inside a JSON string (its quotes would be escaped), so a hit
/// is always a key.
pub fn inspect_data(data: &[u8]) -> StreamEvent {
    let data = data.trim_ascii();
    if data == b"[DONE]" {
        return StreamEvent {
            done: true,
            ..StreamEvent::default()
        };
    }
    let has_usage = key_with_value(data, b"\"usage\"");
    let has_error = key_with_value(data, b"\"error\"");
    if !has_usage && !has_error {
        return StreamEvent::default();
    }
    let Ok(peek) = serde_json::from_slice::<ChunkPeek<'_>>(data) else {
        return StreamEvent::default();
    };
    let usage = peek.usage.and_then(crate::openai::parse_usage);
    let choices_empty = peek.choices.is_none_or(|c| {
        c.get()
            .trim_start_matches('[')
            .trim_start()
            .starts_with(']')
    });
    StreamEvent {
        done: false,
        usage_only: usage.is_some() && choices_empty,
        usage,
        error: peek.error.is_some_and(|e| e.get() != "null"),
    }
}

/// Whether `key` occurs followed by a colon and a value other than `null`.
fn key_with_value(data: &[u8], key: &[u8]) -> bool {
    memchr::memmem::find_iter(data, key).any(|at| {
        let rest = data[at + key.len()..].trim_ascii_start();
        match rest.strip_prefix(b":") {
            Some(value) => !value.trim_ascii_start().starts_with(b"null"),
            None => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_done_usage_and_errors() {
        assert!(inspect_event(b"data: [DONE]\n\n").done);
        let plain = inspect_event(b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n");
        assert!(!plain.done && plain.usage.is_none() && !plain.usage_only && !plain.error);

        let usage_only = inspect_event(
            b"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n",
        );
        assert!(usage_only.usage_only);
        assert_eq!(usage_only.usage.unwrap().total_tokens, 5);

        let groq_style = inspect_event(
            b"data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":38,\"completion_tokens\":4,\"total_tokens\":42}}\n\n",
        );
        assert!(!groq_style.usage_only);
        assert_eq!(groq_style.usage.unwrap().prompt_tokens, 38);

        let null_usage = inspect_event(b"data: {\"choices\":[{\"delta\":{}}],\"usage\":null}\n\n");
        assert!(null_usage.usage.is_none() && !null_usage.usage_only);

        assert!(inspect_event(b"data: {\"error\":{\"message\":\"boom\"}}\n\n").error);
        let spaced = inspect_event(
            b"data: {\"choices\":[],\"usage\" : {\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n",
        );
        assert_eq!(spaced.usage.unwrap().total_tokens, 2);
        let in_text = inspect_event(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"the \\\"usage\\\": x\"}}]}\n\n",
        );
        assert!(in_text.usage.is_none());
    }
}
