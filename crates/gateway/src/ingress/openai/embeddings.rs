//! `POST /v1/embeddings`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gomodel_providers::CallContext;
use http::HeaderValue;
use http::header::CONTENT_TYPE;

use crate::app::AppState;
use crate::error::GatewayError;
use crate::ingress::body::JsonBody;
use crate::ingress::request::{parse_object, provider_hint, required_model, route, upstream_body};
use crate::observe::RequestRecord;
use crate::observe::metrics::upstream_call;

pub async fn embeddings(
    State(state): State<AppState>,
    Extension(record): Extension<Arc<RequestRecord>>,
    JsonBody(body): JsonBody,
) -> Result<Response, GatewayError> {
    record.capture(|c| c.request_body = Some(body.clone()));
    let mut object = parse_object(&body)?;
    record.capture(|c| c.request_body_is_json = true);
    let model = required_model(&object)?;
    let provider_field = provider_hint(&object)?;
    match object.get("input").map(|raw| raw.get()) {
        None | Some("null") => return Err(GatewayError::missing_parameter("input")),
        Some("\"\"" | "[]") => {
            return Err(GatewayError::invalid_request(
                "invalid_value",
                "'input' must not be empty",
            )
            .with_param("input"));
        }
        Some(_) => {}
    }
    record.update(|r| r.requested_model = Some(model.clone()));

    let route = route(&state, &record, &model, provider_field.as_deref()).await?;
    object.remove("provider");
    let adjustments = route
        .provider
        .prepare_embeddings(&mut object, &route.upstream_model)?;
    let upstream_body = upstream_body(&object, &body);
    drop(object);

    let ctx = CallContext {
        request_id: &record.request_id,
        stream: false,
        model: &route.upstream_model,
    };
    let call = route.provider.embeddings(upstream_body, ctx, adjustments);
    let reply = upstream_call(&record, call).await?;
    if let Some(usage) = reply.usage {
        record.set_usage(usage);
    }
    record.capture(|c| {
        c.response_body = Some(reply.body.clone());
        c.response_body_is_json = true;
    });
    let mut response = reply.body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}
