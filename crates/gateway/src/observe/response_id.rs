//! The provider's id for its answer (`chatcmpl-…`, `msg_…`), read without parsing the answer.
//!
//! Usage rows (`provider_response_id`) and audit rows (`response_id`) record it for every
//! answer, so this runs on the request path whether or not the audit log is on. OpenAI-style
//! answers and stream chunks put `id` first: [`top_level_id`] scans only up to it (a few dozen
//! bytes) where a parse would read the whole body, and skips nested values without decoding
//! them when `id` comes later.

/// The string value of the top-level `"id"` key of a JSON object; `None` when the text is not
/// an object, has no such key, or its value is not a string.
pub fn top_level_id(json: &[u8]) -> Option<String> {
    let mut at = skip_ws(json, 0);
    if json.get(at) != Some(&b'{') {
        return None;
    }
    at += 1;
    loop {
        at = skip_ws(json, at);
        if json.get(at) != Some(&b'"') {
            return None;
        }
        let key_end = string_end(json, at)?;
        let is_id = &json[at..key_end] == b"\"id\"";
        at = skip_ws(json, key_end);
        if json.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(json, at + 1);
        if is_id {
            if json.get(at) != Some(&b'"') {
                return None;
            }
            let end = string_end(json, at)?;
            return serde_json::from_slice::<String>(&json[at..end]).ok();
        }
        at = skip_ws(json, skip_value(json, at)?);
        if json.get(at) != Some(&b',') {
            return None;
        }
        at += 1;
    }
}

fn skip_ws(json: &[u8], mut at: usize) -> usize {
    while json.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}

/// The index just past the string that opens at `start` (a `"`).
fn string_end(json: &[u8], start: usize) -> Option<usize> {
    let mut at = start + 1;
    loop {
        let found = at + memchr::memchr2(b'"', b'\\', json.get(at..)?)?;
        if json[found] == b'"' {
            return Some(found + 1);
        }
        at = found + 2;
    }
}

/// The index just past the value that starts at `at`.
fn skip_value(json: &[u8], at: usize) -> Option<usize> {
    match json.get(at)? {
        b'"' => string_end(json, at),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            loop {
                match json.get(i)? {
                    b'"' => {
                        i = string_end(json, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let rest = json.get(at..)?;
            let len = rest
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            (len > 0).then_some(at + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_top_level_id_only() {
        let cases: [(&str, Option<&str>); 12] = [
            (
                r#"{"id":"chatcmpl-1","object":"chat.completion"}"#,
                Some("chatcmpl-1"),
            ),
            (r#" { "id" : "a\"b\\c" } "#, Some("a\"b\\c")),
            (
                r#"{"choices":[{"id":"nested","x":"}]"}],"n":-1.5e3,"t":true,"z":null,"id":"late"}"#,
                Some("late"),
            ),
            (r#"{"message":{"id":"msg_1"}}"#, None),
            (r#"{"data":"{\"id\":\"no\"}","id":"yes"}"#, Some("yes")),
            (r#"{"id":42}"#, None),
            (r#"{"id":null}"#, None),
            (r#"[{"id":"x"}]"#, None),
            (r#"{"id":"unterminated"#, None),
            (r#"{"a":"#, None),
            ("", None),
            (r#"{"a":1 "id":"x"}"#, None),
        ];
        for (json, want) in cases {
            assert_eq!(top_level_id(json.as_bytes()).as_deref(), want, "{json}");
        }
    }

    #[test]
    fn agrees_with_a_full_parse_on_provider_shapes() {
        for body in [
            r#"{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"}}]}"#,
            r#"{"type":"message","id":"msg_01","content":[{"type":"text","text":"{\"id\":1}"}],"usage":{"input_tokens":3}}"#,
            r#"{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}"#,
        ] {
            let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(
                top_level_id(body.as_bytes()),
                parsed["id"].as_str().map(str::to_owned),
                "{body}"
            );
        }
    }
}
