//! The Converse / ConverseStream request body (Bedrock Runtime API reference, "Converse",
//! https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html), read
//! strictly with `shape.rs`: every object, union and scalar checked, unknown keys refused.
//!
//! The result is what the turn rules (`turns.rs`), the Claude rules (`claude.rs`) and the
//! answer (`answer.rs`) look at. Along the way it measures the prompt (bytes of text, tool
//! specs, tool inputs and results: the token estimate's input) and the part of it before the
//! last `cachePoint`, in the order the cache sees a prompt: tools, system, messages.

use ring::digest;
use serde_json::{Map, Value};

use super::content;
use super::errors::BedrockError;
use super::shape::{
    array, cache_point, constraint, integer, malformed, number, object, one_of, string, union,
};
use super::sigv4::hex;

type Parsed<T> = Result<T, BedrockError>;

#[derive(Debug)]
pub(super) struct ConverseRequest {
    pub(super) messages: Vec<Message>,
    pub(super) tools: Vec<Tool>,
    /// `None` when `toolConfig` sets no `toolChoice` (the model decides, like `auto`).
    pub(super) tool_choice: Option<ToolChoice>,
    pub(super) has_tool_config: bool,
    pub(super) inference: Inference,
    /// `additionalModelRequestFields`, passed to the model as they are.
    pub(super) additional: Map<String, Value>,
    pub(super) response_field_paths: Vec<String>,
    pub(super) prompt_bytes: usize,
    /// Present when the request marks a `cachePoint`.
    pub(super) cache: Option<CachedPrefix>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Role {
    User,
    Assistant,
}

#[derive(Debug)]
pub(super) struct Message {
    pub(super) role: Role,
    pub(super) blocks: Vec<Block>,
}

#[derive(Debug)]
pub(super) enum Block {
    Text,
    ToolUse {
        id: String,
    },
    ToolResult {
        id: String,
    },
    /// `reasoningContent`: its signature, or `None` for text without one; redacted content
    /// counts as signed.
    Reasoning {
        signature: Option<String>,
    },
    CachePoint,
    /// Images, documents, videos, guard content.
    Media,
}

#[derive(Debug)]
pub(super) struct Tool {
    pub(super) name: String,
    /// `inputSchema.json`.
    pub(super) schema: Value,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum ToolChoice {
    Auto,
    Any,
    Tool(String),
}

#[derive(Default, Debug)]
pub(super) struct Inference {
    pub(super) max_tokens: Option<i64>,
    pub(super) temperature: Option<f64>,
    pub(super) top_p: Option<f64>,
    pub(super) stop_sequences: Vec<String>,
}

/// The prompt before the last cache point: its hash (what the cache is keyed by) and size.
#[derive(Debug)]
pub(super) struct CachedPrefix {
    pub(super) key: String,
    pub(super) bytes: usize,
}

const TOP: &[&str] = &[
    "messages",
    "system",
    "inferenceConfig",
    "toolConfig",
    "guardrailConfig",
    "additionalModelRequestFields",
    "additionalModelResponseFieldPaths",
    "performanceConfig",
    "promptVariables",
    "requestMetadata",
    "serviceTier",
];
/// Everything the prompt holds, in cache order, with the cache points between.
#[derive(Default)]
pub(super) struct Prompt {
    hasher: Vec<u8>,
    bytes: usize,
    cached: Option<(Vec<u8>, usize)>,
}

impl Prompt {
    /// Adds a block: its JSON to what the cache key hashes, `bytes` to the token estimate.
    pub(super) fn add(&mut self, value: &Value, bytes: usize) {
        self.hasher.extend_from_slice(value.to_string().as_bytes());
        self.hasher.push(0);
        self.bytes += bytes;
    }

    pub(super) fn cache_point(&mut self) {
        self.cached = Some((self.hasher.clone(), self.bytes));
    }
}

pub(super) fn parse(body: &[u8]) -> Parsed<ConverseRequest> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        BedrockError::validation(
            "Malformed input request, please reformat your input and try again.",
        )
    })?;
    let top = object(&value, "#", TOP, &["messages"])?;
    let mut prompt = Prompt::default();
    let mut request = ConverseRequest {
        messages: Vec::new(),
        tools: Vec::new(),
        tool_choice: None,
        has_tool_config: false,
        inference: Inference::default(),
        additional: Map::new(),
        response_field_paths: Vec::new(),
        prompt_bytes: 0,
        cache: None,
    };
    // Cache order: tools, then system, then messages.
    if let Some(config) = top.get("toolConfig") {
        request.has_tool_config = true;
        tool_config(config, &mut request, &mut prompt)?;
    }
    if let Some(system) = top.get("system") {
        for (i, block) in array(system, "#/system")?.iter().enumerate() {
            system_block(block, i, &mut prompt)?;
        }
    }
    if let Some(messages) = top.get("messages") {
        for (i, item) in array(messages, "#/messages")?.iter().enumerate() {
            request
                .messages
                .push(content::message(item, i, &mut prompt)?);
        }
    }
    if let Some(config) = top.get("inferenceConfig") {
        request.inference = inference(config)?;
    }
    if let Some(fields) = top.get("additionalModelRequestFields") {
        // Any object: Bedrock hands it to the model as it is.
        request.additional = fields.as_object().cloned().ok_or_else(|| {
            malformed(
                "#/additionalModelRequestFields",
                "expected type: JSONObject",
            )
        })?;
    }
    if let Some(paths) = top.get("additionalModelResponseFieldPaths") {
        let pointer = "#/additionalModelResponseFieldPaths";
        for (i, path) in array(paths, pointer)?.iter().enumerate() {
            let path = string(path, &format!("{pointer}/{i}"))?;
            request.response_field_paths.push(path.to_owned());
        }
    }
    other_fields(top)?;
    request.prompt_bytes = prompt.bytes;
    request.cache = prompt.cached.map(|(hashed, bytes)| CachedPrefix {
        key: hex(digest::digest(&digest::SHA256, &hashed).as_ref()),
        bytes,
    });
    Ok(request)
}

fn tool_config(value: &Value, request: &mut ConverseRequest, prompt: &mut Prompt) -> Parsed<()> {
    let config = object(value, "#/toolConfig", &["tools", "toolChoice"], &["tools"])?;
    if let Some(tools) = config.get("tools") {
        let tools = array(tools, "#/toolConfig/tools")?;
        if tools.is_empty() {
            return Err(constraint(
                "[]",
                "toolConfig.tools",
                "Member must have length greater than or equal to 1",
            ));
        }
        for (i, tool) in tools.iter().enumerate() {
            let pointer = format!("#/toolConfig/tools/{i}");
            let (member, inner) = union(tool, &pointer, &["toolSpec", "cachePoint"])?;
            if member == "cachePoint" {
                cache_point(inner, &format!("{pointer}/cachePoint"))?;
                prompt.cache_point();
                continue;
            }
            let spec = tool_spec(inner, i, &format!("{pointer}/toolSpec"))?;
            prompt.add(inner, inner.to_string().len());
            request.tools.push(spec);
        }
    }
    if let Some(choice) = config.get("toolChoice") {
        let pointer = "#/toolConfig/toolChoice";
        let (member, inner) = union(choice, pointer, &["auto", "any", "tool"])?;
        let inner_pointer = format!("{pointer}/{member}");
        request.tool_choice = Some(match member {
            "auto" => {
                object(inner, &inner_pointer, &[], &[])?;
                ToolChoice::Auto
            }
            "any" => {
                object(inner, &inner_pointer, &[], &[])?;
                ToolChoice::Any
            }
            _ => {
                let tool = object(inner, &inner_pointer, &["name"], &["name"])?;
                let name = tool
                    .get("name")
                    .map(|n| string(n, &format!("{inner_pointer}/name")));
                ToolChoice::Tool(name.transpose()?.unwrap_or_default().to_owned())
            }
        });
    }
    Ok(())
}

fn tool_spec(value: &Value, index: usize, pointer: &str) -> Parsed<Tool> {
    let spec = object(
        value,
        pointer,
        &["name", "description", "inputSchema"],
        &["name", "inputSchema"],
    )?;
    let name = string(&spec["name"], &format!("{pointer}/name"))?;
    let valid_name = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !valid_name {
        return Err(constraint(
            name,
            &format!("toolConfig.tools.{}.member.toolSpec.name", index + 1),
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+",
        ));
    }
    if let Some(description) = spec.get("description") {
        string(description, &format!("{pointer}/description"))?;
    }
    let schema_pointer = format!("{pointer}/inputSchema");
    let (_, schema) = union(&spec["inputSchema"], &schema_pointer, &["json"])?;
    if !schema.is_object() {
        return Err(BedrockError::validation(format!(
            "The format of the value at toolConfig.tools.{index}.toolSpec.inputSchema.json is \
             invalid. Provide a json object for the field and try again."
        )));
    }
    Ok(Tool {
        name: name.to_owned(),
        schema: schema.clone(),
    })
}

fn system_block(value: &Value, index: usize, prompt: &mut Prompt) -> Parsed<()> {
    let pointer = format!("#/system/{index}");
    let (member, inner) = union(value, &pointer, &["text", "cachePoint", "guardContent"])?;
    let inner_pointer = format!("{pointer}/{member}");
    match member {
        "text" => {
            let text = string(inner, &inner_pointer)?;
            if text.trim().is_empty() {
                return Err(BedrockError::validation(format!(
                    "The text field in the SystemContentBlock object at system.{index} is blank. \
                     Add text to the text field, and try again."
                )));
            }
            prompt.add(inner, text.len());
        }
        "cachePoint" => {
            cache_point(inner, &inner_pointer)?;
            prompt.cache_point();
        }
        _ => {
            object(inner, &inner_pointer, &["text", "image"], &[])?;
        }
    }
    Ok(())
}

fn inference(value: &Value) -> Parsed<Inference> {
    let pointer = "#/inferenceConfig";
    let map = object(
        value,
        pointer,
        &["maxTokens", "temperature", "topP", "stopSequences"],
        &[],
    )?;
    let mut config = Inference::default();
    if let Some(max) = map.get("maxTokens") {
        let max = integer(max, &format!("{pointer}/maxTokens"))?;
        if max < 1 {
            return Err(constraint(
                &max.to_string(),
                "inferenceConfig.maxTokens",
                "Member must have value greater than or equal to 1",
            ));
        }
        config.max_tokens = Some(max);
    }
    for (key, slot) in [
        ("temperature", &mut config.temperature),
        ("topP", &mut config.top_p),
    ] {
        if let Some(value) = map.get(key) {
            let value = number(value, &format!("{pointer}/{key}"))?;
            if !(0.0..=1.0).contains(&value) {
                let rule = if value < 0.0 {
                    "Member must have value greater than or equal to 0"
                } else {
                    "Member must have value less than or equal to 1"
                };
                return Err(constraint(
                    &value.to_string(),
                    &format!("inferenceConfig.{key}"),
                    rule,
                ));
            }
            *slot = Some(value);
        }
    }
    if let Some(stops) = map.get("stopSequences") {
        for (i, stop) in array(stops, &format!("{pointer}/stopSequences"))?
            .iter()
            .enumerate()
        {
            let stop = string(stop, &format!("{pointer}/stopSequences/{i}"))?;
            if stop.is_empty() {
                return Err(constraint(
                    "",
                    &format!("inferenceConfig.stopSequences.{}.member", i + 1),
                    "Member must have length greater than or equal to 1",
                ));
            }
            config.stop_sequences.push(stop.to_owned());
        }
    }
    Ok(config)
}

/// The fields the fake does not act on, still checked for shape.
fn other_fields(top: &Map<String, Value>) -> Parsed<()> {
    if let Some(guardrail) = top.get("guardrailConfig") {
        object(
            guardrail,
            "#/guardrailConfig",
            &[
                "guardrailIdentifier",
                "guardrailVersion",
                "trace",
                "streamProcessingMode",
            ],
            &["guardrailIdentifier", "guardrailVersion"],
        )?;
    }
    if let Some(performance) = top.get("performanceConfig") {
        let map = object(performance, "#/performanceConfig", &["latency"], &[])?;
        if let Some(latency) = map.get("latency") {
            one_of(
                latency,
                "#/performanceConfig/latency",
                &["standard", "optimized"],
            )?;
        }
    }
    if let Some(tier) = top.get("serviceTier") {
        let map = object(tier, "#/serviceTier", &["type"], &["type"])?;
        one_of(
            &map["type"],
            "#/serviceTier/type",
            &["priority", "default", "flex"],
        )?;
    }
    if let Some(variables) = top.get("promptVariables") {
        let map = variables
            .as_object()
            .ok_or_else(|| malformed("#/promptVariables", "expected type: JSONObject"))?;
        for (name, variable) in map {
            object(
                variable,
                &format!("#/promptVariables/{name}"),
                &["text"],
                &[],
            )?;
        }
    }
    if let Some(metadata) = top.get("requestMetadata") {
        let map = metadata
            .as_object()
            .ok_or_else(|| malformed("#/requestMetadata", "expected type: JSONObject"))?;
        for (name, value) in map {
            string(value, &format!("#/requestMetadata/{name}"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(body: Value) -> Result<ConverseRequest, String> {
        parse(body.to_string().as_bytes()).map_err(|e| e.message().to_owned())
    }

    fn hello() -> Value {
        json!({"messages": [{"role": "user", "content": [{"text": "Hello"}]}]})
    }

    #[test]
    fn reads_a_full_request() {
        let request = read(json!({
            "messages": [{"role": "user", "content": [{"text": "Hi"}, {"cachePoint": {"type": "default"}}]}],
            "system": [{"text": "Be brief"}],
            "inferenceConfig": {"maxTokens": 5, "temperature": 0.5, "stopSequences": ["x"]},
            "toolConfig": {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}], "toolChoice": {"any": {}}},
            "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
            "additionalModelResponseFieldPaths": ["/stop_sequence"],
            "requestMetadata": {"team": "a"},
        }))
        .unwrap();
        assert_eq!(request.inference.max_tokens, Some(5));
        assert_eq!(request.tool_choice, Some(ToolChoice::Any));
        assert_eq!(request.tools[0].name, "get_weather");
        assert!(request.additional.contains_key("thinking"));
        assert!(request.prompt_bytes > "Hi".len() + "Be brief".len());
        let cache = request.cache.unwrap();
        assert_eq!(cache.bytes, request.prompt_bytes, "the cache point is last");
    }

    #[test]
    fn unknown_keys_anywhere_are_refused() {
        let cases = [
            (json!({"messages": [], "foo": 1}), "#: extraneous key [foo]"),
            (
                json!({"messages": [], "inferenceConfig": {"maxTokens": 1, "topK": 5}}),
                "#/inferenceConfig: extraneous key [topK]",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"text": "a", "type": "text"}]}]}),
                "#/messages/0/content/0: extraneous key [type]",
            ),
            (
                json!({"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "a", "content": [{"text": "x"}], "isError": true}}]}]}),
                "#/messages/0/content/0/toolResult: extraneous key [isError]",
            ),
        ];
        for (body, expected) in cases {
            let message = read(body).unwrap_err();
            assert!(message.contains(expected), "{message}");
            assert!(
                message.starts_with("Malformed input request: "),
                "{message}"
            );
        }
    }

    #[test]
    fn service_messages_for_common_mistakes() {
        let blank = read(json!({"messages": [{"role": "user", "content": [{"text": " "}]}]}));
        assert!(blank.unwrap_err().starts_with(
            "The text field in the ContentBlock object at messages.0.content.0 is blank"
        ));
        let role = read(json!({"messages": [{"role": "system", "content": [{"text": "a"}]}]}));
        assert!(
            role.unwrap_err()
                .contains("at 'messages.1.member.role' failed to satisfy constraint")
        );
        let mut bad_schema = hello();
        bad_schema["toolConfig"] =
            json!({"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": "{}"}}}]});
        assert_eq!(
            read(bad_schema).unwrap_err(),
            "The format of the value at toolConfig.tools.0.toolSpec.inputSchema.json is invalid. \
             Provide a json object for the field and try again."
        );
        let mut dotted = hello();
        dotted["toolConfig"] =
            json!({"tools": [{"toolSpec": {"name": "a.b", "inputSchema": {"json": {}}}}]});
        assert!(
            read(dotted)
                .unwrap_err()
                .contains("'toolConfig.tools.1.member.toolSpec.name'")
        );
        let mut zero = hello();
        zero["inferenceConfig"] = json!({"maxTokens": 0});
        assert!(
            read(zero)
                .unwrap_err()
                .contains("greater than or equal to 1")
        );
        let image = read(
            json!({"messages": [{"role": "user", "content": [{"image": {"format": "bmp", "source": {"bytes": "aGk="}}}]}]}),
        );
        assert!(image.unwrap_err().contains("bmp is not a valid enum value"));
        let document = read(
            json!({"messages": [{"role": "user", "content": [{"document": {"format": "pdf", "name": "a.pdf", "source": {"bytes": "aGk="}}}]}]}),
        );
        assert!(
            document
                .unwrap_err()
                .starts_with("The document file name can only contain")
        );
        let json_result = read(
            json!({"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "a", "content": [{"json": [1]}]}}]}]}),
        );
        assert!(
            json_result
                .unwrap_err()
                .contains("messages.0.content.0.toolResult.content.0.json is invalid")
        );
        assert!(
            read(json!({}))
                .unwrap_err()
                .contains("required key [messages] not found")
        );
    }

    #[test]
    fn cache_prefix_depends_only_on_what_precedes_the_point() {
        let body = |question: &str| {
            json!({
                "system": [{"text": "Long instructions"}, {"cachePoint": {"type": "default"}}],
                "messages": [{"role": "user", "content": [{"text": question}]}],
            })
        };
        let a = read(body("one")).unwrap().cache.unwrap();
        let b = read(body("two")).unwrap().cache.unwrap();
        assert_eq!(a.key, b.key);
        assert_eq!(a.bytes, "Long instructions".len());
        assert!(read(hello()).unwrap().cache.is_none());
    }
}
