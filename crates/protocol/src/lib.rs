//! Pure wire-format code for GoModel: no sockets, no clocks, no async.
//!
//! What lives here is everything about *bytes on the wire* that the gateway must understand to
//! route and observe a request without decoding it into full typed structs:
//!
//! - [`json_object`]: a request body as its top-level fields with the values kept as raw JSON, so
//!   the fast path can read `model`/`stream`, rewrite a handful of fields and re-emit the rest
//!   byte for byte;
//! - [`sse`]: an incremental Server-Sent Events splitter (linear in the input, never re-scans);
//! - [`openai`]: the OpenAI dialect: request peeking, stream-event inspection, usage and error
//!   bodies;
//! - [`canonical`]: typed OpenAI chat types, where two dialects meet;
//! - [`anthropic`]: the Messages dialect and its translators to and from the canonical types;
//! - [`gemini`]: Google's `generateContent` dialect (AI Studio and Vertex AI) and its translators;
//! - [`report`]: what a translation dropped or clamped (strict vs lenient).
//!
//! Keeping this crate free of I/O means it compiles and tests in seconds and can be fuzzed.

pub mod anthropic;
pub mod bedrock;
pub mod canonical;
pub mod eventstream;
pub mod gemini;
pub mod json_object;
pub mod openai;
pub mod report;
pub mod sse;
pub mod usage;

#[cfg(test)]
pub(crate) mod testing;

pub use json_object::{JsonObject, JsonObjectError};
pub use usage::Usage;
