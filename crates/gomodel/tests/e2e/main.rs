//! End-to-end tests: the real gateway on loopback in front of the in-repo fake provider.
//!
//! One test binary (fast to link on two cores); each module covers one area of the issue.
//! Most tests start the gateway in-process with an injected environment; the shutdown and CLI
//! tests run the real `gomodel` binary.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests read their own set-up variables (PATH, GOMODEL_TEST_PYTHON); the gateway under test
// still gets its configuration injected, never from this process's environment.
#![allow(clippy::disallowed_methods)]

mod harness;

mod admin;
mod anthropic;
mod audit;
mod auth;
mod base_path;
mod bedrock;
mod chat;
mod cli;
mod dashboard;
mod errors;
mod google;
mod metrics;
mod models;
mod passthrough;
mod providers;
mod schemathesis;
mod sdk;
mod shutdown;
mod streaming;
mod usage;
