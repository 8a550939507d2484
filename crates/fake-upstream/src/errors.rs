//! Provider error bodies: OpenAI's envelope, OpenRouter's wrapper, Ollama's plain form, and
//! Anthropic's envelope.
//!
//! Messages, types and codes follow what OpenAI returns for each status (API reference, "Error
//! codes"), and for Anthropic its API reference, "Errors", so the gateway's error mapping is
//! tested against the real vocabulary.

use axum::response::Response;
use http::{HeaderValue, StatusCode};

use crate::reply;
use crate::template::push_json_str;

/// How a status looks on OpenAI's wire: message, type, code.
fn openai_vocabulary(status: u16, model: &str) -> (String, &'static str, &'static str) {
    match status {
        400 => (
            "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an \
             empty array instead."
                .to_owned(),
            "invalid_request_error",
            "empty_array",
        ),
        401 => (
            "Incorrect API key provided: sk-fake****************1234. You can find your API key \
             at https://platform.openai.com/account/api-keys."
                .to_owned(),
            "invalid_request_error",
            "invalid_api_key",
        ),
        403 => (
            "Country, region, or territory not supported".to_owned(),
            "request_forbidden",
            "unsupported_country_region_territory",
        ),
        404 => (
            format!("The model `{model}` does not exist or you do not have access to it."),
            "invalid_request_error",
            "model_not_found",
        ),
        429 => (
            "Rate limit reached for gpt-4o-mini in organization org-fake on requests per min \
             (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s. Visit \
             https://platform.openai.com/account/rate-limits to learn more."
                .to_owned(),
            "requests",
            "rate_limit_exceeded",
        ),
        500 => (
            "The server had an error while processing your request. Sorry about that!".to_owned(),
            "server_error",
            "server_error",
        ),
        503 => (
            "The server is overloaded or not ready yet.".to_owned(),
            "server_error",
            "service_unavailable",
        ),
        _ if status < 500 => (
            format!("Scripted fake-error-{status}."),
            "invalid_request_error",
            "invalid_request_error",
        ),
        _ => (
            format!("Scripted fake-error-{status}."),
            "server_error",
            "server_error",
        ),
    }
}

/// `fake-error-<status>` on an OpenAI-compatible route.
pub(crate) fn scripted(status: u16, model: &str) -> Response {
    let (message, kind, code) = openai_vocabulary(status, model);
    let mut response = openai(status_code(status), &message, kind, Some(code));
    if status == 429 {
        // Retry-after lets the gateway's retry logic be tested without waiting long.
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// `fake-error-<status>` on Ollama's native API, which answers `{"error":"..."}`.
pub(crate) fn scripted_ollama(status: u16, model: &str) -> Response {
    let (message, _, _) = openai_vocabulary(status, model);
    let mut body = Vec::with_capacity(message.len() + 16);
    body.extend_from_slice(b"{\"error\":");
    push_json_str(&mut body, &message);
    body.push(b'}');
    reply::json(status_code(status), body)
}

/// How a status looks on Anthropic's wire: error type and message.
fn anthropic_vocabulary(status: u16, model: &str) -> (&'static str, String) {
    let (kind, message) = match status {
        400 => (
            "invalid_request_error",
            "messages: roles must alternate between \"user\" and \"assistant\", but found \
             multiple \"user\" roles in a row",
        ),
        401 => ("authentication_error", "invalid x-api-key"),
        402 => (
            "billing_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & \
             Billing to upgrade or purchase credits.",
        ),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        404 => return ("not_found_error", format!("model: {model}")),
        413 => (
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.",
        ),
        429 => (
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per \
             minute. Please reduce the prompt length or the maximum tokens requested, or try \
             again later.",
        ),
        500 => ("api_error", "Internal server error"),
        504 => ("timeout_error", "Request timed out"),
        529 => ("overloaded_error", "Overloaded"),
        _ if status < 500 => {
            return (
                "invalid_request_error",
                format!("Scripted fake-error-{status}."),
            );
        }
        _ => return ("api_error", format!("Scripted fake-error-{status}.")),
    };
    (kind, message.to_owned())
}

/// `fake-error-<status>` on Anthropic's Messages API.
pub(crate) fn scripted_anthropic(status: u16, model: &str) -> Response {
    let (kind, message) = anthropic_vocabulary(status, model);
    let mut response = anthropic(status_code(status), kind, &message);
    if status == 429 {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

pub(crate) fn anthropic_bad_json() -> Response {
    anthropic_bad_request("There was an issue with the request body: it is not valid JSON.")
}

pub(crate) fn anthropic_bad_request(message: &str) -> Response {
    anthropic(StatusCode::BAD_REQUEST, "invalid_request_error", message)
}

/// Anthropic's envelope: `{"type":"error","error":{"type":...,"message":...}}`.
pub(crate) fn anthropic(status: StatusCode, kind: &str, message: &str) -> Response {
    let mut body = Vec::with_capacity(message.len() + 64);
    body.extend_from_slice(b"{\"type\":\"error\",\"error\":{\"type\":");
    push_json_str(&mut body, kind);
    body.extend_from_slice(b",\"message\":");
    push_json_str(&mut body, message);
    body.extend_from_slice(b"}}");
    reply::json(status, body)
}

/// OpenRouter wraps an upstream failure with a numeric code and the provider's raw text.
pub(crate) fn openrouter() -> Response {
    reply::json(
        StatusCode::BAD_GATEWAY,
        &br#"{"error":{"message":"Provider returned error","code":502,"metadata":{"raw":"upstream model overloaded","provider_name":"Fake"}}}"#[..],
    )
}

pub(crate) fn not_found(method: &str, path: &str) -> Response {
    let message = format!("Invalid URL ({method} {path})");
    openai(
        StatusCode::NOT_FOUND,
        &message,
        "invalid_request_error",
        None,
    )
}

pub(crate) fn bad_json() -> Response {
    bad_request(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't \
         using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was \
         sent was not valid JSON.)",
    )
}

pub(crate) fn bad_request(message: &str) -> Response {
    openai(
        StatusCode::BAD_REQUEST,
        message,
        "invalid_request_error",
        None,
    )
}

pub(crate) fn openai(
    status: StatusCode,
    message: &str,
    kind: &str,
    code: Option<&str>,
) -> Response {
    let mut body = Vec::with_capacity(message.len() + 96);
    body.extend_from_slice(b"{\"error\":{\"message\":");
    push_json_str(&mut body, message);
    body.extend_from_slice(b",\"type\":");
    push_json_str(&mut body, kind);
    body.extend_from_slice(b",\"param\":null,\"code\":");
    match code {
        Some(code) => push_json_str(&mut body, code),
        None => body.extend_from_slice(b"null"),
    }
    body.extend_from_slice(b"}}");
    reply::json(status, body)
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
