use serde_json::{Value, json};

use super::*;
use crate::testing::{assert_golden, fixture};

fn translate(name: &str) -> Value {
    let response: GenerateContentResponse =
        serde_json::from_str(&fixture(&format!("gemini/{name}.json"))).unwrap();
    let out = to_openai_response(&response, "requested-model", 1_769_093_697, "req-1");
    let value = serde_json::to_value(&out).unwrap();
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    assert_golden(
        &format!("gemini/{name}.golden.json"),
        &pretty.lines().map(str::to_owned).collect::<Vec<_>>(),
    );
    value
}

/// Google's own OpenAI-compatible endpoint answered the same prompts (the shared provider
/// recordings); the native translation must agree with it on everything a client reads.
fn recording(name: &str) -> Value {
    serde_json::from_str(&fixture(&format!("gemini/recorded-openai-compat/{name}"))).unwrap()
}

#[test]
fn text_answer_matches_googles_own_translation() {
    let out = translate("generate_text");
    let recorded = recording("chat_completion.json");
    assert_eq!(
        out["choices"][0]["message"]["content"],
        recorded["choices"][0]["message"]["content"]
    );
    assert_eq!(
        out["choices"][0]["finish_reason"],
        recorded["choices"][0]["finish_reason"]
    );
    assert_eq!(out["id"], recorded["id"]);
    assert_eq!(out["usage"]["prompt_tokens_details"]["cached_tokens"], 1024);
    assert_eq!(
        out["choices"][0]["message"]["extra_content"]["google"]["thought_signature"],
        "CiQB0e2Kb3pZ1tWzK4R9dS1aO1vZ0mUq9Y0J8m3Jq5w0Yk5Ae8sSXgE="
    );
}

#[test]
fn thinking_becomes_reasoning_content_and_counts_as_output() {
    let out = translate("generate_thinking");
    let recorded = recording("chat_with_params.json");
    assert_eq!(
        out["choices"][0]["message"]["content"],
        recorded["choices"][0]["message"]["content"]
    );
    assert!(
        out["choices"][0]["message"]["reasoning_content"]
            .as_str()
            .unwrap()
            .starts_with("**Counting the planets**")
    );
    assert_eq!(
        (
            out["usage"]["completion_tokens"].clone(),
            out["usage"]["completion_tokens_details"]["reasoning_tokens"].clone()
        ),
        (json!(102), json!(97))
    );
}

#[test]
fn parallel_calls_get_distinct_ids_and_keep_their_signature() {
    let out = translate("generate_parallel_tools");
    let recorded = recording("chat_with_tools.json");
    let calls = out["choices"][0]["message"]["tool_calls"]
        .as_array()
        .unwrap();
    let first = &recorded["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(calls[0]["function"]["name"], first["function"]["name"]);
    assert_eq!(
        calls[0]["function"]["arguments"],
        first["function"]["arguments"]
    );
    assert_eq!(
        out["choices"][0]["finish_reason"],
        recorded["choices"][0]["finish_reason"]
    );
    assert_ne!(calls[0]["id"], calls[1]["id"]);
    assert_eq!(
        calls[0]["extra_content"]["google"]["thought_signature"],
        "EpgFCpUFAdHtim9PZ3NwXKoZ0R1m7n6F2b3J5jBfA1mQ0dGl"
    );
    assert!(calls[1].get("extra_content").is_none());
    assert!(out["choices"][0]["message"]["content"].is_null());
}

#[test]
fn blocked_prompt_and_filtered_candidate_say_why() {
    let out = translate("generate_prompt_blocked");
    assert_eq!(out["choices"][0]["finish_reason"], "content_filter");
    assert_eq!(
        out["choices"][0]["message"]["refusal"],
        "Gemini blocked the prompt: SAFETY (HARM_CATEGORY_DANGEROUS_CONTENT: HIGH)"
    );
    let out = translate("generate_candidate_safety");
    assert_eq!(out["choices"][0]["finish_reason"], "content_filter");
    assert_eq!(
        out["choices"][0]["message"]["refusal"],
        "Gemini stopped the answer: SAFETY (HARM_CATEGORY_HARASSMENT: MEDIUM)"
    );
}

#[test]
fn each_candidate_is_a_choice() {
    let out = translate("generate_two_candidates");
    assert_eq!(out["choices"][1]["index"], 1);
    assert_eq!(out["choices"][1]["finish_reason"], "length");
    assert_eq!(out["choices"][0]["message"]["content"], "Blue.");
}
