//! Reading upstream answers, shared by every adapter: bounded body reads, and error statuses
//! turned into `ProviderError`s with any credential scrubbed from the message.

use bytes::Bytes;
use gomodel_protocol::openai::UpstreamErrorBody;

use crate::http::classify;
use crate::redact::redact;
use crate::{ProviderError, Secret};

/// Largest upstream body read into memory (non-streamed answers).
pub(crate) const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;
/// Largest error body read.
pub(crate) const MAX_ERROR_BYTES: usize = 1024 * 1024;

pub(crate) fn invalid(provider: &str, detail: String) -> ProviderError {
    ProviderError::InvalidResponse {
        provider: provider.to_owned(),
        detail,
    }
}

/// Reads a whole body, at most `limit` bytes.
pub(crate) async fn read_body(
    provider: &str,
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Bytes, ProviderError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(invalid(
            provider,
            format!("response body larger than {limit} bytes"),
        ));
    }
    let transport = |err: reqwest::Error| ProviderError::Transport {
        provider: provider.to_owned(),
        failure: classify(&err),
    };
    // Most answers arrive in one chunk: keep it as is rather than copying it.
    let mut first: Option<Bytes> = None;
    let mut collected = bytes::BytesMut::new();
    let mut total = 0usize;
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        total += chunk.len();
        if total > limit {
            return Err(invalid(
                provider,
                format!("response body larger than {limit} bytes"),
            ));
        }
        match first.take() {
            None if collected.is_empty() => first = Some(chunk),
            Some(previous) => {
                collected.extend_from_slice(&previous);
                collected.extend_from_slice(&chunk);
            }
            None => collected.extend_from_slice(&chunk),
        }
    }
    Ok(first.unwrap_or_else(|| collected.freeze()))
}

/// An error status as a `ProviderError`. `message_of` picks the message from the parsed body
/// (each dialect has its own wrapping); credentials are redacted from it.
pub(crate) async fn error_from(
    provider: &str,
    api_key: &Secret,
    response: reqwest::Response,
    message_of: impl FnOnce(&UpstreamErrorBody) -> Option<String>,
) -> ProviderError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let raw = read_body(provider, response, MAX_ERROR_BYTES)
        .await
        .unwrap_or_default();
    let body = UpstreamErrorBody::parse(&raw);
    let message = message_of(&body).unwrap_or_else(|| {
        let reason = status.canonical_reason().unwrap_or("error");
        format!("{} {reason}", status.as_u16())
    });
    ProviderError::Upstream {
        provider: provider.to_owned(),
        status: status.as_u16(),
        message: redact(&message, api_key),
        body: Box::new(UpstreamErrorBody {
            message: body.message.map(|m| redact(&m, api_key)),
            metadata_raw: None,
            ..body
        }),
        retry_after,
    }
}
