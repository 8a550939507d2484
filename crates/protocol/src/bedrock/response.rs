//! Converse answer → canonical chat response: text blocks joined into `content`, reasoning
//! into `reasoning_content` (and `reasoning_blocks`, each with its signature, so the next turn
//! hands Claude back exactly what it produced), `toolUse` blocks into `tool_calls`.

use super::usage::{finish_reason, to_usage_out};
use super::wire::ConverseResponse;
use crate::canonical::{
    ChatResponse, Choice, Extra, FunctionCall, ReasoningBlock, ResponseMessage, ToolCall,
};

pub fn to_openai_response(
    response: &ConverseResponse,
    id: &str,
    model: &str,
    created: i64,
) -> ChatResponse {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut blocks = Vec::new();
    let mut tool_calls = Vec::new();
    let content = response
        .output
        .message
        .as_ref()
        .map(|m| m.content.as_slice())
        .unwrap_or_default();
    for block in content {
        if let Some(piece) = &block.text {
            text.push_str(piece);
        } else if let Some(content) = &block.reasoning_content {
            if let Some(reasoned) = &content.reasoning_text {
                reasoning.push_str(&reasoned.text);
                blocks.push(ReasoningBlock {
                    thinking: Some(reasoned.text.clone()),
                    signature: reasoned.signature.clone(),
                    redacted_data: None,
                });
            } else if let Some(data) = &content.redacted_content {
                blocks.push(ReasoningBlock {
                    thinking: None,
                    signature: None,
                    redacted_data: Some(data.clone()),
                });
            }
        } else if let Some(call) = &block.tool_use {
            tool_calls.push(ToolCall {
                id: call.tool_use_id.clone(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: call.name.clone(),
                    arguments: call.input.to_string(),
                },
                extra_content: None,
            });
        }
    }
    let has_calls = !tool_calls.is_empty();
    let reason = finish_reason(&response.stop_reason);
    ChatResponse {
        id: id.to_owned(),
        object: "chat.completion".to_owned(),
        created,
        model: model.to_owned(),
        choices: vec![Choice {
            index: 0,
            message: ResponseMessage {
                role: "assistant".to_owned(),
                content: (!text.is_empty() || !has_calls).then_some(text),
                tool_calls: has_calls.then_some(tool_calls),
                reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
                reasoning_blocks: (!blocks.is_empty()).then_some(blocks),
                refusal: (reason == "content_filter")
                    .then(|| format!("Bedrock stopped the answer: {}", response.stop_reason)),
                extra: Extra::new(),
            },
            finish_reason: Some(reason.to_owned()),
            logprobs: None,
        }],
        usage: Some(to_usage_out(&response.usage)),
        extra: Extra::new(),
    }
}

#[cfg(test)]
mod tests;
