use serde_json::json;

use super::*;
use crate::eventstream::{Decoder, encode};
use crate::testing::assert_golden;

/// Frames as Bedrock sends them (with AWS's random `p` padding in every payload).
fn frames(events: &[(&str, serde_json::Value)]) -> Vec<u8> {
    events
        .iter()
        .flat_map(|(kind, payload)| {
            let mut payload = payload.clone();
            payload["p"] = json!("abcdefghijklmnopqrstuvwxyzABCDEFGH");
            encode(
                &[
                    (":event-type", kind),
                    (":content-type", "application/json"),
                    (":message-type", "event"),
                ],
                payload.to_string().as_bytes(),
            )
            .unwrap()
        })
        .collect()
}

/// Decodes and translates `bytes` fed in `step`-sized pieces; returns golden lines.
fn run(bytes: &[u8], step: usize) -> Vec<String> {
    let mut decoder = Decoder::new();
    let mut machine = BedrockToOpenAi::new("chatcmpl-1", "m", 0);
    let mut lines = Vec::new();
    for piece in bytes.chunks(step) {
        decoder.push(piece);
        while let Some(frame) = decoder.next_frame().unwrap() {
            let kind = frame
                .header(":event-type")
                .or(frame.header(":exception-type"))
                .unwrap_or("")
                .to_owned();
            let payload: StreamPayload = serde_json::from_slice(&frame.payload).unwrap();
            match machine.on_event(&kind, payload) {
                Output::Chunks(chunks) => {
                    lines.extend(chunks.iter().map(|c| serde_json::to_string(c).unwrap()))
                }
                Output::Done(chunks) => {
                    lines.extend(chunks.iter().map(|c| serde_json::to_string(c).unwrap()));
                    lines.push("[DONE]".to_owned());
                }
                Output::Error { kind, message } => lines.push(format!("ERROR {kind}: {message}")),
            }
        }
    }
    lines
}

#[test]
fn reasoning_text_and_parallel_tool_calls() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Both tools "}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "are needed."}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "EqQBCkgIAxAB"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"text": "Checking"}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 2, "start": {"toolUse": {"toolUseId": "tooluse_A", "name": "get_weather"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": "{\"location\":"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 2, "delta": {"toolUse": {"input": "\"Tokyo\"}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 2})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 3, "start": {"toolUse": {"toolUseId": "tooluse_B", "name": "get_time"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 3, "delta": {"toolUse": {"input": "{}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 3})),
        ("messageStop", json!({"stopReason": "tool_use"})),
        (
            "metadata",
            json!({"usage": {"inputTokens": 40, "outputTokens": 30, "totalTokens": 70}, "metrics": {"latencyMs": 900}}),
        ),
    ]);
    let lines = run(&bytes, 7);
    assert_golden("bedrock/stream_tools_thinking.golden.jsonl", &lines);
    // Byte-at-a-time and all-at-once decoding give the same chunks.
    assert_eq!(run(&bytes, 1), lines);
    assert_eq!(run(&bytes, bytes.len()), lines);
    assert_eq!(lines.last().map(String::as_str), Some("[DONE]"));
    let joined = lines.join("\n");
    assert!(joined.contains(r#""reasoning_blocks":[{"thinking":"Both tools are needed.","signature":"EqQBCkgIAxAB"}]"#), "{joined}");
    assert!(joined.contains(r#""finish_reason":"tool_calls""#));
}

#[test]
fn unknown_events_are_ignored_calls_without_input_get_empty_objects_and_truncation_is_reported() {
    let bytes = frames(&[
        ("messageStart", json!({"role": "assistant"})),
        ("someFutureEvent", json!({"anything": 1})),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "t", "name": "ping"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 0})),
    ]);
    let lines = run(&bytes, 11);
    assert!(!lines.iter().any(|l| l.starts_with("ERROR")), "{lines:?}");
    assert!(
        lines.last().unwrap().contains(r#""arguments":"{}""#),
        "{lines:?}"
    );
    let machine = BedrockToOpenAi::new("x", "m", 0);
    assert!(machine.finish().is_err());
}
