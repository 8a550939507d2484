//! The provider recordings this fake plays back, embedded at compile time.
//!
//! They are public so the gateway's tests can compare what they receive with what was recorded.
//! See `fixtures/README.md` for where each one comes from.

/// OpenAI `POST /v1/chat/completions` answer (gpt-4o-mini, "Hello, World!").
pub const OPENAI_CHAT_COMPLETION: &str = include_str!("../fixtures/openai/chat_completion.json");
/// OpenAI chat completion stream, as received on the wire (SSE `data:` lines).
pub const OPENAI_CHAT_COMPLETION_STREAM: &str =
    include_str!("../fixtures/openai/chat_completion_stream.txt");
/// OpenAI chat completion that calls a tool (`get_weather`).
pub const OPENAI_CHAT_WITH_TOOLS: &str = include_str!("../fixtures/openai/chat_with_tools.json");
/// OpenAI `GET /v1/models` answer.
pub const OPENAI_MODELS: &str = include_str!("../fixtures/openai/models.json");
/// Groq chat completion stream (usage rides on the finish chunk, plus `x_groq`).
pub const GROQ_CHAT_COMPLETION_STREAM: &str =
    include_str!("../fixtures/groq/chat_completion_stream.txt");
/// Groq `GET /openai/v1/models` answer (extra fields such as `context_window`).
pub const GROQ_MODELS: &str = include_str!("../fixtures/groq/models.json");
/// Anthropic `POST /v1/messages` answer (claude-sonnet-4, "Hello World").
pub const ANTHROPIC_MESSAGES: &str = include_str!("../fixtures/anthropic/messages.json");
/// Anthropic message that calls a tool (`get_weather`, `stop_reason: "tool_use"`).
pub const ANTHROPIC_MESSAGES_WITH_TOOLS: &str =
    include_str!("../fixtures/anthropic/messages_with_tools.json");
/// Anthropic message with extended thinking: a signed `thinking` block, then text.
pub const ANTHROPIC_MESSAGES_EXTENDED_THINKING: &str =
    include_str!("../fixtures/anthropic/messages_extended_thinking.json");
/// Anthropic message stream, as received on the wire (`event:` and `data:` lines).
pub const ANTHROPIC_MESSAGES_STREAM: &str =
    include_str!("../fixtures/anthropic/messages_stream.txt");
