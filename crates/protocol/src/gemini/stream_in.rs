//! Gemini stream events → canonical chat chunks, as an explicit state machine.
//!
//! `streamGenerateContent?alt=sse` sends whole `GenerateContentResponse`s: each carries the
//! next pieces of every candidate's parts, running usage, and on the last one the finish
//! reason. There is no end marker: the stream ends when the connection does, so the caller
//! calls [`GeminiToOpenAi::finish`] at end of input, which yields the usage chunk (or says the
//! stream was cut short). Function calls arrive whole, so each becomes one tool-call delta
//! with its full arguments; indexes count calls per candidate across events.

use std::collections::HashMap;

use super::response::{arguments_text, part_text, response_id};
use super::signatures::extra_content;
use super::usage::{describe_block, finish_reason, stop_explanation, to_usage_out};
use super::wire::{Candidate, GenerateContentResponse, UsageMetadata};
use super::{ids, logprobs};
use crate::canonical::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};

/// What the caller must do after feeding one event.
#[derive(Debug, Clone)]
pub enum Output {
    /// Send these chunks (possibly none).
    Chunks(Vec<ChatChunk>),
    /// The provider reported an error: end the stream with it.
    Error { kind: String, message: String },
}

#[derive(Debug, Default)]
struct CandidateState {
    role_sent: bool,
    tool_calls: usize,
    finished: bool,
}

/// One stream's translation state.
#[derive(Debug)]
pub struct GeminiToOpenAi {
    id: Option<String>,
    fallback_id: String,
    model: String,
    created: i64,
    candidates: HashMap<u32, CandidateState>,
    usage: Option<UsageMetadata>,
    blocked: bool,
}

impl GeminiToOpenAi {
    pub fn new(model: &str, created: i64, fallback_id: &str) -> Self {
        Self {
            id: None,
            fallback_id: fallback_id.to_owned(),
            model: model.to_owned(),
            created,
            candidates: HashMap::new(),
            usage: None,
            blocked: false,
        }
    }

    pub fn on_event(&mut self, event: GenerateContentResponse) -> Output {
        if let Some(error) = &event.error {
            return Output::Error {
                kind: if error.status.is_empty() {
                    "provider_error".to_owned()
                } else {
                    error.status.to_ascii_lowercase()
                },
                message: format!("Gemini stream error: {}", error.message),
            };
        }
        if self.id.is_none() {
            self.id = Some(response_id(&event, &self.fallback_id));
        }
        if let Some(model) = &event.model_version {
            self.model.clone_from(model);
        }
        if let Some(usage) = event.usage_metadata.clone() {
            self.usage = Some(usage);
        }
        let mut chunks = Vec::new();
        if event.candidates.is_empty() {
            if let Some(reason) = event
                .prompt_feedback
                .as_ref()
                .and_then(|f| f.block_reason.as_deref())
            {
                let feedback = event.prompt_feedback.clone().unwrap_or_default();
                self.blocked = true;
                let refusal = format!(
                    "Gemini blocked the prompt: {}",
                    describe_block(
                        reason,
                        feedback.block_reason_message.as_deref(),
                        feedback.safety_ratings.as_deref().unwrap_or_default()
                    )
                );
                chunks.push(self.chunk(
                    0,
                    Delta {
                        role: Some("assistant".to_owned()),
                        refusal: Some(refusal),
                        ..Delta::default()
                    },
                    Some("content_filter"),
                ));
            }
            return Output::Chunks(chunks);
        }
        for (position, candidate) in event.candidates.iter().enumerate() {
            let index = candidate.index.unwrap_or(position as u32);
            self.candidate_chunks(index, candidate, &mut chunks);
        }
        Output::Chunks(chunks)
    }

    fn candidate_chunks(&mut self, index: u32, candidate: &Candidate, out: &mut Vec<ChatChunk>) {
        let id = self.id.clone().unwrap_or_default();
        let state = self.candidates.entry(index).or_default();
        let mut delta = Delta::default();
        if !state.role_sent {
            state.role_sent = true;
            delta.role = Some("assistant".to_owned());
        }
        let mut calls = Vec::new();
        let parts = candidate
            .content
            .as_ref()
            .map(|c| c.parts.as_slice())
            .unwrap_or_default();
        for part in parts {
            if let Some(call) = &part.function_call {
                let position = state.tool_calls;
                state.tool_calls += 1;
                let seed = format!("{id}/{index}");
                calls.push(ToolCallDelta {
                    index: position as u32,
                    id: Some(
                        call.id
                            .clone()
                            .filter(|id| !id.is_empty())
                            .unwrap_or_else(|| ids::synthesize(&seed, position)),
                    ),
                    kind: Some("function".to_owned()),
                    function: Some(FunctionCallDelta {
                        name: Some(call.name.clone()),
                        arguments: Some(arguments_text(call.args.as_ref())),
                    }),
                    extra_content: part.thought_signature.as_deref().map(extra_content),
                });
            } else if part.is_thought() {
                push_opt(
                    &mut delta.reasoning_content,
                    part.text.as_deref().unwrap_or(""),
                );
            } else {
                push_opt(&mut delta.content, &part_text(part));
                if let Some(signature) = &part.thought_signature {
                    delta.extra_content = Some(extra_content(signature));
                }
            }
        }
        if !calls.is_empty() {
            delta.tool_calls = Some(calls);
        }
        let finish = candidate.finish_reason.as_deref().map(|reason| {
            state.finished = true;
            delta.refusal = stop_explanation(candidate);
            finish_reason(reason, state.tool_calls > 0)
        });
        let logprobs = candidate.logprobs_result.as_ref().map(logprobs::to_openai);
        if delta != Delta::default() || finish.is_some() || logprobs.is_some() {
            let mut chunk = self.chunk(index, delta, finish);
            if let Some(choice) = chunk.choices.first_mut() {
                choice.logprobs = logprobs;
            }
            out.push(chunk);
        }
    }

    /// End of input: the usage chunk, or an error when no candidate finished (the stream was
    /// cut short).
    pub fn finish(&mut self) -> Result<Vec<ChatChunk>, String> {
        if !self.is_finished() {
            return Err("Gemini stream ended before a finish reason".to_owned());
        }
        let mut chunks = Vec::new();
        if let Some(usage) = &self.usage {
            chunks.push(ChatChunk {
                id: self.id.clone().unwrap_or_default(),
                object: "chat.completion.chunk".to_owned(),
                created: self.created,
                model: self.model.clone(),
                choices: Vec::new(),
                usage: Some(to_usage_out(usage)),
            });
        }
        Ok(chunks)
    }

    /// Every candidate seen has finished (or the prompt was blocked).
    pub fn is_finished(&self) -> bool {
        self.blocked
            || (!self.candidates.is_empty() && self.candidates.values().all(|c| c.finished))
    }

    pub fn usage(&self) -> Option<&UsageMetadata> {
        self.usage.as_ref()
    }

    fn chunk(&self, index: u32, delta: Delta, finish: Option<&str>) -> ChatChunk {
        ChatChunk {
            id: self.id.clone().unwrap_or_default(),
            object: "chat.completion.chunk".to_owned(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index,
                delta,
                finish_reason: finish.map(str::to_owned),
                logprobs: None,
            }],
            usage: None,
        }
    }
}

fn push_opt(slot: &mut Option<String>, text: &str) {
    if text.is_empty() {
        return;
    }
    slot.get_or_insert_with(String::new).push_str(text);
}

#[cfg(test)]
mod tests;
