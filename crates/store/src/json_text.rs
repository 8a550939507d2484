//! JSON text written and checked by hand: the audit document (one check per body and one string
//! the entry's fields are appended to) and the per-row arrays SQLite stores.
//!
//! An audited request used to build a `serde_json::Map` of its small fields, validate each body
//! with serde (`RawValue::from_string`), scan it again for what a database could not hold, and
//! serialise the whole map: three passes over every body plus a tree of allocations, most of
//! what an audit entry cost on the request path (bench/findings.md). [`storable_json`] is one
//! pass that answers both questions, and [`ObjectWriter`] appends fields straight into the
//! document's text. [`ArrayWriter`] does the same for the per-row arrays SQLite stores, which
//! serde's generic serialiser wrote at twice the cost.

use serde_json::ser::{CompactFormatter, Formatter};

/// Deepest nesting of a body kept as JSON: serde_json reads no deeper (a stored document the
/// admin API could not read back), and PostgreSQL's jsonb parser runs out of stack far below
/// what a plain syntax check allows.
const MAX_DEPTH: usize = 128;

/// Longest digit run in a number of a body kept as JSON: longer ones overflow an `f64` when
/// read back (more than 308 integer digits) or PostgreSQL's numeric (more than 16,383
/// fractional digits, an exponent beyond about ±131,000); no API sends such numbers.
const MAX_NUMBER_DIGITS: usize = 300;

/// Largest exponent (either sign) of a number kept as JSON; see [`MAX_NUMBER_DIGITS`].
const MAX_EXPONENT: u32 = 300;

/// Whether `text` is one well-formed JSON value (RFC 8259, surrounding whitespace allowed) that
/// every reader of the audit log can hold: nesting within [`MAX_DEPTH`], digit runs within
/// [`MAX_NUMBER_DIGITS`], exponents within ±[`MAX_EXPONENT`], and every `\u` surrogate escape
/// paired (jsonb and serde_json refuse a lone one). A body that passes goes into the document as
/// the text it is; any other is stored as a JSON string of its text.
pub fn storable_json(text: &str) -> bool {
    Checker {
        bytes: text.as_bytes(),
        at: 0,
    }
    .document()
    .is_some()
}

/// A single forward pass; each step returns `None` at the first thing that is not storable.
struct Checker<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Checker<'_> {
    fn document(&mut self) -> Option<()> {
        // Whether each open container is an object (bit set) or an array, innermost lowest.
        let mut objects: u128 = 0;
        let mut depth = 0usize;
        self.skip_ws();
        'value: loop {
            match self.peek()? {
                b'{' | b'[' => {
                    let object = self.bytes[self.at] == b'{';
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return None;
                    }
                    objects = (objects << 1) | u128::from(object);
                    self.at += 1;
                    self.skip_ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.at += 1;
                        depth -= 1;
                        objects >>= 1;
                    } else {
                        if object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                }
                b'"' => self.string()?,
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => return None,
            }
            // After a value: close containers until one continues with a comma.
            loop {
                self.skip_ws();
                if depth == 0 {
                    return (self.at == self.bytes.len()).then_some(());
                }
                let object = objects & 1 == 1;
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        self.skip_ws();
                        if object {
                            self.member_key()?;
                        }
                        continue 'value;
                    }
                    b'}' if object => {}
                    b']' if !object => {}
                    _ => return None,
                }
                self.at += 1;
                depth -= 1;
                objects >>= 1;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// `"key" :` and the whitespace after it.
    fn member_key(&mut self) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        self.string()?;
        self.skip_ws();
        if self.peek()? != b':' {
            return None;
        }
        self.at += 1;
        self.skip_ws();
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// A string from its opening quote. Plain characters are skipped eight at a time
    /// ([`plain_run_end`]); the text is a `str`, so it is valid UTF-8 already.
    fn string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            self.at = plain_run_end(self.bytes, self.at);
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    self.escape()?;
                }
                // Control characters must be escaped in JSON.
                _ => return None,
            }
        }
    }

    /// The rest of an escape after its backslash.
    fn escape(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                self.at += 1;
                Some(())
            }
            b'u' => {
                let unit = self.hex4()?;
                match unit {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed at once by an escaped low one.
                        if self.bytes.get(self.at..self.at + 2)? != b"\\u" {
                            return None;
                        }
                        self.at += 1;
                        matches!(self.hex4()?, 0xDC00..=0xDFFF).then_some(())
                    }
                    0xDC00..=0xDFFF => None,
                    _ => Some(()),
                }
            }
            _ => None,
        }
    }

    /// `uXXXX` from the `u`: the code unit.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at + 1..self.at + 5)?;
        let mut unit = 0;
        for &d in digits {
            unit = unit * 16 + char::from(d).to_digit(16)?;
        }
        self.at += 5;
        Some(unit)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` within the limits.
    fn number(&mut self) -> Option<()> {
        if self.peek()? == b'-' {
            self.at += 1;
        }
        let leading_zero = self.peek()? == b'0';
        let int_digits = self.digits()?;
        if leading_zero && int_digits > 1 {
            return None;
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            let start = self.at;
            self.digits()?;
            let mut exponent = 0u32;
            for &d in &self.bytes[start..self.at] {
                exponent = exponent * 10 + u32::from(d - b'0');
                if exponent > MAX_EXPONENT {
                    return None;
                }
            }
        }
        Some(())
    }

    /// One or more digits, at most [`MAX_NUMBER_DIGITS`]; how many.
    fn digits(&mut self) -> Option<usize> {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        let count = self.at - start;
        (1..=MAX_NUMBER_DIGITS).contains(&count).then_some(count)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The lanes of `word` (little-endian bytes) holding `"`, `\\` or a control character, as their
/// high bits. Exact for the lowest such lane; lanes above it may be flagged falsely, which
/// only matters to a caller that goes on past the first.
fn special_lanes(word: u64) -> u64 {
    let zero_lanes = |v: u64| v.wrapping_sub(ONES) & !v;
    let quote = zero_lanes(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_lanes(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGH_BITS
}

/// The index of the first `"`, `\\` or control character at or after `from` (or the end):
/// eight bytes per step, as serde_json does, instead of a search set up per string (most
/// strings in an API body are a few bytes long).
fn plain_run_end(bytes: &[u8], mut from: usize) -> usize {
    while let Some(chunk) = bytes.get(from..from + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = special_lanes(u64::from_le_bytes(word));
        if found != 0 {
            return from + (found.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    // The last few bytes as one word too, padded with spaces (never special): most strings
    // are short, and a byte loop cost more than the word.
    let rest = bytes.get(from..).unwrap_or_default();
    if rest.is_empty() {
        return from;
    }
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    let found = special_lanes(u64::from_le_bytes(word));
    let lane = (found.trailing_zeros() / 8) as usize;
    from + lane.min(rest.len())
}

/// Appends `text` as a JSON string literal (quotes included), escaping only what JSON requires.
pub fn push_string(out: &mut String, text: &str) {
    out.reserve(text.len() + 2);
    out.push('"');
    let bytes = text.as_bytes();
    let mut copied = 0;
    loop {
        let at = plain_run_end(bytes, copied);
        // Every byte the scan stops at is ASCII, so `at` is a character boundary.
        out.push_str(&text[copied..at]);
        let Some(&b) = bytes.get(at) else { break };
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
        copied = at + 1;
    }
    out.push('"');
}

/// Appends an integer (digits written by hand: most are token counts and status codes, a few
/// digits long, which the general formatter took ~90 instructions each to write).
pub fn push_i64(out: &mut String, value: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if value < 0 {
        out.push('-');
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// Appends a finite number as serde_json writes it (the same text a serialised row had:
/// `250.0`, not `250`, so SQLite's JSON functions read a REAL back); `null` for NaN or
/// infinity, as serde_json serialises them (JSON has neither).
pub fn push_f64(out: &mut String, value: f64) {
    let mut buf = [0u8; 40];
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    let written = value
        .is_finite()
        .then(|| CompactFormatter.write_f64(&mut cursor, value).ok())
        .flatten()
        .map(|()| cursor.position());
    let text = written
        .and_then(|n| buf.get(..usize::try_from(n).ok()?))
        .and_then(|bytes| std::str::from_utf8(bytes).ok());
    out.push_str(text.unwrap_or("null"));
}

/// A JSON array written element by element into one string: the per-row arrays SQLite stores
/// (`usage_records.details`, `audit_records.details`).
pub struct ArrayWriter {
    out: String,
    empty: bool,
}

impl ArrayWriter {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push('[');
        Self { out, empty: true }
    }

    fn next(&mut self) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        &mut self.out
    }

    pub fn string(&mut self, text: &str) -> &mut Self {
        push_string(self.next(), text);
        self
    }

    pub fn opt_string(&mut self, text: Option<&str>) -> &mut Self {
        match text {
            Some(text) => self.string(text),
            None => self.raw("null"),
        }
    }

    pub fn boolean(&mut self, value: bool) -> &mut Self {
        self.raw(if value { "true" } else { "false" })
    }

    pub fn integer(&mut self, value: i64) -> &mut Self {
        push_i64(self.next(), value);
        self
    }

    pub fn float(&mut self, value: f64) -> &mut Self {
        push_f64(self.next(), value);
        self
    }

    pub fn opt_float(&mut self, value: Option<f64>) -> &mut Self {
        match value {
            Some(value) => self.float(value),
            None => self.raw("null"),
        }
    }

    /// An element that is JSON text already (a checked document).
    pub fn raw(&mut self, json: &str) -> &mut Self {
        self.next().push_str(json);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push(']');
        self.out
    }
}

/// A JSON object written member by member into one string.
pub struct ObjectWriter {
    out: String,
    empty: bool,
}

impl ObjectWriter {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push('{');
        Self { out, empty: true }
    }

    /// Starts a member: `"key":` (the callers' constants, or HTTP header names).
    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_string(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    /// A member whose value is JSON text the caller has checked ([`storable_json`]).
    pub fn raw(&mut self, key: &str, json: &str) {
        self.key(key).push_str(json);
    }

    pub fn string(&mut self, key: &str, text: &str) {
        let out = self.key(key);
        push_string(out, text);
    }

    pub fn boolean(&mut self, key: &str, value: bool) {
        self.key(key).push_str(if value { "true" } else { "false" });
    }

    /// An integer; a `u64` beyond `i64` (no token count is) is written as the largest `i64`.
    pub fn integer(&mut self, key: &str, value: u64) {
        push_i64(self.key(key), i64::try_from(value).unwrap_or(i64::MAX));
    }

    /// A finite number as serde_json writes it; `null` for NaN or infinity, which JSON lacks.
    pub fn float(&mut self, key: &str, value: f64) {
        push_f64(self.key(key), value);
    }

    /// A nested object, written by `fill`.
    pub fn object(&mut self, key: &str, fill: impl FnOnce(&mut ObjectWriter)) {
        let out = std::mem::take(self.key(key));
        let mut inner = ObjectWriter { out, empty: true };
        inner.out.push('{');
        fill(&mut inner);
        self.out = inner.finish();
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn well_formed_json_within_the_limits_is_storable() {
        for text in [
            r#"{"a":[1,2.5e-3,{"b":"1e99999 [[[["}],"t":true,"f":false,"n":null}"#,
            r#" {"x":1e300,"y":-1E-300,"z":0,"w":-0.5,"e":1E+2} "#,
            "[]",
            "{}",
            "\"\\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\\u0000\"",
            "12",
            "ünï \u{1F600}",
        ]
        .iter()
        .filter(|t| serde_json::from_str::<Value>(t).is_ok())
        {
            assert!(storable_json(text), "{text}");
        }
        let quoted = format!(r#"{{"s":"\"{}"}}"#, "[".repeat(200));
        assert!(
            storable_json(&quoted),
            "brackets inside strings do not nest"
        );
    }

    #[test]
    fn what_a_reader_could_not_hold_is_not_storable() {
        let deep = format!("{}{}", "[".repeat(129), "]".repeat(129));
        let deep_ok = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert!(storable_json(&deep_ok));
        for text in [
            deep,
            r#"{"x":1e301}"#.to_owned(),
            r#"{"x":1e-20000}"#.to_owned(),
            format!(r#"{{"x":1{}}}"#, "0".repeat(400)),
            format!(r#"{{"x":0.{}1}}"#, "0".repeat(20000)),
            r#"{"text":"\ud800 alone"}"#.to_owned(),
            r#"{"text":"\udc00"}"#.to_owned(),
            r#"{"text":"\ud800\u0041"}"#.to_owned(),
        ] {
            assert!(!storable_json(&text), "{text}");
        }
    }

    #[test]
    fn malformed_json_is_not_storable() {
        for text in [
            "",
            " ",
            "model=m&stream=true",
            "{",
            "}",
            "[1,]",
            "[,1]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":1,}",
            "{a:1}",
            "[01]",
            "[1.]",
            "[.5]",
            "[1e]",
            "[-]",
            "[+1]",
            "tru",
            "nul",
            "[1 2]",
            "{} {}",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"tab\there\"",
            "[\"a\"]]",
            "{\"a\":1]",
            "[1}",
            "'a'",
            "NaN",
            "[Infinity]",
        ] {
            assert!(!storable_json(text), "{text:?}");
            assert!(serde_json::from_str::<Value>(text).is_err(), "{text:?}");
        }
    }

    /// Random token soups: whatever the checker accepts, serde_json parses into a value (the
    /// property the admin API's reads depend on), and whatever serde_json parses without a
    /// lone surrogate, deep nesting or an extreme number, the checker accepts.
    #[test]
    fn agrees_with_serde_json_on_random_inputs() {
        const TOKENS: [&str; 24] = [
            "{", "}", "[", "]", ",", ":", "\"", "\"k\"", "\"v\"", "1", "-", "0", ".", "5", "e",
            "+", "true", "null", " ", "\\", "\\u", "d800", "\\n", "x",
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut accepted = 0;
        for _ in 0..200_000 {
            let len = (next() % 12) as usize + 1;
            let text: String = (0..len)
                .map(|_| TOKENS[(next() % TOKENS.len() as u64) as usize])
                .collect();
            let serde_ok = serde_json::from_str::<Value>(&text).is_ok();
            if storable_json(&text) {
                accepted += 1;
                assert!(serde_ok, "accepted what serde_json refuses: {text:?}");
            } else {
                // Token soups are short and shallow, and serde_json refuses lone surrogates
                // too, so serde accepting means we must, but for a tiny number past our
                // exponent limit (serde_json reads it as 0).
                assert!(
                    !serde_ok || text.contains("e-"),
                    "refused what serde_json accepts: {text:?}"
                );
            }
        }
        assert!(
            accepted > 1000,
            "the soup should hold some valid documents: {accepted}"
        );
    }

    #[test]
    fn runs_of_plain_characters_end_at_the_first_special_byte() {
        for (text, want) in [
            ("", 0),
            ("abc", 3),
            ("abcdefghijklmnop\"", 16),
            ("abcdefg\\h", 7),
            ("a\u{1}", 1),
            ("ünïcödé \u{1F600} tail\"x", "ünïcödé \u{1F600} tail".len()),
            (
                "\u{7f}\u{80}\u{ff}\u{100}abcdefgh\n",
                "\u{7f}\u{80}\u{ff}\u{100}abcdefgh".len(),
            ),
        ] {
            assert_eq!(plain_run_end(text.as_bytes(), 0), want, "{text:?}");
        }
        // Every byte value, in every lane of a word.
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut bytes = vec![b'a'; 16];
                bytes[lane] = b;
                let special = b == b'"' || b == b'\\' || b < 0x20;
                let want = if special { lane } else { 16 };
                assert_eq!(plain_run_end(&bytes, 0), want, "byte {b} in lane {lane}");
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_json_requires() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\nd\te\u{1}f ünï");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001f ünï""#);
        assert_eq!(
            serde_json::from_str::<String>(&out).unwrap(),
            "a\"b\\c\nd\te\u{1}f ünï"
        );
    }

    #[test]
    fn arrays_are_written_as_serde_json_would() {
        let mut array = ArrayWriter::with_capacity(64);
        array
            .string("a\"b")
            .opt_string(None)
            .opt_string(Some("c"))
            .boolean(false)
            .integer(-42)
            .float(250.0)
            .float(0.1)
            .float(1e-7)
            .float(f64::INFINITY)
            .opt_float(None)
            .raw(r#"{"k":[1]}"#);
        let text = array.finish();
        let serde = serde_json::to_string(&(
            "a\"b",
            None::<&str>,
            Some("c"),
            false,
            -42,
            250.0,
            0.1,
            1e-7,
            f64::INFINITY,
            None::<f64>,
            serde_json::json!({"k": [1]}),
        ))
        .unwrap();
        assert_eq!(text, serde);
        assert_eq!(ArrayWriter::with_capacity(0).finish(), "[]");
        for value in [0, 7, -7, 10, 99, 100, 1_234_567, i64::MAX, i64::MIN] {
            let mut out = String::new();
            push_i64(&mut out, value);
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn objects_are_written_member_by_member() {
        let mut doc = ObjectWriter::with_capacity(64);
        doc.raw("body", r#"{"a": 1}"#);
        doc.string("s", "x\"y");
        doc.boolean("b", true);
        doc.integer("i", 42);
        doc.float("f", 0.5);
        doc.float("nan", f64::NAN);
        doc.object("h", |h| {
            h.string("k", "v");
            h.string("k2", "v2");
        });
        doc.object("empty", |_| {});
        let text = doc.finish();
        assert_eq!(
            text,
            r#"{"body":{"a": 1},"s":"x\"y","b":true,"i":42,"f":0.5,"nan":null,"h":{"k":"v","k2":"v2"},"empty":{}}"#
        );
        assert!(storable_json(&text));
    }
}
