//! Observation: what happened to each request, recorded without slowing it down.
//!
//! [`RequestRecord`] collects facts as the request moves through the pipeline (provider,
//! models, usage, error, time to first byte). [`middleware`] gives every request its id and
//! record, and emits one structured log line when the response body is finished, or dropped
//! because the client went away, so streams are logged with their final usage and duration.
//! Usage and audit persistence (a later issue) hook into the same completion point.

pub mod audit;
pub mod metrics;
pub mod middleware;
pub mod price_sources;
pub mod pricing;
pub mod provider_health;
mod record;
pub mod request_id;
pub mod request_log;
pub mod response_id;
pub mod usage;
pub mod writer;

pub use record::{RecordSnapshot, RequestRecord};
