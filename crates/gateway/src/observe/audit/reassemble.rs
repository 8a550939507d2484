//! Rebuilding one answer from a streamed one, so an audit row shows what the client received as
//! a single message rather than a pile of events (reference §4.13 "Streaming").
//!
//! Three dialects, each rebuilt into the shape its non-streamed answer has:
//! - OpenAI chat chunks → a `chat.completion` (content, reasoning, tool calls with their
//!   argument fragments joined, finish reason, usage), one choice per `index`;
//! - Anthropic Messages events → a `message` (text, thinking with its signature, `tool_use` with
//!   the `input_json_delta` fragments joined and parsed, `redacted_thinking`, stop reason,
//!   usage from `message_start` and `message_delta`);
//! - OpenAI Responses events → the `response` of the last lifecycle event
//!   (`response.completed`, `.incomplete`, `.failed`), or what was streamed before it.
//!
//! The gateway's own routes say which dialect they answer in; a passthrough stream is
//! recognised from its events. A mid-stream error event is kept as `error`. This runs when the
//! audit row is built, after the answer has been sent.

use gomodel_protocol::anthropic::wire::{Block, BlockDelta, MessagesResponse, StreamEvent};
use gomodel_protocol::sse::{EventSplitter, data_payload};
use serde_json::{Map, Value, json};

/// The event dialect of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenAiChat,
    Anthropic,
    Responses,
}

impl Dialect {
    /// The dialect a gateway route streams in; `None` where it depends on the provider
    /// (passthrough), and the events tell.
    pub fn of_endpoint(endpoint: &str) -> Option<Self> {
        if endpoint.starts_with("/v1/chat/completions") {
            Some(Self::OpenAiChat)
        } else if endpoint.starts_with("/v1/messages") {
            Some(Self::Anthropic)
        } else if endpoint.starts_with("/v1/responses") {
            Some(Self::Responses)
        } else {
            None
        }
    }

    /// Recognises a dialect from one event's JSON.
    fn detect(event: &Value) -> Option<Self> {
        if event.get("object").and_then(Value::as_str) == Some("chat.completion.chunk") {
            return Some(Self::OpenAiChat);
        }
        match event.get("type").and_then(Value::as_str)? {
            "message_start"
            | "content_block_start"
            | "content_block_delta"
            | "content_block_stop"
            | "message_delta"
            | "message_stop" => Some(Self::Anthropic),
            kind if kind.starts_with("response.") => Some(Self::Responses),
            _ => None,
        }
    }
}

/// The answer `stream` (SSE bytes) carried, or `None` when it holds no event of a known
/// dialect (the caller keeps it as text).
pub fn reassemble(stream: &[u8], dialect: Option<Dialect>) -> Option<Value> {
    let mut splitter = EventSplitter::new();
    splitter.push(stream);
    let mut raw = splitter.drain_events();
    raw.extend(splitter.take_remainder());
    let events: Vec<Value> = raw
        .iter()
        .filter_map(|event| data_payload(event))
        .filter_map(|data| serde_json::from_slice::<Value>(data.trim_ascii()).ok())
        .filter(Value::is_object)
        .collect();
    let dialect = dialect.or_else(|| events.iter().find_map(Dialect::detect))?;
    let mut answer = match dialect {
        Dialect::OpenAiChat => chat(&events)?,
        Dialect::Anthropic => messages(events)?,
        Dialect::Responses => responses(&events)?,
    };
    if let Some(object) = answer.as_object_mut() {
        object.insert("reassembled_from_stream".to_owned(), Value::Bool(true));
    }
    Some(answer)
}

/// One choice of a chat completion under reassembly.
#[derive(Default)]
struct Choice {
    content: String,
    reasoning: String,
    refusal: String,
    /// `(id, name, arguments)` per tool-call index.
    calls: Vec<(String, String, String)>,
    finish: Value,
}

fn chat(events: &[Value]) -> Option<Value> {
    let mut id = Value::Null;
    let mut model = Value::Null;
    let mut usage = Value::Null;
    let mut error = None;
    let mut choices: Vec<Choice> = Vec::new();
    let mut seen = false;
    for chunk in events {
        if let Some(e) = chunk.get("error").filter(|e| !e.is_null()) {
            error = Some(e.clone());
            continue;
        }
        if chunk.get("object").and_then(Value::as_str) != Some("chat.completion.chunk") {
            continue;
        }
        seen = true;
        id = chunk.get("id").cloned().unwrap_or(id);
        model = chunk.get("model").cloned().unwrap_or(model);
        if chunk.get("usage").is_some_and(|u| !u.is_null()) {
            usage = chunk["usage"].clone();
        }
        for part in chunk["choices"].as_array().into_iter().flatten() {
            let index = index_of(part);
            if choices.len() <= index {
                choices.resize_with(index + 1, Choice::default);
            }
            chat_delta(&mut choices[index], part);
        }
    }
    if !seen && error.is_none() {
        return None;
    }
    let choices: Vec<Value> = choices
        .into_iter()
        .enumerate()
        .map(|(index, choice)| {
            let mut message = json!({"role": "assistant", "content": choice.content});
            if !choice.reasoning.is_empty() {
                message["reasoning_content"] = Value::String(choice.reasoning);
            }
            if !choice.refusal.is_empty() {
                message["refusal"] = Value::String(choice.refusal);
            }
            if !choice.calls.is_empty() {
                message["tool_calls"] = choice
                    .calls
                    .into_iter()
                    .map(|(id, name, arguments)| {
                        json!({"id": id, "type": "function",
                               "function": {"name": name, "arguments": arguments}})
                    })
                    .collect();
            }
            json!({"index": index, "message": message, "finish_reason": choice.finish})
        })
        .collect();
    let mut answer = json!({"id": id, "object": "chat.completion", "model": model,
                            "choices": choices, "usage": usage});
    if let Some(error) = error {
        answer["error"] = error;
    }
    Some(answer)
}

/// Chunk indexes are small in practice; a hostile one must not allocate gigabytes.
const MAX_INDEX: usize = 1024;

fn index_of(part: &Value) -> usize {
    part["index"].as_u64().map_or(0, |i| {
        usize::try_from(i).unwrap_or(MAX_INDEX).min(MAX_INDEX)
    })
}

fn chat_delta(choice: &mut Choice, part: &Value) {
    let delta = &part["delta"];
    if let Some(text) = delta["content"].as_str() {
        choice.content.push_str(text);
    }
    // DeepSeek and vLLM say `reasoning_content`, OpenRouter and others `reasoning`.
    for key in ["reasoning_content", "reasoning"] {
        if let Some(text) = delta[key].as_str() {
            choice.reasoning.push_str(text);
        }
    }
    if let Some(text) = delta["refusal"].as_str() {
        choice.refusal.push_str(text);
    }
    for call in delta["tool_calls"].as_array().into_iter().flatten() {
        let index = index_of(call);
        if choice.calls.len() <= index {
            choice.calls.resize_with(index + 1, Default::default);
        }
        let slot = &mut choice.calls[index];
        if let Some(id) = call["id"].as_str() {
            id.clone_into(&mut slot.0);
        }
        if let Some(name) = call["function"]["name"].as_str() {
            slot.1.push_str(name);
        }
        if let Some(arguments) = call["function"]["arguments"].as_str() {
            slot.2.push_str(arguments);
        }
    }
    if !part["finish_reason"].is_null() {
        choice.finish = part["finish_reason"].clone();
    }
}

/// A content block under reassembly, with its tool input as the fragments joined so far.
struct OpenBlock {
    block: Block,
    partial_json: String,
}

fn messages(events: Vec<Value>) -> Option<Value> {
    let mut message: Option<MessagesResponse> = None;
    let mut blocks: Vec<Option<OpenBlock>> = Vec::new();
    let mut error = None;
    for event in events {
        let Ok(event) = serde_json::from_value::<StreamEvent>(event) else {
            continue;
        };
        match event {
            StreamEvent::MessageStart { message: start } => message = Some(start),
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let index = usize::try_from(index).unwrap_or(MAX_INDEX).min(MAX_INDEX);
                if blocks.len() <= index {
                    blocks.resize_with(index + 1, || None);
                }
                blocks[index] = Some(OpenBlock {
                    block: content_block,
                    partial_json: String::new(),
                });
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let slot = usize::try_from(index)
                    .ok()
                    .and_then(|i| blocks.get_mut(i))
                    .and_then(Option::as_mut);
                if let Some(open) = slot {
                    block_delta(open, delta);
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                let message = message.get_or_insert_with(MessagesResponse::default);
                if delta.stop_reason.is_some() {
                    message.stop_reason = delta.stop_reason;
                }
                if delta.stop_sequence.is_some() {
                    message.stop_sequence = delta.stop_sequence;
                }
                if let Some(usage) = usage {
                    // `message_delta` usage is cumulative; input counts come only when known.
                    message.usage.output_tokens = usage.output_tokens;
                    if usage.input_tokens > 0 {
                        message.usage.input_tokens = usage.input_tokens;
                    }
                    if usage.cache_read_input_tokens.is_some() {
                        message.usage.cache_read_input_tokens = usage.cache_read_input_tokens;
                    }
                    if usage.cache_creation_input_tokens.is_some() {
                        message.usage.cache_creation_input_tokens =
                            usage.cache_creation_input_tokens;
                    }
                }
            }
            StreamEvent::Error { error: body } => {
                error = Some(json!({"type": body.kind, "message": body.message}));
            }
            StreamEvent::ContentBlockStop { .. }
            | StreamEvent::MessageStop
            | StreamEvent::Ping
            | StreamEvent::Unknown => {}
        }
    }
    if message.is_none() && error.is_none() {
        return None;
    }
    let mut message = message.unwrap_or_default();
    message.content = blocks.into_iter().flatten().map(close_block).collect();
    let mut answer = serde_json::to_value(&message).ok()?;
    if let Some(error) = error {
        answer["error"] = error;
    }
    Some(answer)
}

fn block_delta(open: &mut OpenBlock, delta: BlockDelta) {
    let block = &mut open.block;
    match delta.kind.as_str() {
        "text_delta" => append(&mut block.text, delta.text),
        "thinking_delta" => append(&mut block.thinking, delta.thinking),
        "signature_delta" => append(&mut block.signature, delta.signature),
        "input_json_delta" => {
            if let Some(fragment) = delta.partial_json {
                open.partial_json.push_str(&fragment);
            }
        }
        // citations_delta and future kinds: the text they annotate is already kept.
        _ => {}
    }
}

fn append(field: &mut Option<String>, piece: Option<String>) {
    if let Some(piece) = piece {
        field.get_or_insert_with(String::new).push_str(&piece);
    }
}

/// A finished block: a tool call's joined input parsed (kept as text when the stream was cut
/// mid-argument and it does not parse).
fn close_block(open: OpenBlock) -> Block {
    let mut block = open.block;
    if block.kind.ends_with("tool_use") && !open.partial_json.trim().is_empty() {
        block.input = Some(
            serde_json::from_str(&open.partial_json).unwrap_or(Value::String(open.partial_json)),
        );
    }
    block
}

fn responses(events: &[Value]) -> Option<Value> {
    let mut response: Option<Value> = None;
    let mut finished = false;
    let mut text = String::new();
    let mut error = None;
    for event in events {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "response.completed" | "response.incomplete" | "response.failed" | "response.done" => {
                response = event.get("response").cloned().or(response);
                finished = true;
            }
            "response.output_text.delta" => {
                if let Some(delta) = event.get("delta").and_then(Value::as_str) {
                    text.push_str(delta);
                }
            }
            "error" => error = Some(event.clone()),
            _ if !finished && event.get("response").is_some_and(Value::is_object) => {
                response = event.get("response").cloned();
            }
            _ => {}
        }
    }
    if response.is_none() && error.is_none() && text.is_empty() {
        return None;
    }
    let mut answer = response.unwrap_or_else(|| Value::Object(Map::new()));
    if !finished && !text.is_empty() {
        // Cut before the final event: keep what was streamed.
        answer["output_text"] = Value::String(text);
    }
    if let Some(error) = error {
        answer["error"] = error;
    }
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse(events: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        for event in events {
            out.extend_from_slice(format!("data: {event}\n\n").as_bytes());
        }
        out
    }

    #[test]
    fn chat_chunks_become_one_completion_with_joined_tool_arguments() {
        let mut stream = sse(&[
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}]}),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {"content": "lo", "reasoning_content": "hm"}}]}),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {"tool_calls": [
                       {"index": 0, "id": "call_1", "function": {"name": "get_weather", "arguments": "{\"ci"}}]}}]}),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {"tool_calls": [
                       {"index": 0, "function": {"arguments": "ty\":\"Paris\"}"}}]}, "finish_reason": "tool_calls"}]}),
            json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m", "choices": [],
                   "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}),
        ]);
        stream.extend_from_slice(b"data: [DONE]\n\n");
        let answer = reassemble(&stream, Some(Dialect::OpenAiChat)).unwrap();
        let message = &answer["choices"][0]["message"];
        assert_eq!(answer["id"], "chatcmpl-1");
        assert_eq!(message["content"], "Hello");
        assert_eq!(message["reasoning_content"], "hm");
        assert_eq!(
            message["tool_calls"][0]["function"]["arguments"],
            "{\"city\":\"Paris\"}"
        );
        assert_eq!(answer["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(answer["usage"]["total_tokens"], 5);
        assert_eq!(answer["reassembled_from_stream"], true);
        // The same stream through passthrough: recognised from its events.
        assert_eq!(reassemble(&stream, None), Some(answer));
    }

    #[test]
    fn anthropic_events_become_one_message() {
        let stream = sse(&[
            json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
                   "model": "claude-sonnet-4-5", "content": [], "stop_reason": null,
                   "usage": {"input_tokens": 10, "output_tokens": 1, "cache_read_input_tokens": 4}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me "}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "think."}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "sig=="}}),
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Checking"}}),
            json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": " now."}}),
            json!({"type": "content_block_stop", "index": 1}),
            json!({"type": "content_block_start", "index": 2, "content_block": {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": ""}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
            json!({"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "ris\"}"}}),
            json!({"type": "content_block_stop", "index": 2}),
            json!({"type": "content_block_start", "index": 3, "content_block": {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}}}),
            json!({"type": "content_block_stop", "index": 3}),
            json!({"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": null},
                   "usage": {"output_tokens": 42}}),
            json!({"type": "message_stop"}),
        ]);
        let answer = reassemble(&stream, Some(Dialect::Anthropic)).unwrap();
        assert_eq!(answer["id"], "msg_1");
        assert_eq!(answer["type"], "message");
        assert_eq!(answer["stop_reason"], "tool_use");
        assert_eq!(answer["usage"]["input_tokens"], 10);
        assert_eq!(answer["usage"]["output_tokens"], 42);
        assert_eq!(answer["usage"]["cache_read_input_tokens"], 4);
        let content = answer["content"].as_array().unwrap();
        assert_eq!(content[0]["thinking"], "Let me think.");
        assert_eq!(content[0]["signature"], "sig==");
        assert_eq!(content[1]["text"], "Checking now.");
        assert_eq!(content[2]["input"], json!({"city": "Paris"}));
        assert_eq!(
            content[3]["input"],
            json!({}),
            "an argument-less call keeps {{}}"
        );
        assert_eq!(reassemble(&stream, None), Some(answer));
    }

    #[test]
    fn a_cut_anthropic_stream_keeps_what_arrived_and_the_error() {
        let stream = sse(&[
            json!({"type": "message_start", "message": {"id": "msg_2", "type": "message", "role": "assistant",
                   "model": "m", "content": [], "usage": {"input_tokens": 1, "output_tokens": 0}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use", "id": "t", "name": "f", "input": {}}}),
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"a\": 1"}}),
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        ]);
        let answer = reassemble(&stream, Some(Dialect::Anthropic)).unwrap();
        assert_eq!(answer["content"][0]["input"], "{\"a\": 1");
        assert_eq!(answer["error"]["type"], "overloaded_error");
    }

    #[test]
    fn responses_streams_keep_the_final_response() {
        let stream = sse(&[
            json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": []}}),
            json!({"type": "response.output_text.delta", "delta": "Hi"}),
            json!({"type": "response.completed", "response": {"id": "resp_1", "status": "completed",
                   "output": [{"type": "message", "content": [{"type": "output_text", "text": "Hi"}]}]}}),
        ]);
        let answer = reassemble(&stream, None).unwrap();
        assert_eq!(answer["id"], "resp_1");
        assert_eq!(answer["status"], "completed");
        assert!(answer.get("output_text").is_none());

        let cut = sse(&[
            json!({"type": "response.created", "response": {"id": "resp_2", "status": "in_progress"}}),
            json!({"type": "response.output_text.delta", "delta": "Par"}),
        ]);
        let answer = reassemble(&cut, Some(Dialect::Responses)).unwrap();
        assert_eq!(
            (answer["id"].clone(), answer["output_text"].clone()),
            (json!("resp_2"), json!("Par"))
        );
    }

    #[test]
    fn unknown_streams_are_left_to_the_caller() {
        assert_eq!(reassemble(b"data: {\"candidates\": []}\n\n", None), None);
        assert_eq!(reassemble(b"not sse at all", None), None);
        assert_eq!(reassemble(b"", Some(Dialect::OpenAiChat)), None);
    }
}
