//! The OpenAI-compatible API: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models`.
//!
//! On the fast path (every provider of this issue speaks the OpenAI dialect) request bodies
//! are parsed only at the top level ([`gomodel_protocol::JsonObject`]): the fields routing needs
//! are read, the model id and provider quirks are rewritten, everything else goes upstream
//! byte for byte, and answers come back the same way.

pub mod chat;
pub mod embeddings;
pub mod error;
pub mod models;
pub mod stream;
