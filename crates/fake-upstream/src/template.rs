//! Response templates: a recorded JSON text with a few values cut out as slots.
//!
//! Why not serde_json::Value: without serde_json's `preserve_order` feature a `Value` re-serializes
//! with sorted keys, so the bytes would no longer look like the recording. Working on the recorded
//! text keeps the provider's field order, and rendering is plain concatenation, which keeps the
//! fake cheap enough to sit under the benchmark.

use anyhow::{Context as _, bail};

/// A value the renderer fills in per request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Id,
    Model,
    Created,
    /// The message or delta text, as a JSON string.
    Content,
    /// The whole `usage` object.
    Usage,
    /// A chunk's raw `delta` object.
    Delta,
    /// A chunk's raw `finish_reason` value.
    FinishReason,
    /// `,"usage":null` on chunks when the client asked for `include_usage`, else nothing.
    UsageNull,
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    /// Anthropic: a content block's `index`.
    Index,
    /// Anthropic: one raw content block object (`content_block` of a stream event).
    Block,
    /// Anthropic: a message's whole raw `content` array.
    Blocks,
    /// Anthropic: a raw `stop_reason` value.
    StopReason,
    /// Anthropic: a tool_use block's `name`, as a JSON string.
    Name,
    /// Anthropic: a tool_use block's raw `input` object.
    Input,
}

const SLOTS: [Slot; 17] = [
    Slot::Id,
    Slot::Model,
    Slot::Created,
    Slot::Content,
    Slot::Usage,
    Slot::Delta,
    Slot::FinishReason,
    Slot::UsageNull,
    Slot::PromptTokens,
    Slot::CompletionTokens,
    Slot::TotalTokens,
    Slot::Index,
    Slot::Block,
    Slot::Blocks,
    Slot::StopReason,
    Slot::Name,
    Slot::Input,
];

/// Compact JSON never holds a raw NUL (JSON strings must escape it), so it can mark slots.
const MARK: char = '\u{0}';

/// The in-text marker for `slot`, for raw text passed to [`TemplateBuilder::insert_after`].
pub(crate) fn marker(slot: Slot) -> String {
    let index = SLOTS.iter().position(|s| *s == slot).unwrap_or(0);
    let code = char::from(b'a' + index as u8);
    format!("{MARK}{code}{MARK}")
}

/// Removes the whitespace outside strings, so pretty-printed recordings match `"key":value` needles.
pub(crate) fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

/// The byte range of the value that follows the first `"key":` in compact JSON.
pub(crate) fn value_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let needle = format!("\"{key}\":");
    let start = text.find(&needle)? + needle.len();
    let bytes = text.as_bytes();
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, &b) in bytes.get(start..)?.iter().enumerate() {
        let at = start + offset;
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => {
                    in_string = false;
                    if depth == 0 {
                        return Some(start..at + 1);
                    }
                }
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Some(start..at),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(start..at + 1);
                }
            }
            b',' if depth == 0 => return Some(start..at),
            _ => {}
        }
    }
    None
}

/// The text of the value that follows the first `"key":` in compact JSON.
pub(crate) fn value_text<'t>(text: &'t str, key: &str) -> anyhow::Result<&'t str> {
    value_span(text, key)
        .and_then(|span| text.get(span))
        .with_context(|| format!("recording has no \"{key}\" value"))
}

/// The top-level elements of a compact JSON array, as text.
pub(crate) fn array_items(array: &str) -> anyhow::Result<Vec<&str>> {
    let Some(inner) = array
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
    else {
        bail!("not a JSON array: {array}");
    };
    let bytes = inner.as_bytes();
    let mut items = Vec::new();
    let (mut start, mut depth, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for (at, &b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                items.push(&inner[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    if start < inner.len() {
        items.push(&inner[start..]);
    }
    Ok(items)
}

/// Cuts slots into a compact recording; `build` freezes it into a [`Template`].
pub(crate) struct TemplateBuilder {
    text: String,
}

impl TemplateBuilder {
    pub(crate) fn new(json: &str) -> Self {
        Self {
            text: compact(json),
        }
    }

    /// Replaces every `"key":<first value of key>` with `"key":<slot>`.
    pub(crate) fn slot(self, key: &str, slot: Slot) -> anyhow::Result<Self> {
        let replacement = marker(slot);
        self.literal(key, &replacement)
    }

    /// Replaces every `"key":<first value of key>` with `"key":<raw>`.
    pub(crate) fn literal(mut self, key: &str, raw: &str) -> anyhow::Result<Self> {
        let value = value_text(&self.text, key)?;
        let from = format!("\"{key}\":{value}");
        let to = format!("\"{key}\":{raw}");
        self.text = self.text.replace(&from, &to);
        Ok(self)
    }

    /// Inserts `raw` (which may hold [`marker`]s) right after the first value of `key`, to add
    /// a sibling field.
    pub(crate) fn insert_after(mut self, key: &str, raw: &str) -> anyhow::Result<Self> {
        let Some(span) = value_span(&self.text, key) else {
            bail!("recording has no \"{key}\" value");
        };
        self.text.insert_str(span.end, raw);
        Ok(self)
    }

    pub(crate) fn build(self) -> Template {
        let mut parts = Vec::new();
        for (i, piece) in self.text.split(MARK).enumerate() {
            if i % 2 == 0 {
                if !piece.is_empty() {
                    parts.push(Part::Literal(piece.as_bytes().into()));
                }
            } else {
                let index = piece.bytes().next().map_or(0, |b| usize::from(b - b'a'));
                parts.push(Part::Slot(SLOTS.get(index).copied().unwrap_or(Slot::Id)));
            }
        }
        let literal_len = parts
            .iter()
            .map(|p| match p {
                Part::Literal(bytes) => bytes.len(),
                Part::Slot(_) => 0,
            })
            .sum();
        Template { parts, literal_len }
    }
}

enum Part {
    Literal(Box<[u8]>),
    Slot(Slot),
}

/// A recording split into literal bytes and slots.
pub(crate) struct Template {
    parts: Vec<Part>,
    literal_len: usize,
}

impl Template {
    /// Bytes of the template without its slots: a capacity hint for the output buffer.
    pub(crate) fn literal_len(&self) -> usize {
        self.literal_len
    }

    pub(crate) fn render(&self, out: &mut Vec<u8>, fill: &mut impl FnMut(Slot, &mut Vec<u8>)) {
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Slot(slot) => fill(*slot, out),
            }
        }
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Writes `"<prefix><16 hex digits of id>"`: a provider's id prefix, visibly not a real id.
pub(crate) fn push_hex_id(out: &mut Vec<u8>, prefix: &str, id: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    out.extend_from_slice(prefix.as_bytes());
    out.extend((0..16).rev().map(|i| HEX[((id >> (i * 4)) & 0xf) as usize]));
    out.push(b'"');
}

/// Appends a decimal integer without going through `fmt`.
pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_string_whitespace() {
        assert_eq!(
            compact("{ \"a b\" : [1, \"x \\\" y\"] }"),
            r#"{"a b":[1,"x \" y"]}"#
        );
    }

    #[test]
    fn value_span_finds_each_kind() {
        let text = r#"{"s":"a,}","n":12,"o":{"x":[1,{}]},"z":null}"#;
        assert_eq!(value_text(text, "s").unwrap(), r#""a,}""#);
        assert_eq!(value_text(text, "n").unwrap(), "12");
        assert_eq!(value_text(text, "o").unwrap(), r#"{"x":[1,{}]}"#);
        assert_eq!(value_text(text, "z").unwrap(), "null");
        assert!(value_text(text, "missing").is_err());
    }

    #[test]
    fn template_renders_slots_in_place() {
        let template = TemplateBuilder::new(r#"{ "id": "old", "n": 3, "c": [] }"#)
            .slot("id", Slot::Id)
            .unwrap()
            .insert_after("c", &marker(Slot::UsageNull))
            .unwrap()
            .build();
        let mut out = Vec::new();
        template.render(&mut out, &mut |slot, out| match slot {
            Slot::Id => push_json_str(out, "new\n"),
            _ => out.extend_from_slice(b",\"usage\":null"),
        });
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"new\n","n":3,"c":[],"usage":null}"#
        );
    }

    #[test]
    fn array_items_split_at_top_level_commas() {
        let items = array_items(r#"[{"a":[1,2]},"x,]",3]"#).unwrap();
        assert_eq!(items, [r#"{"a":[1,2]}"#, r#""x,]""#, "3"]);
        assert!(array_items("[]").unwrap().is_empty());
        assert!(array_items("{}").is_err());
    }

    #[test]
    fn push_hex_id_pads_to_sixteen_digits() {
        let mut out = Vec::new();
        push_hex_id(&mut out, "msg_fake", 0xab);
        assert_eq!(out, br#""msg_fake00000000000000ab""#);
    }

    #[test]
    fn push_u64_writes_decimal() {
        let mut out = Vec::new();
        push_u64(&mut out, 0);
        out.push(b' ');
        push_u64(&mut out, u64::MAX);
        assert_eq!(out, b"0 18446744073709551615");
    }
}
