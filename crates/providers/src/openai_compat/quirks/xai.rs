//! xAI routes requests with the same `X-Grok-Conv-Id` to the same cache, which makes prompt
//! caching work across a conversation. When the client sends none, GoModel derives one from the
//! model, the first two messages, the tools and the reasoning settings (reference §1.2), so
//! every turn of one conversation carries the same id.
//! <https://docs.x.ai/docs/guides/prompt-caching>

use gomodel_protocol::JsonObject;
use http::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::provider::RequestAdjustments;

const HEADER: &str = "x-grok-conv-id";

pub(super) fn conversation_header(
    body: &JsonObject<'_>,
    model: &str,
    client_headers: &HeaderMap,
    adjustments: &mut RequestAdjustments,
) {
    let value = match client_headers.get(HEADER) {
        Some(value) => value.clone(),
        None => match HeaderValue::from_str(&derive_id(body, model)) {
            Ok(value) => value,
            Err(_) => return,
        },
    };
    adjustments
        .headers
        .push((HeaderName::from_static(HEADER), value));
}

fn derive_id(body: &JsonObject<'_>, model: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(model.as_bytes());
    if let Some(messages) = body.get("messages") {
        let first_two: Vec<&serde_json::value::RawValue> =
            serde_json::from_str::<Vec<&serde_json::value::RawValue>>(messages.get())
                .map(|all| all.into_iter().take(2).collect())
                .unwrap_or_default();
        for message in first_two {
            hasher.update(message.get().as_bytes());
        }
    }
    for key in ["tools", "reasoning", "reasoning_effort"] {
        if let Some(value) = body.get(key) {
            hasher.update(value.get().as_bytes());
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("gomodel-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_conversation_same_id() {
        let first = JsonObject::parse(
            br#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"a"}]}"#,
        )
        .unwrap();
        let later = JsonObject::parse(br#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}"#).unwrap();
        let other = JsonObject::parse(br#"{"messages":[{"role":"user","content":"z"}]}"#).unwrap();
        let id = derive_id(&first, "grok-4");
        assert_eq!(id, derive_id(&later, "grok-4"));
        assert_ne!(id, derive_id(&other, "grok-4"));
        assert!(id.starts_with("gomodel-") && id.len() == "gomodel-".len() + 16);
    }
}
