//! What Anthropic's models on Bedrock add to Converse: extended thinking, switched on through
//! `additionalModelRequestFields.thinking` (`{"type":"enabled","budget_tokens":N}`), and the
//! rules the model enforces, reported by Bedrock as "The model returned the following errors:
//! …" with Anthropic's own wording (https://docs.claude.com/en/docs/build-with-claude/extended-thinking):
//!
//! - `budget_tokens` at least 1024 and below `maxTokens`; `temperature` only 1; no forced tool
//!   choice while thinking;
//! - a reasoning block sent back must carry a signature this fake issued;
//! - in a tool loop, the final assistant turn must start with its reasoning block, signature
//!   and all, before its `toolUse` blocks;
//! - Claude Sonnet 4.5, Haiku 4.5 and Opus 4.1 refuse `temperature` and `topP` together.

use std::collections::HashSet;
use std::sync::Mutex;

use serde_json::Value;

use super::errors::BedrockError;
use super::request::{Block, ConverseRequest, Role, ToolChoice};
use crate::base64;

const DOCS: &str = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking";
const MIN_BUDGET: i64 = 1024;

/// Whether a catalog model id is one of Anthropic's.
pub(super) fn is_claude(base_model_id: &str) -> bool {
    base_model_id.starts_with("anthropic.")
}

/// Reasoning signatures this fake issued.
#[derive(Default)]
pub(super) struct Signatures {
    issued: Mutex<HashSet<String>>,
}

impl Signatures {
    /// A fresh signature, base64 like Anthropic's, remembered.
    pub(super) fn issue(&self, random: &[u8]) -> String {
        let mut bytes = b"EqoBCkgIBxABGAIiQFAKE-reasoning-signature".to_vec();
        bytes.extend_from_slice(random);
        let signature = base64::encode(&bytes);
        self.lock().insert(signature.clone());
        signature
    }

    fn knows(&self, signature: &str) -> bool {
        self.lock().contains(signature)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether the request turns thinking on; a malformed `thinking` object is the model's 400.
pub(super) fn thinking(request: &ConverseRequest) -> Result<bool, BedrockError> {
    let Some(thinking) = request.additional.get("thinking") else {
        return Ok(false);
    };
    let kind = thinking
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "disabled" => Ok(false),
        "adaptive" => Ok(true),
        "enabled" => {
            let Some(budget) = thinking.get("budget_tokens") else {
                return Err(BedrockError::model_said(
                    "thinking.enabled.budget_tokens: Field required",
                ));
            };
            let Some(budget) = budget.as_i64() else {
                return Err(BedrockError::model_said(
                    "thinking.enabled.budget_tokens: Input should be a valid integer",
                ));
            };
            if budget < MIN_BUDGET {
                return Err(BedrockError::model_said(&format!(
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to \
                     {MIN_BUDGET}"
                )));
            }
            if request
                .inference
                .max_tokens
                .is_some_and(|max| max <= budget)
            {
                return Err(BedrockError::model_said(&format!(
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult \
                     our documentation at {DOCS}#max-tokens-and-context-window-size"
                )));
            }
            Ok(true)
        }
        other => Err(BedrockError::model_said(&format!(
            "thinking: Input tag '{other}' found using 'type' does not match any of the \
             expected tags: 'adaptive', 'disabled', 'enabled'"
        ))),
    }
}

/// The rules Claude applies to the whole request.
pub(super) fn check(
    request: &ConverseRequest,
    base_model_id: &str,
    thinking: bool,
    signatures: &Signatures,
) -> Result<(), BedrockError> {
    let newer = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"]
        .iter()
        .any(|family| base_model_id.contains(family));
    let inference = &request.inference;
    if newer && inference.temperature.is_some() && inference.top_p.is_some() {
        return Err(BedrockError::model_said(
            "`temperature` and `top_p` cannot both be specified for this model. Please use only \
             one.",
        ));
    }
    if !thinking {
        return Ok(());
    }
    if inference.temperature.is_some_and(|t| t != 1.0) {
        return Err(BedrockError::model_said(&format!(
            "`temperature` may only be set to 1 when thinking is enabled. Please consult our \
             documentation at {DOCS}#feature-compatibility"
        )));
    }
    if matches!(
        request.tool_choice,
        Some(ToolChoice::Any | ToolChoice::Tool(_))
    ) {
        return Err(BedrockError::model_said(
            "Thinking may not be enabled when tool_choice forces tool use.",
        ));
    }
    check_signatures(request, signatures)?;
    check_final_assistant_turn(request)
}

fn check_signatures(
    request: &ConverseRequest,
    signatures: &Signatures,
) -> Result<(), BedrockError> {
    for (i, message) in request.messages.iter().enumerate() {
        for (j, block) in message.blocks.iter().enumerate() {
            let Block::Reasoning {
                signature: Some(signature),
            } = block
            else {
                continue;
            };
            // Redacted reasoning is opaque and carries no signature of its own.
            if !signature.is_empty() && !signatures.knows(signature) {
                return Err(BedrockError::model_said(&format!(
                    "messages.{i}.content.{j}: Invalid `signature` in `thinking` block"
                )));
            }
        }
    }
    Ok(())
}

/// In a tool loop (the request ends with tool results answering the last assistant turn),
/// that assistant turn must open with its signed reasoning block.
fn check_final_assistant_turn(request: &ConverseRequest) -> Result<(), BedrockError> {
    let messages = &request.messages;
    let Some(last) = messages.last() else {
        return Ok(());
    };
    let in_tool_loop = last.role == Role::User
        && last
            .blocks
            .iter()
            .any(|b| matches!(b, Block::ToolResult { .. }));
    let Some(index) = messages.len().checked_sub(2).filter(|_| in_tool_loop) else {
        return Ok(());
    };
    let assistant = &messages[index];
    match assistant.blocks.first() {
        Some(Block::Reasoning { signature: Some(_) }) => Ok(()),
        Some(Block::Reasoning { signature: None }) => Err(BedrockError::model_said(&format!(
            "messages.{index}.content.0.thinking.signature: Field required"
        ))),
        first => {
            let found = match first {
                Some(Block::ToolUse { .. }) => "tool_use",
                Some(Block::Media) => "image",
                _ => "text",
            };
            Err(BedrockError::model_said(&format!(
                "messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, \
                 but found `{found}`. When `thinking` is enabled, a final `assistant` message \
                 must start with a thinking block (preceeding the lastmost set of `tool_use` and \
                 `tool_result` blocks). We recommend you include thinking blocks from previous \
                 turns. To avoid this requirement, disable `thinking`. Please consult our \
                 documentation at {DOCS}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::request::parse;
    use super::*;
    use serde_json::json;

    const SONNET: &str = "anthropic.claude-sonnet-4-5-20250929-v1:0";

    fn request(extra: Value) -> ConverseRequest {
        let mut body = json!({"messages": [{"role": "user", "content": [{"text": "Hi"}]}]});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        parse(body.to_string().as_bytes()).unwrap()
    }

    fn thinking_on(budget: i64) -> Value {
        json!({"thinking": {"type": "enabled", "budget_tokens": budget}})
    }

    #[test]
    fn thinking_config_is_checked_as_claude_checks_it() {
        assert!(!thinking(&request(json!({}))).unwrap());
        assert!(
            thinking(&request(
                json!({"additionalModelRequestFields": thinking_on(1024)})
            ))
            .unwrap()
        );
        let small = thinking(&request(
            json!({"additionalModelRequestFields": thinking_on(100)}),
        ));
        assert!(
            small
                .unwrap_err()
                .message()
                .contains("greater than or equal to 1024")
        );
        let over = request(json!({
            "additionalModelRequestFields": thinking_on(2048),
            "inferenceConfig": {"maxTokens": 2048},
        }));
        assert!(
            thinking(&over)
                .unwrap_err()
                .message()
                .contains("`max_tokens` must be greater")
        );
        let odd = request(json!({"additionalModelRequestFields": {"thinking": {"type": "on"}}}));
        let message = thinking(&odd).unwrap_err().message().to_owned();
        assert!(
            message
                .starts_with("The model returned the following errors: thinking: Input tag 'on'")
        );
    }

    #[test]
    fn newer_models_refuse_temperature_with_top_p() {
        let both = request(json!({"inferenceConfig": {"temperature": 0.5, "topP": 0.9}}));
        let signatures = Signatures::default();
        assert!(check(&both, SONNET, false, &signatures).is_err());
        assert!(
            check(
                &both,
                "anthropic.claude-3-haiku-20240307-v1:0",
                false,
                &signatures
            )
            .is_ok()
        );
    }

    #[test]
    fn thinking_refuses_forced_tools_and_cold_temperatures() {
        let signatures = Signatures::default();
        let tools = json!({"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}], "toolChoice": {"any": {}}});
        let forced = request(json!({"toolConfig": tools}));
        let error = check(&forced, SONNET, true, &signatures).unwrap_err();
        assert!(
            error
                .message()
                .ends_with("Thinking may not be enabled when tool_choice forces tool use.")
        );
        let cold = request(json!({"inferenceConfig": {"temperature": 0.2}}));
        assert!(check(&cold, SONNET, true, &signatures).is_err());
    }
}
