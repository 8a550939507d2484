//! Gemini's Schema object (https://ai.google.dev/api/caching#Schema), a subset of OpenAPI 3.0:
//! checking a request's `parameters` / `responseSchema` field by field, and making a value
//! that fits one (a function call's `args`, a JSON answer).
//!
//! Fields outside the subset, such as `additionalProperties` or `$schema`, are the 400 real
//! clients hit most often when they pass a JSON Schema where a Schema belongs; the
//! `*JsonSchema` variants take JSON Schema and are not checked here.

use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::reader::{Reader, list, snake};

const SCHEMA: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
    "maximum",
];
const TYPES: &[&str] = &[
    "TYPE_UNSPECIFIED",
    "STRING",
    "NUMBER",
    "INTEGER",
    "BOOLEAN",
    "ARRAY",
    "OBJECT",
    "NULL",
];

/// Checks `value` as a Schema at `path`, recursing into `properties`, `items` and `anyOf`.
pub(super) fn check(reader: &Reader, value: &Value, path: &str) -> Result<(), ApiError> {
    for (name, value) in reader.fields(value, SCHEMA, path, "Schema")? {
        let field = format!("{path}.{}", snake(name));
        match name {
            "type" => {
                reader.enum_name(value, &field, TYPES, "Type")?;
            }
            "properties" => {
                let Some(properties) = value.as_object() else {
                    let kind = reader.message_type("Schema.PropertiesEntry");
                    return Err(reader.invalid_value(&field, &kind, value));
                };
                // Map entries are addressed as `properties[i].value`, as Google's messages do.
                for (i, property) in properties.values().enumerate() {
                    check(reader, property, &format!("{field}[{i}].value"))?;
                }
            }
            "items" => check(reader, value, &field)?,
            "anyOf" => {
                for (i, item) in list(value).into_iter().enumerate() {
                    check(reader, item, &format!("{field}[{i}]"))?;
                }
            }
            "required" | "enum" | "propertyOrdering" => {
                for (i, item) in list(value).into_iter().enumerate() {
                    reader.string(item, &format!("{field}[{i}]"))?;
                }
            }
            "nullable" => {
                reader.bool(value, &field)?;
            }
            _ => {}
        }
    }
    check_format_and_enum(value, path)
}

/// Gemini's own rules beyond field names: a string `format` must be `enum` or `date-time`
/// (numbers take `float`/`double`, integers `int32`/`int64`), and only strings have enums.
/// These are the 400s clients meet with `format: uri` or `{"type": "integer", "enum": [1]}`.
fn check_format_and_enum(schema: &Value, path: &str) -> Result<(), ApiError> {
    let kind = type_of(schema).unwrap_or_default();
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        let allowed: &[&str] = match kind.as_str() {
            "STRING" => &["enum", "date-time"],
            "NUMBER" => &["float", "double"],
            "INTEGER" => &["int32", "int64"],
            _ => &[],
        };
        if !allowed.contains(&format) {
            return Err(ApiError::invalid(format!(
                "* GenerateContentRequest.{path}.format: only 'enum' and 'date-time' are supported for STRING type"
            )));
        }
    }
    if schema.get("enum").is_some() && !kind.is_empty() && kind != "STRING" {
        return Err(ApiError::invalid(format!(
            "* GenerateContentRequest.{path}.enum: only allowed for STRING type"
        )));
    }
    Ok(())
}

/// A function call's arguments: `location` when the function has one (the city differs per
/// call), plus every required property.
pub(super) fn arguments(parameters: Option<&Value>, city: &str) -> Value {
    let Some(properties) = parameters.and_then(|p| p.get("properties")?.as_object()) else {
        return json!({});
    };
    let required = required(parameters);
    let mut args = Map::new();
    for (name, property) in properties {
        if name == "location" || required.contains(&name.as_str()) {
            args.insert(name.clone(), example(property, name, city, false));
        }
    }
    Value::Object(args)
}

/// A value that fits `schema`: the first enum value, `city` for location-like strings, `"x"`
/// for other strings, 1, 1.5, true; objects get every property when `all` is set (a JSON
/// answer), else only the required ones.
pub(super) fn example(schema: &Value, name: &str, city: &str, all: bool) -> Value {
    if let Some(first) = schema.get("enum").and_then(|e| e.as_array()?.first()) {
        return first.clone();
    }
    if let Some(first) = schema.get("anyOf").and_then(|a| a.as_array()?.first()) {
        return example(first, name, city, all);
    }
    match type_of(schema).as_deref() {
        Some("INTEGER") => json!(1),
        Some("NUMBER") => json!(1.5),
        Some("BOOLEAN") => json!(true),
        Some("NULL") => Value::Null,
        Some("ARRAY") => {
            let item = schema
                .get("items")
                .map_or(Value::Null, |items| example(items, name, city, all));
            json!([item])
        }
        Some("OBJECT") => {
            let required = required(Some(schema));
            let mut object = Map::new();
            let properties = schema.get("properties").and_then(Value::as_object);
            for (key, property) in properties.into_iter().flatten() {
                if all || required.contains(&key.as_str()) {
                    object.insert(key.clone(), example(property, key, city, all));
                }
            }
            Value::Object(object)
        }
        _ if matches!(name, "location" | "city") => json!(city),
        _ => json!("x"),
    }
}

/// The schema's type in upper case; JSON Schema's `["string","null"]` counts as its first
/// non-null type, and a schema with `properties` but no type as an object.
fn type_of(schema: &Value) -> Option<String> {
    let declared = match schema.get("type") {
        Some(Value::String(kind)) => Some(kind.as_str()),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| !k.eq_ignore_ascii_case("null")),
        _ => None,
    };
    match declared {
        Some(kind) => Some(kind.to_ascii_uppercase()),
        None if schema.get("properties").is_some() => Some("OBJECT".to_owned()),
        None => None,
    }
}

fn required(schema: Option<&Value>) -> Vec<&str> {
    schema
        .and_then(|s| s.get("required")?.as_array())
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(schema: &str) -> String {
        let value: Value = serde_json::from_str(schema).unwrap();
        let error = check(&Reader::new(false), &value, "p").unwrap_err();
        error.body()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn check_recurses_and_names_the_path() {
        let ok: Value = serde_json::from_str(
            r#"{"type":"object","properties":{"a":{"type":"ARRAY","items":{"type":"string",
            "enum":["x"]}},"b":{"anyOf":[{"type":"integer"}]}},"required":["a"],"nullable":false}"#,
        )
        .unwrap();
        check(&Reader::new(false), &ok, "p").unwrap();
        assert!(
            message(r#"{"type":"object","additionalProperties":false}"#)
                .contains(r#"Unknown name "additionalProperties" at 'p'"#)
        );
        assert!(
            message(r#"{"properties":{"a":{"type":"string","const":"x"}}}"#)
                .contains("at 'p.properties[0].value'")
        );
        assert!(message(r##"{"items":{"items":{"$ref":"#"}}}"##).contains("at 'p.items.items'"));
        assert!(message(r#"{"anyOf":[{},{"oneOf":[]}]}"#).contains("at 'p.any_of[1]'"));
        assert!(message(r#"{"type":"thing"}"#).contains("'p.type'"));
    }

    #[test]
    fn arguments_fill_location_and_required_properties() {
        let parameters = json!({
            "type": "OBJECT",
            "properties": {
                "location": {"type": "STRING"},
                "unit": {"type": "STRING", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "INTEGER"},
                "note": {"type": "STRING"},
            },
            "required": ["unit", "days"],
        });
        assert_eq!(
            arguments(Some(&parameters), "Tokyo"),
            json!({"location": "Tokyo", "unit": "celsius", "days": 1})
        );
        let plain =
            json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]});
        assert_eq!(arguments(Some(&plain), "Tokyo"), json!({"q": "x"}));
        assert_eq!(arguments(None, "Tokyo"), json!({}));
    }

    #[test]
    fn examples_fill_every_property_of_a_json_answer() {
        let schema = json!({
            "type": "object",
            "properties": {
                "name": {"type": ["string", "null"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "score": {"type": "number"},
                "ok": {"type": "boolean"},
            },
        });
        assert_eq!(
            example(&schema, "", "Tokyo", true),
            json!({"name": "x", "tags": ["x"], "score": 1.5, "ok": true})
        );
    }
}
