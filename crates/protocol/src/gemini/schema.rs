//! JSON Schema (what OpenAI clients send for tool parameters and structured output) → Gemini's
//! `Schema`, an OpenAPI 3.0 subset (<https://ai.google.dev/api/caching#Schema>).
//!
//! Rewritten to an equivalent: `type: [T, "null"]` → `type: T, nullable: true`; `const` →
//! a one-value `enum`; `oneOf` → `anyOf`; a `{"type": "null"}` branch of `anyOf` → `nullable`;
//! local `$ref`s (`#/$defs/…`, `#/definitions/…`) are inlined (recursive schemas cannot be,
//! and fail); a one-element `allOf` is merged; `enum` values become strings (Gemini's enums
//! are string-typed). `additionalProperties: false` is
//! dropped without a report: Gemini's constrained decoding never produces undeclared
//! properties, so nothing is lost. Annotations Gemini has no field for (`$schema`, `$id`,
//! `$comment`, `examples`, `deprecated`, `readOnly`, `writeOnly`) are dropped silently for
//! the same reason. Any other keyword Gemini cannot express is reported (strict mode: a 400
//! naming it; lenient: dropped and listed in `X-GoModel-Dropped-Params`).

use serde_json::{Map, Value};

use crate::report::{TranslationError, TranslationReport};

const TARGET: &str = "Gemini";

/// Keywords Gemini's `Schema` has, copied as they are (after their values are converted).
const SUPPORTED: [&str; 22] = [
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

/// Annotations without validation meaning: nothing is lost by dropping them.
const ANNOTATIONS: [&str; 8] = [
    "$schema",
    "$id",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "strict",
];

/// How deep `$ref`s may nest before the schema counts as recursive.
const MAX_REF_DEPTH: usize = 16;

/// How many `$ref`s one schema may inline in all. Each inlining copies a definition, so
/// definitions that use each other several times grow exponentially; past this the schema is
/// refused instead of taking seconds and gigabytes to expand.
const MAX_REF_EXPANSIONS: usize = 1_000;

/// `format` values Gemini accepts, per type; others move into the description.
const FORMATS: [(&str, &[&str]); 3] = [
    ("string", &["enum", "date-time"]),
    ("number", &["float", "double"]),
    ("integer", &["int32", "int64"]),
];

/// Converts `schema`; `path` names it in reports (`tools[0].function.parameters`).
pub fn to_gemini_schema(
    schema: &Value,
    path: &str,
    report: &mut TranslationReport,
) -> Result<Value, TranslationError> {
    let defs = definitions(schema);
    let mut converter = Converter {
        defs: &defs,
        report,
        depth: 0,
        expansions: 0,
    };
    converter.convert(schema, path)
}

fn definitions(schema: &Value) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["$defs", "definitions"] {
        if let Some(Value::Object(map)) = schema.get(key) {
            for (name, def) in map {
                defs.insert(format!("#/{key}/{name}"), def.clone());
            }
        }
    }
    defs
}

struct Converter<'a> {
    defs: &'a Map<String, Value>,
    report: &'a mut TranslationReport,
    depth: usize,
    expansions: usize,
}

impl Converter<'_> {
    fn convert(&mut self, schema: &Value, path: &str) -> Result<Value, TranslationError> {
        let Value::Object(object) = schema else {
            // `true`/`false` schemas and other shorthands have no Gemini form.
            return Err(TranslationError::new(
                path,
                format!("a JSON schema must be an object for {TARGET}"),
            ));
        };
        if let Some(reference) = object.get("$ref") {
            return self.inline_ref(reference, object, path);
        }
        let mut out = Map::new();
        for (key, value) in object {
            let at = || format!("{path}.{key}");
            match key.as_str() {
                "type" => self.convert_type(value, &mut out, &at())?,
                "properties" => {
                    let Value::Object(properties) = value else {
                        return Err(TranslationError::new(at(), "properties must be an object"));
                    };
                    let mut converted = Map::new();
                    for (name, property) in properties {
                        converted.insert(
                            name.clone(),
                            self.convert(property, &format!("{}.{name}", at()))?,
                        );
                    }
                    out.insert(key.clone(), Value::Object(converted));
                }
                "items" => {
                    out.insert(key.clone(), self.convert(value, &at())?);
                }
                "anyOf" | "oneOf" => self.convert_any_of(value, &mut out, &at())?,
                "allOf" => self.merge_all_of(value, &mut out, &at())?,
                "const" => {
                    out.insert("enum".to_owned(), Value::Array(vec![enum_value(value)]));
                }
                "enum" => {
                    let values = value.as_array().map(Vec::as_slice).unwrap_or_default();
                    // `null` among the values is what Gemini calls `nullable`.
                    if values.iter().any(Value::is_null) {
                        out.insert("nullable".to_owned(), Value::Bool(true));
                    }
                    let values = values.iter().filter(|v| !v.is_null()).map(enum_value);
                    out.insert(key.clone(), Value::Array(values.collect()));
                }
                "additionalProperties" if value == &Value::Bool(false) => {}
                "$defs" | "definitions" => {}
                key if ANNOTATIONS.contains(&key) => {}
                key if SUPPORTED.contains(&key) => {
                    out.insert(key.to_owned(), value.clone());
                }
                _ => self.report.drop(&at(), TARGET)?,
            }
        }
        self.fit_enum(&mut out, path);
        self.fit_format(&mut out, path);
        Ok(Value::Object(out))
    }

    /// Gemini enums must be strings: an enum on another type (or none) becomes a string enum,
    /// reported when the type changed.
    fn fit_enum(&mut self, out: &mut Map<String, Value>, path: &str) {
        if !out.contains_key("enum") {
            return;
        }
        match out.get("type").and_then(Value::as_str) {
            Some("string") => {}
            Some(other) => {
                self.report.clamp(
                    &format!("{path}.enum"),
                    &format!("a {other} enum is sent to {TARGET} as a string enum"),
                );
                out.insert("type".to_owned(), Value::String("string".to_owned()));
                out.remove("format");
            }
            None => {
                out.insert("type".to_owned(), Value::String("string".to_owned()));
            }
        }
    }

    /// Gemini refuses formats it does not know (`uri`, `email`, …). Rather than lose the hint,
    /// it moves into the description, where the model still reads it.
    fn fit_format(&mut self, out: &mut Map<String, Value>, path: &str) {
        let Some(format) = out.get("format").and_then(Value::as_str).map(str::to_owned) else {
            return;
        };
        let kind = out.get("type").and_then(Value::as_str).unwrap_or("");
        let allowed = FORMATS
            .iter()
            .find(|(k, _)| *k == kind)
            .is_some_and(|(_, formats)| formats.contains(&format.as_str()));
        if allowed {
            return;
        }
        out.remove("format");
        let note = format!("format: {format}");
        let description = match out.get("description").and_then(Value::as_str) {
            Some(text) if !text.is_empty() => format!("{text} ({note})"),
            _ => format!("({note})"),
        };
        out.insert("description".to_owned(), Value::String(description));
        self.report.clamp(
            &format!("{path}.format"),
            &format!("'{format}' is not a {TARGET} format; moved into the description"),
        );
    }

    /// `type` as a string, or a list with `"null"` (→ `nullable`).
    fn convert_type(
        &mut self,
        value: &Value,
        out: &mut Map<String, Value>,
        path: &str,
    ) -> Result<(), TranslationError> {
        match value {
            Value::String(kind) => {
                out.insert("type".to_owned(), Value::String(kind.clone()));
                Ok(())
            }
            Value::Array(kinds) => {
                let mut concrete: Vec<&Value> = Vec::new();
                for kind in kinds {
                    if kind.as_str() == Some("null") {
                        out.insert("nullable".to_owned(), Value::Bool(true));
                    } else {
                        concrete.push(kind);
                    }
                }
                match concrete.as_slice() {
                    [] => Ok(()),
                    [one] => {
                        out.insert("type".to_owned(), (*one).clone());
                        Ok(())
                    }
                    // Several non-null types: express as anyOf of single-typed schemas.
                    several => {
                        let branches = several
                            .iter()
                            .map(|kind| {
                                let mut branch = Map::new();
                                branch.insert("type".to_owned(), (*kind).clone());
                                Value::Object(branch)
                            })
                            .collect();
                        out.insert("anyOf".to_owned(), Value::Array(branches));
                        Ok(())
                    }
                }
            }
            _ => Err(TranslationError::new(
                path,
                "type must be a string or a list of strings",
            )),
        }
    }

    /// `anyOf`/`oneOf`: branches converted; a `{"type": "null"}` branch becomes `nullable`,
    /// and a single remaining branch is merged into the parent.
    fn convert_any_of(
        &mut self,
        value: &Value,
        out: &mut Map<String, Value>,
        path: &str,
    ) -> Result<(), TranslationError> {
        let Value::Array(branches) = value else {
            return Err(TranslationError::new(path, "anyOf must be a list"));
        };
        let mut converted = Vec::new();
        for (index, branch) in branches.iter().enumerate() {
            if branch.get("type").and_then(Value::as_str) == Some("null") {
                out.insert("nullable".to_owned(), Value::Bool(true));
                continue;
            }
            converted.push(self.convert(branch, &format!("{path}[{index}]"))?);
        }
        match converted.len() {
            0 => {}
            1 => {
                if let Some(Value::Object(only)) = converted.pop() {
                    for (key, value) in only {
                        out.entry(key).or_insert(value);
                    }
                }
            }
            _ => {
                out.insert("anyOf".to_owned(), Value::Array(converted));
            }
        }
        Ok(())
    }

    /// A one-element `allOf` (what Pydantic emits around a `$ref` with a description) is
    /// merged; longer ones are intersections Gemini cannot express.
    fn merge_all_of(
        &mut self,
        value: &Value,
        out: &mut Map<String, Value>,
        path: &str,
    ) -> Result<(), TranslationError> {
        match value.as_array().map(Vec::as_slice) {
            Some([only]) => {
                if let Value::Object(merged) = self.convert(only, &format!("{path}[0]"))? {
                    for (key, value) in merged {
                        out.entry(key).or_insert(value);
                    }
                }
                Ok(())
            }
            _ => self.report.drop(path, TARGET),
        }
    }

    fn inline_ref(
        &mut self,
        reference: &Value,
        object: &Map<String, Value>,
        path: &str,
    ) -> Result<Value, TranslationError> {
        let target = reference
            .as_str()
            .and_then(|r| self.defs.get(r))
            .cloned()
            .ok_or_else(|| {
                TranslationError::new(
                    format!("{path}.$ref"),
                    format!(
                        "only local references to $defs or definitions can be sent to {TARGET}"
                    ),
                )
            })?;
        if self.depth >= MAX_REF_DEPTH {
            return Err(TranslationError::new(
                format!("{path}.$ref"),
                format!("recursive schemas cannot be expressed for {TARGET}"),
            ));
        }
        self.expansions += 1;
        if self.expansions > MAX_REF_EXPANSIONS {
            return Err(TranslationError::new(
                format!("{path}.$ref"),
                format!(
                    "the schema expands to more than {MAX_REF_EXPANSIONS} inlined references; {TARGET} needs references inlined, so simplify the schema"
                ),
            ));
        }
        self.depth += 1;
        let inlined = self.convert(&target, path);
        self.depth -= 1;
        let mut inlined = inlined?;
        // Siblings of `$ref` (a description, usually) annotate the referenced schema.
        if let Value::Object(map) = &mut inlined {
            for key in ["description", "title", "default"] {
                if let Some(value) = object.get(key) {
                    map.insert(key.to_owned(), value.clone());
                }
            }
        }
        Ok(inlined)
    }
}

/// Gemini enum values are strings.
fn enum_value(value: &Value) -> Value {
    match value {
        Value::String(_) => value.clone(),
        other => Value::String(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::report::Strictness;

    fn convert(
        schema: Value,
        strictness: Strictness,
    ) -> (Result<Value, TranslationError>, Vec<String>) {
        let mut report = TranslationReport::new(strictness);
        let out = to_gemini_schema(&schema, "p", &mut report);
        (out, report.dropped)
    }

    #[test]
    fn rewrites_nullable_const_one_of_and_refs() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "city": {"type": ["string", "null"], "description": "City"},
                "unit": {"enum": ["c", "f"]},
                "kind": {"const": "weather"},
                "when": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
                "place": {"$ref": "#/$defs/Place", "description": "Where"},
                "count": {"type": "integer", "minimum": 1, "maximum": 5},
                "wrapped": {"allOf": [{"$ref": "#/$defs/Place"}]}
            },
            "required": ["city"],
            "$defs": {"Place": {"type": "object", "properties": {"lat": {"type": "number"}}}}
        });
        let (out, dropped) = convert(schema, Strictness::Strict);
        assert!(dropped.is_empty());
        assert_eq!(
            out.unwrap(),
            json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "nullable": true, "description": "City"},
                    "unit": {"enum": ["c", "f"], "type": "string"},
                    "kind": {"enum": ["weather"], "type": "string"},
                    "when": {"nullable": true, "type": "string", "format": "date-time"},
                    "place": {"type": "object", "properties": {"lat": {"type": "number"}}, "description": "Where"},
                    "count": {"type": "integer", "minimum": 1, "maximum": 5},
                    "wrapped": {"type": "object", "properties": {"lat": {"type": "number"}}}
                },
                "required": ["city"]
            })
        );
    }

    #[test]
    fn unsupported_keywords_are_reported_not_lost() {
        let schema = json!({"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": true}},
            "additionalProperties": {"type": "string"}});
        let (out, dropped) = convert(schema.clone(), Strictness::Lenient);
        assert!(out.is_ok());
        assert_eq!(
            dropped,
            ["p.additionalProperties", "p.properties.tags.uniqueItems"]
        );
        let (strict, _) = convert(schema, Strictness::Strict);
        assert_eq!(
            strict.unwrap_err().param.as_deref(),
            Some("p.additionalProperties")
        );
    }

    #[test]
    fn recursive_and_remote_refs_fail_clearly() {
        let recursive = json!({"$ref": "#/$defs/Node", "$defs": {"Node": {"type": "object",
            "properties": {"next": {"$ref": "#/$defs/Node"}}}}});
        let (out, _) = convert(recursive, Strictness::Lenient);
        assert!(out.unwrap_err().message.contains("recursive"));
        let (remote, _) = convert(
            json!({"$ref": "https://x/schema.json"}),
            Strictness::Lenient,
        );
        assert!(remote.unwrap_err().message.contains("local references"));
    }

    #[test]
    fn exponential_references_are_refused_quickly() {
        // Each definition uses the next four times: 4^10 copies if expanded.
        let mut defs = serde_json::Map::new();
        for level in 0..10 {
            let next = json!({"$ref": format!("#/$defs/D{}", level + 1)});
            defs.insert(
                format!("D{level}"),
                json!({"type": "object", "properties": {"a": next, "b": next, "c": next, "d": next}}),
            );
        }
        defs.insert("D10".to_owned(), json!({"type": "string"}));
        let schema = json!({"$ref": "#/$defs/D0", "$defs": defs});
        let started = std::time::Instant::now();
        let (out, _) = convert(schema, Strictness::Lenient);
        assert!(out.unwrap_err().message.contains("more than 1000"));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn unknown_formats_move_into_the_description_and_enums_become_strings() {
        let mut report = TranslationReport::new(Strictness::Strict);
        let schema = json!({"type": "object", "properties": {
            "url": {"type": "string", "format": "uri", "description": "Page"},
            "when": {"type": "string", "format": "date-time"},
            "size": {"type": "integer", "format": "int64", "enum": [1, 2]}
        }});
        let out = to_gemini_schema(&schema, "p", &mut report).unwrap();
        assert_eq!(
            out["properties"]["url"],
            json!({"type": "string", "description": "Page (format: uri)"})
        );
        assert_eq!(out["properties"]["when"]["format"], "date-time");
        assert_eq!(
            out["properties"]["size"],
            json!({"type": "string", "enum": ["1", "2"]})
        );
        assert_eq!(report.clamped.len(), 2, "{:?}", report.clamped);
    }

    #[test]
    fn several_types_become_any_of() {
        let (out, _) = convert(
            json!({"type": ["string", "integer", "null"]}),
            Strictness::Strict,
        );
        assert_eq!(
            out.unwrap(),
            json!({"nullable": true, "anyOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }
}
