//! End-to-end tests of the fake over real loopback HTTP, one module per concern.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers as well as tests: a failure anywhere here is a failed test"
)]

mod anthropic;
mod aws;
mod aws_credentials;
mod bedrock;
mod bedrock_stream;
mod binary;
mod chat;
mod client;
mod embeddings;
mod faults;
mod gemini;
mod google_oauth;
mod passthrough;
mod recording;
mod routes;
mod stream;
