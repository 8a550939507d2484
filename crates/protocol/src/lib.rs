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
//!   bodies.
//!
//! Keeping this crate free of I/O means it compiles and tests in seconds and can be fuzzed.

pub mod json_object;
pub mod openai;
pub mod sse;
pub mod usage;

pub use json_object::{JsonObject, JsonObjectError};
pub use usage::Usage;
