//! OpenAI's reasoning models (o1, o3, o4-mini…, and gpt-5*) reject `max_tokens` and any
//! `temperature` other than the default: GoModel renames the first to `max_completion_tokens`
//! and drops the second (reference §3.3 "OpenAI").
//! <https://platform.openai.com/docs/guides/reasoning>

use gomodel_protocol::JsonObject;
use gomodel_protocol::json_object::parse_str;

use crate::provider::RequestAdjustments;

/// o-series (`o` then a digit) and `gpt-5`, `gpt-5-*`, `gpt-5.x`.
pub(crate) fn is_reasoning_model(model: &str) -> bool {
    let bare = model.rsplit('/').next().unwrap_or(model);
    let mut chars = bare.chars();
    let o_series = chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit());
    o_series || bare == "gpt-5" || bare.starts_with("gpt-5-") || bare.starts_with("gpt-5.")
}

pub(super) fn adapt_reasoning_model(
    body: &mut JsonObject<'_>,
    model: &str,
    adjustments: &mut RequestAdjustments,
) {
    if !is_reasoning_model(model) {
        return;
    }
    if body.contains("max_tokens") {
        body.rename("max_tokens", "max_completion_tokens");
        adjustments
            .notes
            .push("max_tokens renamed to max_completion_tokens".to_owned());
    }
    if body.remove("temperature") {
        adjustments.notes.push(format!(
            "temperature dropped: {model} accepts only the default"
        ));
    }
}

/// Chat Completions takes `reasoning_effort`; GoModel's request shape also accepts
/// `reasoning: {"effort": …}` (the Responses form), which is flattened here.
pub(super) fn flatten_reasoning_effort(body: &mut JsonObject<'_>) {
    let Some(effort) = reasoning_effort(body) else {
        return;
    };
    body.remove("reasoning");
    if !body.contains("reasoning_effort") {
        body.set_str("reasoning_effort", &effort);
    }
}

/// `reasoning.effort` when `reasoning` is an object carrying a string effort.
pub(super) fn reasoning_effort(body: &JsonObject<'_>) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Reasoning<'a> {
        #[serde(borrow)]
        effort: Option<&'a serde_json::value::RawValue>,
    }
    let raw = body.get("reasoning")?;
    let reasoning: Reasoning<'_> = serde_json::from_str(raw.get()).ok()?;
    parse_str(reasoning.effort?).map(|e| e.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapt(input: &str, model: &str) -> (String, Vec<String>) {
        let mut body = JsonObject::parse(input.as_bytes()).unwrap();
        let mut adjustments = RequestAdjustments::default();
        adapt_reasoning_model(&mut body, model, &mut adjustments);
        flatten_reasoning_effort(&mut body);
        (String::from_utf8(body.to_vec()).unwrap(), adjustments.notes)
    }

    #[test]
    fn recognises_reasoning_models() {
        for model in [
            "o1",
            "o3-mini",
            "o4-mini-2025-04-16",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5.1",
        ] {
            assert!(is_reasoning_model(model), "{model}");
        }
        for model in ["gpt-4o", "gpt-50x", "omni", "gpt-4.1", "o"] {
            assert!(!is_reasoning_model(model), "{model}");
        }
    }

    #[test]
    fn renames_max_tokens_and_drops_temperature() {
        let (out, notes) = adapt(
            r#"{"model":"o3-mini","max_tokens":50,"temperature":0.2}"#,
            "o3-mini",
        );
        assert_eq!(out, r#"{"model":"o3-mini","max_completion_tokens":50}"#);
        assert_eq!(notes.len(), 2);
        let (out, _) = adapt(
            r#"{"model":"gpt-4o","max_tokens":50,"temperature":0.2}"#,
            "gpt-4o",
        );
        assert_eq!(
            out,
            r#"{"model":"gpt-4o","max_tokens":50,"temperature":0.2}"#
        );
    }

    #[test]
    fn flattens_reasoning_object() {
        let (out, _) = adapt(r#"{"reasoning":{"effort":"high"},"x":1}"#, "gpt-4o");
        assert_eq!(out, r#"{"x":1,"reasoning_effort":"high"}"#);
    }
}
