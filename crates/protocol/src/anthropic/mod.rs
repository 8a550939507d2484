//! The Anthropic Messages dialect.
//!
//! Reference: <https://docs.anthropic.com/en/api/messages> and
//! <https://docs.anthropic.com/en/api/messages-streaming>. Translators, one direction each:
//! - [`request`]: canonical chat request → Messages request (OpenAI client, Anthropic provider);
//! - [`response`]: Messages response → canonical chat response;
//! - [`stream_in`]: Messages SSE events → canonical chunks (a state machine);
//! - [`ingress`]: Messages request → canonical (Anthropic client, any provider), and the
//!   canonical response back to a Messages response;
//! - [`stream_out`]: canonical chunks → Messages SSE events (a state machine).

pub mod ingress;
pub mod request;
pub mod response;
pub mod stream_in;
pub mod stream_out;
pub mod usage;
pub mod wire;

/// The API version header every request carries.
pub const API_VERSION: &str = "2023-06-01";
