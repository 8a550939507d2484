//! Where configuration strings come from: the process environment plus an optional `.env`.
//!
//! Everything else in the gateway reads configuration through [`EnvMap`], never through
//! `std::env` (clippy's `disallowed-methods` enforces it), so tests inject a plain map.

use std::collections::BTreeMap;
use std::path::Path;

/// Environment variables as a map. Built from the process environment (with `.env` underneath)
/// in production, from literals in tests.
#[derive(Debug, Clone, Default)]
pub struct EnvMap {
    vars: BTreeMap<String, String>,
}

impl EnvMap {
    /// The process environment over the variables of `dotenv_path` (when the file exists):
    /// real environment variables win over `.env`, as with GoModel's godotenv.
    pub fn from_process(dotenv_path: &Path) -> Result<Self, std::io::Error> {
        let mut vars = match std::fs::read_to_string(dotenv_path) {
            Ok(text) => parse_dotenv(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(err) => return Err(err),
        };
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place that reads the process environment"
        )]
        for (key, value) in std::env::vars_os() {
            if let (Ok(key), Ok(value)) = (key.into_string(), value.into_string()) {
                vars.insert(key, value);
            }
        }
        Ok(Self { vars })
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable's value; empty values count as unset (as in GoModel).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A variable's value even when empty (for `${VAR}` expansion).
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Parses a `.env` file: `KEY=VALUE` lines, optional `export `, `#` comments, single- or
/// double-quoted values (double quotes understand `\n`, `\"` and `\\`).
pub fn parse_dotenv(text: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        vars.insert(key.to_owned(), dotenv_value(value.trim()));
    }
    vars
}

fn dotenv_value(value: &str) -> String {
    if let Some(inner) = value
        .strip_prefix('\'')
        .and_then(|v| v.rsplit_once('\''))
        .map(|(v, _)| v)
    {
        return inner.to_owned();
    }
    if let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.rsplit_once('"'))
        .map(|(v, _)| v)
    {
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match (c, chars.clone().next()) {
                ('\\', Some('n')) => {
                    out.push('\n');
                    chars.next();
                }
                ('\\', Some('"')) => {
                    out.push('"');
                    chars.next();
                }
                ('\\', Some('\\')) => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push(c),
            }
        }
        return out;
    }
    // Unquoted: an inline comment starts at " #".
    value
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dotenv_forms() {
        let vars = parse_dotenv(
            "# comment\nexport A=1\nB = two words # note\nC=\"x\\ny\"\nD='raw # not comment'\nbad line\nE=\n",
        );
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "two words");
        assert_eq!(vars["C"], "x\ny");
        assert_eq!(vars["D"], "raw # not comment");
        assert_eq!(vars["E"], "");
        assert!(!vars.contains_key("bad line"));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let env = EnvMap::from_pairs([("A", ""), ("B", "x")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get_raw("A"), Some(""));
        assert_eq!(env.get("B"), Some("x"));
    }
}
