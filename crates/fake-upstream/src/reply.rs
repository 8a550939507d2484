//! Building HTTP responses: JSON bodies, event streams, and the deliberately broken ones.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};

const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// What OpenAI sends on streams.
const EVENT_STREAM: HeaderValue = HeaderValue::from_static("text/event-stream; charset=utf-8");

pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Response {
    with_type(status, JSON, Body::from(body.into()))
}

pub(crate) fn event_stream(body: Body) -> Response {
    let mut response = with_type(StatusCode::OK, EVENT_STREAM, body);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A JSON body sent in pieces: Gemini's `streamGenerateContent` without `alt=sse`.
pub(crate) fn json_stream(body: Body) -> Response {
    with_type(StatusCode::OK, JSON, body)
}

/// A body that fails before its first byte, so hyper tears the connection down instead of
/// answering: what a client sees when a provider's process dies mid-request.
pub(crate) fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, _>(std::io::Error::other(
            "fake-drop: connection aborted on purpose",
        ))
    });
    with_type(StatusCode::OK, JSON, Body::from_stream(failing))
}

fn with_type(status: StatusCode, content_type: HeaderValue, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}
