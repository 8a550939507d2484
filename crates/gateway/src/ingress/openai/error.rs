//! The OpenAI error envelope: the one place a `GatewayError` becomes an HTTP response for
//! OpenAI-dialect clients. `{"error":{"message","type","param","code"}}`.

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::HeaderValue;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use serde::Serialize;

use crate::error::{ErrorFacts, GatewayError};

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    error_type: &'a str,
    param: Option<&'a str>,
    code: Option<&'a str>,
}

/// The envelope's bytes (also used for SSE error events).
pub fn envelope_json(error: &GatewayError) -> Vec<u8> {
    let envelope = Envelope {
        error: Body {
            message: &error.message,
            error_type: error.error_type.as_str(),
            param: error.param.as_deref(),
            code: error.code.as_deref(),
        },
    };
    serde_json::to_vec(&envelope).unwrap_or_else(|_| br#"{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}"#.to_vec())
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Bytes::from(envelope_json(&self))).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(retry_after) = self
            .retry_after
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            headers.insert(RETRY_AFTER, retry_after);
        }
        // The handler's record is not reachable from here; the response extension lets the
        // observer log the code without parsing the body.
        response.extensions_mut().insert(ErrorFacts {
            code: self.code.map(|c| c.into_owned()),
            message: self.message,
            fault: self.fault,
        });
        response
    }
}
