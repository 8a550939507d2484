//! The deltas of a streamed tool call.
//!
//! No stream with tool calls was recorded, so these follow OpenAI's streaming reference
//! ("chat completion chunk", `delta.tool_calls`): the first delta carries the role, `index`, `id`,
//! `type` and `function.name` with empty `arguments`; the following ones carry only `index` and
//! an `arguments` fragment. The call itself is the recorded one from `chat_with_tools.json`.

use crate::recordings::ToolCall;
use crate::template::push_json_str;

pub(crate) fn deltas(call: &ToolCall) -> Vec<Box<[u8]>> {
    let mut deltas = Vec::new();
    let mut head = Vec::new();
    head.extend_from_slice(br#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"#);
    push_json_str(&mut head, &call.id);
    head.extend_from_slice(br#","type":"function","function":{"name":"#);
    push_json_str(&mut head, &call.name);
    head.extend_from_slice(br#","arguments":""}}],"refusal":null}"#);
    deltas.push(head.into());
    for fragment in fragments(&call.arguments) {
        let mut delta = Vec::new();
        delta.extend_from_slice(br#"{"tool_calls":[{"index":0,"function":{"arguments":"#);
        push_json_str(&mut delta, fragment);
        delta.extend_from_slice(b"}}]}");
        deltas.push(delta.into());
    }
    deltas
}

/// Splits arguments where words meet punctuation, roughly like tokens:
/// `{"location":"Paris"}` becomes `{"`, `location`, `":"`, `Paris`, `"}`.
pub(crate) fn fragments(arguments: &str) -> Vec<&str> {
    let is_word = |c: char| c.is_alphanumeric() || c == ' ' || c == '_';
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous = None;
    for (at, c) in arguments.char_indices() {
        let kind = is_word(c);
        if previous.is_some_and(|p| p != kind) {
            pieces.push(&arguments[start..at]);
            start = at;
        }
        previous = Some(kind);
    }
    if start < arguments.len() {
        pieces.push(&arguments[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_join_back_to_the_arguments() {
        let args = r#"{"location":"Paris"}"#;
        assert_eq!(
            fragments(args),
            [r#"{""#, "location", r#"":""#, "Paris", r#""}"#]
        );
        assert_eq!(fragments(args).concat(), args);
        assert!(fragments("").is_empty());
    }
}
