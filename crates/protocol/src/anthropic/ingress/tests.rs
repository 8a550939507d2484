use serde_json::{Value, json};

use super::*;
use crate::report::Strictness;

fn canonical(request: Value) -> Result<Value, TranslationError> {
    let request: MessagesRequest = serde_json::from_value(request).unwrap();
    let mut report = TranslationReport::new(Strictness::Lenient);
    to_canonical(&request, &mut report).map(|r| serde_json::to_value(r).unwrap())
}

#[test]
fn claude_code_style_request_with_tool_results() {
    let out = canonical(json!({
        "model": "gpt-4o",
        "max_tokens": 1024,
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "List files"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Running ls."},
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "a.txt\nb.txt"}]},
                {"type": "text", "text": "Now count them"}
            ]}
        ],
        "tools": [{"name": "Bash", "description": "Run a command", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}],
        "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
        "stream": true,
        "metadata": {"user_id": "user-9"}
    }))
    .unwrap();
    let messages = out["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[0]["content"][0]["cache_control"],
        json!({"type": "ephemeral"})
    );
    assert_eq!(
        messages[2]["tool_calls"][0]["function"],
        json!({"name": "Bash", "arguments": "{\"command\":\"ls\"}"})
    );
    assert_eq!(
        messages[3],
        json!({"role": "tool", "content": "a.txt\nb.txt", "tool_call_id": "toolu_1"})
    );
    assert_eq!(
        messages[4],
        json!({"role": "user", "content": "Now count them"})
    );
    assert_eq!(
        out["tools"][0]["function"]["parameters"]["properties"]["command"]["type"],
        "string"
    );
    assert_eq!(out["tool_choice"], "auto");
    assert_eq!(out["parallel_tool_calls"], false);
    assert_eq!(out["stream_options"], json!({"include_usage": true}));
    assert_eq!(out["user"], "user-9");
    assert_eq!(out["max_tokens"], 1024);
}

#[test]
fn missing_max_tokens_and_tool_choice_without_tools_are_errors() {
    let err = canonical(json!({"model": "m", "messages": [{"role": "user", "content": "x"}]}))
        .unwrap_err();
    assert_eq!(err.param.as_deref(), Some("max_tokens"));
    let err = canonical(json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}], "tool_choice": {"type": "any"}})).unwrap_err();
    assert_eq!(err.param.as_deref(), Some("tool_choice"));
    let err = canonical(json!({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "video"}]}]})).unwrap_err();
    assert!(err.message.contains("video"));
}

#[test]
fn thinking_budget_to_effort() {
    let out = canonical(
        json!({"model": "m", "max_tokens": 20000, "messages": [{"role": "user", "content": "x"}],
        "thinking": {"type": "enabled", "budget_tokens": 10000}}),
    )
    .unwrap();
    assert_eq!(out["reasoning_effort"], "medium");
}

#[test]
fn chat_response_to_messages_response() {
    let response: ChatResponse = serde_json::from_value(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "Checking.",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140, "prompt_tokens_details": {"cached_tokens": 100}}
    }))
    .unwrap();
    let out = serde_json::to_value(to_messages_response(&response, "gpt-4o")).unwrap();
    assert_eq!(out["id"], "msg_chatcmpl-1");
    assert_eq!(out["type"], "message");
    assert_eq!(out["stop_reason"], "tool_use");
    assert_eq!(
        out["content"][0],
        json!({"type": "text", "text": "Checking."})
    );
    assert_eq!(
        out["content"][1],
        json!({"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}})
    );
    assert_eq!(out["usage"]["input_tokens"], 20);
    assert_eq!(out["usage"]["cache_read_input_tokens"], 100);
    assert_eq!(out["usage"]["output_tokens"], 20);
}
