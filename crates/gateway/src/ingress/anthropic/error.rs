//! The Anthropic error envelope: the one place a `GatewayError` becomes a response for
//! Messages-dialect clients. `{"type":"error","error":{"type","message"}}`.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::error::{ErrorFacts, GatewayError};

/// A `GatewayError` rendered for Anthropic clients.
#[derive(Debug)]
pub struct AnthropicError(pub GatewayError);

impl From<GatewayError> for AnthropicError {
    fn from(err: GatewayError) -> Self {
        Self(err)
    }
}

impl From<gomodel_providers::ProviderError> for AnthropicError {
    fn from(err: gomodel_providers::ProviderError) -> Self {
        Self(GatewayError::from_provider(err))
    }
}

/// Anthropic's error `type` for a status.
pub fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 415 | 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 | 529 => "overloaded_error",
        _ => "api_error",
    }
}

pub fn envelope(err: &GatewayError) -> serde_json::Value {
    json!({"type": "error", "error": {"type": error_type(err.status), "message": err.message}})
}

impl IntoResponse for AnthropicError {
    fn into_response(self) -> Response {
        let err = self.0;
        let mut response = (err.status, Bytes::from(envelope(&err).to_string())).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(retry_after) = err
            .retry_after
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(RETRY_AFTER, retry_after);
        }
        response.extensions_mut().insert(ErrorFacts {
            code: err.code.map(|c| c.into_owned()),
            message: err.message,
            fault: err.fault,
        });
        response
    }
}
