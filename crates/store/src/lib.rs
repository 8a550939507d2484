//! Persistence for GoModel's usage and audit records and its stored price overrides, behind one
//! API with two backends: SQLite (the default: one file, nothing to run) and PostgreSQL (for
//! several gateway replicas sharing one history).
//!
//! - [`Store`] is the handle: [`Store::connect`] opens the database and applies the embedded
//!   migrations (`migrate`), then the query methods live next to the table they serve:
//!   `usage` (insert, log, re-pricing, retention), `reports` (summary, buckets, per model, per
//!   user path), `audit` (insert, log, entry, conversation), `pricing` (overrides).
//! - Every statement is written once (`sql`) and bound to either driver by `exec`; the
//!   filters ([`UsageFilter`], [`AuditFilter`]) become index-friendly `WHERE` clauses in `filter`.
//! - Queries are checked at run time (no `DATABASE_URL` at build time) and covered by one
//!   contract test suite that runs against both backends (`tests/contract`).
//!
//! [`json_text`] writes and checks JSON text by hand, for the documents and arrays stored per
//! request (the serde path was a visible share of what a usage or audit row cost).
//!
//! Time is unix microseconds everywhere (`ts_us`), so both backends store a plain `BIGINT` and
//! bucket arithmetic is integer arithmetic.

mod audit;
mod audit_segment;
mod audit_sqlite;
mod checkpoint;
mod error;
mod exec;
mod filter;
pub mod json_text;
mod migrate;
mod pricing;
mod records;
mod redact;
mod reports;
mod rollup;
mod sql;
mod stats;
mod store;
mod usage;

pub use audit_segment::{AuditFields, EncodedAudit};
pub use error::{Result, StoreError};
pub use filter::{AuditFilter, UsageFilter};
pub use records::{
    AuditRow, CostUpdate, Page, PricingOverrideRow, RawJson, RequestUsageSummary, UsageRow,
};
pub use redact::{redact_url, url_passwords};
pub use reports::{ModelUsage, UsageBucket, UsageSummary, UserPathUsage};
pub use store::{Store, StoreConfig};
