//! DeepSeek takes a top-level `reasoning_effort` with its own scale: `low`, `medium` and `high`
//! all mean `high`; `xhigh` and `max` mean `max`; other values pass through (reference §3.3
//! "DeepSeek"). <https://api-docs.deepseek.com/api/create-chat-completion>

use gomodel_protocol::JsonObject;

use super::openai::reasoning_effort;
use crate::provider::RequestAdjustments;

pub(super) fn map_reasoning_effort(
    body: &mut JsonObject<'_>,
    adjustments: &mut RequestAdjustments,
) {
    let from_object = reasoning_effort(body);
    if from_object.is_some() {
        body.remove("reasoning");
    }
    let requested = from_object.or_else(|| {
        body.get_str("reasoning_effort")
            .ok()
            .flatten()
            .map(|e| e.into_owned())
    });
    let Some(requested) = requested else {
        return;
    };
    let mapped = deepseek_effort(&requested);
    if mapped != requested {
        adjustments.notes.push(format!(
            "reasoning_effort {requested} mapped to {mapped} for DeepSeek"
        ));
    }
    body.set_str("reasoning_effort", mapped);
}

fn deepseek_effort(effort: &str) -> &str {
    match effort {
        "low" | "medium" | "high" => "high",
        "xhigh" | "max" => "max",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(input: &str) -> String {
        let mut body = JsonObject::parse(input.as_bytes()).unwrap();
        map_reasoning_effort(&mut body, &mut RequestAdjustments::default());
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[test]
    fn maps_effort_scale() {
        assert_eq!(
            map(r#"{"reasoning":{"effort":"low"}}"#),
            r#"{"reasoning_effort":"high"}"#
        );
        assert_eq!(
            map(r#"{"reasoning_effort":"xhigh"}"#),
            r#"{"reasoning_effort":"max"}"#
        );
        assert_eq!(
            map(r#"{"reasoning_effort":"none"}"#),
            r#"{"reasoning_effort":"none"}"#
        );
        assert_eq!(
            map(r#"{"model":"deepseek-chat"}"#),
            r#"{"model":"deepseek-chat"}"#
        );
    }
}
