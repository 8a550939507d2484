//! Reading and checking the routing fields of an OpenAI-shaped request body.

use gomodel_protocol::json_object::WrongType;
use gomodel_protocol::{JsonObject, JsonObjectError};

use crate::error::GatewayError;

/// Parses the body's top level, mapping syntax errors to 400s.
pub(super) fn parse_object(body: &[u8]) -> Result<JsonObject<'_>, GatewayError> {
    JsonObject::parse(body).map_err(|err| match err {
        JsonObjectError::Syntax(detail) => GatewayError::invalid_request(
            "invalid_json",
            format!("request body is not valid JSON: {detail}"),
        ),
        other => GatewayError::invalid_request("invalid_json", other.to_string()),
    })
}

/// The `model` field: required, a non-empty string.
pub(super) fn required_model(object: &JsonObject<'_>) -> Result<String, GatewayError> {
    match object.get_str("model") {
        Ok(Some(model)) if !model.trim().is_empty() => Ok(model.into_owned()),
        Ok(_) => Err(GatewayError::missing_parameter("model")),
        Err(WrongType) => Err(invalid_type("model", "a string")),
    }
}

/// The gateway routing hint `provider`: optional string.
pub(super) fn provider_hint(object: &JsonObject<'_>) -> Result<Option<String>, GatewayError> {
    object
        .get_str("provider")
        .map(|p| p.map(|p| p.into_owned()))
        .map_err(|WrongType| invalid_type("provider", "a provider name string"))
}

/// `stream`: optional boolean.
pub(super) fn stream_flag(object: &JsonObject<'_>) -> Result<bool, GatewayError> {
    object
        .get_bool("stream")
        .map(|s| s.unwrap_or(false))
        .map_err(|WrongType| invalid_type("stream", "a boolean"))
}

/// A field that must be a non-empty JSON array.
pub(super) fn require_non_empty_array(
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

pub(super) fn invalid_type(field: &str, expected: &str) -> GatewayError {
    GatewayError::invalid_request("invalid_type", format!("'{field}' must be {expected}"))
        .with_param(field)
}
