//! The admin API under `/admin/api/v1`: usage, audit, pricing overrides, provider status,
//! the model inventory, runtime flags and a manual refresh.
//!
//! Always protected: with `GOMODEL_MASTER_KEY` set it requires the key; without one only
//! loopback clients may use it (GoModel left it open, limitation L4). Bad parameters get a 400
//! naming the parameter, malformed query strings and JSON bodies included ([`AdminQuery`],
//! [`AdminJson`]). Disabled entirely with `ADMIN_ENDPOINTS_ENABLED=false`.

pub mod audit;
pub mod dashboard;
mod extract;
pub mod models;
pub mod pricing;
pub mod providers;
mod range;
pub mod runtime;
pub mod storage;
pub mod usage;

pub use extract::{AdminJson, AdminQuery};
pub use range::{DateRange, RangeQuery};

use crate::error::GatewayError;

/// Storage is off or unreachable at start: the admin data routes answer 503 saying so.
pub(crate) fn no_storage() -> GatewayError {
    let mut error = GatewayError::internal(
        "usage storage is not available: check STORAGE_TYPE / SQLITE_PATH / POSTGRES_URL and USAGE_ENABLED (the gateway log says why it is off)",
    );
    error.status = http::StatusCode::SERVICE_UNAVAILABLE;
    error.code = Some("storage_unavailable".into());
    error
}

pub(crate) fn store_error(err: gomodel_store::StoreError) -> GatewayError {
    let mut error = GatewayError::internal(format!("storage query failed: {err}"));
    error.status = http::StatusCode::SERVICE_UNAVAILABLE;
    error.code = Some("storage_error".into());
    error
}

pub(crate) fn bad_param(param: &str, message: impl Into<String>) -> GatewayError {
    GatewayError::invalid_request("invalid_parameter", message).with_param(param)
}
