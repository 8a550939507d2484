//! Reading request JSON the strict way Bedrock's front end does: an object may hold only its
//! documented keys, a union exactly one member, and every value its documented type. Failures
//! are `ValidationException`s worded as Bedrock words its schema refusals ("Malformed input
//! request: #/path: extraneous key [foo] is not permitted, please reformat your input and try
//! again."), with a JSON pointer to the offending value (`#` is the body).
//!
//! Range and pattern constraints use the other vocabulary Bedrock answers with, the service
//! framework's ("1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed
//! to satisfy constraint: …"), whose paths count list members from 1.

use serde_json::{Map, Value};

use super::errors::BedrockError;

type Shape<T> = Result<T, BedrockError>;

/// A schema refusal at `pointer`.
pub(super) fn malformed(pointer: &str, problem: &str) -> BedrockError {
    BedrockError::validation(format!(
        "Malformed input request: {pointer}: {problem}, please reformat your input and try again."
    ))
}

/// A constraint refusal for the member at `path` (`a.1.member.b` style).
pub(super) fn constraint(value: &str, path: &str, rule: &str) -> BedrockError {
    BedrockError::validation(format!(
        "1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: \
         {rule}"
    ))
}

/// The JSON type names the schema validator reports.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "Integer",
        Value::Number(_) => "BigDecimal",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

fn wrong_type(value: &Value, pointer: &str, expected: &str) -> BedrockError {
    malformed(
        pointer,
        &format!("expected type: {expected}, found: {}", kind(value)),
    )
}

/// The object at `pointer`, which may hold only `allowed` keys and must hold `required` ones.
pub(super) fn object<'v>(
    value: &'v Value,
    pointer: &str,
    allowed: &[&str],
    required: &[&str],
) -> Shape<&'v Map<String, Value>> {
    let Some(map) = value.as_object() else {
        return Err(wrong_type(value, pointer, "JSONObject"));
    };
    if let Some(key) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(malformed(
            pointer,
            &format!("extraneous key [{key}] is not permitted"),
        ));
    }
    if let Some(key) = required.iter().find(|k| !map.contains_key(**k)) {
        return Err(malformed(
            pointer,
            &format!("required key [{key}] not found"),
        ));
    }
    Ok(map)
}

/// A union: an object with exactly one of `members`; returns its name and value.
pub(super) fn union<'v>(
    value: &'v Value,
    pointer: &str,
    members: &[&str],
) -> Shape<(&'v str, &'v Value)> {
    let map = object(value, pointer, members, &[])?;
    let mut entries = map.iter();
    match (entries.next(), entries.next()) {
        (Some((name, inner)), None) => Ok((name.as_str(), inner)),
        _ => Err(malformed(
            pointer,
            &format!("{} subschemas matched instead of one", map.len()),
        )),
    }
}

pub(super) fn string<'v>(value: &'v Value, pointer: &str) -> Shape<&'v str> {
    value
        .as_str()
        .ok_or_else(|| wrong_type(value, pointer, "String"))
}

pub(super) fn integer(value: &Value, pointer: &str) -> Shape<i64> {
    value
        .as_i64()
        .ok_or_else(|| wrong_type(value, pointer, "Integer"))
}

pub(super) fn number(value: &Value, pointer: &str) -> Shape<f64> {
    value
        .as_f64()
        .ok_or_else(|| wrong_type(value, pointer, "Number"))
}

pub(super) fn array<'v>(value: &'v Value, pointer: &str) -> Shape<&'v [Value]> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| wrong_type(value, pointer, "JSONArray"))
}

/// A string that must be one of `allowed`.
pub(super) fn one_of<'v>(value: &'v Value, pointer: &str, allowed: &[&str]) -> Shape<&'v str> {
    let text = string(value, pointer)?;
    if allowed.contains(&text) {
        Ok(text)
    } else {
        Err(malformed(
            pointer,
            &format!("{text} is not a valid enum value"),
        ))
    }
}

/// `{"type": "default"}`: the only cache point there is.
pub(super) fn cache_point(value: &Value, pointer: &str) -> Shape<()> {
    let map = object(value, pointer, &["type"], &["type"])?;
    if let Some(kind) = map.get("type") {
        one_of(kind, &format!("{pointer}/type"), &["default"])?;
    }
    Ok(())
}

/// Base64 bytes of an image or document: required, valid, not empty.
pub(super) fn bytes(value: &Value, pointer: &str) -> Shape<()> {
    let text = string(value, pointer)?;
    match crate::base64::decode(text) {
        Some(decoded) if !decoded.is_empty() => Ok(()),
        _ => Err(malformed(pointer, "expected base64-encoded bytes")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message(error: BedrockError) -> String {
        error.message().to_owned()
    }

    #[test]
    fn objects_refuse_unknown_and_missing_keys() {
        let value = json!({"a": 1, "foo": 2});
        let error = object(&value, "#", &["a"], &[]).unwrap_err();
        assert_eq!(
            message(error),
            "Malformed input request: #: extraneous key [foo] is not permitted, please reformat \
             your input and try again."
        );
        let error = object(&json!({}), "#/x", &["a"], &["a"]).unwrap_err();
        assert!(message(error).contains("#/x: required key [a] not found"));
        let error = object(&json!([]), "#", &[], &[]).unwrap_err();
        assert!(message(error).contains("expected type: JSONObject, found: JSONArray"));
    }

    #[test]
    fn unions_hold_exactly_one_member() {
        assert_eq!(
            union(&json!({"text": "a"}), "#", &["text", "image"])
                .unwrap()
                .0,
            "text"
        );
        let both = json!({"text": "a", "image": {}});
        let two = union(&both, "#/c", &["text", "image"]);
        assert!(message(two.unwrap_err()).contains("#/c: 2 subschemas matched instead of one"));
        assert!(union(&json!({}), "#", &["text"]).is_err());
    }

    #[test]
    fn scalars_and_enums() {
        assert!(integer(&json!(1.5), "#").is_err());
        assert_eq!(number(&json!(1), "#").unwrap(), 1.0);
        let error = one_of(&json!("bmp"), "#/format", &["png"]).unwrap_err();
        assert!(message(error).contains("#/format: bmp is not a valid enum value"));
        assert!(cache_point(&json!({"type": "default"}), "#").is_ok());
        assert!(cache_point(&json!({"type": "ephemeral"}), "#").is_err());
        assert!(bytes(&json!("aGk="), "#").is_ok());
        assert!(bytes(&json!("not base64!"), "#").is_err());
        assert!(bytes(&json!(""), "#").is_err());
    }
}
