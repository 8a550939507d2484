//! The GoModel gateway as a library: configuration, HTTP ingress, the request pipeline and
//! observation. The `gomodel` binary is a thin CLI over [`server::Gateway`].
//!
//! A request's path: `observe::middleware` (request id, record, log line) → the route in
//! [`app`] → `pipeline::auth` → an `ingress` handler, which reads the routing fields of the
//! body, calls `pipeline::resolve` for the provider and model, lets the provider rewrite the
//! body for its quirks, and relays the answer (JSON, or SSE through `ingress::openai::stream`).

pub mod app;
pub mod config;
pub mod error;
pub mod ingress;
pub mod logging;
pub mod models;
pub mod observe;
pub mod openapi;
pub mod pipeline;
pub mod records;
pub mod server;

pub use config::Config;
pub use server::Gateway;

/// The provider crate, for callers (the binary, tests) that need its types.
pub use gomodel_providers as providers;
