//! The Anthropic Messages API for any provider: `POST /v1/messages` and
//! `POST /v1/messages/count_tokens`.
//!
//! A request whose model resolves to an Anthropic provider goes through as bytes (only the
//! model id rewritten) and the answer comes back untouched; for any other provider it is
//! translated to the canonical chat types, sent through that provider's chat path, and the
//! answer (JSON or SSE) translated back into Messages shapes. Errors use Anthropic's envelope.

pub mod count_tokens;
pub mod error;
pub mod messages;
mod stream;
