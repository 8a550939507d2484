//! The rules Converse applies to the conversation as a whole, whatever the model, with the
//! service's own messages: it starts with a user turn, roles alternate, no turn is empty, tool
//! blocks need a `toolConfig`, a forced tool must be one of the tools, and each user turn of
//! tool results answers every `toolUse` of the assistant turn right before it, no more.

use super::errors::BedrockError;
use super::request::{Block, ConverseRequest, Message, Role, ToolChoice};

pub(super) const MUST_ALTERNATE: &str = "A conversation must alternate between user and \
     assistant roles. Make sure the conversation alternates between user and assistant roles \
     and try again.";
const MUST_START_WITH_USER: &str = "A conversation must start with a user message. Try again \
     with a conversation that starts with a user message.";

pub(super) fn check(request: &ConverseRequest) -> Result<(), BedrockError> {
    let messages = &request.messages;
    if messages.first().is_none_or(|m| m.role != Role::User) {
        return Err(BedrockError::validation(MUST_START_WITH_USER));
    }
    for (i, message) in messages.iter().enumerate() {
        if message.blocks.is_empty() {
            return Err(BedrockError::validation(format!(
                "The content field in the Message object at messages.{i} is empty. Add a \
                 ContentBlock object to the content field and try again."
            )));
        }
        if i > 0 && messages[i - 1].role == message.role {
            return Err(BedrockError::validation(MUST_ALTERNATE));
        }
    }
    let has_tool_blocks = messages.iter().any(|m| {
        m.blocks
            .iter()
            .any(|b| matches!(b, Block::ToolUse { .. } | Block::ToolResult { .. }))
    });
    if has_tool_blocks && !request.has_tool_config {
        return Err(BedrockError::validation(
            "The toolConfig field must be defined when using toolUse and toolResult content \
             blocks.",
        ));
    }
    if let Some(ToolChoice::Tool(name)) = &request.tool_choice
        && !request.tools.iter().any(|t| &t.name == name)
    {
        return Err(BedrockError::validation(format!(
            "The tool {name} in toolChoice isn't defined in toolConfig.tools. Define the tool \
             and try again."
        )));
    }
    for (i, message) in messages.iter().enumerate() {
        if message.role == Role::User {
            let previous = i.checked_sub(1).map(|p| &messages[p]);
            check_results(message, previous, i)?;
        }
    }
    Ok(())
}

fn tool_use_ids(message: &Message) -> Vec<&str> {
    message
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id } => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

fn tool_result_ids(message: &Message) -> Vec<&str> {
    message
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolResult { id } => Some(id.as_str()),
            _ => None,
        })
        .collect()
}

/// A user turn after tool calls answers each one; results without calls are too many.
fn check_results(
    message: &Message,
    previous: Option<&Message>,
    index: usize,
) -> Result<(), BedrockError> {
    let calls = previous.map(tool_use_ids).unwrap_or_default();
    let results = tool_result_ids(message);
    if results.len() > calls.len() {
        return Err(BedrockError::validation(format!(
            "The number of toolResult blocks at messages.{index}.content exceeds the number of \
             toolUse blocks of previous turn."
        )));
    }
    let unanswered: Vec<&str> = calls
        .iter()
        .copied()
        .filter(|id| !results.contains(id))
        .collect();
    if !unanswered.is_empty() {
        return Err(BedrockError::validation(format!(
            "Expected toolResult blocks at messages.{index}.content for the following Ids: {}",
            unanswered.join(", ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::request::parse;
    use super::*;
    use serde_json::{Value, json};

    fn checked(messages: Value) -> Result<(), String> {
        let body = json!({
            "messages": messages,
            "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {}}}}]},
        });
        let request = parse(body.to_string().as_bytes()).map_err(|e| e.message().to_owned())?;
        check(&request).map_err(|e| e.message().to_owned())
    }

    fn user(text: &str) -> Value {
        json!({"role": "user", "content": [{"text": text}]})
    }

    fn calls(ids: &[&str]) -> Value {
        let blocks: Vec<Value> = ids
            .iter()
            .map(|id| json!({"toolUse": {"toolUseId": id, "name": "f", "input": {}}}))
            .collect();
        json!({"role": "assistant", "content": blocks})
    }

    fn results(ids: &[&str]) -> Value {
        let blocks: Vec<Value> = ids
            .iter()
            .map(|id| json!({"toolResult": {"toolUseId": id, "content": [{"text": "ok"}]}}))
            .collect();
        json!({"role": "user", "content": blocks})
    }

    #[test]
    fn roles_start_with_user_and_alternate() {
        assert!(checked(json!([user("a")])).is_ok());
        assert_eq!(checked(json!([])).unwrap_err(), MUST_START_WITH_USER);
        let assistant = json!({"role": "assistant", "content": [{"text": "a"}]});
        assert_eq!(
            checked(json!([assistant])).unwrap_err(),
            MUST_START_WITH_USER
        );
        assert_eq!(
            checked(json!([user("a"), user("b")])).unwrap_err(),
            MUST_ALTERNATE
        );
        let empty = json!({"role": "user", "content": []});
        assert!(
            checked(json!([empty]))
                .unwrap_err()
                .contains("at messages.0 is empty")
        );
    }

    #[test]
    fn tool_results_answer_the_previous_calls() {
        let ok = json!([user("a"), calls(&["t1", "t2"]), results(&["t2", "t1"])]);
        assert!(checked(ok).is_ok());
        let missing = json!([user("a"), calls(&["t1", "t2"]), results(&["t1"])]);
        assert_eq!(
            checked(missing).unwrap_err(),
            "Expected toolResult blocks at messages.2.content for the following Ids: t2"
        );
        let extra = json!([user("a"), calls(&["t1"]), results(&["t1", "t9"])]);
        assert_eq!(
            checked(extra).unwrap_err(),
            "The number of toolResult blocks at messages.2.content exceeds the number of toolUse \
             blocks of previous turn."
        );
        let unrequested = json!([results(&["t1"])]);
        assert!(
            checked(unrequested)
                .unwrap_err()
                .contains("exceeds the number")
        );
        let ignored = json!([user("a"), calls(&["t1"]), user("never mind")]);
        assert!(checked(ignored).unwrap_err().ends_with("following Ids: t1"));
    }

    #[test]
    fn tool_blocks_need_a_tool_config() {
        let body = json!({"messages": [user("a"), calls(&["t1"]), results(&["t1"])]});
        let request = parse(body.to_string().as_bytes()).unwrap();
        let error = check(&request).unwrap_err();
        assert!(
            error
                .message()
                .starts_with("The toolConfig field must be defined")
        );
    }
}
