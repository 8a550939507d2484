use super::*;
use crate::testing::{assert_golden, fixture, sse_payloads};

/// Translates a recorded stream; returns the output as golden lines.
fn translate(name: &str) -> (Vec<String>, AnthropicToOpenAi) {
    let mut machine = AnthropicToOpenAi::new("requested-model", 0);
    let mut lines = Vec::new();
    for payload in sse_payloads(&fixture(&format!("anthropic/{name}"))) {
        let event: StreamEvent = serde_json::from_slice(&payload).unwrap();
        match machine.on_event(event) {
            Output::Chunks(chunks) => {
                lines.extend(chunks.iter().map(|c| serde_json::to_string(c).unwrap()))
            }
            Output::Done => lines.push("[DONE]".to_owned()),
            Output::Error { kind, message } => lines.push(format!("ERROR {kind}: {message}")),
        }
    }
    (lines, machine)
}

#[test]
fn recorded_text_stream() {
    let (lines, machine) = translate("messages_stream.txt");
    assert_golden("anthropic/messages_stream.golden.jsonl", &lines);
    assert!(machine.is_finished());
    assert_eq!(
        (machine.usage().input_tokens, machine.usage().output_tokens),
        (10, 5)
    );
}

#[test]
fn parallel_tool_calls_get_consecutive_indexes() {
    let (lines, _) = translate("stream_parallel_tools.txt");
    assert_golden("anthropic/stream_parallel_tools.golden.jsonl", &lines);
    let chunks: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let starts: Vec<(u64, &str)> = chunks
        .iter()
        .filter_map(|c| {
            let call = c["choices"][0]["delta"]["tool_calls"].get(0)?;
            Some((call["index"].as_u64()?, call["id"].as_str()?))
        })
        .collect();
    assert_eq!(
        starts,
        [
            (0, "toolu_01T1x1fJ34qAmk2tNTrN7Up6"),
            (1, "toolu_02B7yVf3qDhUXpQ4nPcRm9Ak")
        ]
    );
    let args_for = |index: u64| -> String {
        chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["tool_calls"].get(0).cloned())
            .filter(|call| call["index"].as_u64() == Some(index))
            .filter_map(|call| call["function"]["arguments"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(args_for(0), r#"{"location": "San Francisco, CA"}"#);
    assert_eq!(args_for(1), r#"{"timezone": "America/Los_Angeles"}"#);
    let usage = chunks.iter().find(|c| c["usage"].is_object()).unwrap();
    assert_eq!(usage["usage"]["prompt_tokens"], 572);
    assert_eq!(
        usage["usage"]["prompt_tokens_details"]["cached_tokens"],
        100
    );
    assert_eq!(usage["usage"]["completion_tokens"], 89);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#""finish_reason":"tool_calls""#))
    );
}

#[test]
fn thinking_then_tool_use_keeps_the_signature_verbatim() {
    let (lines, _) = translate("stream_thinking_tool.txt");
    assert_golden("anthropic/stream_thinking_tool.golden.jsonl", &lines);
    let joined = lines.join("\n");
    assert!(joined.contains(r#""reasoning_content":"The user wants the weather.""#));
    assert!(
        joined.contains(
            r#""signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds+Fq+rU=""#
        )
    );
    assert!(
        joined.contains(r#""thinking":"The user wants the weather. I should call get_weather.""#)
    );
}

#[test]
fn error_events_end_the_stream() {
    let (lines, machine) = translate("stream_error.txt");
    assert_eq!(lines.last().unwrap(), "ERROR overloaded_error: Overloaded");
    assert!(!machine.is_finished());
}
