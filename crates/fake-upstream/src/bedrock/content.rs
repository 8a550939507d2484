//! The messages of a Converse request: each turn's role and content blocks (text, images,
//! documents, tool calls and results, reasoning, cache points), read strictly with `shape.rs`
//! and measured into the prompt (`request.rs`).
//!
//! Where Bedrock has its own message for a mistake (a blank text block, a tool input or JSON
//! result that is not an object, a document name it cannot take), that message is used; the
//! indices in them count from 0, as Bedrock's do.

use serde_json::Value;

use super::errors::BedrockError;
use super::request::{Block, Message, Prompt, Role};
use super::shape::{array, bytes, cache_point, constraint, object, one_of, string, union};

type Parsed<T> = Result<T, BedrockError>;

const CONTENT: &[&str] = &[
    "text",
    "image",
    "document",
    "video",
    "toolUse",
    "toolResult",
    "guardContent",
    "cachePoint",
    "reasoningContent",
];
const RESULT_CONTENT: &[&str] = &["text", "json", "image", "document", "video"];
const IMAGE_FORMATS: &[&str] = &["png", "jpeg", "gif", "webp"];
const DOCUMENT_FORMATS: &[&str] = &[
    "pdf", "csv", "doc", "docx", "xls", "xlsx", "html", "txt", "md",
];

pub(super) fn message(value: &Value, index: usize, prompt: &mut Prompt) -> Parsed<Message> {
    let pointer = format!("#/messages/{index}");
    let map = object(value, &pointer, &["role", "content"], &["role", "content"])?;
    let role = string(&map["role"], &format!("{pointer}/role"))?;
    let role = match role {
        "user" => Role::User,
        "assistant" => Role::Assistant,
        other => {
            return Err(constraint(
                other,
                &format!("messages.{}.member.role", index + 1),
                "Member must satisfy enum value set: [user, assistant]",
            ));
        }
    };
    let mut blocks = Vec::new();
    for (j, block) in array(&map["content"], &format!("{pointer}/content"))?
        .iter()
        .enumerate()
    {
        let block = content_block(block, &format!("{pointer}/content/{j}"), (index, j), prompt)?;
        if matches!(block, Block::CachePoint) {
            prompt.cache_point();
        }
        blocks.push(block);
    }
    Ok(Message { role, blocks })
}

/// One content block; `at` is (message, block) for the service's dotted messages.
fn content_block(
    value: &Value,
    pointer: &str,
    at: (usize, usize),
    prompt: &mut Prompt,
) -> Parsed<Block> {
    let (member, inner) = union(value, pointer, CONTENT)?;
    let inner_pointer = format!("{pointer}/{member}");
    let (i, j) = at;
    let block = match member {
        "text" => {
            let text = string(inner, &inner_pointer)?;
            if text.trim().is_empty() {
                return Err(BedrockError::validation(format!(
                    "The text field in the ContentBlock object at messages.{i}.content.{j} is \
                     blank. Add text to the text field, and try again."
                )));
            }
            prompt.add(inner, text.len());
            Block::Text
        }
        "image" => {
            image(inner, &inner_pointer)?;
            prompt.add(inner, 0);
            Block::Media
        }
        "document" => {
            document(inner, &inner_pointer)?;
            prompt.add(inner, 0);
            Block::Media
        }
        "video" | "guardContent" => {
            object(
                inner,
                &inner_pointer,
                &["format", "source", "text", "image"],
                &[],
            )?;
            Block::Media
        }
        "toolUse" => {
            let map = object(
                inner,
                &inner_pointer,
                &["toolUseId", "name", "input"],
                &["toolUseId", "name", "input"],
            )?;
            let id = string(&map["toolUseId"], &format!("{inner_pointer}/toolUseId"))?;
            string(&map["name"], &format!("{inner_pointer}/name"))?;
            if !map["input"].is_object() {
                return Err(BedrockError::validation(format!(
                    "The format of the value at messages.{i}.content.{j}.toolUse.input is \
                     invalid. Provide a json object for the field and try again."
                )));
            }
            prompt.add(inner, map["input"].to_string().len());
            Block::ToolUse { id: id.to_owned() }
        }
        "toolResult" => {
            let id = tool_result(inner, &inner_pointer, at)?;
            prompt.add(inner, inner["content"].to_string().len());
            Block::ToolResult { id }
        }
        "reasoningContent" => reasoning(inner, &inner_pointer)?,
        _ => {
            cache_point(inner, &inner_pointer)?;
            Block::CachePoint
        }
    };
    Ok(block)
}

fn image(value: &Value, pointer: &str) -> Parsed<()> {
    let map = object(value, pointer, &["format", "source"], &["format", "source"])?;
    one_of(&map["format"], &format!("{pointer}/format"), IMAGE_FORMATS)?;
    source(
        &map["source"],
        &format!("{pointer}/source"),
        &["bytes", "s3Location"],
    )
}

fn source(value: &Value, pointer: &str, members: &[&str]) -> Parsed<()> {
    let (member, inner) = union(value, pointer, members)?;
    let inner_pointer = format!("{pointer}/{member}");
    match member {
        "bytes" => bytes(inner, &inner_pointer),
        "s3Location" => {
            let map = object(inner, &inner_pointer, &["uri", "bucketOwner"], &["uri"])?;
            string(&map["uri"], &format!("{inner_pointer}/uri")).map(drop)
        }
        "text" => string(inner, &inner_pointer).map(drop),
        _ => array(inner, &inner_pointer).map(drop),
    }
}

fn document(value: &Value, pointer: &str) -> Parsed<()> {
    let map = object(
        value,
        pointer,
        &["format", "name", "source", "context", "citations"],
        &["name", "source"],
    )?;
    if let Some(format) = map.get("format") {
        one_of(format, &format!("{pointer}/format"), DOCUMENT_FORMATS)?;
    }
    let name = string(&map["name"], &format!("{pointer}/name"))?;
    // Bedrock's rule for document names, with its own message.
    let allowed = name.chars().all(|c| {
        c.is_alphanumeric() || c.is_whitespace() || matches!(c, '-' | '(' | ')' | '[' | ']')
    });
    if !allowed || name.contains("  ") || name.is_empty() {
        return Err(BedrockError::validation(
            "The document file name can only contain alphanumeric characters, whitespace \
             characters, hyphens, parentheses, and square brackets. The name can't contain more \
             than one consecutive whitespace character.",
        ));
    }
    source(
        &map["source"],
        &format!("{pointer}/source"),
        &["bytes", "s3Location", "text", "content"],
    )
}

/// Returns the `toolUseId`.
fn tool_result(value: &Value, pointer: &str, at: (usize, usize)) -> Parsed<String> {
    let map = object(
        value,
        pointer,
        &["toolUseId", "content", "status"],
        &["toolUseId", "content"],
    )?;
    let id = string(&map["toolUseId"], &format!("{pointer}/toolUseId"))?;
    let content_pointer = format!("{pointer}/content");
    for (k, item) in array(&map["content"], &content_pointer)?.iter().enumerate() {
        let item_pointer = format!("{content_pointer}/{k}");
        let (member, inner) = union(item, &item_pointer, RESULT_CONTENT)?;
        let inner_pointer = format!("{item_pointer}/{member}");
        match member {
            "text" => {
                string(inner, &inner_pointer)?;
            }
            "json" if !inner.is_object() => {
                let (i, j) = at;
                return Err(BedrockError::validation(format!(
                    "The format of the value at messages.{i}.content.{j}.toolResult.content.{k}.json \
                     is invalid. Provide a json object for the field and try again."
                )));
            }
            "image" => image(inner, &inner_pointer)?,
            "document" => document(inner, &inner_pointer)?,
            _ => {}
        }
    }
    if let Some(status) = map.get("status") {
        one_of(status, &format!("{pointer}/status"), &["success", "error"])?;
    }
    Ok(id.to_owned())
}

fn reasoning(value: &Value, pointer: &str) -> Parsed<Block> {
    let (member, inner) = union(value, pointer, &["reasoningText", "redactedContent"])?;
    let inner_pointer = format!("{pointer}/{member}");
    if member == "redactedContent" {
        bytes(inner, &inner_pointer)?;
        return Ok(Block::Reasoning {
            signature: Some(String::new()),
        });
    }
    let map = object(inner, &inner_pointer, &["text", "signature"], &["text"])?;
    string(&map["text"], &format!("{inner_pointer}/text"))?;
    let signature = map
        .get("signature")
        .map(|s| string(s, &format!("{inner_pointer}/signature")))
        .transpose()?;
    Ok(Block::Reasoning {
        signature: signature.map(str::to_owned),
    })
}
