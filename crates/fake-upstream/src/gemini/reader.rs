//! Reading proto JSON the way Google's front end does: each message's fields by their
//! lowerCamelCase or proto snake_case names, an unknown name a 400 that says where it was
//! (`Invalid JSON payload received. Unknown name "x" at 'a.b[0]': Cannot find field.`), a value
//! of the wrong type a 400 naming the expected type, enum names in either case, and a lone
//! value where a list belongs read as a list of one.

use serde_json::{Map, Value};

use super::errors::ApiError;

/// Reads JSON values against the allowed fields of each message; knows the proto package so
/// type errors name Google's message types.
pub(super) struct Reader {
    /// `google.ai.generativelanguage.v1beta` or `google.cloud.aiplatform.v1`.
    package: &'static str,
}

impl Reader {
    pub(super) fn new(vertex: bool) -> Self {
        let package = if vertex {
            "google.cloud.aiplatform.v1"
        } else {
            "google.ai.generativelanguage.v1beta"
        };
        Self { package }
    }

    /// The object's fields by their camelCase names; a name in neither spelling is a 400.
    pub(super) fn fields<'v>(
        &self,
        value: &'v Value,
        allowed: &[&'static str],
        path: &str,
        message: &str,
    ) -> Result<Vec<(&'static str, &'v Value)>, ApiError> {
        let Some(object) = value.as_object() else {
            return Err(self.invalid_value(path, &self.message_type(message), value));
        };
        named(object, allowed, path)
    }

    pub(super) fn message_type(&self, message: &str) -> String {
        format!("type.googleapis.com/{}.{message}", self.package)
    }

    pub(super) fn invalid_value(&self, path: &str, kind: &str, value: &Value) -> ApiError {
        let message = format!("Invalid value at '{path}' ({kind}), {value}");
        ApiError::bad_field(format!("Invalid JSON payload received. {message}"), path)
    }

    pub(super) fn string<'v>(&self, value: &'v Value, path: &str) -> Result<&'v str, ApiError> {
        value
            .as_str()
            .ok_or_else(|| self.invalid_value(path, "TYPE_STRING", value))
    }

    /// An integer, or its decimal text (proto JSON accepts both).
    pub(super) fn int(&self, value: &Value, path: &str) -> Result<i64, ApiError> {
        let parsed = match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| self.invalid_value(path, "TYPE_INT32", value))
    }

    pub(super) fn float(&self, value: &Value, path: &str) -> Result<f64, ApiError> {
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| self.invalid_value(path, "TYPE_FLOAT", value))
    }

    pub(super) fn bool(&self, value: &Value, path: &str) -> Result<bool, ApiError> {
        value
            .as_bool()
            .ok_or_else(|| self.invalid_value(path, "TYPE_BOOL", value))
    }

    /// One of an enum's names; Google's front end also takes them in lower case.
    pub(super) fn enum_name(
        &self,
        value: &Value,
        path: &str,
        names: &[&str],
        enum_type: &str,
    ) -> Result<String, ApiError> {
        value
            .as_str()
            .map(str::to_ascii_uppercase)
            .filter(|name| names.contains(&name.as_str()))
            .ok_or_else(|| self.invalid_value(path, &self.message_type(enum_type), value))
    }
}

/// Pairs each key with its allowed camelCase name, or fails on the first unknown one.
fn named<'v>(
    object: &'v Map<String, Value>,
    allowed: &[&'static str],
    path: &str,
) -> Result<Vec<(&'static str, &'v Value)>, ApiError> {
    let mut fields = Vec::with_capacity(object.len());
    for (key, value) in object {
        let Some(name) = allowed
            .iter()
            .find(|name| **name == key || snake(name) == *key)
        else {
            return Err(unknown_field(key, path));
        };
        fields.push((*name, value));
    }
    Ok(fields)
}

fn unknown_field(key: &str, path: &str) -> ApiError {
    let message = if path.is_empty() {
        format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
    } else {
        format!(
            "Invalid JSON payload received. Unknown name \"{key}\" at '{path}': Cannot find field."
        )
    };
    ApiError::bad_field(message, path)
}

/// A repeated field's items; Google reads a lone value as a list of one.
pub(super) fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        single => vec![single],
    }
}

/// `functionDeclarations` → `function_declarations`: the proto's own field name.
pub(super) fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
