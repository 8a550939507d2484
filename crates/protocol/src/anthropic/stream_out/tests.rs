use serde_json::{Value, json};

use super::*;
use crate::testing::assert_golden;

fn run(chunks: &[Value]) -> Vec<String> {
    let mut machine = OpenAiToAnthropic::new("gpt-4o");
    let mut frames = Vec::new();
    for chunk in chunks {
        let chunk: ChatChunk = serde_json::from_value(chunk.clone()).unwrap();
        frames.extend(machine.on_chunk(&chunk));
    }
    frames.extend(machine.finish());
    frames
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

fn events(frames: &[String]) -> Vec<Value> {
    frames
        .iter()
        .map(|f| serde_json::from_str(f.split_once("data: ").unwrap().1.trim()).unwrap())
        .collect()
}

#[test]
fn text_then_parallel_tool_calls_then_usage() {
    let frames = run(&[
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Checking"}), None),
        chunk(json!({"content": " both."}), None),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
        json!({"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [],
            "usage": {"prompt_tokens": 50, "completion_tokens": 12, "total_tokens": 62}}),
    ]);
    assert_golden("anthropic/stream_out_tools.golden.jsonl", &frames);
    let events = events(&frames);
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "message_start",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]
    );
    assert_eq!(
        events[5]["content_block"],
        json!({"type": "tool_use", "id": "call_a", "name": "get_weather", "input": {}})
    );
    assert_eq!(events[9]["index"], 2);
    assert_eq!(events[12]["delta"]["stop_reason"], "tool_use");
    assert_eq!(events[12]["usage"]["input_tokens"], 50);
    assert_eq!(events[12]["usage"]["output_tokens"], 12);
}

#[test]
fn reasoning_becomes_a_thinking_block_with_its_signature() {
    let frames = run(&[
        chunk(json!({"reasoning_content": "Let me think."}), None),
        chunk(
            json!({"reasoning_blocks": [{"thinking": "Let me think.", "signature": "c2ln"}]}),
            None,
        ),
        chunk(json!({"content": "42"}), Some("stop")),
    ]);
    let events = events(&frames);
    assert_eq!(events[1]["content_block"]["type"], "thinking");
    assert_eq!(
        events[2]["delta"],
        json!({"type": "thinking_delta", "thinking": "Let me think."})
    );
    assert_eq!(
        events[3]["delta"],
        json!({"type": "signature_delta", "signature": "c2ln"})
    );
    assert_eq!(events[4]["type"], "content_block_stop");
    assert_eq!(events[5]["content_block"]["type"], "text");
    assert_eq!(events.last().unwrap()["type"], "message_stop");
}

#[test]
fn an_empty_stream_still_forms_a_message() {
    let frames = run(&[]);
    let events = events(&frames);
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message_start", "message_delta", "message_stop"]);
}
