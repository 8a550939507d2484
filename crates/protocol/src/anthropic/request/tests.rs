use serde_json::{Value, json};

use super::*;
use crate::report::Strictness;

fn translate(request: Value) -> Result<(Value, TranslationReport), TranslationError> {
    let request: ChatRequest = serde_json::from_value(request).unwrap();
    let mut report = TranslationReport::new(Strictness::Lenient);
    let out = to_anthropic(&request, RequestOptions::default(), &mut report)?;
    Ok((serde_json::to_value(out).unwrap(), report))
}

#[test]
fn hoists_system_defaults_max_tokens_and_maps_stops() {
    let (out, report) = translate(json!({
        "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Use English."},
            {"role": "user", "content": "Hi"}
        ],
        "stop": "END", "temperature": 0.2, "top_p": 0.9
    }))
    .unwrap();
    assert_eq!(out["system"], "Be brief.\n\nUse English.");
    assert_eq!(out["max_tokens"], 4096);
    assert_eq!(out["stop_sequences"], json!(["END"]));
    assert_eq!(
        out["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Hi"}]}])
    );
    assert_eq!(
        (out["temperature"].clone(), out["top_p"].clone()),
        (json!(0.2), json!(0.9))
    );
    assert!(report.is_empty());
}

#[test]
fn tools_choices_and_tool_results() {
    let (out, _) = translate(json!({
        "model": "claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "24C"}
        ],
        "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "tool_choice": "required",
        "parallel_tool_calls": false
    }))
    .unwrap();
    assert_eq!(
        out["tools"][0]["input_schema"]["properties"]["city"]["type"],
        "string"
    );
    assert_eq!(
        out["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    let assistant = &out["messages"][1];
    assert_eq!(assistant["content"][0]["type"], "tool_use");
    assert_eq!(assistant["content"][1]["input"], json!({"city": "Rome"}));
    // Consecutive tool results merge into one user turn.
    let results = &out["messages"][2];
    assert_eq!(results["role"], "user");
    assert_eq!(results["content"].as_array().unwrap().len(), 2);
    assert_eq!(
        results["content"][1],
        json!({"type": "tool_result", "tool_use_id": "call_2", "content": "24C"})
    );
}

#[test]
fn named_and_none_tool_choice() {
    let base = json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "f"}}]});
    let mut named = base.clone();
    named["tool_choice"] = json!({"type": "function", "function": {"name": "f"}});
    assert_eq!(
        translate(named).unwrap().0["tool_choice"],
        json!({"type": "tool", "name": "f"})
    );
    let mut none = base.clone();
    none["tool_choice"] = json!("none");
    assert_eq!(
        translate(none).unwrap().0["tool_choice"],
        json!({"type": "none"})
    );
    let (out, _) = translate(base).unwrap();
    assert_eq!(
        out["tools"][0]["input_schema"],
        json!({"type": "object", "properties": {}})
    );
}

#[test]
fn tool_choice_without_tools_is_rejected() {
    let err = translate(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "required"})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("tool_choice"));
}

#[test]
fn images_from_data_and_http_urls_and_cache_control_carried() {
    let (out, _) = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Describe", "cache_control": {"type": "ephemeral"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
        ]}]}),
    )
    .unwrap();
    let blocks = &out["messages"][0]["content"];
    assert_eq!(blocks[0]["cache_control"], json!({"type": "ephemeral"}));
    assert_eq!(
        blocks[1]["source"],
        json!({"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="})
    );
    assert_eq!(
        blocks[2]["source"],
        json!({"type": "url", "url": "https://example.com/cat.jpg"})
    );
    let err = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AA=="}}]}]}),
    )
    .unwrap_err();
    assert!(err.message.contains("image/tiff"));
    let err = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "AA==", "format": "wav"}}]}]}),
    )
    .unwrap_err();
    assert!(err.message.contains("input_audio"));
}

#[test]
fn reasoning_effort_budgets_and_adaptive_models() {
    let (out, report) = translate(
        json!({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "x"}],
        "reasoning_effort": "medium", "max_tokens": 1000, "temperature": 0.5}),
    )
    .unwrap();
    assert_eq!(
        out["thinking"],
        json!({"type": "enabled", "budget_tokens": 10000})
    );
    assert_eq!(out["max_tokens"], 11024);
    assert!(out.get("temperature").is_none());
    assert_eq!(report.clamped.len(), 2);
    let (out, _) = translate(
        json!({"model": "claude-opus-4-6", "messages": [{"role": "user", "content": "x"}],
        "reasoning": {"effort": "max"}}),
    )
    .unwrap();
    assert_eq!(out["thinking"], json!({"type": "adaptive"}));
    assert_eq!(out["output_config"], json!({"effort": "max"}));
}

#[test]
fn thinking_blocks_go_back_with_their_signatures() {
    let (out, _) = translate(json!({"model": "m", "messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "7", "reasoning_blocks": [{"thinking": "5+2", "signature": "sig=="}]},
        {"role": "user", "content": "and?"}
    ]}))
    .unwrap();
    assert_eq!(
        out["messages"][1]["content"][0],
        json!({"type": "thinking", "thinking": "5+2", "signature": "sig=="})
    );
    assert_eq!(out["messages"][1]["content"][1]["text"], "7");
}

#[test]
fn json_schema_becomes_structured_output_and_unknowns_are_reported() {
    let (out, report) = translate(json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}}},
        "logprobs": true, "seed": 7, "user": "u-1", "stream_options": {"include_usage": true}}))
    .unwrap();
    assert_eq!(
        out["output_config"]["format"],
        json!({"type": "json_schema", "schema": {"type": "object"}})
    );
    assert_eq!(out["metadata"], json!({"user_id": "u-1"}));
    assert_eq!(report.dropped, ["logprobs", "seed"]);

    let request: ChatRequest = serde_json::from_value(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "seed": 7}),
    )
    .unwrap();
    let mut strict = TranslationReport::new(Strictness::Strict);
    let err = to_anthropic(&request, RequestOptions::default(), &mut strict).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("seed"));
}
