//! Bedrock's error responses (restJson1): the status, a JSON body `{"message": …}`, and the
//! exception's name in `x-amzn-ErrorType` as `<Exception>:<namespace>`, which is what AWS SDKs
//! read to pick the error type (Bedrock Runtime API reference, "Common Errors" and each
//! operation's "Errors").
//!
//! Exceptions raised by Bedrock itself carry the `com.amazon.bedrock` namespace; those raised by
//! AWS's request front end before Bedrock sees the call (signatures, unknown keys, missing
//! credentials) carry `com.amazon.coral.service`. Bedrock API key (bearer) refusals spell the
//! body's key `Message`, as the service does.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

const BEDROCK: &str = "http://internal.amazon.com/coral/com.amazon.bedrock/";
const CORAL: &str = "http://internal.amazon.com/coral/com.amazon.coral.service/";

/// The message of a scripted or real throttle.
pub(super) const THROTTLED: &str = "Too many requests, please wait before trying again.";
pub(super) const INTERNAL: &str =
    "The system encountered an unexpected error during processing. Try your request again.";

/// One error, rendered once by [`BedrockError::into_response`].
#[derive(Debug)]
pub(crate) struct BedrockError {
    status: u16,
    exception: &'static str,
    message: String,
    namespace: &'static str,
    /// `message`, or `Message` for bearer-token refusals.
    key: &'static str,
}

impl BedrockError {
    pub(crate) fn new(status: u16, exception: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            exception,
            message: message.into(),
            namespace: BEDROCK,
            key: "message",
        }
    }

    /// 400 `ValidationException`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "ValidationException", message)
    }

    /// A refusal from AWS's front end (authentication), in its own namespace.
    pub(super) fn front_end(
        status: u16,
        exception: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            namespace: CORAL,
            ..Self::new(status, exception, message)
        }
    }

    /// A Bedrock API key refusal: 403 with `{"Message": …}`.
    pub(super) fn api_key(message: &str) -> Self {
        Self {
            key: "Message",
            ..Self::front_end(403, "AccessDeniedException", message)
        }
    }

    /// An error a Claude model raised, which Bedrock wraps.
    pub(super) fn model_said(message: &str) -> Self {
        Self::validation(format!(
            "The model returned the following errors: {message}"
        ))
    }

    #[cfg(test)]
    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    #[cfg(test)]
    pub(crate) fn exception(&self) -> &'static str {
        self.exception
    }

    #[cfg(test)]
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn into_response(self) -> Response {
        let body = serde_json::json!({ self.key: self.message }).to_string();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(kind) = HeaderValue::from_str(&format!("{}:{}", self.exception, self.namespace)) {
            headers.insert("x-amzn-errortype", kind);
        }
        response
    }
}

/// `fake-error-<status>` in Bedrock's vocabulary: the exception each status stands for in the
/// Converse API reference's "Errors" section, with the service's own messages.
pub(super) fn scripted(status: u16) -> BedrockError {
    let (exception, message) = match status {
        400 => (
            "ValidationException",
            "Malformed input request, please reformat your input and try again.",
        ),
        403 => (
            "AccessDeniedException",
            "You don't have access to the model with the specified model ID.",
        ),
        404 => (
            "ResourceNotFoundException",
            "This model version has reached the end of its life. Please refer to the AWS \
             documentation for more details.",
        ),
        408 => (
            "ModelTimeoutException",
            "Model has timed out in processing the request. Try your request again.",
        ),
        424 => (
            "ModelErrorException",
            "The model produced an invalid response. Try your request again.",
        ),
        429 => ("ThrottlingException", THROTTLED),
        500 => ("InternalServerException", INTERNAL),
        503 => (
            "ServiceUnavailableException",
            "Bedrock is unable to process your request.",
        ),
        _ if status < 500 => ("ValidationException", "Scripted fake error."),
        _ => ("InternalServerException", "Scripted fake error."),
    };
    BedrockError::new(status, exception, message)
}

/// `fake-model-not-ready`: the model is still loading (429, retryable).
pub(super) fn model_not_ready() -> BedrockError {
    BedrockError::new(
        429,
        "ModelNotReadyException",
        "Model is not ready for inference. Wait and try your request again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_header_and_body() {
        let response = scripted(429).into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(
            response.headers()["x-amzn-errortype"],
            "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"
        );
        let bearer = BedrockError::api_key("no").into_response();
        assert_eq!(
            bearer.headers()["x-amzn-errortype"],
            "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/"
        );
    }

    #[test]
    fn every_documented_status_has_its_exception() {
        let cases = [
            (400, "ValidationException"),
            (403, "AccessDeniedException"),
            (404, "ResourceNotFoundException"),
            (408, "ModelTimeoutException"),
            (424, "ModelErrorException"),
            (429, "ThrottlingException"),
            (500, "InternalServerException"),
            (503, "ServiceUnavailableException"),
            (418, "ValidationException"),
            (502, "InternalServerException"),
        ];
        for (status, exception) in cases {
            let error = scripted(status);
            assert_eq!((error.status(), error.exception()), (status, exception));
        }
    }
}
