//! Google's error body (https://cloud.google.com/apis/design/errors, "Error model"):
//! `{"error":{"code":<http status>,"message":…,"status":<canonical code>,"details":[…]}}`,
//! pretty-printed as Google's front end sends it.
//!
//! The messages of the scripted faults (`fake-error-<status>`) are the ones the Gemini API and
//! Vertex AI answer for that status.

use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::Call;
use crate::reply;

/// One Google error, rendered once by [`ApiError::into_response`].
#[derive(Debug)]
pub(crate) struct ApiError {
    code: u16,
    message: String,
    details: Vec<Value>,
}

pub(crate) const INTERNAL_MESSAGE: &str = "An internal error has occurred. Please retry or report \
     in https://developers.generativeai.google/guide/troubleshooting";

const UNREGISTERED_CALLER: &str = "Method doesn't allow unregistered callers (callers without \
     established identity). Please use API Key or other form of API consumer identity to call \
     this API.";

const INVALID_CREDENTIALS: &str = "Request had invalid authentication credentials. Expected \
     OAuth 2 access token, login cookie or other valid authentication credential. See \
     https://developers.google.com/identity/sign-in/web/devconsole-project.";

impl ApiError {
    pub(crate) fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub(crate) fn with_detail(mut self, detail: Value) -> Self {
        self.details.push(detail);
        self
    }

    /// 400 `INVALID_ARGUMENT`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 400 for a field the JSON front end could not read, with the field in a `BadRequest`.
    pub(crate) fn bad_field(message: String, field: &str) -> Self {
        let mut violation = json!({"description": message});
        if !field.is_empty() {
            violation["field"] = Value::from(field);
        }
        Self::invalid(message.clone()).with_detail(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [violation],
        }))
    }

    /// AI Studio without any API key.
    pub(crate) fn unregistered_caller() -> Self {
        Self::new(403, UNREGISTERED_CALLER)
    }

    /// AI Studio with a key that is not the configured one.
    pub(crate) fn invalid_api_key() -> Self {
        let message = "API key not valid. Please pass a valid API key.";
        Self::invalid(message)
            .with_detail(error_info(
                "API_KEY_INVALID",
                "generativelanguage.googleapis.com",
            ))
            .with_detail(json!({
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            }))
    }

    /// Vertex without a live bearer token; `reason` says which way it failed
    /// (`CREDENTIALS_MISSING`, `ACCESS_TOKEN_EXPIRED`, `ACCESS_TOKEN_TYPE_UNSUPPORTED`).
    pub(crate) fn unauthenticated(reason: &str) -> Self {
        Self::new(401, INVALID_CREDENTIALS)
            .with_detail(error_info(reason, "aiplatform.googleapis.com"))
    }

    /// Vertex with a token that lacks the cloud-platform scope.
    pub(crate) fn insufficient_scopes() -> Self {
        Self::new(403, "Request had insufficient authentication scopes.").with_detail(error_info(
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "aiplatform.googleapis.com",
        ))
    }

    /// The `error` object alone: what a stream carries when it fails mid-way.
    pub(crate) fn body(&self) -> Value {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "status": status_name(self.code),
        });
        if !self.details.is_empty() {
            error["details"] = Value::from(self.details.clone());
        }
        json!({ "error": error })
    }

    pub(crate) fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec_pretty(&self.body()).unwrap_or_default();
        reply::json(status, body)
    }
}

fn error_info(reason: &str, service: &str) -> Value {
    json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": {"service": service},
    })
}

/// The canonical code Google pairs with an HTTP status (google.rpc.Code).
fn status_name(code: u16) -> &'static str {
    match code {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        412 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "NOT_IMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if code < 500 => "FAILED_PRECONDITION",
        _ => "UNKNOWN",
    }
}

/// `fake-error-<status>` on a Gemini or Vertex route.
pub(crate) fn scripted(status: u16, call: &Call<'_>) -> ApiError {
    match status {
        400 => ApiError::invalid("Request contains an invalid argument."),
        401 => ApiError::unauthenticated("ACCESS_TOKEN_TYPE_UNSUPPORTED"),
        403 => ApiError::unregistered_caller(),
        404 => ApiError::new(
            404,
            format!(
                "models/{} is not found for API version {}, or is not supported for {}. Call \
                 ListModels to see the list of available models and their supported methods.",
                call.model,
                call.version,
                call.method.name()
            ),
        ),
        // The Gemini API says when to come back in a RetryInfo, not in a header.
        429 => ApiError::new(429, "Resource has been exhausted (e.g. check quota).").with_detail(
            json!({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}),
        ),
        500 => ApiError::new(500, INTERNAL_MESSAGE),
        503 => ApiError::new(503, "The model is overloaded. Please try again later."),
        504 => ApiError::new(504, "Deadline expired before operation could complete."),
        _ => ApiError::new(status, format!("Scripted fake-error-{status}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_the_canonical_status() {
        let body = ApiError::invalid_api_key().body();
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(body["error"]["details"][0]["reason"], "API_KEY_INVALID");
        let plain = ApiError::new(503, "x").body();
        assert_eq!(plain["error"]["status"], "UNAVAILABLE");
        assert!(plain["error"].get("details").is_none());
        assert_eq!(status_name(418), "FAILED_PRECONDITION");
        assert_eq!(status_name(502), "UNKNOWN");
    }

    #[test]
    fn top_level_field_violations_name_no_field() {
        let body = ApiError::bad_field("m".into(), "").body();
        assert!(body["error"]["details"][0]["fieldViolations"][0]["field"].is_null());
        let nested = ApiError::bad_field("m".into(), "generation_config").body();
        assert_eq!(
            nested["error"]["details"][0]["fieldViolations"][0]["field"],
            "generation_config"
        );
    }
}
