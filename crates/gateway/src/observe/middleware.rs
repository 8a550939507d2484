//! The outermost middleware: request id in and out, the request record, and the log line.
//!
//! `X-Request-ID` is taken from the client when it is a sane value (visible ASCII, at most 512
//! bytes) and generated (UUIDv4) otherwise; it is echoed on the response and forwarded
//! upstream by the provider adapters. The log line carries no body and no header values, so
//! no secret can reach it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use http_body::{Frame, SizeHint};

use super::RequestRecord;
use super::request_log::RequestLine;
use crate::error::ErrorFacts;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives the request an id and a record, and logs it once its response body is done.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 512 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(super::request_id::generate, str::to_owned);
    let record = Arc::new(RequestRecord::new(request_id));
    request.extensions_mut().insert(Arc::clone(&record));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let mut response = next.run(request).await;
    if let Ok(value) = HeaderValue::from_str(&record.request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    if let Some(facts) = response.extensions().get::<ErrorFacts>() {
        record.set_error(facts.code.as_deref().unwrap_or("error"), &facts.message);
    }
    let status = response.status();
    let (parts, body) = response.into_parts();
    let guard = LogOnDrop {
        record,
        method,
        path,
        status,
        finished: false,
    };
    Response::from_parts(parts, Body::new(LoggedBody { inner: body, guard }))
}

/// Wraps a response body; the guard logs when the body is dropped.
struct LoggedBody {
    inner: Body,
    guard: LogOnDrop,
}

impl http_body::Body for LoggedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            this.guard.finished = true;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

struct LogOnDrop {
    record: Arc<RequestRecord>,
    method: Method,
    path: String,
    status: StatusCode,
    /// The body was read to its end (false: the client went away first).
    finished: bool,
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        let facts = self.record.snapshot();
        let duration_ms = self.record.started.elapsed().as_secs_f64() * 1000.0;
        let ttfb_ms = facts.time_to_first_byte.map(|d| d.as_secs_f64() * 1000.0);
        let usage = facts.usage.as_ref();
        let disconnected = facts.client_disconnected || (facts.stream && !self.finished);
        let quiet = self.path.ends_with("/health") && self.status.is_success();
        let level = if quiet {
            tracing::Level::DEBUG
        } else if self.status.is_server_error()
            || facts.error_code.is_some() && self.status.is_success()
        {
            tracing::Level::WARN
        } else {
            tracing::Level::INFO
        };
        RequestLine {
            level,
            request_id: &self.record.request_id,
            method: self.method.as_str(),
            path: &self.path,
            status: self.status.as_u16(),
            duration_ms,
            ttfb_ms,
            provider: facts.provider.as_deref(),
            provider_type: facts.provider_type,
            model: facts.requested_model.as_deref(),
            upstream_model: facts.upstream_model.as_deref(),
            stream: facts.stream,
            tokens: usage.map(|u| (u.prompt_tokens, u.completion_tokens, u.total_tokens)),
            error_code: facts.error_code.as_deref(),
            error: facts.error_message.as_deref(),
            client_disconnected: disconnected,
        }
        .emit();
    }
}
