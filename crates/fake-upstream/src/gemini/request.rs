//! Reading a GenerateContentRequest the way Google's JSON front end does
//! (https://ai.google.dev/api/generate-content#request-body): field names in lowerCamelCase or
//! in the proto's snake_case, an unknown field anywhere is a 400 naming it and where it was, a
//! value of the wrong type is a 400, and a single value stands for a one-element list.
//!
//! The result is typed: what the answer and the turn rules (`turns.rs`) look at, with the rest
//! checked and dropped. Paths in messages use the proto names (`contents[0].parts[1]`,
//! `generation_config.thinking_config`), as Google's do.

use serde_json::Value;

use super::errors::ApiError;
use super::reader::{Reader, list, snake};
use super::schema;

pub(super) struct GenerateRequest {
    pub(super) contents: Vec<Content>,
    /// Every function declaration of every tool, in order.
    pub(super) declarations: Vec<Declaration>,
    pub(super) calling: Calling,
    pub(super) config: Config,
    pub(super) cached_content: bool,
    /// Bytes of prompt text: text parts, function calls and responses, the system instruction
    /// and the tool declarations (the token estimate's input).
    pub(super) prompt_bytes: usize,
}

pub(super) struct Content {
    pub(super) role: Role,
    pub(super) parts: Vec<Part>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    User,
    Model,
}

pub(super) struct Part {
    pub(super) data: Data,
    pub(super) signature: Option<String>,
}

/// The part's `data` oneof, as far as the fake cares.
pub(super) enum Data {
    Text(String),
    FunctionCall(String),
    FunctionResponse,
    /// Inline or file data, executable code, its result.
    Other,
}

pub(super) struct Declaration {
    pub(super) name: String,
    /// `parameters` (an OpenAPI Schema) or `parametersJsonSchema`.
    pub(super) parameters: Option<Value>,
}

#[derive(Default)]
pub(super) struct Calling {
    pub(super) mode: Mode,
    pub(super) allowed: Vec<String>,
}

#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Mode {
    #[default]
    Auto,
    Any,
    None,
    Validated,
}

#[derive(Default)]
pub(super) struct Config {
    pub(super) max_output_tokens: Option<i64>,
    pub(super) response_mime_type: Option<String>,
    /// `responseSchema` or `responseJsonSchema`.
    pub(super) response_schema: Option<Value>,
    pub(super) thinking_budget: Option<i64>,
    pub(super) include_thoughts: bool,
    pub(super) thinking_level: Option<String>,
}

const TOP: &[&str] = &[
    "model",
    "contents",
    "systemInstruction",
    "tools",
    "toolConfig",
    "safetySettings",
    "generationConfig",
    "cachedContent",
    "labels",
];
const CONTENT: &[&str] = &["role", "parts"];
const PART: &[&str] = &[
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
    "thought",
    "thoughtSignature",
    "videoMetadata",
];
const BLOB: &[&str] = &["mimeType", "data"];
const FILE_DATA: &[&str] = &["mimeType", "fileUri"];
const FUNCTION_CALL: &[&str] = &["id", "name", "args"];
const FUNCTION_RESPONSE: &[&str] = &["id", "name", "response", "willContinue", "scheduling"];
const GENERATION_CONFIG: &[&str] = &[
    "stopSequences",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "candidateCount",
    "maxOutputTokens",
    "temperature",
    "topP",
    "topK",
    "seed",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "thinkingConfig",
    "responseModalities",
    "mediaResolution",
    "speechConfig",
    "imageConfig",
];
const THINKING_CONFIG: &[&str] = &["thinkingBudget", "includeThoughts", "thinkingLevel"];
const TOOL_CONFIG: &[&str] = &["functionCallingConfig", "retrievalConfig"];
const FUNCTION_CALLING_CONFIG: &[&str] = &["mode", "allowedFunctionNames"];
const TOOL: &[&str] = &[
    "functionDeclarations",
    "googleSearchRetrieval",
    "codeExecution",
    "googleSearch",
    "computerUse",
    "urlContext",
    "fileSearch",
    "googleMaps",
    "retrieval",
    "enterpriseWebSearch",
];
const FUNCTION_DECLARATION: &[&str] = &[
    "name",
    "description",
    "behavior",
    "parameters",
    "parametersJsonSchema",
    "response",
    "responseJsonSchema",
];
const SAFETY_SETTING: &[&str] = &["category", "threshold", "method"];
const MODES: &[&str] = &["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"];

/// The messages of a GenerateContentRequest.
impl Reader {
    pub(super) fn request(&self, body: &[u8]) -> Result<GenerateRequest, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("Invalid JSON payload received. Unexpected token."))?;
        let mut request = GenerateRequest {
            contents: Vec::new(),
            declarations: Vec::new(),
            calling: Calling::default(),
            config: Config::default(),
            cached_content: false,
            prompt_bytes: 0,
        };
        for (name, value) in self.fields(&value, TOP, "", "GenerateContentRequest")? {
            match name {
                "contents" => {
                    for (i, item) in list(value).into_iter().enumerate() {
                        let path = format!("contents[{i}]");
                        let content = self.content(item, &path, &mut request.prompt_bytes)?;
                        request.contents.push(content);
                    }
                }
                "systemInstruction" => {
                    // Its role is ignored, so any is fine; its parts must still be valid.
                    self.content(value, "system_instruction", &mut request.prompt_bytes)?;
                }
                "tools" => {
                    request.prompt_bytes += value.to_string().len();
                    for (i, tool) in list(value).into_iter().enumerate() {
                        self.tool(tool, &format!("tools[{i}]"), &mut request.declarations)?;
                    }
                }
                "toolConfig" => request.calling = self.tool_config(value)?,
                "generationConfig" => request.config = self.generation_config(value)?,
                "safetySettings" => {
                    for (i, setting) in list(value).into_iter().enumerate() {
                        let path = format!("safety_settings[{i}]");
                        self.fields(setting, SAFETY_SETTING, &path, "SafetySetting")?;
                    }
                }
                "cachedContent" => {
                    request.cached_content = !self.string(value, "cached_content")?.is_empty();
                }
                "model" => {
                    self.string(value, "model")?;
                }
                _ => {}
            }
        }
        Ok(request)
    }

    /// A Content. A missing role is `user`, as for single-turn requests; any other name is
    /// Google's "valid role" error.
    pub(super) fn content(
        &self,
        value: &Value,
        path: &str,
        prompt_bytes: &mut usize,
    ) -> Result<Content, ApiError> {
        let mut content = Content {
            role: Role::User,
            parts: Vec::new(),
        };
        let mut has_parts = false;
        for (name, value) in self.fields(value, CONTENT, path, "Content")? {
            if name == "role" {
                content.role = match self.string(value, &format!("{path}.role"))? {
                    "" | "user" => Role::User,
                    "model" => Role::Model,
                    _ => return Err(ApiError::invalid("Please use a valid role: user, model.")),
                };
            } else {
                has_parts = true;
                for (j, part) in list(value).into_iter().enumerate() {
                    let part = self.part(part, &format!("{path}.parts[{j}]"), prompt_bytes)?;
                    content.parts.push(part);
                }
            }
        }
        if !has_parts || content.parts.is_empty() {
            return Err(ApiError::invalid(format!(
                "* GenerateContentRequest.{path}.parts: contents.parts must not be empty.\n"
            )));
        }
        Ok(content)
    }

    fn part(&self, value: &Value, path: &str, prompt_bytes: &mut usize) -> Result<Part, ApiError> {
        let mut data = None;
        let mut signature = None;
        for (name, value) in self.fields(value, PART, path, "Part")? {
            let field = format!("{path}.{}", snake(name));
            match name {
                "text" => {
                    let text = self.string(value, &field)?;
                    *prompt_bytes += text.len();
                    data = Some(Data::Text(text.to_owned()));
                }
                "functionCall" | "functionResponse" => {
                    let call = name == "functionCall";
                    let (allowed, message) = if call {
                        (FUNCTION_CALL, "FunctionCall")
                    } else {
                        (FUNCTION_RESPONSE, "FunctionResponse")
                    };
                    let mut function = String::new();
                    for (key, inner) in self.fields(value, allowed, &field, message)? {
                        if key == "name" {
                            function = self.string(inner, &format!("{field}.name"))?.to_owned();
                        }
                    }
                    *prompt_bytes += value.to_string().len();
                    data = Some(if call {
                        Data::FunctionCall(function)
                    } else {
                        Data::FunctionResponse
                    });
                }
                "inlineData" => {
                    self.fields(value, BLOB, &field, "Blob")?;
                    data = Some(Data::Other);
                }
                "fileData" => {
                    self.fields(value, FILE_DATA, &field, "FileData")?;
                    data = Some(Data::Other);
                }
                "executableCode" | "codeExecutionResult" => data = Some(Data::Other),
                "thought" => {
                    self.bool(value, &field)?;
                }
                "thoughtSignature" => signature = Some(self.string(value, &field)?.to_owned()),
                _ => {}
            }
        }
        let Some(data) = data else {
            return Err(ApiError::invalid(format!(
                "* GenerateContentRequest.{path}.data: required oneof field 'data' must have one \
                 initialized field\n"
            )));
        };
        Ok(Part { data, signature })
    }

    fn tool(
        &self,
        value: &Value,
        path: &str,
        declarations: &mut Vec<Declaration>,
    ) -> Result<(), ApiError> {
        for (name, value) in self.fields(value, TOOL, path, "Tool")? {
            if name != "functionDeclarations" {
                continue;
            }
            for (i, declaration) in list(value).into_iter().enumerate() {
                let path = format!("{path}.function_declarations[{i}]");
                declarations.push(self.declaration(declaration, &path)?);
            }
        }
        Ok(())
    }

    fn declaration(&self, value: &Value, path: &str) -> Result<Declaration, ApiError> {
        let mut declaration = Declaration {
            name: String::new(),
            parameters: None,
        };
        let fields = self.fields(value, FUNCTION_DECLARATION, path, "FunctionDeclaration")?;
        for (name, value) in fields {
            let field = format!("{path}.{}", snake(name));
            match name {
                "name" => declaration.name = self.string(value, &field)?.to_owned(),
                "parameters" | "response" => {
                    schema::check(self, value, &field)?;
                    if name == "parameters" {
                        declaration.parameters = Some(value.clone());
                    }
                }
                "parametersJsonSchema" => declaration.parameters = Some(value.clone()),
                _ => {}
            }
        }
        if !valid_function_name(&declaration.name) {
            return Err(ApiError::invalid(format!(
                "* GenerateContentRequest.{path}.name: Invalid function name. Must start with a \
                 letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, \
                 colons and dashes, with a maximum length of 64.\n"
            )));
        }
        Ok(declaration)
    }

    fn tool_config(&self, value: &Value) -> Result<Calling, ApiError> {
        let mut calling = Calling::default();
        for (name, value) in self.fields(value, TOOL_CONFIG, "tool_config", "ToolConfig")? {
            if name != "functionCallingConfig" {
                continue;
            }
            let path = "tool_config.function_calling_config";
            for (key, inner) in self.fields(
                value,
                FUNCTION_CALLING_CONFIG,
                path,
                "FunctionCallingConfig",
            )? {
                if key == "mode" {
                    let mode = self.enum_name(
                        inner,
                        &format!("{path}.mode"),
                        MODES,
                        "FunctionCallingConfig.Mode",
                    )?;
                    calling.mode = match mode.as_str() {
                        "ANY" => Mode::Any,
                        "NONE" => Mode::None,
                        "VALIDATED" => Mode::Validated,
                        _ => Mode::Auto,
                    };
                } else {
                    for (i, name) in list(inner).into_iter().enumerate() {
                        let field = format!("{path}.allowed_function_names[{i}]");
                        calling.allowed.push(self.string(name, &field)?.to_owned());
                    }
                }
            }
        }
        Ok(calling)
    }

    fn generation_config(&self, value: &Value) -> Result<Config, ApiError> {
        let mut config = Config::default();
        let path = "generation_config";
        for (name, value) in self.fields(value, GENERATION_CONFIG, path, "GenerationConfig")? {
            let field = format!("{path}.{}", snake(name));
            match name {
                "maxOutputTokens" => config.max_output_tokens = Some(self.int(value, &field)?),
                "candidateCount" | "topK" | "seed" | "logprobs" => {
                    self.int(value, &field)?;
                }
                "temperature" | "topP" | "presencePenalty" | "frequencyPenalty" => {
                    self.float(value, &field)?;
                }
                "responseLogprobs" => {
                    self.bool(value, &field)?;
                }
                "responseMimeType" => {
                    config.response_mime_type = Some(self.string(value, &field)?.to_owned());
                }
                "responseSchema" => {
                    schema::check(self, value, &field)?;
                    config.response_schema = Some(value.clone());
                }
                "responseJsonSchema" => config.response_schema = Some(value.clone()),
                "stopSequences" => {
                    for (i, stop) in list(value).into_iter().enumerate() {
                        self.string(stop, &format!("{field}[{i}]"))?;
                    }
                }
                "thinkingConfig" => self.thinking_config(value, &field, &mut config)?,
                _ => {}
            }
        }
        Ok(config)
    }

    fn thinking_config(
        &self,
        value: &Value,
        path: &str,
        config: &mut Config,
    ) -> Result<(), ApiError> {
        for (name, value) in self.fields(value, THINKING_CONFIG, path, "ThinkingConfig")? {
            let field = format!("{path}.{}", snake(name));
            match name {
                "thinkingBudget" => config.thinking_budget = Some(self.int(value, &field)?),
                "includeThoughts" => config.include_thoughts = self.bool(value, &field)?,
                _ => {
                    let levels = [
                        "THINKING_LEVEL_UNSPECIFIED",
                        "MINIMAL",
                        "LOW",
                        "MEDIUM",
                        "HIGH",
                    ];
                    let level =
                        self.enum_name(value, &field, &levels, "ThinkingConfig.ThinkingLevel")?;
                    config.thinking_level = Some(level);
                }
            }
        }
        Ok(())
    }
}
/// Google's rule for function names: a letter or `_` first, then letters, digits, `_.:-`,
/// at most 64 characters.
fn valid_function_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Result<GenerateRequest, String> {
        Reader::new(false)
            .request(body.as_bytes())
            .map_err(|e| e.body()["error"]["message"].as_str().unwrap().to_owned())
    }

    fn rejected(body: &str) -> String {
        match read(body) {
            Ok(_) => panic!("accepted {body}"),
            Err(message) => message,
        }
    }

    #[test]
    fn both_spellings_are_read() {
        let request = read(
            r#"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],
                "generation_config":{"max_output_tokens":"5","thinkingConfig":{"include_thoughts":true}},
                "systemInstruction":{"parts":{"text":"Be brief"}},"cached_content":"cachedContents/x"}"#,
        )
        .unwrap();
        assert_eq!(request.config.max_output_tokens, Some(5));
        assert!(request.config.include_thoughts && request.cached_content);
        assert_eq!(request.prompt_bytes, "Hi".len() + "Be brief".len());
    }

    #[test]
    fn unknown_fields_name_the_field_and_its_path() {
        let cases = [
            (
                r#"{"contents":[],"foo":1}"#,
                r#"Unknown name "foo": Cannot find field."#,
            ),
            (
                r#"{"contents":[{"parts":[{"text":"a"},{"txt":"b"}]}]}"#,
                r#"Unknown name "txt" at 'contents[0].parts[1]'"#,
            ),
            (
                r#"{"contents":[],"generationConfig":{"thinkingConfig":{"budget":1}}}"#,
                r#"Unknown name "budget" at 'generation_config.thinking_config'"#,
            ),
            (
                r#"{"contents":[],"toolConfig":{"functionCallingConfig":{"mode":"ANY","x":1}}}"#,
                r#"at 'tool_config.function_calling_config'"#,
            ),
            (
                r#"{"contents":[],"tools":[{"functionDeclarations":[{"name":"f","strict":true}]}]}"#,
                r#"Unknown name "strict" at 'tools[0].function_declarations[0]'"#,
            ),
        ];
        for (body, expected) in cases {
            let message = rejected(body);
            assert!(message.contains(expected), "{body}: {message}");
        }
    }

    #[test]
    fn wrong_types_roles_and_empty_parts_are_400s() {
        let message = rejected(r#"{"contents":[],"generationConfig":{"temperature":"hot"}}"#);
        assert!(
            message.contains("'generation_config.temperature' (TYPE_FLOAT)"),
            "{message}"
        );
        let message = rejected(r#"{"contents":[{"role":"assistant","parts":[{"text":"a"}]}]}"#);
        assert_eq!(message, "Please use a valid role: user, model.");
        let message = rejected(r#"{"contents":[{"role":"user","parts":[]}]}"#);
        assert!(message.contains("contents[0].parts: contents.parts must not be empty"));
        let message = rejected(r#"{"contents":[{"parts":[{"thought":true}]}]}"#);
        assert!(message.contains("required oneof field 'data'"), "{message}");
        let message = rejected(
            r#"{"contents":[],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}"#,
        );
        assert!(message.contains("FunctionCallingConfig.Mode"), "{message}");
        assert!(rejected("{").contains("Unexpected token"));
    }

    #[test]
    fn function_names_follow_googles_rule() {
        assert!(valid_function_name("get_weather") && valid_function_name("_a.b:c-d"));
        assert!(!valid_function_name("") && !valid_function_name("1abc"));
        assert!(!valid_function_name("has space") && !valid_function_name(&"a".repeat(65)));
    }
}
