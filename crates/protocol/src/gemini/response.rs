//! Gemini `generateContent` answer → canonical chat response.
//!
//! Each candidate is one choice. Text parts are joined into `content`, thought parts into
//! `reasoning_content`, function calls become `tool_calls` (ids synthesised when Gemini gave
//! none, see [`super::ids`]), and thought signatures ride along in `extra_content` (see
//! [`super::signatures`]). A blocked prompt or a filtered candidate is a `content_filter`
//! choice whose `refusal` says why.

use serde_json::Value;

use super::signatures::extra_content;
use super::usage::{describe_block, finish_reason, stop_explanation, to_usage_out};
use super::wire::{Candidate, GenerateContentResponse, Part};
use super::{ids, logprobs};
use crate::canonical::{ChatResponse, Choice, Extra, FunctionCall, ResponseMessage, ToolCall};

pub fn to_openai_response(
    response: &GenerateContentResponse,
    model: &str,
    created: i64,
    fallback_id: &str,
) -> ChatResponse {
    let id = response_id(response, fallback_id);
    let mut choices: Vec<Choice> = response
        .candidates
        .iter()
        .enumerate()
        .map(|(position, candidate)| {
            let index = candidate.index.unwrap_or(position as u32);
            candidate_choice(candidate, index, &id)
        })
        .collect();
    if choices.is_empty() {
        choices.push(prompt_block_choice(response));
    }
    choices.sort_by_key(|c| c.index);
    ChatResponse {
        id,
        object: "chat.completion".to_owned(),
        created,
        model: response
            .model_version
            .clone()
            .unwrap_or_else(|| model.to_owned()),
        choices,
        usage: response.usage_metadata.as_ref().map(to_usage_out),
        extra: Extra::new(),
    }
}

/// The answer's id: Gemini's `responseId`, else one derived from the request.
pub fn response_id(response: &GenerateContentResponse, fallback: &str) -> String {
    response
        .response_id
        .clone()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| format!("chatcmpl-gemini-{fallback}"))
}

fn candidate_choice(candidate: &Candidate, index: u32, response_id: &str) -> Choice {
    let parts = candidate
        .content
        .as_ref()
        .map(|c| c.parts.as_slice())
        .unwrap_or_default();
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut tool_calls = Vec::new();
    let mut text_signature = None;
    for part in parts {
        if let Some(call) = &part.function_call {
            let seed = format!("{response_id}/{index}");
            tool_calls.push(ToolCall {
                id: call
                    .id
                    .clone()
                    .filter(|id| !id.is_empty())
                    .unwrap_or_else(|| ids::synthesize(&seed, tool_calls.len())),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: arguments_text(call.args.as_ref()),
                },
                extra_content: part.thought_signature.as_deref().map(extra_content),
            });
        } else if part.is_thought() {
            reasoning.push_str(part.text.as_deref().unwrap_or(""));
        } else {
            text.push_str(&part_text(part));
            if part.thought_signature.is_some() {
                text_signature.clone_from(&part.thought_signature);
            }
        }
    }
    let reason = candidate.finish_reason.as_deref().unwrap_or("STOP");
    let refusal = stop_explanation(candidate);
    let mut extra = Extra::new();
    if let Some(signature) = &text_signature {
        extra.insert("extra_content".to_owned(), extra_content(signature));
    }
    let has_calls = !tool_calls.is_empty();
    Choice {
        index,
        message: ResponseMessage {
            role: "assistant".to_owned(),
            content: (!text.is_empty() || (!has_calls && refusal.is_none())).then_some(text),
            tool_calls: has_calls.then_some(tool_calls),
            reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
            reasoning_blocks: None,
            refusal,
            extra,
        },
        finish_reason: Some(finish_reason(reason, has_calls).to_owned()),
        logprobs: candidate.logprobs_result.as_ref().map(logprobs::to_openai),
    }
}

/// No candidates: the prompt itself was blocked.
fn prompt_block_choice(response: &GenerateContentResponse) -> Choice {
    let feedback = response.prompt_feedback.clone().unwrap_or_default();
    let reason = feedback.block_reason.as_deref().unwrap_or("OTHER");
    Choice {
        index: 0,
        message: ResponseMessage {
            role: "assistant".to_owned(),
            content: None,
            refusal: Some(format!(
                "Gemini blocked the prompt: {}",
                describe_block(
                    reason,
                    feedback.block_reason_message.as_deref(),
                    feedback.safety_ratings.as_deref().unwrap_or_default()
                )
            )),
            ..ResponseMessage::default()
        },
        finish_reason: Some("content_filter".to_owned()),
        logprobs: None,
    }
}

/// A part's answer text: plain text, or code execution rendered as Markdown (Gemini's code
/// execution tool has no OpenAI counterpart).
pub(crate) fn part_text(part: &Part) -> String {
    if let Some(text) = &part.text {
        return text.clone();
    }
    if let Some(code) = &part.executable_code {
        let language = code
            .get("language")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase();
        let source = code.get("code").and_then(Value::as_str).unwrap_or("");
        return format!("\n```{language}\n{source}\n```\n");
    }
    if let Some(result) = &part.code_execution_result {
        let output = result.get("output").and_then(Value::as_str).unwrap_or("");
        return format!("\n```\n{output}\n```\n");
    }
    String::new()
}

pub(crate) fn arguments_text(args: Option<&Value>) -> String {
    match args {
        Some(args) => args.to_string(),
        None => "{}".to_owned(),
    }
}

#[cfg(test)]
mod tests;
