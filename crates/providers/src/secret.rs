//! `Secret`: a string that never prints.

use std::fmt;

/// A credential (provider key, master key). `Debug` and `Display` print `***`, and the type does
/// not implement `Serialize`, so a secret cannot reach a log line, an error or a config dump by
/// accident; code that truly needs the value calls [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call sites are the few places a credential is sent on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A masked form for config dumps: `***` plus the last 4 characters of long keys (enough to
    /// tell two keys apart, as provider dashboards do).
    pub fn masked(&self) -> String {
        let chars = self.0.chars().count();
        if chars == 0 {
            String::new()
        } else if chars >= 20 {
            let tail: String = self.0.chars().skip(chars - 4).collect();
            format!("***{tail}")
        } else {
            "***".to_owned()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("sk-test-0123456789abcdefXYZ9");
        assert_eq!(format!("{secret} {secret:?}"), "*** ***");
        assert_eq!(secret.masked(), "***XYZ9");
        assert_eq!(Secret::new("short").masked(), "***");
        assert_eq!(Secret::default().masked(), "");
    }
}
