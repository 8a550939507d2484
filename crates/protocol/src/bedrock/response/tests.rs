use serde_json::Value;

use super::*;
use crate::testing::{assert_golden, fixture};

fn translate(name: &str) -> Value {
    let response: ConverseResponse =
        serde_json::from_str(&fixture(&format!("bedrock/{name}.json"))).unwrap();
    let out = serde_json::to_value(to_openai_response(&response, "chatcmpl-1", "m", 0)).unwrap();
    let pretty = serde_json::to_string_pretty(&out).unwrap();
    assert_golden(
        &format!("bedrock/{name}.golden.json"),
        &pretty.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    out
}

#[test]
fn text_answer_with_cache_usage() {
    let out = translate("converse_text");
    assert_eq!(out["choices"][0]["message"]["content"], "Hello World");
    assert_eq!(out["choices"][0]["finish_reason"], "stop");
    assert_eq!(out["usage"]["prompt_tokens"], 1312);
    assert_eq!(out["usage"]["prompt_tokens_details"]["cached_tokens"], 1000);
}

#[test]
fn reasoning_text_and_parallel_calls() {
    let out = translate("converse_tools_thinking");
    let message = &out["choices"][0]["message"];
    assert_eq!(out["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(message["content"], "Let me check.");
    assert_eq!(
        message["reasoning_blocks"][0]["signature"],
        "EqQBCkgIAxABGAIiQGm8"
    );
    assert_eq!(
        message["tool_calls"][1]["id"],
        "tooluse_8Ha2MLvXS2e0q1ZE7a0GvA"
    );
    assert_eq!(
        message["tool_calls"][0]["function"]["arguments"],
        "{\"location\":\"Tokyo\"}"
    );
}
