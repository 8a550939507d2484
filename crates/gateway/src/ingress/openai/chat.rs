//! `POST /v1/chat/completions`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gomodel_protocol::JsonObject;
use gomodel_protocol::json_object::encode_value;
use gomodel_providers::{CallContext, ChatReply};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue};

use super::stream::{SseRelay, sse_response};
use crate::app::AppState;
use crate::error::GatewayError;
use crate::ingress::body::JsonBody;
use crate::ingress::request::{
    parse_object, provider_hint, require_non_empty_array, required_model, route, stream_flag,
    upstream_body,
};
use crate::ingress::translation::add_report_headers;
use crate::observe::RequestRecord;
use crate::observe::metrics::upstream_call;
use crate::observe::response_id::top_level_id;

pub async fn chat_completions(
    State(state): State<AppState>,
    Extension(record): Extension<Arc<RequestRecord>>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, GatewayError> {
    record.capture(|c| c.request_body = Some(body.clone()));
    let mut object = parse_object(&body)?;
    record.capture(|c| c.request_body_is_json = true);
    let model = required_model(&object)?;
    let provider_field = provider_hint(&object)?;
    let stream = stream_flag(&object)?;
    require_non_empty_array(&object, "messages")?;
    record.update(|r| {
        r.requested_model = Some(model.clone());
        r.stream = stream;
    });

    let route = route(&state, &record, &model, provider_field.as_deref()).await?;

    object.remove("provider");
    let client_wants_usage = stream && client_requested_usage(&object);
    if stream && state.config().usage.enforce_returning_usage_data && !client_wants_usage {
        request_stream_usage(&mut object);
    }
    let adjustments = route
        .provider
        .prepare_chat(&mut object, &route.upstream_model, &headers)?;
    if !adjustments.notes.is_empty() {
        record.update(|r| r.adjustments.clone_from(&adjustments.notes));
    }
    let upstream_body = upstream_body(&object, &body);
    drop(object);

    let ctx = CallContext {
        request_id: &record.request_id,
        stream,
        model: &route.upstream_model,
    };
    let reply = upstream_call(
        &record,
        route.provider.chat(upstream_body, ctx, adjustments),
    );
    match reply.await? {
        ChatReply::Json(reply) => {
            if let Some(usage) = reply.usage {
                record.set_usage(usage);
            }
            record.set_response_id(top_level_id(&reply.body));
            let body = stamp_provider(reply.body, route.provider.name());
            record.capture(|c| {
                c.response_body = Some(body.clone());
                c.response_body_is_json = true;
            });
            let mut response = body.into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            add_report_headers(response.headers_mut(), &reply.report);
            Ok(response)
        }
        ChatReply::Stream(upstream, report) => {
            let relay = SseRelay::new(upstream, Arc::clone(&record), !client_wants_usage);
            let mut response = sse_response(relay);
            add_report_headers(response.headers_mut(), &report);
            Ok(response)
        }
    }
}

/// `stream_options.include_usage == true` in the client's request.
fn client_requested_usage(object: &JsonObject<'_>) -> bool {
    object
        .get("stream_options")
        .and_then(|raw| JsonObject::parse(raw.get().as_bytes()).ok())
        .and_then(|options| options.get_bool("include_usage").ok().flatten())
        .unwrap_or(false)
}

/// Sets `stream_options.include_usage: true`, keeping any other stream options.
fn request_stream_usage(object: &mut JsonObject<'_>) {
    let mut options = object
        .get("stream_options")
        .and_then(|raw| JsonObject::parse(raw.get().as_bytes()).ok())
        .map(|o| o.to_vec())
        .and_then(|bytes| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).ok()
        })
        .unwrap_or_default();
    options.insert("include_usage".to_owned(), serde_json::Value::Bool(true));
    object.set_raw("stream_options", encode_value(&options));
}

/// Adds the gateway's `provider` field to a chat completion (GoModel stamps it so clients see
/// which instance answered). The common case inserts it without parsing; a body that already
/// has a top-level `provider` (OpenRouter sends one) is rewritten properly.
fn stamp_provider(body: Bytes, provider: &str) -> Bytes {
    let Some(open) = body.iter().position(|b| !b.is_ascii_whitespace()) else {
        return body;
    };
    if body[open] != b'{' {
        return body;
    }
    let name = encode_value(&provider);
    // A searcher built once: `memmem::find` builds one per call, which cost more than the
    // search of a whole answer.
    static PROVIDER_KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"provider\""));
    if PROVIDER_KEY.find(&body).is_some() {
        return match JsonObject::parse(&body) {
            Ok(mut object) => {
                object.set_raw("provider", name);
                Bytes::from(object.to_vec())
            }
            Err(_) => body,
        };
    }
    let rest = &body[open + 1..];
    let empty = rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'}');
    let mut out = Vec::with_capacity(body.len() + provider.len() + 16);
    out.extend_from_slice(&body[..=open]);
    out.extend_from_slice(b"\"provider\":");
    out.extend_from_slice(name.get().as_bytes());
    if !empty {
        out.push(b',');
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_provider_without_duplicates() {
        assert_eq!(
            stamp_provider(Bytes::from_static(b"{\"id\":1}"), "openai"),
            Bytes::from_static(b"{\"provider\":\"openai\",\"id\":1}")
        );
        assert_eq!(
            stamp_provider(Bytes::from_static(b" { } "), "x"),
            Bytes::from_static(b" {\"provider\":\"x\" } ")
        );
        assert_eq!(
            stamp_provider(
                Bytes::from_static(b"{\"provider\":\"OpenAI\",\"id\":1}"),
                "openrouter"
            ),
            Bytes::from_static(b"{\"provider\":\"openrouter\",\"id\":1}")
        );
    }

    #[test]
    fn merges_include_usage_into_stream_options() {
        let mut object = JsonObject::parse(br#"{"stream_options":{"x":1},"stream":true}"#).unwrap();
        assert!(!client_requested_usage(&object));
        request_stream_usage(&mut object);
        let out = String::from_utf8(object.to_vec()).unwrap();
        assert!(
            out.contains(r#""include_usage":true"#) && out.contains(r#""x":1"#),
            "{out}"
        );
        let asked = JsonObject::parse(br#"{"stream_options":{"include_usage":true}}"#).unwrap();
        assert!(client_requested_usage(&asked));
    }
}
