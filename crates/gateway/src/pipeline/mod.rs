//! The request policy, written once for every client dialect.
//!
//! Ingress handlers call these stages in order: [`auth`] (who is calling), then [`resolve`]
//! (which provider and upstream model), then the provider call, while [`crate::observe`]
//! records the outcome. Later issues add stages (user path, guardrails, cache, budgets,
//! failover) here, each in its own module, in the order ARCHITECTURE.md gives.

pub mod auth;
pub mod resolve;
pub mod user_path;
