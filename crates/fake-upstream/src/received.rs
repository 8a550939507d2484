//! What the fake saw: recorded requests and the counters tests and the benchmark read.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    pub method: String,
    /// Path only, e.g. `/v1/chat/completions`.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Header names are lowercase; values that are not UTF-8 are converted lossily.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl ReceivedRequest {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Bedrock model id of a Converse / ConverseStream request, percent-decoded (clients
    /// encode `:` and `/` in ids and ARNs); `None` for other routes.
    pub fn bedrock_model_id(&self) -> Option<String> {
        crate::bedrock::decoded_model_id(&self.path)
    }

    /// The body parsed as JSON; `Value::Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub(crate) fn from_parts(parts: &http::request::Parts, body: Bytes) -> Self {
        Self {
            method: parts.method.as_str().to_owned(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body,
        }
    }
}

/// Counters and the request log, shared by the server and its [`crate::FakeUpstream`] handle.
#[derive(Default)]
pub(crate) struct Traffic {
    requests: AtomicU64,
    cancelled_streams: AtomicU64,
    log: Mutex<Vec<ReceivedRequest>>,
}

impl Traffic {
    /// Counts a provider request, and keeps it when `record` is on. Parts are only copied then,
    /// so the benchmark path (record off) pays for one atomic add.
    pub(crate) fn note(&self, record: bool, parts: &http::request::Parts, body: &Bytes) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if record {
            let request = ReceivedRequest::from_parts(parts, body.clone());
            self.lock().push(request);
        }
    }

    /// Keeps a request without counting it: the Google token routes, which have their own
    /// counter ([`crate::FakeUpstream::token_requests`]).
    pub(crate) fn keep(&self, record: bool, parts: &http::request::Parts, body: &Bytes) {
        if record {
            let request = ReceivedRequest::from_parts(parts, body.clone());
            self.lock().push(request);
        }
    }

    pub(crate) fn stream_cancelled(&self) {
        self.cancelled_streams.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn cancelled_streams(&self) -> u64 {
        self.cancelled_streams.load(Ordering::Relaxed)
    }

    pub(crate) fn received(&self) -> Vec<ReceivedRequest> {
        self.lock().clone()
    }

    pub(crate) fn last(&self) -> Option<ReceivedRequest> {
        self.lock().last().cloned()
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
        self.requests.store(0, Ordering::Relaxed);
        self.cancelled_streams.store(0, Ordering::Relaxed);
    }

    /// A panicking test thread must not hide later requests, so a poisoned log is still used.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<ReceivedRequest>> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
