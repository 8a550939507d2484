//! Anthropic Messages response → canonical chat response.

use super::usage::{finish_reason, to_openai};
use super::wire::MessagesResponse;
use crate::canonical::{
    ChatResponse, Choice, FunctionCall, ReasoningBlock, ResponseMessage, ToolCall,
};

/// Text blocks are concatenated into `content`, thinking into `reasoning_content` (with each
/// block and its signature kept in `reasoning_blocks`), `tool_use` blocks become `tool_calls`.
pub fn to_openai_response(response: &MessagesResponse, created: i64) -> ChatResponse {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut reasoning_blocks = Vec::new();
    let mut tool_calls = Vec::new();
    for block in &response.content {
        match block.kind.as_str() {
            "text" => text.push_str(block.text.as_deref().unwrap_or("")),
            "thinking" => {
                reasoning.push_str(block.thinking.as_deref().unwrap_or(""));
                reasoning_blocks.push(ReasoningBlock {
                    thinking: block.thinking.clone(),
                    signature: block.signature.clone(),
                    redacted_data: None,
                });
            }
            "redacted_thinking" => reasoning_blocks.push(ReasoningBlock {
                thinking: None,
                signature: None,
                redacted_data: block.data.clone(),
            }),
            "tool_use" => tool_calls.push(ToolCall {
                id: block.id.clone().unwrap_or_default(),
                kind: "function".to_owned(),
                function: FunctionCall {
                    name: block.name.clone().unwrap_or_default(),
                    arguments: block
                        .input
                        .as_ref()
                        .map_or_else(|| "{}".to_owned(), ToString::to_string),
                },
                extra_content: None,
            }),
            _ => {}
        }
    }
    let message = ResponseMessage {
        role: "assistant".to_owned(),
        content: (!text.is_empty() || tool_calls.is_empty()).then_some(text),
        tool_calls: (!tool_calls.is_empty()).then_some(tool_calls),
        reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
        reasoning_blocks: (!reasoning_blocks.is_empty()).then_some(reasoning_blocks),
        refusal: None,
        extra: Default::default(),
    };
    ChatResponse {
        id: response.id.clone(),
        object: "chat.completion".to_owned(),
        created,
        model: response.model.clone(),
        choices: vec![Choice {
            index: 0,
            message,
            finish_reason: finish_reason(response.stop_reason.as_deref()),
            logprobs: None,
        }],
        usage: Some(to_openai(&response.usage)),
        extra: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> MessagesResponse {
        let path = format!(
            "{}/tests/fixtures/anthropic/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn text_response() {
        let out = to_openai_response(&fixture("messages.json"), 1);
        assert_eq!(
            out.choices[0].message.content.as_deref(),
            Some("Hello World")
        );
        assert_eq!(out.choices[0].finish_reason.as_deref(), Some("stop"));
        let usage = out.usage.unwrap();
        assert_eq!(
            (
                usage.prompt_tokens,
                usage.completion_tokens,
                usage.total_tokens
            ),
            (14, 5, 19)
        );
    }

    #[test]
    fn thinking_keeps_signatures() {
        let source = fixture("messages_extended_thinking.json");
        let out = to_openai_response(&source, 1);
        let message = &out.choices[0].message;
        assert!(
            message
                .reasoning_content
                .as_deref()
                .unwrap()
                .starts_with("I need to solve")
        );
        let blocks = message.reasoning_blocks.as_ref().unwrap();
        assert_eq!(blocks[0].signature, source.content[0].signature);
        assert!(message.content.as_deref().unwrap().contains("x = 7"));
    }

    #[test]
    fn tool_use_becomes_tool_calls() {
        let out = to_openai_response(&fixture("messages_with_tools.json"), 1);
        let choice = &out.choices[0];
        assert_eq!(choice.finish_reason.as_deref(), Some("tool_calls"));
        let call = &choice.message.tool_calls.as_ref().unwrap()[0];
        assert_eq!(call.id, "toolu_01Dq95J3WcnLmvSvBpAuaXwi");
        assert_eq!(call.function.name, "get_weather");
        assert_eq!(call.function.arguments, r#"{"location":"Paris"}"#);
        assert_eq!(
            choice.message.content.as_deref(),
            Some("I'll check the current weather in Paris for you.")
        );
    }
}
