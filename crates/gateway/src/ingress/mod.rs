//! Ingress: speaks a client's dialect and nothing else. Parses just enough to route, calls the
//! pipeline and the provider, and renders the answer (JSON or SSE) back in the same dialect.

pub mod admin;
pub mod anthropic;
pub mod body;
pub mod health;
pub mod openai;
pub mod passthrough;
pub(crate) mod request;
pub mod translation;
