//! `tools` and `tool_choice` → Converse `toolConfig`.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::TARGET;
use crate::bedrock::wire::{ConverseRequest, InputSchema, Tool, ToolConfig, ToolSpec};
use crate::canonical::{ChatRequest, ToolChoice};
use crate::report::{TranslationError, TranslationReport};

pub(super) fn convert_tools(
    request: &ChatRequest,
    out: &mut ConverseRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let tools = request.tools.as_deref().unwrap_or_default();
    let history_has_tools = out.messages.iter().any(|m| {
        m.content
            .iter()
            .any(|b| b.tool_use.is_some() || b.tool_result.is_some())
    });
    if tools.is_empty() {
        if request
            .tool_choice
            .as_ref()
            .is_some_and(|c| !matches!(c, ToolChoice::Mode(m) if m == "none"))
        {
            return Err(TranslationError::new(
                "tool_choice",
                "tool_choice was given without tools",
            ));
        }
        if history_has_tools {
            return Err(TranslationError::new(
                "tools",
                format!(
                    "{TARGET} needs the tools of a conversation that used them: send tools with the request"
                ),
            ));
        }
        return Ok(());
    }
    let mut specs = Vec::with_capacity(tools.len());
    let mut names = HashMap::new();
    for (index, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            return Err(TranslationError::new(
                format!("tools[{index}].type"),
                format!(
                    "tool type '{}' is not supported by {TARGET} (function is)",
                    tool.kind
                ),
            ));
        }
        let schema = tool
            .function
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(TranslationError::new(
                format!("tools[{index}].function.parameters"),
                "tool parameters must be a JSON schema of type object",
            ));
        }
        names.insert(tool.function.name.as_str(), index);
        specs.push(Tool {
            tool_spec: ToolSpec {
                name: tool.function.name.clone(),
                // Converse refuses an empty description.
                description: tool.function.description.clone().filter(|d| !d.is_empty()),
                input_schema: InputSchema { json: schema },
            },
        });
    }
    if request.parallel_tool_calls == Some(false) {
        report.drop("parallel_tool_calls", TARGET)?;
    }
    let choice = match &request.tool_choice {
        None => None,
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "auto" => Some(json!({"auto": {}})),
            "required" | "any" => Some(json!({"any": {}})),
            "none" if history_has_tools => {
                // Converse has no "none" and needs the tools when the history uses them.
                report.clamp("tool_choice", "Bedrock has no 'none'; auto used");
                Some(json!({"auto": {}}))
            }
            "none" => return Ok(()),
            other => {
                return Err(TranslationError::new(
                    "tool_choice",
                    format!("unknown tool_choice '{other}'"),
                ));
            }
        },
        Some(named @ ToolChoice::Named(_)) => {
            let Some(name) = named.function_name() else {
                return Err(TranslationError::new(
                    "tool_choice",
                    "tool_choice object needs function.name",
                ));
            };
            if !names.contains_key(name) {
                return Err(TranslationError::new(
                    "tool_choice",
                    format!("tool_choice names '{name}', which is not among the tools"),
                ));
            }
            Some(json!({"tool": {"name": name}}))
        }
    };
    out.tool_config = Some(ToolConfig {
        tools: specs,
        tool_choice: choice,
    });
    Ok(())
}
