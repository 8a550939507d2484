//! Anthropic Messages stream → canonical chat chunks, as an explicit state machine.
//!
//! Events in (`message_start`, `content_block_start/delta/stop`, `message_delta`,
//! `message_stop`, `ping`, `error`), chunks out. The state tracks which Anthropic content block
//! is which kind, maps each `tool_use` block to an OpenAI tool-call index (0, 1, 2... in the
//! order the calls start, however blocks interleave with text and thinking), accumulates
//! thinking text and its signature (emitted once, verbatim, when the block stops), and merges
//! usage from `message_start` (input and cache counts) with `message_delta` (output count).

use std::collections::HashMap;

use super::usage::{finish_reason, to_openai};
use super::wire::{Block, BlockDelta, StreamEvent, Usage};
use crate::canonical::{
    ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ReasoningBlock, ToolCallDelta,
};

/// What the caller must do after feeding one event.
#[derive(Debug, Clone)]
pub enum Output {
    /// Send these chunks.
    Chunks(Vec<ChatChunk>),
    /// The stream is complete: send `data: [DONE]`.
    Done,
    /// The provider reported an error: end the stream with it.
    Error { kind: String, message: String },
}

#[derive(Debug, Clone)]
enum BlockState {
    Text,
    Thinking {
        text: String,
        signature: Option<String>,
    },
    ToolUse {
        openai_index: u32,
    },
    Other,
}

/// One stream's translation state.
#[derive(Debug)]
pub struct AnthropicToOpenAi {
    id: String,
    model: String,
    created: i64,
    blocks: HashMap<u32, BlockState>,
    next_tool_index: u32,
    usage: Usage,
    finished: bool,
}

impl AnthropicToOpenAi {
    pub fn new(model: &str, created: i64) -> Self {
        Self {
            id: String::new(),
            model: model.to_owned(),
            created,
            blocks: HashMap::new(),
            next_tool_index: 0,
            usage: Usage::default(),
            finished: false,
        }
    }

    /// Usage so far (input counts from `message_start`, output from `message_delta`).
    pub fn usage(&self) -> &Usage {
        &self.usage
    }

    /// Feeds one decoded event.
    pub fn on_event(&mut self, event: StreamEvent) -> Output {
        match event {
            StreamEvent::MessageStart { message } => {
                self.id = message.id;
                if !message.model.is_empty() {
                    self.model = message.model;
                }
                self.usage = message.usage;
                Output::Chunks(vec![self.chunk(
                    Delta {
                        role: Some("assistant".to_owned()),
                        content: Some(String::new()),
                        ..Delta::default()
                    },
                    None,
                )])
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => self.block_start(index, content_block),
            StreamEvent::ContentBlockDelta { index, delta } => self.block_delta(index, delta),
            StreamEvent::ContentBlockStop { index } => self.block_stop(index),
            StreamEvent::MessageDelta { delta, usage } => {
                if let Some(usage) = usage {
                    self.merge_usage(&usage);
                }
                let finish =
                    finish_reason(delta.stop_reason.as_deref()).or_else(|| Some("stop".to_owned()));
                let mut finish_chunk = self.chunk(Delta::default(), finish);
                finish_chunk.usage = None;
                let mut usage_chunk = self.chunk(Delta::default(), None);
                usage_chunk.choices.clear();
                usage_chunk.usage = Some(to_openai(&self.usage));
                Output::Chunks(vec![finish_chunk, usage_chunk])
            }
            StreamEvent::MessageStop => {
                self.finished = true;
                Output::Done
            }
            StreamEvent::Ping | StreamEvent::Unknown => Output::Chunks(Vec::new()),
            StreamEvent::Error { error } => Output::Error {
                kind: error.kind,
                message: error.message,
            },
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn block_start(&mut self, index: u32, block: Block) -> Output {
        match block.kind.as_str() {
            "text" => {
                self.blocks.insert(index, BlockState::Text);
                match block.text.filter(|t| !t.is_empty()) {
                    Some(text) => Output::Chunks(vec![self.chunk(
                        Delta {
                            content: Some(text),
                            ..Delta::default()
                        },
                        None,
                    )]),
                    None => Output::Chunks(Vec::new()),
                }
            }
            "thinking" => {
                self.blocks.insert(
                    index,
                    BlockState::Thinking {
                        text: block.thinking.unwrap_or_default(),
                        signature: block.signature,
                    },
                );
                Output::Chunks(Vec::new())
            }
            "redacted_thinking" => {
                self.blocks.insert(index, BlockState::Other);
                let reasoning = ReasoningBlock {
                    thinking: None,
                    signature: None,
                    redacted_data: block.data,
                };
                Output::Chunks(vec![self.chunk(
                    Delta {
                        reasoning_blocks: Some(vec![reasoning]),
                        ..Delta::default()
                    },
                    None,
                )])
            }
            "tool_use" | "server_tool_use" => {
                let openai_index = self.next_tool_index;
                self.next_tool_index += 1;
                self.blocks
                    .insert(index, BlockState::ToolUse { openai_index });
                // Id and name first, with empty arguments; the arguments follow as fragments.
                // A non-empty `input` on the start event (rare) is sent whole.
                let initial = block
                    .input
                    .filter(|i| i.as_object().is_some_and(|o| !o.is_empty()))
                    .map(|i| i.to_string())
                    .unwrap_or_default();
                let call = ToolCallDelta {
                    index: openai_index,
                    id: block.id,
                    kind: Some("function".to_owned()),
                    function: Some(FunctionCallDelta {
                        name: block.name,
                        arguments: Some(initial),
                    }),
                    extra_content: None,
                };
                Output::Chunks(vec![self.chunk(
                    Delta {
                        tool_calls: Some(vec![call]),
                        ..Delta::default()
                    },
                    None,
                )])
            }
            _ => {
                self.blocks.insert(index, BlockState::Other);
                Output::Chunks(Vec::new())
            }
        }
    }

    fn block_delta(&mut self, index: u32, delta: BlockDelta) -> Output {
        let out = match (self.blocks.get_mut(&index), delta.kind.as_str()) {
            (_, "text_delta") => Delta {
                content: delta.text,
                ..Delta::default()
            },
            (Some(BlockState::Thinking { text, .. }), "thinking_delta") => {
                let piece = delta.thinking.unwrap_or_default();
                text.push_str(&piece);
                Delta {
                    reasoning_content: Some(piece),
                    ..Delta::default()
                }
            }
            (_, "thinking_delta") => Delta {
                reasoning_content: delta.thinking,
                ..Delta::default()
            },
            (Some(BlockState::Thinking { signature, .. }), "signature_delta") => {
                // Signatures are opaque: concatenated as received, sent once at block stop.
                let piece = delta.signature.unwrap_or_default();
                signature.get_or_insert_with(String::new).push_str(&piece);
                return Output::Chunks(Vec::new());
            }
            (Some(BlockState::ToolUse { openai_index }), "input_json_delta") => {
                let call = ToolCallDelta {
                    index: *openai_index,
                    id: None,
                    kind: None,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: delta.partial_json,
                    }),
                    extra_content: None,
                };
                Delta {
                    tool_calls: Some(vec![call]),
                    ..Delta::default()
                }
            }
            _ => return Output::Chunks(Vec::new()),
        };
        Output::Chunks(vec![self.chunk(out, None)])
    }

    fn block_stop(&mut self, index: u32) -> Output {
        match self.blocks.remove(&index) {
            Some(BlockState::Thinking {
                text,
                signature: Some(signature),
            }) => {
                let block = ReasoningBlock {
                    thinking: Some(text),
                    signature: Some(signature),
                    redacted_data: None,
                };
                Output::Chunks(vec![self.chunk(
                    Delta {
                        reasoning_blocks: Some(vec![block]),
                        ..Delta::default()
                    },
                    None,
                )])
            }
            _ => Output::Chunks(Vec::new()),
        }
    }

    fn merge_usage(&mut self, usage: &Usage) {
        // message_delta carries the final output count; input counts may repeat (or be absent).
        self.usage.output_tokens = usage.output_tokens;
        if usage.input_tokens > 0 {
            self.usage.input_tokens = usage.input_tokens;
        }
        if usage.cache_read_input_tokens.is_some() {
            self.usage.cache_read_input_tokens = usage.cache_read_input_tokens;
        }
        if usage.cache_creation_input_tokens.is_some() {
            self.usage.cache_creation_input_tokens = usage.cache_creation_input_tokens;
        }
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<String>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason,
                logprobs: None,
            }],
            usage: None,
        }
    }
}

#[cfg(test)]
mod tests;
