//! A statement under construction: SQL text plus its bound values, written once for both
//! backends.
//!
//! The two dialects differ in only three ways that matter to our queries: placeholders (`?` vs
//! `$n`), case-insensitive `LIKE` (SQLite's `LIKE` already ignores ASCII case, PostgreSQL needs
//! `ILIKE`), and the storage of JSON and booleans, which sqlx's encoders already handle. So every
//! query is built once against a [`Dialect`], and [`crate::exec`] binds the [`Arg`]s to whichever
//! driver the store runs on.
//!
//! Only fixed SQL fragments from this crate are ever pushed as text; every value that comes from
//! a caller goes through [`Sql::bind`]. That is what makes handing the text to sqlx as
//! `AssertSqlSafe` sound.

use serde_json::Value;

use crate::records::RawJson;

/// Which SQL dialect a statement is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The case-insensitive substring operator.
    pub(crate) fn ilike(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }
}

/// One bound value. Owned, so a statement can outlive the rows it was built from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Int(i64),
    Int32(i32),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(bool),
    Json(Option<Value>),
    /// JSON kept as text (bound as `jsonb` on PostgreSQL, `TEXT` on SQLite).
    RawJson(Option<RawJson>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<i32> for Arg {
    fn from(v: i32) -> Self {
        Arg::Int32(v)
    }
}
impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Float(Some(v))
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        Arg::Float(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}
impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}
impl From<&Value> for Arg {
    fn from(v: &Value) -> Self {
        Arg::Json(Some(v.clone()))
    }
}
impl From<&Option<Value>> for Arg {
    fn from(v: &Option<Value>) -> Self {
        Arg::Json(v.clone())
    }
}

impl From<&Option<RawJson>> for Arg {
    fn from(v: &Option<RawJson>) -> Self {
        Arg::RawJson(v.clone())
    }
}

impl Arg {
    /// PostgreSQL cannot store U+0000 in `text` or `jsonb` and rejects the whole statement, so
    /// one request body containing `"\u0000"` would lose a batch of 500 records. Replace it with
    /// U+FFFD, as lossy decoders do; SQLite stores it as is.
    fn replace_nul(&mut self) {
        match self {
            Arg::Text(Some(s)) => replace_nul_in(s),
            Arg::Json(Some(v)) => replace_nul_in_json(v),
            Arg::RawJson(slot @ Some(_)) => {
                let Some(raw) = slot.as_ref() else { return };
                // jsonb also refuses an unpaired surrogate escape, a number beyond numeric's
                // range and very deep nesting, which raw text may carry (it was never decoded:
                // the audit log stores bodies the gateway parsed without checking them again);
                // such a document is kept as one JSON string of its text (backslashes escaped,
                // so jsonb takes it) rather than failing the batch it is in.
                let text = raw.get();
                if !crate::json_text::storable_json(text) {
                    *slot = RawJson::from_value(&Value::String(text.to_owned()));
                } else if let Some(clean) = replace_nul_escapes(text) {
                    *slot = Some(clean);
                }
            }
            _ => {}
        }
    }
}

fn replace_nul_in(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', "\u{FFFD}");
    }
}

/// JSON text with every `\u0000` escape replaced by `\ufffd`, or `None` when there is none.
/// Escapes are walked in order so that an escaped backslash followed by `u0000` (`\\u0000`, a
/// literal backslash and text) is left alone.
fn replace_nul_escapes(text: &str) -> Option<RawJson> {
    if !text.contains("\\u0000") {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut replaced = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        if bytes.get(i + 1) == Some(&b'u') && bytes.get(i + 2..i + 6) == Some(b"0000") {
            out.push_str(&text[copied..i]);
            out.push_str("\\ufffd");
            i += 6;
            copied = i;
            replaced = true;
        } else {
            // Any other escape: skip the backslash and the character it escapes.
            i += 2;
        }
    }
    if !replaced {
        return None;
    }
    out.push_str(&text[copied.min(text.len())..]);
    RawJson::parse(&out)
}

fn replace_nul_in_json(value: &mut Value) {
    match value {
        Value::String(s) => replace_nul_in(s),
        Value::Array(items) => items.iter_mut().for_each(replace_nul_in_json),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(mut k, v)| {
                        replace_nul_in(&mut k);
                        (k, v)
                    })
                    .collect();
            }
            map.values_mut().for_each(replace_nul_in_json);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// SQL text and the values bound to its placeholders, in order.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub(crate) dialect: Dialect,
    pub(crate) text: String,
    pub(crate) args: Vec<Arg>,
    /// Whether the driver should keep the prepared statement for reuse (see [`Sql::one_off`]).
    pub(crate) cached: bool,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect, text: &str) -> Self {
        Sql {
            dialect,
            text: text.to_owned(),
            args: Vec::new(),
            cached: true,
        }
    }

    /// Marks a statement whose text varies with its input (a multi-row batch of any size from
    /// 1 to 500): caching those would fill each connection's statement cache with near-duplicates
    /// that are rarely reused and evict the queries that are.
    pub(crate) fn one_off(mut self) -> Self {
        self.cached = false;
        self
    }

    /// Appends a fixed fragment of SQL (never caller data).
    pub(crate) fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// A statement whose text is already complete (placeholders included); its values are
    /// added with [`Sql::value`]. For hot statements whose text never changes.
    pub(crate) fn prepared(dialect: Dialect, text: &str, capacity: usize) -> Self {
        Sql {
            dialect,
            text: text.to_owned(),
            args: Vec::with_capacity(capacity),
            cached: true,
        }
    }

    /// Records the value of the next placeholder already in the text.
    pub(crate) fn value(&mut self, value: impl Into<Arg>) -> &mut Self {
        let mut value = value.into();
        if self.dialect == Dialect::Postgres {
            value.replace_nul();
        }
        self.args.push(value);
        self
    }

    /// Appends a placeholder and records its value.
    pub(crate) fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        let mut value = value.into();
        if self.dialect == Dialect::Postgres {
            value.replace_nul();
        }
        self.args.push(value);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
        }
        self
    }

    /// Appends `(v1, v2, ...)` with every value bound.
    pub(crate) fn bind_tuple(&mut self, values: impl IntoIterator<Item = Arg>) -> &mut Self {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(value);
        }
        self.push(")")
    }
}

/// Cuts `items` into chunks of exactly the given sizes, largest first (the last size should be
/// 1), paired with the index of their size. Multi-row statements cut this way have a handful of
/// distinct texts, which stay prepared on each connection instead of being parsed per batch.
pub(crate) fn fixed_size_chunks<'a, T>(items: &'a [T], sizes: &[usize]) -> Vec<(usize, &'a [T])> {
    let mut chunks = Vec::new();
    let mut rest = items;
    for (slot, &size) in sizes.iter().enumerate() {
        while size > 0 && rest.len() >= size {
            let (chunk, tail) = rest.split_at(size);
            chunks.push((slot, chunk));
            rest = tail;
        }
    }
    chunks
}

/// Escapes `%`, `_` and `\` so a caller's text matches literally inside a `LIKE ... ESCAPE '\'`
/// pattern, then wraps it in `%...%` for a substring match.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut s = Sql::new(Dialect::Sqlite, "SELECT ");
        s.bind(1_i64).push(", ").bind("a");
        assert_eq!(s.text, "SELECT ?, ?");
        let mut p = Sql::new(Dialect::Postgres, "SELECT ");
        p.bind(1_i64)
            .push(", ")
            .bind_tuple([Arg::Int(2), Arg::Bool(true)]);
        assert_eq!(p.text, "SELECT $1, ($2, $3)");
        assert_eq!(p.args.len(), 3);
    }

    #[test]
    fn postgres_binds_never_carry_nul() {
        let mut p = Sql::new(Dialect::Postgres, "");
        p.bind("a\0b")
            .bind(&serde_json::json!({"k\0": ["x\0", 1, {"n": "\0"}]}));
        assert_eq!(p.args[0], Arg::from("a\u{FFFD}b"));
        assert_eq!(
            p.args[1],
            Arg::from(&serde_json::json!({"k\u{FFFD}": ["x\u{FFFD}", 1, {"n": "\u{FFFD}"}]}))
        );
        let mut s = Sql::new(Dialect::Sqlite, "");
        s.bind("a\0b");
        assert_eq!(s.args[0], Arg::from("a\0b"), "SQLite keeps it");
    }

    #[test]
    fn nul_escapes_in_raw_json_are_replaced_but_escaped_backslashes_are_not() {
        let raw = RawJson::parse(r#"{"a\u0000":"x\u0000y","b":"\\u0000"}"#);
        let mut p = Sql::new(Dialect::Postgres, "");
        p.bind(&raw);
        let Arg::RawJson(Some(clean)) = &p.args[0] else {
            unreachable!("bound as raw JSON")
        };
        assert_eq!(clean.get(), r#"{"a\ufffd":"x\ufffdy","b":"\\u0000"}"#);
        assert_eq!(replace_nul_escapes(r#"{"b":"\\u0000"}"#), None);

        let lone = RawJson::parse(r#"{"a":"\ud800"}"#);
        let mut p = Sql::new(Dialect::Postgres, "");
        p.bind(&lone);
        let Arg::RawJson(Some(kept)) = &p.args[0] else {
            unreachable!("still bound as raw JSON")
        };
        assert_eq!(
            kept.to_value(),
            serde_json::json!(r#"{"a":"\ud800"}"#),
            "an unpaired surrogate: the document is kept as a string of its text"
        );
        let pair = RawJson::parse(r#"{"a":"\ud83d\ude00"}"#);
        let mut p = Sql::new(Dialect::Postgres, "");
        p.bind(&pair);
        assert_eq!(p.args[0], Arg::RawJson(pair));
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
        assert_eq!(contains_pattern(""), "%%");
    }
}
