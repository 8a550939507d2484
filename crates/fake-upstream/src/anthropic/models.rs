//! `GET …/models` in Anthropic's shape, for requests that carry Anthropic's headers.
//!
//! Not recorded; the shape follows Anthropic's API reference, "List Models":
//! `{"data":[{"type":"model","id","display_name","created_at"}],"has_more","first_id","last_id"}`.

use bytes::Bytes;

use crate::template::push_json_str;

/// Served when the options choose no ids: `(id, created_at)`.
const DEFAULT_MODELS: [(&str, &str); 3] = [
    ("claude-sonnet-4-5", "2025-09-29T00:00:00Z"),
    ("claude-opus-4-6", "2026-02-05T00:00:00Z"),
    ("claude-haiku-4-5", "2025-10-15T00:00:00Z"),
];

/// Chosen ids that are not in the default list get this fixed date, so the body is stable.
const CHOSEN_CREATED_AT: &str = "2025-01-01T00:00:00Z";

/// The whole list body, rendered once when the fake starts.
pub(crate) fn list_body(chosen: Option<&[String]>) -> Bytes {
    let entries: Vec<(&str, &str)> = match chosen {
        Some(ids) => ids
            .iter()
            .map(|id| {
                let created_at = DEFAULT_MODELS
                    .iter()
                    .find(|(known, _)| *known == id.as_str())
                    .map_or(CHOSEN_CREATED_AT, |(_, at)| *at);
                (id.as_str(), created_at)
            })
            .collect(),
        None => DEFAULT_MODELS.to_vec(),
    };
    let mut body = Vec::with_capacity(64 + entries.len() * 128);
    body.extend_from_slice(br#"{"data":["#);
    for (i, (id, created_at)) in entries.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(br#"{"type":"model","id":"#);
        push_json_str(&mut body, id);
        body.extend_from_slice(br#","display_name":"#);
        push_json_str(&mut body, &display_name(id));
        body.extend_from_slice(br#","created_at":"#);
        push_json_str(&mut body, created_at);
        body.push(b'}');
    }
    body.extend_from_slice(br#"],"has_more":false,"first_id":"#);
    push_id_or_null(&mut body, entries.first().map(|(id, _)| *id));
    body.extend_from_slice(br#","last_id":"#);
    push_id_or_null(&mut body, entries.last().map(|(id, _)| *id));
    body.push(b'}');
    body.into()
}

fn push_id_or_null(out: &mut Vec<u8>, id: Option<&str>) {
    match id {
        Some(id) => push_json_str(out, id),
        None => out.extend_from_slice(b"null"),
    }
}

/// A display name in Anthropic's style: `claude-sonnet-4-5` → `Claude Sonnet 4.5`,
/// `claude-sonnet-4-20250514` → `Claude Sonnet 4` (a trailing date is dropped).
fn display_name(id: &str) -> String {
    let mut words: Vec<&str> = id.split('-').filter(|w| !w.is_empty()).collect();
    if words.len() > 1 && words.last().copied().is_some_and(is_date) {
        words.pop();
    }
    let mut name = String::with_capacity(id.len());
    let mut previous_numeric = false;
    for word in words {
        let numeric = word.bytes().all(|b| b.is_ascii_digit());
        if !name.is_empty() {
            name.push(if numeric && previous_numeric {
                '.'
            } else {
                ' '
            });
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
        previous_numeric = numeric;
    }
    name
}

/// `20250514`: the snapshot date at the end of a versioned model id.
fn is_date(word: &str) -> bool {
    word.len() == 8 && word.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_follow_anthropics_style() {
        assert_eq!(display_name("claude-sonnet-4-5"), "Claude Sonnet 4.5");
        assert_eq!(display_name("claude-opus-4-6"), "Claude Opus 4.6");
        assert_eq!(display_name("claude-sonnet-4-20250514"), "Claude Sonnet 4");
        assert_eq!(display_name("alpha"), "Alpha");
    }

    #[test]
    fn list_body_is_json_with_first_and_last_ids() {
        let body: serde_json::Value = serde_json::from_slice(&list_body(None)).unwrap();
        assert_eq!(body["first_id"], "claude-sonnet-4-5");
        assert_eq!(body["last_id"], "claude-haiku-4-5");
        assert_eq!(body["has_more"], false);
        let empty: serde_json::Value = serde_json::from_slice(&list_body(Some(&[]))).unwrap();
        assert!(empty["first_id"].is_null());
    }
}
