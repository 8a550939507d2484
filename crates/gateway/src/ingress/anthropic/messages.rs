//! `POST /v1/messages`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gomodel_protocol::JsonObject;
use gomodel_protocol::anthropic::ingress::{to_canonical, to_messages_response};
use gomodel_protocol::anthropic::wire::MessagesRequest;
use gomodel_protocol::canonical::ChatResponse;
use gomodel_protocol::report::{TranslationError, TranslationReport};
use gomodel_providers::{CallContext, ChatReply, ProviderKind};
use http::HeaderMap;
use http::header::CONTENT_TYPE;

use super::error::AnthropicError;
use super::stream::{native_response, translated_response};
use crate::app::AppState;
use crate::error::GatewayError;
use crate::ingress::body::JsonBody;
use crate::ingress::request::{
    parse_object, provider_hint, required_model, route, stream_flag, upstream_body,
};
use crate::ingress::translation::add_report_headers;
use crate::observe::RequestRecord;
use crate::observe::metrics::upstream_call;

pub async fn messages(
    State(state): State<AppState>,
    Extension(record): Extension<Arc<RequestRecord>>,
    headers: HeaderMap,
    body: Result<JsonBody, GatewayError>,
) -> Result<Response, AnthropicError> {
    let JsonBody(body) = body?;
    record.capture(|c| c.request_body = Some(body.clone()));
    let mut object = parse_object(&body)?;
    record.capture(|c| c.request_body_is_json = true);
    let model = required_model(&object)?;
    let provider_field = provider_hint(&object)?;
    let stream = stream_flag(&object)?;
    record.update(|r| {
        r.requested_model = Some(model.clone());
        r.stream = stream;
    });
    let route = route(&state, &record, &model, provider_field.as_deref()).await?;
    let ctx = CallContext {
        request_id: &record.request_id,
        stream,
        model: &route.upstream_model,
    };

    if route.provider.kind() == ProviderKind::Anthropic {
        // Same dialect: bytes through, only the model id (and the routing hint) rewritten.
        object.remove("provider");
        if object.get_str("model").ok().flatten().as_deref() != Some(route.upstream_model.as_str())
        {
            object.set_str("model", &route.upstream_model);
        }
        let upstream = upstream_body(&object, &body);
        drop(object);
        let call = route
            .provider
            .anthropic_native("/messages", upstream, ctx, &headers);
        let Some(answer) = upstream_call(&record, call).await else {
            return Err(
                GatewayError::internal("provider does not speak the Messages dialect").into(),
            );
        };
        return Ok(native_response(answer?, Arc::clone(&record), stream).await?);
    }
    drop(object);

    // Another dialect: Messages → canonical chat → the provider's chat path → Messages.
    let request: MessagesRequest = serde_json::from_slice(&body).map_err(|err| {
        GatewayError::invalid_request(
            "invalid_request",
            format!("invalid Messages request: {err}"),
        )
    })?;
    let mut report = TranslationReport::new(state.config().provider_options.strictness);
    let mut canonical = to_canonical(&request, &mut report).map_err(translation_error)?;
    canonical.model = route.upstream_model.clone();
    let canonical_bytes = Bytes::from(
        serde_json::to_vec(&canonical)
            .map_err(|err| GatewayError::internal(format!("cannot encode request: {err}")))?,
    );
    let mut object = parse_object(&canonical_bytes)?;
    let adjustments = route
        .provider
        .prepare_chat(&mut object, &route.upstream_model, &headers)?;
    let upstream = upstream_body(&object, &canonical_bytes);
    drop::<JsonObject<'_>>(object);

    let reply = upstream_call(&record, route.provider.chat(upstream, ctx, adjustments));
    match reply.await? {
        ChatReply::Json(reply) => {
            if let Some(usage) = reply.usage {
                record.set_usage(usage);
            }
            merge(&mut report, reply.report);
            let chat: ChatResponse = serde_json::from_slice(&reply.body).map_err(|err| {
                GatewayError::internal(format!("provider answer is not a chat completion: {err}"))
            })?;
            record.set_response_id(Some(chat.id.clone()));
            let answer = to_messages_response(&chat, &model);
            let bytes = serde_json::to_vec(&answer)
                .map_err(|err| GatewayError::internal(err.to_string()))?;
            let bytes = Bytes::from(bytes);
            record.capture(|c| {
                c.response_body = Some(bytes.clone());
                c.response_body_is_json = true;
            });
            let mut response = bytes.into_response();
            response.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            add_report_headers(response.headers_mut(), &report);
            Ok(response)
        }
        ChatReply::Stream(upstream, provider_report) => {
            merge(&mut report, provider_report);
            let mut response = translated_response(upstream, Arc::clone(&record), &model);
            add_report_headers(response.headers_mut(), &report);
            Ok(response)
        }
    }
}

fn merge(into: &mut TranslationReport, other: TranslationReport) {
    into.dropped.extend(other.dropped);
    into.clamped.extend(other.clamped);
}

pub(crate) fn translation_error(err: TranslationError) -> GatewayError {
    let mut error = GatewayError::invalid_request("unsupported_parameter", err.message);
    error.param = err.param;
    error
}
