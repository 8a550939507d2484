use super::*;
use crate::testing::{assert_golden, fixture, sse_payloads};

/// Translates a stream fixture; returns the output as golden lines.
fn translate(name: &str) -> (Vec<String>, GeminiToOpenAi) {
    let mut machine = GeminiToOpenAi::new("requested-model", 0, "req-1");
    let mut lines = Vec::new();
    for payload in sse_payloads(&fixture(&format!("gemini/{name}.txt"))) {
        let event: GenerateContentResponse = serde_json::from_slice(&payload).unwrap();
        match machine.on_event(event) {
            Output::Chunks(chunks) => {
                lines.extend(chunks.iter().map(|c| serde_json::to_string(c).unwrap()))
            }
            Output::Error { kind, message } => {
                lines.push(format!("ERROR {kind}: {message}"));
                break;
            }
        }
    }
    match machine.finish() {
        Ok(chunks) => lines.extend(chunks.iter().map(|c| serde_json::to_string(c).unwrap())),
        Err(message) => lines.push(format!("END ERROR: {message}")),
    }
    assert_golden(&format!("gemini/{name}.golden.jsonl"), &lines);
    (lines, machine)
}

fn chunks(lines: &[String]) -> Vec<serde_json::Value> {
    lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn text_stream_ends_with_usage_and_matches_the_recording() {
    let (lines, machine) = translate("stream_text");
    assert!(machine.is_finished());
    let chunks = chunks(&lines);
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello World!");
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let last = chunks.last().unwrap();
    assert_eq!(last["usage"]["total_tokens"], 7);
    assert!(last["choices"].as_array().unwrap().is_empty());
    let finish = &chunks[chunks.len() - 2]["choices"][0];
    assert_eq!(finish["finish_reason"], "stop");
    assert_eq!(
        finish["delta"]["extra_content"]["google"]["thought_signature"],
        "CiQB0e2Kb3pZ1tWzK4R9"
    );
    // Google's own OpenAI endpoint: same id and the same chunk object.
    let recorded = fixture("gemini/recorded-openai-compat/chat_completion_stream.txt");
    assert!(recorded.contains("\"id\":\"SzpyaZuaHu_WxN8P9M-PgA4\""));
    assert_eq!(chunks[0]["id"], "SzpyaZuaHu_WxN8P9M-PgA4");
}

#[test]
fn thinking_then_parallel_calls() {
    let (lines, _) = translate("stream_thinking_tools");
    let chunks = chunks(&lines);
    assert!(
        chunks[0]["choices"][0]["delta"]["reasoning_content"]
            .as_str()
            .unwrap()
            .contains("Planning")
    );
    let calls = chunks[1]["choices"][0]["delta"]["tool_calls"]
        .as_array()
        .unwrap();
    assert_eq!(
        (calls[0]["index"].as_u64(), calls[1]["index"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        calls[1]["function"]["arguments"],
        "{\"timezone\":\"Asia/Tokyo\"}"
    );
    assert_eq!(
        calls[0]["extra_content"]["google"]["thought_signature"],
        "EpgFCpUFAdHtim9PZ3Nw"
    );
    assert_eq!(chunks[1]["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(
        chunks[2]["usage"]["completion_tokens_details"]["reasoning_tokens"],
        88
    );
}

#[test]
fn errors_and_truncation_end_the_stream_clearly() {
    let (lines, _) = translate("stream_error");
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("ERROR unavailable: Gemini stream error: The model is overloaded"))
    );
    let (lines, machine) = translate("stream_truncated");
    assert!(!machine.is_finished());
    assert_eq!(
        lines.last().unwrap(),
        "END ERROR: Gemini stream ended before a finish reason"
    );
}

#[test]
fn non_stream_and_stream_synthesise_the_same_ids() {
    let event: GenerateContentResponse =
        serde_json::from_str(&fixture("gemini/generate_parallel_tools.json")).unwrap();
    let whole = crate::gemini::response::to_openai_response(&event, "m", 0, "x");
    let mut machine = GeminiToOpenAi::new("m", 0, "x");
    let Output::Chunks(chunks) = machine.on_event(event) else {
        panic!()
    };
    let streamed = chunks[0].choices[0].delta.tool_calls.as_ref().unwrap();
    let whole = whole.choices[0].message.tool_calls.as_ref().unwrap();
    assert_eq!(streamed[0].id.as_deref(), Some(whole[0].id.as_str()));
    assert_eq!(streamed[1].id.as_deref(), Some(whole[1].id.as_str()));
}

#[test]
fn safety_stops_and_blocked_prompts_end_with_content_filter_and_usage() {
    // Text already sent stays; the stopping event has no content, only the reason.
    let (lines, machine) = translate("stream_safety");
    assert!(machine.is_finished());
    let stopped = chunks(&lines);
    let text: String = stopped
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Mixing those two household cleaners releases");
    let stop = &stopped[stopped.len() - 2]["choices"][0];
    assert_eq!(stop["finish_reason"], "content_filter");
    assert_eq!(
        stop["delta"]["refusal"],
        "Gemini stopped the answer: SAFETY (HARM_CATEGORY_DANGEROUS_CONTENT: HIGH)"
    );
    let last = stopped.last().unwrap();
    assert!(last["choices"].as_array().unwrap().is_empty());
    assert_eq!(last["usage"]["completion_tokens"], 7);

    // A blocked prompt is one event without candidates: the role, the refusal and the finish
    // reason in one chunk, then the usage (prompt tokens only).
    let (lines, machine) = translate("stream_prompt_blocked");
    assert!(machine.is_finished());
    let blocked = chunks(&lines);
    assert_eq!(blocked.len(), 2, "{lines:?}");
    let choice = &blocked[0]["choices"][0];
    assert_eq!(choice["delta"]["role"], "assistant");
    assert_eq!(
        choice["delta"]["refusal"],
        "Gemini blocked the prompt: SAFETY (HARM_CATEGORY_HARASSMENT: HIGH)"
    );
    assert_eq!(choice["finish_reason"], "content_filter");
    assert_eq!(blocked[1]["usage"]["prompt_tokens"], 12);
    assert_eq!(blocked[1]["usage"]["completion_tokens"], 0);
}
