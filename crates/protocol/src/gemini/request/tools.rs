//! `tools` and `tool_choice` → `tools[].functionDeclarations` and `toolConfig`.

use serde_json::{Map, Value};

use super::TARGET;
use crate::canonical::{ChatRequest, ToolChoice};
use crate::gemini::schema::to_gemini_schema;
use crate::gemini::wire::{
    FunctionCallingConfig, FunctionDeclaration, GenerateContentRequest, Tool, ToolConfig,
};
use crate::report::{TranslationError, TranslationReport};

pub(super) fn convert_tools(
    request: &ChatRequest,
    out: &mut GenerateContentRequest,
    report: &mut TranslationReport,
) -> Result<(), TranslationError> {
    let tools = request.tools.as_deref().unwrap_or_default();
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
        return Ok(());
    }
    let mut declarations = Vec::with_capacity(tools.len());
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
        let path = format!("tools[{index}].function.parameters");
        let parameters = match &tool.function.parameters {
            None => None,
            Some(schema) => {
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    return Err(TranslationError::new(
                        path,
                        "tool parameters must be a JSON schema of type object",
                    ));
                }
                let converted = to_gemini_schema(schema, &path, report)?;
                // An object without properties is what "no parameters" looks like to Gemini.
                let empty = converted
                    .get("properties")
                    .and_then(Value::as_object)
                    .is_none_or(Map::is_empty);
                (!empty).then_some(converted)
            }
        };
        declarations.push(FunctionDeclaration {
            name: tool.function.name.clone(),
            description: tool.function.description.clone(),
            parameters,
        });
    }
    out.tools = Some(vec![Tool {
        function_declarations: Some(declarations),
    }]);
    if request.parallel_tool_calls == Some(false) {
        report.drop("parallel_tool_calls", TARGET)?;
    }
    let config = match &request.tool_choice {
        None => return Ok(()),
        Some(ToolChoice::Mode(mode)) => {
            let mode = match mode.as_str() {
                "auto" => "AUTO",
                "required" | "any" => "ANY",
                "none" => "NONE",
                other => {
                    return Err(TranslationError::new(
                        "tool_choice",
                        format!("unknown tool_choice '{other}'"),
                    ));
                }
            };
            FunctionCallingConfig {
                mode: mode.to_owned(),
                allowed_function_names: None,
            }
        }
        Some(named @ ToolChoice::Named(_)) => {
            let Some(name) = named.function_name() else {
                return Err(TranslationError::new(
                    "tool_choice",
                    "tool_choice object needs function.name",
                ));
            };
            FunctionCallingConfig {
                mode: "ANY".to_owned(),
                allowed_function_names: Some(vec![name.to_owned()]),
            }
        }
    };
    out.tool_config = Some(ToolConfig {
        function_calling_config: config,
    });
    Ok(())
}
