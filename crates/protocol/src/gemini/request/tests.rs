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
    let out = to_gemini(&request, &mut report).map(|r| serde_json::to_value(r).unwrap());
    (out, report)
}

fn golden(name: &str) -> TranslationReport {
    let request: Value = serde_json::from_str(&fixture(&format!("gemini/{name}.json"))).unwrap();
    let (out, report) = translate(request, Strictness::Lenient);
    let pretty = serde_json::to_string_pretty(&out.unwrap()).unwrap();
    assert_golden(
        &format!("gemini/{name}.golden.json"),
        &pretty.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    report
}

#[test]
fn conversation_with_system_images_and_generation_config() {
    let report = golden("request_conversation");
    assert!(report.dropped.is_empty(), "{report:?}");
}

#[test]
fn tools_parallel_calls_results_and_signatures_round_trip() {
    let report = golden("request_tools_round_trip");
    // The second assistant turn came back without its signature on a Gemini 3 model.
    assert_eq!(report.clamped.len(), 1, "{report:?}");
    assert!(report.clamped[0].starts_with("messages[5].tool_calls"));
}

#[test]
fn remote_images_are_refused_with_a_clear_error() {
    let (out, _) = translate(
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}),
        Strictness::Lenient,
    );
    let err = out.unwrap_err();
    assert_eq!(err.param.as_deref(), Some("messages[0].content"));
    assert!(err.message.contains("data: URL"), "{}", err.message);
}

#[test]
fn strict_mode_names_what_gemini_cannot_express() {
    let request = json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}],
        "logit_bias": {"1": 2}});
    let (out, _) = translate(request.clone(), Strictness::Strict);
    assert_eq!(out.unwrap_err().param.as_deref(), Some("logit_bias"));
    let (out, report) = translate(request, Strictness::Lenient);
    assert!(out.is_ok());
    assert_eq!(report.dropped, ["logit_bias"]);
}

#[test]
fn tool_results_need_a_known_call() {
    let (out, _) = translate(
        json!({"model": "gemini-2.5-flash", "messages": [
            {"role": "user", "content": "x"},
            {"role": "tool", "tool_call_id": "nope", "content": "1"}]}),
        Strictness::Lenient,
    );
    assert!(out.unwrap_err().message.contains("matches no tool call"));
}

#[test]
fn tool_choice_modes_and_google_extension() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    for (choice, mode) in [("auto", "AUTO"), ("required", "ANY"), ("none", "NONE")] {
        let (out, _) = translate(
            json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}],
                "tools": tools, "tool_choice": choice}),
            Strictness::Strict,
        );
        assert_eq!(
            out.unwrap()["toolConfig"]["functionCallingConfig"]["mode"],
            mode
        );
    }
    let (out, _) = translate(
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}],
            "google": {"thinking_config": {"include_thoughts": true, "thinking_budget": 100},
                       "cached_content": "cachedContents/abc"}}),
        Strictness::Strict,
    );
    let out = out.unwrap();
    assert_eq!(
        out["generationConfig"]["thinkingConfig"],
        json!({"includeThoughts": true, "thinkingBudget": 100})
    );
    assert_eq!(out["cachedContent"], "cachedContents/abc");
}

#[test]
fn response_format_sets_the_json_mime_type_and_schema() {
    let request = |format: Value| {
        json!({"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "x"}],
            "response_format": format})
    };
    let (out, report) = translate(request(json!({"type": "json_object"})), Strictness::Strict);
    let config = &out.unwrap()["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert!(config.get("responseSchema").is_none(), "{config}");
    assert!(report.dropped.is_empty() && report.clamped.is_empty());

    let (out, _) = translate(request(json!({"type": "text"})), Strictness::Strict);
    assert!(out.unwrap().get("generationConfig").is_none());

    let schema =
        json!({"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]});
    let (out, _) = translate(
        request(json!({"type": "json_schema", "json_schema": {"name": "n", "schema": schema}})),
        Strictness::Strict,
    );
    let config = &out.unwrap()["generationConfig"];
    assert_eq!(config["responseMimeType"], "application/json");
    assert_eq!(
        config["responseSchema"]["properties"]["n"]["type"],
        "integer"
    );

    let (out, _) = translate(request(json!({"type": "xml"})), Strictness::Lenient);
    assert_eq!(out.unwrap_err().param.as_deref(), Some("response_format"));
}
