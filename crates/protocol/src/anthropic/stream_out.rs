//! Canonical chat chunks → Anthropic Messages stream events, as an explicit state machine (an
//! Anthropic client, such as Claude Code, streaming from an OpenAI-compatible model).
//!
//! Anthropic content blocks are sequential: one is open at a time, each opened with
//! `content_block_start` and closed with `content_block_stop`. Text, thinking and each tool
//! call get their own block; a change of kind closes the open block first. `message_delta`
//! (stop reason and usage) waits for the end of the stream, because OpenAI sends usage in a
//! chunk after the finishing one.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::ingress::message_id;
use super::usage::{from_openai, stop_reason};
use crate::canonical::{ChatChunk, ReasoningBlock, UsageOut};
use crate::gemini::signatures::{self, SignedPart};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    Text,
    Thinking,
    Tool,
}

/// One stream's translation state. Each method returns SSE frames (`event:` + `data:`).
#[derive(Debug, Default)]
pub struct OpenAiToAnthropic {
    model: String,
    started: bool,
    finished: bool,
    open: Option<(u32, Open)>,
    next_block: u32,
    /// OpenAI tool-call index → Anthropic block index.
    tools: HashMap<u32, u32>,
    stop_reason: Option<String>,
    usage: Option<UsageOut>,
}

impl OpenAiToAnthropic {
    pub fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            ..Self::default()
        }
    }

    pub fn usage(&self) -> Option<&UsageOut> {
        self.usage.as_ref()
    }

    /// Feeds one chunk.
    pub fn on_chunk(&mut self, chunk: &ChatChunk) -> Vec<String> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            out.push(frame("message_start", &json!({
                "type": "message_start",
                "message": {
                    "id": message_id(&chunk.id), "type": "message", "role": "assistant",
                    "model": self.model, "content": [], "stop_reason": null, "stop_sequence": null,
                    "usage": {"input_tokens": 0, "output_tokens": 0}
                }
            })));
        }
        if let Some(usage) = &chunk.usage {
            self.usage = Some(usage.clone());
        }
        let Some(choice) = chunk.choices.iter().find(|c| c.index == 0) else {
            return out;
        };
        let delta = &choice.delta;
        if let Some(reasoning) = delta.reasoning_content.as_deref().filter(|r| !r.is_empty()) {
            let index = self.ensure_open(
                Open::Thinking,
                &mut out,
                json!({"type": "thinking", "thinking": ""}),
            );
            out.push(delta_frame(
                index,
                json!({"type": "thinking_delta", "thinking": reasoning}),
            ));
        }
        for block in delta.reasoning_blocks.iter().flatten() {
            self.reasoning_block(block, &mut out);
        }
        if let Some(text) = delta.content.as_deref().filter(|t| !t.is_empty()) {
            let index = self.ensure_open(Open::Text, &mut out, json!({"type": "text", "text": ""}));
            out.push(delta_frame(
                index,
                json!({"type": "text_delta", "text": text}),
            ));
        }
        // Gemini thought signatures travel as text-less thinking blocks.
        if let Some(signature) = signatures::signature_in(delta.extra_content.as_ref()) {
            self.gemini_signature(SignedPart::Text, &signature, &mut out);
        }
        for call in delta.tool_calls.iter().flatten() {
            if let Some(signature) = signatures::signature_in(call.extra_content.as_ref()) {
                self.gemini_signature(SignedPart::Call(call.index as usize), &signature, &mut out);
            }
            let index =
                match self.tools.get(&call.index) {
                    Some(index) => *index,
                    None => {
                        self.close_open(&mut out);
                        let index = self.next_block;
                        self.next_block += 1;
                        self.tools.insert(call.index, index);
                        self.open = Some((index, Open::Tool));
                        let function = call.function.as_ref();
                        out.push(frame("content_block_start", &json!({
                        "type": "content_block_start", "index": index,
                        "content_block": {
                            "type": "tool_use",
                            "id": call.id.clone().unwrap_or_else(|| format!("toolu_{index}")),
                            "name": function.and_then(|f| f.name.clone()).unwrap_or_default(),
                            "input": {}
                        }
                    })));
                        index
                    }
                };
            if let Some(arguments) = call
                .function
                .as_ref()
                .and_then(|f| f.arguments.as_deref())
                .filter(|a| !a.is_empty())
            {
                out.push(delta_frame(
                    index,
                    json!({"type": "input_json_delta", "partial_json": arguments}),
                ));
            }
        }
        if let Some(finish) = choice.finish_reason.as_deref() {
            self.stop_reason = stop_reason(Some(finish));
        }
        out
    }

    /// Ends the message: closes the open block, then `message_delta` and `message_stop`.
    pub fn finish(&mut self) -> Vec<String> {
        if self.finished {
            return Vec::new();
        }
        self.finished = true;
        let mut out = Vec::new();
        if !self.started {
            out.extend(self.on_chunk(&ChatChunk {
                model: self.model.clone(),
                ..ChatChunk::default()
            }));
        }
        self.close_open(&mut out);
        let usage = self.usage.as_ref().map(from_openai).unwrap_or_default();
        out.push(frame("message_delta", &json!({
            "type": "message_delta",
            "delta": {"stop_reason": self.stop_reason.clone().unwrap_or_else(|| "end_turn".to_owned()), "stop_sequence": null},
            "usage": {
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "cache_read_input_tokens": usage.cache_read_input_tokens.unwrap_or(0),
                "cache_creation_input_tokens": usage.cache_creation_input_tokens.unwrap_or(0)
            }
        })));
        out.push(frame("message_stop", &json!({"type": "message_stop"})));
        out
    }

    /// An error event in Anthropic's envelope (the stream ends after it).
    pub fn error(&mut self, kind: &str, message: &str) -> Vec<String> {
        self.finished = true;
        vec![frame(
            "error",
            &json!({"type": "error", "error": {"type": kind, "message": message}}),
        )]
    }

    fn gemini_signature(&mut self, part: SignedPart, signature: &str, out: &mut Vec<String>) {
        self.close_open(out);
        let block = ReasoningBlock {
            thinking: None,
            signature: Some(signatures::to_anthropic_signature(part, signature)),
            redacted_data: None,
        };
        self.reasoning_block(&block, out);
    }

    fn reasoning_block(&mut self, block: &ReasoningBlock, out: &mut Vec<String>) {
        if let Some(data) = &block.redacted_data {
            self.close_open(out);
            let index = self.start_block(out, json!({"type": "redacted_thinking", "data": data}));
            self.open = Some((index, Open::Thinking));
            self.close_open(out);
            return;
        }
        let Some(signature) = &block.signature else {
            return;
        };
        if !matches!(self.open, Some((_, Open::Thinking))) {
            // Thinking text that was not streamed piecewise arrives whole with its signature.
            let index = self.ensure_open(
                Open::Thinking,
                out,
                json!({"type": "thinking", "thinking": ""}),
            );
            if let Some(text) = block.thinking.as_deref().filter(|t| !t.is_empty()) {
                out.push(delta_frame(
                    index,
                    json!({"type": "thinking_delta", "thinking": text}),
                ));
            }
        }
        if let Some((index, _)) = self.open {
            out.push(delta_frame(
                index,
                json!({"type": "signature_delta", "signature": signature}),
            ));
        }
        self.close_open(out);
    }

    fn ensure_open(&mut self, kind: Open, out: &mut Vec<String>, block: Value) -> u32 {
        if let Some((index, open)) = self.open
            && open == kind
        {
            return index;
        }
        self.close_open(out);
        let index = self.start_block(out, block);
        self.open = Some((index, kind));
        index
    }

    fn start_block(&mut self, out: &mut Vec<String>, block: Value) -> u32 {
        let index = self.next_block;
        self.next_block += 1;
        out.push(frame(
            "content_block_start",
            &json!({"type": "content_block_start", "index": index, "content_block": block}),
        ));
        index
    }

    fn close_open(&mut self, out: &mut Vec<String>) {
        if let Some((index, _)) = self.open.take() {
            out.push(frame(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": index}),
            ));
        }
    }
}

fn delta_frame(index: u32, delta: Value) -> String {
    frame(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": index, "delta": delta}),
    )
}

/// One SSE frame.
pub fn frame(event: &str, data: &Value) -> String {
    format!("event: {event}\ndata: {data}\n\n")
}

#[cfg(test)]
mod tests;
