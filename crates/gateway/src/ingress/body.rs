//! Reading a JSON request body with the size limit, as an extractor.
//!
//! axum's own `Bytes`/`Json` extractors answer in plain text; ours answer every failure with
//! the OpenAI error envelope: 415 for a non-JSON content type, 413 over `BODY_SIZE_LIMIT`.

use axum::extract::{FromRequest, Request};
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http_body_util::{BodyExt, Limited};

use crate::app::AppState;
use crate::error::GatewayError;

/// A request body that claims to be JSON and fits the limit (not yet parsed).
#[derive(Debug)]
pub struct JsonBody(pub Bytes);

impl FromRequest<AppState> for JsonBody {
    type Rejection = GatewayError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config().server.body_size_limit;
        if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
            let text = content_type.to_str().unwrap_or("");
            if !is_json(text) {
                return Err(GatewayError::unsupported_media_type(text));
            }
        }
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(GatewayError::payload_too_large(limit));
        }
        let collected = Limited::new(request.into_body(), limit)
            .collect()
            .await
            .map_err(|err| {
                if err
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    GatewayError::payload_too_large(limit)
                } else {
                    GatewayError::invalid_request(
                        "body_read_failed",
                        "could not read the request body",
                    )
                }
            })?;
        Ok(Self(collected.to_bytes()))
    }
}

/// `application/json`, with parameters, or any `+json` type.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json") || essence.is_empty()
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn recognises_json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json("text/plain"));
    }
}
