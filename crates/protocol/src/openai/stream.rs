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
    let Some(data) = data_payload(event) else {
        return StreamEvent::default();
    };
    let data = data.trim_ascii();
    if data == b"[DONE]" {
        return StreamEvent {
            done: true,
            ..StreamEvent::default()
        };
    }
    let finder_usage = memchr::memmem::find(data, b"\"usage\"").is_some();
    let finder_error = memchr::memmem::find(data, b"\"error\"").is_some();
    if !finder_usage && !finder_error {
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
    }
}
