//! `/p/{provider}/{endpoint...}`: provider-native passthrough, every method.
//!
//! `{provider}` is a configured instance name first (`openai-east` reaches that instance,
//! unlike GoModel, where passthrough was type-scoped), else a type (its first instance). The
//! provider must be enabled in `ENABLED_PASSTHROUGH_PROVIDERS` (by type or name). The request
//! body and the answer stream byte for byte, SSE and binary alike; the upstream status, headers
//! and error bodies are preserved (GoModel re-wrapped errors); only hop-by-hop headers and
//! credentials are touched.
//!
//! An audited answer is copied (up to the audit cap) as it streams to the client, never held
//! back: the audit row rebuilds an event stream into one message and keeps other bodies as
//! they are (encoded ones, gzip or br, in base64: the gateway links no decoder).

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use futures_util::{StreamExt, TryStreamExt};
use gomodel_providers::passthrough::{DROPPED_RESPONSE_HEADERS, PassthroughRequest};
use http::StatusCode;
use http_body_util::BodyExt;

use crate::app::AppState;
use crate::error::GatewayError;
use crate::observe::RequestRecord;
use crate::observe::audit::StreamKind;
use crate::observe::metrics::upstream_call;
use crate::observe::response_id::top_level_id;

pub async fn passthrough(
    State(state): State<AppState>,
    Extension(record): Extension<Arc<RequestRecord>>,
    Path((provider_ref, rest)): Path<(String, String)>,
    request: Request,
) -> Result<Response, GatewayError> {
    let config = &state.config().passthrough;
    if !config.enabled {
        return Err(GatewayError::route_not_found(
            request.method().as_str(),
            request.uri().path(),
        ));
    }
    let registry = state.registry();
    let Some(provider) = registry.lookup(&provider_ref).cloned() else {
        return Err(GatewayError::invalid_request(
            "unknown_provider",
            format!(
                "unknown provider: {provider_ref}. Configured providers: {}",
                registry.names().join(", ")
            ),
        ));
    };
    let allowed = config
        .enabled_providers
        .iter()
        .any(|p| p == provider.kind().as_str() || p == provider.name());
    if !allowed {
        return Err(GatewayError::invalid_request(
            "passthrough_disabled",
            format!(
                "passthrough is not enabled for provider '{}' (type {}); enabled: {} (ENABLED_PASSTHROUGH_PROVIDERS)",
                provider.name(),
                provider.kind(),
                config.enabled_providers.join(", ")
            ),
        ));
    }
    let path = match rest
        .strip_prefix("v1/")
        .or_else(|| (rest == "v1").then_some(""))
    {
        Some(stripped) if config.allow_v1_alias => stripped.to_owned(),
        Some(_) => {
            return Err(GatewayError::invalid_request(
                "passthrough_v1_alias_disabled",
                "the /p/{provider}/v1/... alias is disabled (ALLOW_PASSTHROUGH_V1_ALIAS=false); drop the v1/ segment",
            ));
        }
        None => rest,
    };
    record.update(|r| {
        r.provider = Some(provider.name().to_owned());
        r.provider_type = Some(provider.kind().as_str());
    });
    let (parts, body) = request.into_parts();
    let body = upstream_body(&parts, body, state.config().server.body_size_limit, &record).await?;
    let call = provider.passthrough(PassthroughRequest {
        method: parts.method,
        path,
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers,
        body,
        request_id: record.request_id.clone(),
    });
    let upstream = upstream_call(&record, call).await?;

    let status =
        StatusCode::from_u16(upstream.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = Response::builder().status(status);
    if let Some(headers) = response.headers_mut() {
        for (name, value) in upstream.headers() {
            if !DROPPED_RESPONSE_HEADERS.contains(&name.as_str())
                && name != http::header::CONTENT_LENGTH
            {
                headers.append(name.clone(), value.clone());
            }
        }
    }
    let is_sse = upstream
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let is_json = upstream
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if record.is_audited() {
        let encoding = upstream
            .headers()
            .get(http::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("identity"))
            .map(str::to_owned);
        record.capture(|c| {
            c.stream_kind = if is_sse {
                StreamKind::Events
            } else {
                StreamKind::Body
            };
            c.content_encoding = encoding;
        });
    }
    let mut tap = UsageTap::new(Arc::clone(&record), is_sse, is_json && status.is_success());
    let stream = upstream.bytes_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            tap.observe(bytes);
        }
        chunk.map_err(std::io::Error::other)
    });
    response.body(Body::from_stream(stream)).map_err(|err| {
        GatewayError::internal(format!("cannot build the passthrough response: {err}"))
    })
}

/// Bodies of a known size within `BODY_SIZE_LIMIT` are read first, so the upstream client can
/// resend them if a pooled connection turns out to be closed; others (uploads of unknown or
/// larger size) stream through.
async fn upstream_body(
    parts: &http::request::Parts,
    body: Body,
    limit: usize,
    record: &RequestRecord,
) -> Result<Option<reqwest::Body>, GatewayError> {
    if matches!(
        parts.method,
        http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
    ) {
        return Ok(None);
    }
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length <= limit => {
            let bytes = http_body_util::Limited::new(body, limit)
                .collect()
                .await
                .map_err(|_| {
                    GatewayError::invalid_request(
                        "body_read_failed",
                        "could not read the request body",
                    )
                })?
                .to_bytes();
            // The model, when the body names one, for the usage row (the body is not changed).
            if let Ok(object) = gomodel_protocol::JsonObject::parse(&bytes)
                && let Ok(Some(model)) = object.get_str("model")
            {
                let model = model.into_owned();
                record.update(|r| {
                    r.requested_model = Some(model.clone());
                    r.upstream_model = Some(model);
                });
            }
            record.capture(|c| c.request_body = Some(bytes.clone()));
            Ok(Some(reqwest::Body::from(bytes)))
        }
        _ => Ok(Some(reqwest::Body::wrap_stream(TryStreamExt::map_err(
            body.into_data_stream(),
            std::io::Error::other,
        )))),
    }
}

/// Reads usage and the answer's id out of passthrough answers without holding them up: bytes
/// are forwarded as they come (and copied for the audit row when it is on); SSE events are
/// inspected as they complete (OpenAI chunks with `id` and `usage`, Anthropic `message_start`
/// / `message_delta`), and JSON bodies (up to 1 MiB) are parsed when complete.
struct UsageTap {
    record: Arc<RequestRecord>,
    sse: bool,
    json: bool,
    audited: bool,
    splitter: gomodel_protocol::sse::EventSplitter,
    body: Vec<u8>,
    anthropic: gomodel_protocol::anthropic::wire::Usage,
    marked: bool,
    /// The answer's id has been looked for (in the first event).
    id_checked: bool,
}

const JSON_TAP_CAP: usize = 1024 * 1024;

impl UsageTap {
    fn new(record: Arc<RequestRecord>, sse: bool, json: bool) -> Self {
        Self {
            audited: record.is_audited(),
            record,
            sse,
            json,
            splitter: gomodel_protocol::sse::EventSplitter::new(),
            body: Vec::new(),
            anthropic: Default::default(),
            marked: false,
            id_checked: false,
        }
    }

    fn observe(&mut self, chunk: &[u8]) {
        if !self.marked {
            self.marked = true;
            self.record.mark_first_byte();
            if self.sse {
                self.record.update(|r| r.stream = true);
            }
        }
        if self.audited {
            self.record.capture(|c| c.push_stream(chunk));
        }
        if self.sse {
            self.splitter.push(chunk);
            for event in self.splitter.drain_events() {
                self.event(&event);
            }
        } else if self.json && self.body.len() + chunk.len() <= JSON_TAP_CAP {
            self.body.extend_from_slice(chunk);
        }
    }

    fn event(&mut self, event: &[u8]) {
        use gomodel_protocol::anthropic::wire::StreamEvent;
        let Some(data) = gomodel_protocol::sse::data_payload(event) else {
            return;
        };
        let data = data.trim_ascii();
        if !self.id_checked && data.starts_with(b"{") {
            // OpenAI chunks carry it at the top; Anthropic's is in message_start, read below.
            self.id_checked = true;
            self.record.set_response_id(top_level_id(data));
        }
        if let Some(usage) = gomodel_protocol::openai::inspect_data(data).usage {
            self.record_usage(usage);
            return;
        }
        // Built once: `memmem::find` builds a searcher per call, for every event.
        static USAGE_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"usage\""));
        if USAGE_KEY.find(data).is_none() {
            return;
        }
        match serde_json::from_slice::<StreamEvent>(data) {
            Ok(StreamEvent::MessageStart { message }) => {
                self.record.set_response_id(Some(message.id));
                self.anthropic = message.usage;
            }
            Ok(StreamEvent::MessageDelta {
                usage: Some(usage), ..
            }) => {
                self.anthropic.output_tokens = usage.output_tokens;
                let converted = anthropic_usage(&self.anthropic);
                self.record_usage(converted);
            }
            _ => {}
        }
    }

    fn record_usage(&self, usage: gomodel_protocol::Usage) {
        self.record.set_usage(usage);
    }
}

/// A JSON answer is complete when its stream is dropped, which happens before the request's
/// log guard runs (the body is dropped first), so the usage lands in the record in time.
impl Drop for UsageTap {
    fn drop(&mut self) {
        if self.json && !self.body.is_empty() {
            self.record.set_response_id(top_level_id(&self.body));
            if let Ok(Some(usage)) = gomodel_protocol::openai::extract_usage(&self.body) {
                self.record_usage(usage);
            } else if let Some(usage) = anthropic_body_usage(&self.body) {
                self.record_usage(usage);
            }
        }
    }
}

fn anthropic_body_usage(body: &[u8]) -> Option<gomodel_protocol::Usage> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(rename = "type")]
        kind: Option<String>,
        usage: Option<gomodel_protocol::anthropic::wire::Usage>,
    }
    let parsed: Body = serde_json::from_slice(body).ok()?;
    (parsed.kind.as_deref() == Some("message")).then_some(())?;
    parsed.usage.as_ref().map(anthropic_usage)
}

fn anthropic_usage(usage: &gomodel_protocol::anthropic::wire::Usage) -> gomodel_protocol::Usage {
    let converted = gomodel_protocol::anthropic::usage::to_openai(usage);
    gomodel_protocol::Usage {
        prompt_tokens: converted.prompt_tokens,
        completion_tokens: converted.completion_tokens,
        total_tokens: converted.total_tokens,
        cached_tokens: usage.cache_read_input_tokens,
        reasoning_tokens: None,
        raw: serde_json::value::to_raw_value(usage).ok(),
    }
}
