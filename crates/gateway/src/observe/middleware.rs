//! The outermost middleware: request id in and out, the request record, and the log line.
//!
//! `X-Request-ID` is taken from the client when it is a sane value (visible ASCII, at most 512
//! bytes) and generated (UUIDv4) otherwise; it is echoed on the response and forwarded
//! upstream by the provider adapters. The log line carries no body and no header values, so
//! no secret can reach it.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use http_body::{Frame, SizeHint};

use super::RequestRecord;
use super::metrics::{Outcome, RequestMetrics};
use super::request_log::RequestLine;
use super::usage::UsageRecorder;
use crate::app::AppState;
use crate::error::{ErrorFacts, Fault};
use crate::pipeline::user_path;
use axum::extract::State;
use axum::response::IntoResponse;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives the request an id and a record, and logs it once its response body is done.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 512 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(super::request_id::generate, str::to_owned);
    let audit = state.audit_recorder().cloned();
    let audited = audit.is_some() && {
        let path = request.uri().path();
        let base = &state.config().server.base_path;
        let endpoint = if base == "/" {
            path
        } else {
            path.strip_prefix(base.as_str()).unwrap_or(path)
        };
        !state.config().records.audit_only_model_interactions
            || super::audit::is_model_interaction(endpoint)
    };
    let metrics = state.metrics().map(|metrics| {
        let route = request.extensions().get::<MatchedPath>().cloned();
        RequestMetrics::new(Arc::clone(metrics), route, &state.config().server.base_path)
    });
    let record = Arc::new(
        if audited {
            RequestRecord::audited(request_id)
        } else {
            RequestRecord::new(request_id)
        }
        .with_metrics(metrics),
    );
    if let Some(recorder) = audit.as_ref().filter(|_| audited) {
        let headers = request.headers();
        let client_ip = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| ip_text(info.0.ip()));
        record.capture(|c| {
            c.client_ip = client_ip;
            c.auth_method = recorder.auth_method(headers);
            c.skip_bodies = !recorder.log_bodies();
            c.user_agent = headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if recorder.log_headers() {
                c.request_headers = headers.clone();
            }
        });
    }
    let user_path = match request
        .headers()
        .get(user_path::HEADER)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
    {
        None => "/".to_owned(),
        Some(raw) => match user_path::normalize(raw) {
            Ok(path) => path,
            Err(err) => {
                let response = err.into_response();
                if let Some(metrics) = record.metrics() {
                    metrics.count_response(request.method(), response.status());
                }
                return response;
            }
        },
    };
    record.update(|r| r.user_path.clone_from(&user_path));
    request.extensions_mut().insert(Arc::clone(&record));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();

    let mut response = next.run(request).await;
    let handled_in = record.metrics().map(|_| record.started.elapsed());
    if let Ok(value) = HeaderValue::from_str(&record.request_id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    let error_facts = response.extensions().get::<ErrorFacts>();
    if let Some(facts) = error_facts {
        record.set_error(facts.code.as_deref().unwrap_or("error"), &facts.message);
    }
    let fault = error_facts.map(|facts| facts.fault);
    let status = response.status();
    let (parts, body) = response.into_parts();
    let base = &state.config().server.base_path;
    let endpoint = if base == "/" {
        path.clone()
    } else {
        path.strip_prefix(base.as_str()).unwrap_or(&path).to_owned()
    };
    // Model handlers capture their own answers (parsed, or reassembled from a stream); the
    // body is copied here for what they do not: the gateway's error answers and, with
    // LOGGING_ONLY_MODEL_INTERACTIONS=false, the other routes (not the admin API, whose
    // answers are the gateway's own records, an audit log page among them).
    let tee = audited
        && (fault.is_some()
            || !(super::audit::is_model_interaction(&endpoint) || endpoint.starts_with("/admin/")));
    let log_headers = audit.as_ref().is_some_and(|a| a.log_headers());
    record.capture(|c| {
        if log_headers {
            c.response_headers = parts.headers.clone();
        }
        if tee {
            c.stream_kind = super::audit::StreamKind::Body;
        }
    });
    let guard = LogOnDrop {
        record,
        method,
        path,
        endpoint,
        status,
        finished: false,
        handled_in,
        first_frame: None,
        fault,
        usage: state.usage_recorder().cloned(),
        audit: if audited { audit } else { None },
        health: Arc::clone(state.provider_health()),
    };
    Response::from_parts(
        parts,
        Body::new(LoggedBody {
            inner: body,
            guard,
            tee,
        }),
    )
}

/// Wraps a response body; the guard logs when the body is dropped.
struct LoggedBody {
    inner: Body,
    guard: LogOnDrop,
    /// Copy the body into the audit capture as it goes out.
    tee: bool,
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
        if this.tee
            && let Poll::Ready(Some(Ok(frame))) = &polled
            && let Some(data) = frame.data_ref()
        {
            this.guard.record.capture(|c| c.push_stream(data));
        }
        match &polled {
            Poll::Ready(None) => this.guard.finished = true,
            // Metrics time the first byte of every answer (records only do it for streams).
            Poll::Ready(Some(Ok(_)))
                if this.guard.handled_in.is_some() && this.guard.first_frame.is_none() =>
            {
                this.guard.first_frame = Some(this.guard.record.started.elapsed());
            }
            _ => {}
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

/// Now, in Unix seconds (a request is counted in the minute it finished).
fn finished_at_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

struct LogOnDrop {
    record: Arc<RequestRecord>,
    method: Method,
    path: String,
    /// The path without `BASE_PATH` (what usage rows store).
    endpoint: String,
    usage: Option<Arc<UsageRecorder>>,
    audit: Option<Arc<super::audit::AuditRecorder>>,
    status: StatusCode,
    /// The body was read to its end (false: the client went away first).
    finished: bool,
    /// When the handler returned the response head; `Some` only while metrics are on.
    handled_in: Option<Duration>,
    /// When the first body frame went out (tracked only while metrics are on).
    first_frame: Option<Duration>,
    /// The fault of the gateway's error response, if it answered with one.
    fault: Option<Fault>,
    health: Arc<super::provider_health::ProviderHealth>,
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        // The last reader of the facts: taken, not copied (the usage row keeps their strings).
        let facts = self.record.take_facts();
        if let Some(provider) = &facts.provider {
            self.health.record(
                provider,
                self.status.as_u16(),
                facts.error_message.as_deref(),
                finished_at_seconds(),
            );
        }
        let cost = self
            .usage
            .as_ref()
            .and_then(|usage| usage.price(&facts, self.status.as_u16()));
        if let (Some(metrics), Some(handled_in)) = (self.record.metrics(), self.handled_in) {
            metrics.finish(
                &facts,
                Outcome {
                    method: &self.method,
                    status: self.status,
                    handled_in,
                    first_frame: self.first_frame,
                    fault: self.fault,
                    cost: cost.as_ref(),
                },
            );
        }
        if let Some(audit) = &self.audit {
            audit.record(
                &self.record,
                &facts,
                self.method.as_str(),
                &self.endpoint,
                self.status.as_u16(),
            );
        }
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
        if let (Some(usage), Some(cost)) = (&self.usage, cost) {
            let endpoint = std::mem::take(&mut self.endpoint);
            usage.record(&self.record, facts, cost, endpoint, self.status.as_u16());
        }
    }
}

/// An address as text; IPv4 formatted by hand (`Display` went through the formatting machinery
/// octet by octet, ~700 instructions per audited request).
fn ip_text(ip: std::net::IpAddr) -> String {
    let std::net::IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut out = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

#[cfg(test)]
mod ip_tests {
    use super::ip_text;

    #[test]
    fn addresses_read_as_display_writes_them() {
        for text in [
            "127.0.0.1",
            "0.0.0.0",
            "10.200.9.255",
            "192.168.100.10",
            "::1",
            "2001:db8::7",
        ] {
            let ip: std::net::IpAddr = text.parse().unwrap();
            assert_eq!(ip_text(ip), ip.to_string());
            assert_eq!(ip_text(ip), text);
        }
    }
}
