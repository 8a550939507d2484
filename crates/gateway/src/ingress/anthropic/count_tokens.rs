//! `POST /v1/messages/count_tokens`: exact for Anthropic models (Anthropic counts), an estimate
//! for every other provider, marked as one with `X-GoModel-Token-Count: estimate`.
//!
//! The estimate is about four characters per token over all text (system, messages, tool
//! results, tool calls' JSON, tool definitions) plus 1,600 tokens per image (a mid-sized image
//! under Anthropic's width×height/750 rule). It is for budgeting, not billing.

use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use gomodel_protocol::anthropic::wire::{Block, MessageContent, MessagesRequest, System};
use gomodel_providers::{CallContext, ProviderKind};
use http::{HeaderMap, HeaderValue};
use serde_json::json;

use super::error::AnthropicError;
use super::stream::native_response;
use crate::app::AppState;
use crate::error::GatewayError;
use crate::ingress::body::JsonBody;
use crate::ingress::request::{parse_object, provider_hint, required_model, route, upstream_body};
use crate::observe::RequestRecord;
use crate::observe::metrics::upstream_call;

const CHARS_PER_TOKEN: usize = 4;
const TOKENS_PER_IMAGE: usize = 1_600;

pub async fn count_tokens(
    State(state): State<AppState>,
    Extension(record): Extension<Arc<RequestRecord>>,
    headers: HeaderMap,
    body: Result<JsonBody, GatewayError>,
) -> Result<Response, AnthropicError> {
    let JsonBody(body) = body?;
    let mut object = parse_object(&body)?;
    let model = required_model(&object)?;
    let provider_field = provider_hint(&object)?;
    record.update(|r| r.requested_model = Some(model.clone()));
    let route = route(&state, &record, &model, provider_field.as_deref()).await?;
    if route.provider.kind() == ProviderKind::Anthropic {
        object.remove("provider");
        object.set_str("model", &route.upstream_model);
        let upstream = upstream_body(&object, &body);
        drop(object);
        let ctx = CallContext {
            request_id: &record.request_id,
            stream: false,
            model: &route.upstream_model,
        };
        let call =
            route
                .provider
                .anthropic_native("/messages/count_tokens", upstream, ctx, &headers);
        if let Some(answer) = upstream_call(&record, call).await {
            let mut response = native_response(answer?, Arc::clone(&record), false).await?;
            response
                .headers_mut()
                .insert("x-gomodel-token-count", HeaderValue::from_static("exact"));
            return Ok(response);
        }
    }
    let request: MessagesRequest = serde_json::from_slice(&body).map_err(|err| {
        GatewayError::invalid_request(
            "invalid_request",
            format!("invalid count_tokens request: {err}"),
        )
    })?;
    let mut response = Json(json!({"input_tokens": estimate(&request)})).into_response();
    response.headers_mut().insert(
        "x-gomodel-token-count",
        HeaderValue::from_static("estimate"),
    );
    Ok(response)
}

/// The documented estimate (module docs).
pub fn estimate(request: &MessagesRequest) -> usize {
    let mut chars = 0;
    let mut images = 0;
    match &request.system {
        Some(System::Text(text)) => chars += text.len(),
        Some(System::Blocks(blocks)) => blocks
            .iter()
            .for_each(|b| count_block(b, &mut chars, &mut images)),
        None => {}
    }
    for message in &request.messages {
        match &message.content {
            MessageContent::Text(text) => chars += text.len(),
            MessageContent::Blocks(blocks) => blocks
                .iter()
                .for_each(|b| count_block(b, &mut chars, &mut images)),
        }
    }
    for tool in request.tools.iter().flatten() {
        chars += tool.name.len() + tool.description.as_deref().map_or(0, str::len);
        chars += tool
            .input_schema
            .as_ref()
            .map_or(0, |s| s.to_string().len());
    }
    chars.div_ceil(CHARS_PER_TOKEN) + images * TOKENS_PER_IMAGE
}

fn count_block(block: &Block, chars: &mut usize, images: &mut usize) {
    match block.kind.as_str() {
        "image" => *images += 1,
        _ => {
            *chars += block.text.as_deref().map_or(0, str::len);
            *chars += block.thinking.as_deref().map_or(0, str::len);
            *chars += block.input.as_ref().map_or(0, |i| i.to_string().len());
            *chars += block.content.as_ref().map_or(0, |c| match c {
                serde_json::Value::String(s) => s.len(),
                other => other.to_string().len(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_text_tools_and_images() {
        let request: MessagesRequest = serde_json::from_value(json!({
            "model": "m", "system": "12345678",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "1234"},
                {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}]}]
        }))
        .unwrap();
        assert_eq!(estimate(&request), 3 + 1_600);
    }
}
