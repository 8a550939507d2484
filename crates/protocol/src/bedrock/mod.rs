//! Amazon Bedrock's Converse dialect (Claude, Nova, Llama, Mistral, … behind one API).
//!
//! Reference: <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html>.
//! Translators, one direction each:
//! - [`request`]: canonical chat request → `ConverseRequest`;
//! - [`response`]: `ConverseResponse` → canonical chat response;
//! - [`stream_in`]: ConverseStream events (decoded from [`crate::eventstream`] frames) →
//!   canonical chunks (a state machine);
//! - [`usage`]: usage and stop reasons; [`model`]: what a model id says about the model.

pub mod model;
pub mod request;
pub mod response;
pub mod stream_in;
pub mod usage;
pub mod wire;
