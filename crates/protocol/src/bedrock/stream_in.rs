//! ConverseStream events → canonical chat chunks, as an explicit state machine.
//!
//! Events (told apart by the frame's `:event-type`): `messageStart`, `contentBlockStart`
//! (tool calls), `contentBlockDelta` (text, tool input fragments, reasoning text and its
//! signature), `contentBlockStop`, `messageStop`, `metadata` (usage). Each `toolUse` block gets
//! the next OpenAI tool-call index; a reasoning block's text and signature are gathered and
//! sent once, verbatim, when the block stops. `metadata` ends the stream (usage chunk, then
//! `[DONE]`). Exception frames never reach this machine (the relay ends the stream on them);
//! event types it does not know (ones AWS adds later) are ignored, as the AWS SDKs do.

use std::collections::HashMap;

use super::usage::{finish_reason, to_usage_out};
use super::wire::StreamPayload;
use crate::canonical::{
    ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ReasoningBlock, ToolCallDelta,
};

/// What the caller must do after one event.
#[derive(Debug, Clone)]
pub enum Output {
    Chunks(Vec<ChatChunk>),
    /// The stream is complete: send these, then `[DONE]`.
    Done(Vec<ChatChunk>),
    Error {
        kind: String,
        message: String,
    },
}

#[derive(Debug)]
enum Block {
    Tool {
        index: u32,
        /// Whether any argument fragment arrived.
        got_input: bool,
    },
    Reasoning {
        text: String,
        signature: Option<String>,
    },
}

#[derive(Debug)]
pub struct BedrockToOpenAi {
    id: String,
    model: String,
    created: i64,
    blocks: HashMap<u32, Block>,
    next_tool: u32,
    stopped: bool,
}

impl BedrockToOpenAi {
    pub fn new(id: &str, model: &str, created: i64) -> Self {
        Self {
            id: id.to_owned(),
            model: model.to_owned(),
            created,
            blocks: HashMap::new(),
            next_tool: 0,
            stopped: false,
        }
    }

    /// Feeds one event: its `:event-type` (or exception type) and payload.
    pub fn on_event(&mut self, event_type: &str, payload: StreamPayload) -> Output {
        let index = payload.content_block_index.unwrap_or(0);
        match event_type {
            "messageStart" => Output::Chunks(vec![self.chunk(
                Delta {
                    role: Some(payload.role.unwrap_or_else(|| "assistant".to_owned())),
                    ..Delta::default()
                },
                None,
            )]),
            "contentBlockStart" => {
                let Some(tool) = payload.start.and_then(|s| s.tool_use) else {
                    return Output::Chunks(Vec::new());
                };
                let tool_index = self.next_tool;
                self.next_tool += 1;
                self.blocks.insert(
                    index,
                    Block::Tool {
                        index: tool_index,
                        got_input: false,
                    },
                );
                Output::Chunks(vec![self.tool_delta(ToolCallDelta {
                    index: tool_index,
                    id: Some(tool.tool_use_id),
                    kind: Some("function".to_owned()),
                    function: Some(FunctionCallDelta {
                        name: Some(tool.name),
                        arguments: Some(String::new()),
                    }),
                    extra_content: None,
                })])
            }
            "contentBlockDelta" => self.on_delta(index, payload),
            "contentBlockStop" => match self.blocks.remove(&index) {
                // A call without arguments: OpenAI clients parse the arguments as JSON, so
                // they get `{}` rather than an empty string.
                Some(Block::Tool {
                    index: tool_index,
                    got_input: false,
                }) => Output::Chunks(vec![self.tool_delta(ToolCallDelta {
                    index: tool_index,
                    id: None,
                    kind: None,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: Some("{}".to_owned()),
                    }),
                    extra_content: None,
                })]),
                Some(Block::Reasoning { text, signature }) => Output::Chunks(vec![self.chunk(
                    Delta {
                        reasoning_blocks: Some(vec![ReasoningBlock {
                            thinking: Some(text),
                            signature,
                            redacted_data: None,
                        }]),
                        ..Delta::default()
                    },
                    None,
                )]),
                _ => Output::Chunks(Vec::new()),
            },
            "messageStop" => {
                self.stopped = true;
                let reason = payload.stop_reason.unwrap_or_default();
                let mut delta = Delta::default();
                let finish = finish_reason(&reason);
                if finish == "content_filter" {
                    delta.refusal = Some(format!("Bedrock stopped the answer: {reason}"));
                }
                Output::Chunks(vec![self.chunk(delta, Some(finish))])
            }
            "metadata" => {
                let mut chunks = Vec::new();
                if let Some(usage) = payload.usage {
                    chunks.push(ChatChunk {
                        id: self.id.clone(),
                        object: "chat.completion.chunk".to_owned(),
                        created: self.created,
                        model: self.model.clone(),
                        choices: Vec::new(),
                        usage: Some(to_usage_out(&usage)),
                    });
                }
                Output::Done(chunks)
            }
            _ => Output::Chunks(Vec::new()),
        }
    }

    fn on_delta(&mut self, index: u32, payload: StreamPayload) -> Output {
        let Some(delta) = payload.delta else {
            return Output::Chunks(Vec::new());
        };
        if let Some(text) = delta.text.filter(|t| !t.is_empty()) {
            return Output::Chunks(vec![self.chunk(
                Delta {
                    content: Some(text),
                    ..Delta::default()
                },
                None,
            )]);
        }
        if let Some(tool) = delta.tool_use {
            let Some(Block::Tool {
                index: tool_index,
                got_input,
            }) = self.blocks.get_mut(&index)
            else {
                return Output::Error {
                    kind: "invalid_provider_response".to_owned(),
                    message: format!(
                        "Bedrock sent tool input for block {index}, which is not a tool call"
                    ),
                };
            };
            if !tool.input.is_empty() {
                *got_input = true;
            }
            let tool_index = *tool_index;
            return Output::Chunks(vec![self.tool_delta(ToolCallDelta {
                index: tool_index,
                id: None,
                kind: None,
                function: Some(FunctionCallDelta {
                    name: None,
                    arguments: Some(tool.input),
                }),
                extra_content: None,
            })]);
        }
        if let Some(reasoning) = delta.reasoning_content {
            if let Some(data) = reasoning.redacted_content {
                return Output::Chunks(vec![self.chunk(
                    Delta {
                        reasoning_blocks: Some(vec![ReasoningBlock {
                            thinking: None,
                            signature: None,
                            redacted_data: Some(data),
                        }]),
                        ..Delta::default()
                    },
                    None,
                )]);
            }
            let block = self.blocks.entry(index).or_insert(Block::Reasoning {
                text: String::new(),
                signature: None,
            });
            if let Block::Reasoning { text, signature } = block {
                if let Some(piece) = &reasoning.text {
                    text.push_str(piece);
                }
                if let Some(sig) = reasoning.signature {
                    signature.get_or_insert_with(String::new).push_str(&sig);
                }
            }
            if let Some(piece) = reasoning.text.filter(|t| !t.is_empty()) {
                return Output::Chunks(vec![self.chunk(
                    Delta {
                        reasoning_content: Some(piece),
                        ..Delta::default()
                    },
                    None,
                )]);
            }
        }
        Output::Chunks(Vec::new())
    }

    /// The stream ended without `metadata`: complete when `messageStop` came.
    pub fn finish(&self) -> Result<Vec<ChatChunk>, String> {
        if self.stopped {
            Ok(Vec::new())
        } else {
            Err("Bedrock stream ended before messageStop".to_owned())
        }
    }

    fn tool_delta(&self, call: ToolCallDelta) -> ChatChunk {
        self.chunk(
            Delta {
                tool_calls: Some(vec![call]),
                ..Delta::default()
            },
            None,
        )
    }

    fn chunk(&self, delta: Delta, finish: Option<&str>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish.map(str::to_owned),
                logprobs: None,
            }],
            usage: None,
        }
    }
}

#[cfg(test)]
mod tests;
