//! The OpenAI dialect, as far as the gateway needs to understand it on the fast path.
//!
//! Reference: <https://platform.openai.com/docs/api-reference/chat> (chat completions, the
//! streaming chunk object, `stream_options.include_usage`) and
//! <https://platform.openai.com/docs/guides/error-codes> (the error envelope).

pub mod error;
pub mod response;
pub mod stream;

pub use error::UpstreamErrorBody;
pub use response::{extract_usage, parse_usage};
pub use stream::{StreamEvent, inspect_data, inspect_event};
