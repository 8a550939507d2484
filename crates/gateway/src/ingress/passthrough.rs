//! `/p/{provider}/{endpoint...}`: provider-native passthrough, every method.
//!
//! `{provider}` is a configured instance name first (`openai-east` reaches that instance,
//! unlike GoModel, where passthrough was type-scoped), else a type (its first instance). The
//! provider must be enabled in `ENABLED_PASSTHROUGH_PROVIDERS` (by type or name). The request
//! body and the answer stream byte for byte, SSE and binary alike; the upstream status, headers
//! and error bodies are preserved (GoModel re-wrapped errors); only hop-by-hop headers and
//! credentials are touched.

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
    let body = upstream_body(&parts, body, state.config().server.body_size_limit).await?;
    let upstream = provider
        .passthrough(PassthroughRequest {
            method: parts.method,
            path,
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
            request_id: record.request_id.clone(),
        })
        .await?;

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
    let first_byte = Arc::clone(&record);
    let mut marked = false;
    let stream = upstream.bytes_stream().map(move |chunk| {
        if !marked {
            marked = true;
            first_byte.mark_first_byte();
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
            Ok(Some(reqwest::Body::from(bytes)))
        }
        _ => Ok(Some(reqwest::Body::wrap_stream(TryStreamExt::map_err(
            body.into_data_stream(),
            std::io::Error::other,
        )))),
    }
}
