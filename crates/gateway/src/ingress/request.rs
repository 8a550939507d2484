//! Reading and checking the routing fields of an OpenAI-shaped request body.

use bytes::Bytes;
use gomodel_protocol::json_object::WrongType;
use gomodel_protocol::{JsonObject, JsonObjectError};

use crate::app::AppState;
use crate::error::GatewayError;
use crate::observe::RequestRecord;
use crate::pipeline::resolve::Route;

/// Resolves the model (pipeline::resolve) and records where the request goes.
pub(crate) async fn route(
    state: &AppState,
    record: &RequestRecord,
    model: &str,
    provider: Option<&str>,
) -> Result<Route, GatewayError> {
    let route = state.resolve(model, provider).await?;
    record.update(|r| {
        r.provider = Some(route.provider.name().to_owned());
        r.provider_type = Some(route.provider.kind().as_str());
        r.upstream_model = Some(route.upstream_model.clone());
    });
    Ok(route)
}

/// The bytes to send upstream: the client's own bytes when nothing was edited.
pub(crate) fn upstream_body(object: &JsonObject<'_>, original: &Bytes) -> Bytes {
    if object.is_modified() {
        Bytes::from(object.to_vec())
    } else {
        original.clone()
    }
}

/// Parses the body's top level, mapping syntax errors to 400s.
pub(crate) fn parse_object(body: &[u8]) -> Result<JsonObject<'_>, GatewayError> {
    JsonObject::parse(body).map_err(|err| match err {
        JsonObjectError::Syntax(detail) => GatewayError::invalid_request(
            "invalid_json",
            format!("request body is not valid JSON: {detail}"),
        ),
        other => GatewayError::invalid_request("invalid_json", other.to_string()),
    })
}

/// The `model` field: required, a non-empty string.
pub(crate) fn required_model(object: &JsonObject<'_>) -> Result<String, GatewayError> {
    match object.get_str("model") {
        Ok(Some(model)) if !model.trim().is_empty() => Ok(model.into_owned()),
        Ok(_) => Err(GatewayError::missing_parameter("model")),
        Err(WrongType) => Err(invalid_type("model", "a string")),
    }
}

/// The gateway routing hint `provider`: optional string.
pub(crate) fn provider_hint(object: &JsonObject<'_>) -> Result<Option<String>, GatewayError> {
    object
        .get_str("provider")
        .map(|p| p.map(|p| p.into_owned()))
        .map_err(|WrongType| invalid_type("provider", "a provider name string"))
}

/// `stream`: optional boolean.
pub(crate) fn stream_flag(object: &JsonObject<'_>) -> Result<bool, GatewayError> {
    object
        .get_bool("stream")
        .map(|s| s.unwrap_or(false))
        .map_err(|WrongType| invalid_type("stream", "a boolean"))
}

/// A field that must be a non-empty JSON array.
pub(crate) fn require_non_empty_array(
    object: &JsonObject<'_>,
    field: &str,
) -> Result<(), GatewayError> {
    let Some(raw) = object.get(field) else {
        return Err(GatewayError::missing_parameter(field));
    };
    let text = raw.get();
    let Some(inner) = text.strip_prefix('[') else {
        return Err(invalid_type(field, "an array"));
    };
    if inner.trim_start().starts_with(']') {
        return Err(GatewayError::invalid_request(
            "invalid_value",
            format!("'{field}' must not be empty"),
        )
        .with_param(field));
    }
    Ok(())
}

pub(crate) fn invalid_type(field: &str, expected: &str) -> GatewayError {
    GatewayError::invalid_request("invalid_type", format!("'{field}' must be {expected}"))
        .with_param(field)
}
