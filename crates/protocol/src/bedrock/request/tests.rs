use serde_json::{Value, json};

use super::*;
use crate::report::Strictness;
use crate::testing::{assert_golden, fixture};

fn translate(
    request: Value,
    strictness: Strictness,
) -> (Result<Value, TranslationError>, TranslationReport) {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    let mut report = TranslationReport::new(strictness);
    let out = to_converse(&request, &mut report).map(|r| serde_json::to_value(r).unwrap());
    (out, report)
}

#[test]
fn conversation_golden() {
    let request: Value =
        serde_json::from_str(&fixture("bedrock/request_conversation.json")).unwrap();
    let (out, report) = translate(request, Strictness::Strict);
    let out = out.unwrap();
    let pretty = serde_json::to_string_pretty(&out).unwrap();
    assert_golden(
        "bedrock/request_conversation.golden.json",
        &pretty.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    // Turns alternate: the two tool results and "Thanks" share one user turn.
    let roles: Vec<&str> = out["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant", "user"]);
    assert_eq!(out["messages"][4]["content"].as_array().unwrap().len(), 3);
    assert_eq!(
        out["additionalModelRequestFields"]["thinking"],
        json!({"type": "enabled", "budget_tokens": 5000})
    );
    assert_eq!(out["inferenceConfig"]["maxTokens"], 6024);
    assert!(out["inferenceConfig"].get("temperature").is_none());
    assert_eq!(report.clamped.len(), 2, "{report:?}");
}

#[test]
fn what_converse_cannot_express_is_reported() {
    let base = json!({"model": "amazon.nova-pro-v1:0", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_object"}, "seed": 3});
    let (out, _) = translate(base.clone(), Strictness::Strict);
    assert_eq!(out.unwrap_err().param.as_deref(), Some("seed"));
    let (out, report) = translate(base, Strictness::Lenient);
    assert!(out.is_ok());
    assert_eq!(report.dropped, ["seed", "response_format"]);
}

#[test]
fn remote_images_and_missing_tools_fail_clearly() {
    let (out, _) = translate(
        json!({"model": "amazon.nova-pro-v1:0", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]}),
        Strictness::Lenient,
    );
    assert!(out.unwrap_err().message.contains("data: URL"));
    let (out, _) = translate(
        json!({"model": "amazon.nova-pro-v1:0", "messages": [
            {"role": "user", "content": "x"},
            {"role": "assistant", "tool_calls": [{"id": "t", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "t", "content": "1"}]}),
        Strictness::Lenient,
    );
    assert_eq!(out.unwrap_err().param.as_deref(), Some("tools"));
}

#[test]
fn tool_choice_and_reasoning_per_family() {
    let tools = json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]);
    for (choice, expected) in [
        (json!("required"), json!({"any": {}})),
        (
            json!({"type": "function", "function": {"name": "f"}}),
            json!({"tool": {"name": "f"}}),
        ),
    ] {
        let (out, _) = translate(
            json!({"model": "amazon.nova-pro-v1:0", "messages": [{"role": "user", "content": "x"}], "tools": tools, "tool_choice": choice}),
            Strictness::Strict,
        );
        assert_eq!(out.unwrap()["toolConfig"]["toolChoice"], expected);
    }
    let (out, _) = translate(
        json!({"model": "global.anthropic.claude-opus-4-6-v1", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high"}),
        Strictness::Strict,
    );
    let out = out.unwrap();
    assert_eq!(
        out["additionalModelRequestFields"]["thinking"],
        json!({"type": "adaptive"})
    );
    assert_eq!(
        out["additionalModelRequestFields"]["output_config"],
        json!({"effort": "high"})
    );
    let (out, _) = translate(
        json!({"model": "us.amazon.nova-2-lite-v1:0", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "medium"}),
        Strictness::Strict,
    );
    assert_eq!(
        out.unwrap()["additionalModelRequestFields"]["reasoningConfig"]["maxReasoningEffort"],
        "medium"
    );
    let (_, report) = translate(
        json!({"model": "meta.llama3-3-70b-instruct-v1:0", "messages": [{"role": "user", "content": "x"}], "reasoning_effort": "high"}),
        Strictness::Strict,
    );
    assert_eq!(report.clamped.len(), 1);
}
