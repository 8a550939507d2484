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
