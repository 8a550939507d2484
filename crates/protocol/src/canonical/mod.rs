//! Canonical types: OpenAI chat completions (request, response, stream chunk) as typed structs,
//! used where two different dialects meet (OpenAI client to Anthropic provider, Anthropic client
//! to OpenAI-compatible provider). The fast path (same dialect both sides) never builds these.
//!
//! Every struct carries an `extra` map (`#[serde(flatten)]`) so fields this crate does not model
//! survive a round trip, and a few extension fields OpenAI lacks: `reasoning_content` (thinking
//! text), `reasoning_signature` (Anthropic's thinking signature, never re-encoded), and the raw
//! cache token counts in usage.

mod chat;
mod chunk;
mod content;

pub use chat::{
    ChatRequest, ChatResponse, Choice, FunctionCall, FunctionDef, Message, ReasoningBlock,
    ResponseMessage, Tool, ToolCall, ToolChoice, UsageOut,
};
pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use content::{Content, ContentPart, ImageUrl};

/// Unknown fields, kept in order of appearance.
pub type Extra = serde_json::Map<String, serde_json::Value>;
