//! A JSON object as an ordered list of `(key, raw value)` pairs.
//!
//! The fast path (OpenAI-compatible client to OpenAI-compatible provider) must not decode a chat
//! request into typed structs and re-encode it: prompts can be hundreds of kilobytes and every
//! field we do not understand must reach the provider untouched. Parsing the top level only,
//! with each value borrowed as [`RawValue`] from the input, lets us read the few fields routing
//! needs, replace or remove some, and write the object back by concatenating the untouched raw
//! values. Field order is preserved. When nothing changed, callers forward the original bytes.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// Why a body is not a usable JSON object.
#[derive(Debug, thiserror::Error)]
pub enum JsonObjectError {
    #[error("request body is not valid JSON: {0}")]
    Syntax(String),
    #[error("request body must be a JSON object")]
    NotAnObject,
    #[error("request body has the field \"{0}\" more than once")]
    DuplicateKey(String),
}

/// A field is present but holds another JSON type than the one asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field has the wrong JSON type")]
pub struct WrongType;

/// The top level of a JSON object; values are raw JSON (borrowed from the input where possible).
#[derive(Debug, Clone, Default)]
pub struct JsonObject<'a> {
    entries: Vec<(Cow<'a, str>, Cow<'a, RawValue>)>,
    /// Set by every edit, so callers can forward the original bytes when nothing changed.
    modified: bool,
}

impl<'a> JsonObject<'a> {
    /// Parses `input`, which must be exactly one JSON object (surrounding whitespace allowed).
    pub fn parse(input: &'a [u8]) -> Result<Self, JsonObjectError> {
        let mut de = serde_json::Deserializer::from_slice(input);
        let object = match de.deserialize_any(ObjectVisitor) {
            Ok(Some(object)) => object,
            Ok(None) => return Err(JsonObjectError::NotAnObject),
            Err(err) => return Err(classify(err)),
        };
        de.end()
            .map_err(|err| JsonObjectError::Syntax(err.to_string()))?;
        if let Some(key) = object.first_duplicate_key() {
            return Err(JsonObjectError::DuplicateKey(key.to_owned()));
        }
        Ok(object)
    }

    /// The raw value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&RawValue> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// True when `key` is present (whatever its value, `null` included).
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key` when it is a JSON string. `Err` when present but not a string.
    pub fn get_str(&self, key: &str) -> Result<Option<Cow<'_, str>>, WrongType> {
        match self.get(key) {
            None => Ok(None),
            Some(raw) => parse_str(raw).map(Some).ok_or(WrongType),
        }
    }

    /// The value of `key` when it is a JSON boolean. `Err` when present but something else
    /// (`null` counts as absent, as OpenAI treats it).
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, WrongType> {
        match self.get(key).map(RawValue::get) {
            None | Some("null") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(WrongType),
        }
    }

    /// The value of `key` as an `f64` when it is a JSON number.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(|raw| raw.get().parse::<f64>().ok())
    }

    /// Sets `key` to an already-encoded JSON value, keeping its position when it exists.
    pub fn set_raw(&mut self, key: &str, value: Box<RawValue>) {
        self.modified = true;
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = Cow::Owned(value),
            None => self
                .entries
                .push((Cow::Owned(key.to_owned()), Cow::Owned(value))),
        }
    }

    /// Sets `key` to a JSON string.
    pub fn set_str(&mut self, key: &str, value: &str) {
        self.set_raw(key, encode_str(value));
    }

    /// Removes `key`, returning whether it was present.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(k, _)| k != key);
        let removed = before != self.entries.len();
        self.modified |= removed;
        removed
    }

    /// Renames `from` to `to` in place, unless `to` already exists (then `from` is just dropped).
    pub fn rename(&mut self, from: &str, to: &str) {
        if self.contains(to) {
            self.remove(from);
            return;
        }
        if let Some(entry) = self.entries.iter_mut().find(|(k, _)| k == from) {
            entry.0 = Cow::Owned(to.to_owned());
            self.modified = true;
        }
    }

    /// Whether any edit was made since parsing.
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_ref())
    }

    /// Writes the object back as compact JSON; untouched values are copied byte for byte.
    pub fn to_vec(&self) -> Vec<u8> {
        let size: usize = self
            .entries
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum();
        let mut out = Vec::with_capacity(size + 2);
        out.push(b'{');
        for (i, (key, value)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_str(&mut out, key);
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
        out
    }

    fn first_duplicate_key(&self) -> Option<&str> {
        // Top-level objects have a few dozen keys at most: a quadratic scan beats hashing.
        for (i, (key, _)) in self.entries.iter().enumerate() {
            if self.entries[..i].iter().any(|(k, _)| k == key) {
                return Some(key);
            }
        }
        None
    }
}

/// Decodes a raw JSON string value, borrowing when it has no escapes.
pub fn parse_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

/// Encodes `value` as a raw JSON string.
pub fn encode_str(value: &str) -> Box<RawValue> {
    let mut out = Vec::with_capacity(value.len() + 2);
    write_json_str(&mut out, value);
    // A string we escaped ourselves is always valid JSON; fall back to `null` rather than panic.
    String::from_utf8(out)
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
        .unwrap_or_else(null_raw)
}

/// Encodes any serializable value as raw JSON (`null` if it cannot be encoded).
pub fn encode_value<T: serde::Serialize>(value: &T) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| null_raw())
}

fn null_raw() -> Box<RawValue> {
    Box::<RawValue>::default()
}

fn write_json_str(out: &mut Vec<u8>, value: &str) {
    // serde_json's string escaper never fails when writing into a Vec.
    let _ = serde_json::to_writer(&mut *out, value);
}

fn classify(err: serde_json::Error) -> JsonObjectError {
    if err.is_data() {
        JsonObjectError::NotAnObject
    } else {
        JsonObjectError::Syntax(err.to_string())
    }
}

/// Visits any JSON value; yields `Some` only for an object.
struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Option<JsonObject<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            entries.push((key.0, Cow::Borrowed(value)));
        }
        Ok(Some(JsonObject {
            entries,
            modified: false,
        }))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A map key that borrows from the input when it has no escapes (serde's own `Cow<str>` never
/// borrows).
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_untouched_values_byte_for_byte() {
        let input = br#" {"model":"gpt-4o", "messages":[{"role":"user","content":"h\u00e9 \"x\""}],"x":{"a": 1.50}} "#;
        let object = JsonObject::parse(input).unwrap();
        let out = String::from_utf8(object.to_vec()).unwrap();
        assert_eq!(
            out,
            r#"{"model":"gpt-4o","messages":[{"role":"user","content":"h\u00e9 \"x\""}],"x":{"a": 1.50}}"#
        );
    }

    #[test]
    fn sets_removes_and_renames_in_place() {
        let mut object =
            JsonObject::parse(br#"{"a":1,"model":"p/m","provider":"p","max_tokens":5}"#).unwrap();
        object.set_str("model", "m");
        assert!(object.remove("provider"));
        object.rename("max_tokens", "max_completion_tokens");
        object.set_raw("z", encode_value(&true));
        assert_eq!(
            String::from_utf8(object.to_vec()).unwrap(),
            r#"{"a":1,"model":"m","max_completion_tokens":5,"z":true}"#
        );
    }

    #[test]
    fn typed_getters_report_wrong_types() {
        let object =
            JsonObject::parse(br#"{"model":7,"stream":"yes","s":"a\nb","n":null}"#).unwrap();
        assert!(object.get_str("model").is_err());
        assert!(object.get_bool("stream").is_err());
        assert_eq!(object.get_str("s").unwrap().unwrap(), "a\nb");
        assert_eq!(object.get_bool("n").unwrap(), None);
        assert_eq!(object.get_str("missing").unwrap(), None);
    }

    #[test]
    fn rejects_non_objects_bad_syntax_trailing_data_and_duplicates() {
        assert!(matches!(
            JsonObject::parse(b"[1,2]"),
            Err(JsonObjectError::NotAnObject)
        ));
        assert!(matches!(
            JsonObject::parse(b"\"x\""),
            Err(JsonObjectError::NotAnObject)
        ));
        assert!(matches!(
            JsonObject::parse(b"{\"a\":"),
            Err(JsonObjectError::Syntax(_))
        ));
        assert!(matches!(
            JsonObject::parse(b"{} {}"),
            Err(JsonObjectError::Syntax(_))
        ));
        assert!(matches!(
            JsonObject::parse(b""),
            Err(JsonObjectError::Syntax(_))
        ));
        assert!(matches!(
            JsonObject::parse(br#"{"model":"a","model":"b"}"#),
            Err(JsonObjectError::DuplicateKey(k)) if k == "model"
        ));
    }

    #[test]
    fn escaped_keys_are_re_escaped() {
        let object = JsonObject::parse(br#"{"a\"b":1}"#).unwrap();
        assert_eq!(object.keys().collect::<Vec<_>>(), vec!["a\"b"]);
        assert_eq!(String::from_utf8(object.to_vec()).unwrap(), r#"{"a\"b":1}"#);
    }
}
