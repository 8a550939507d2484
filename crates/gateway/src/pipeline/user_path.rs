//! `X-GoModel-User-Path`: the caller's place in a hierarchy (`/team/alpha/app`), used to group
//! usage and (later) to scope budgets and keys.
//!
//! Normalised as GoModel does (reference §1.2, §4.2): a leading `/` is added, empty segments
//! collapse, and `.`, `..` and `:` are rejected. No header means `/`.

use crate::error::GatewayError;

pub const HEADER: &str = "x-gomodel-user-path";

/// Parses and normalises a user path.
pub fn normalize(raw: &str) -> Result<String, GatewayError> {
    let mut out = String::with_capacity(raw.len() + 1);
    for segment in raw.trim().split('/').filter(|s| !s.is_empty()) {
        if segment == "."
            || segment == ".."
            || segment.contains(':')
            || segment.chars().any(char::is_control)
        {
            return Err(GatewayError::invalid_request(
                "invalid_user_path",
                format!(
                    "invalid X-GoModel-User-Path header {raw:?}: segments may not be '.', '..' or contain ':'"
                ),
            ));
        }
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_rejects() {
        assert_eq!(normalize("team//alpha/").unwrap(), "/team/alpha");
        assert_eq!(normalize("").unwrap(), "/");
        assert_eq!(normalize("/").unwrap(), "/");
        for bad in ["/a/../b", "/./x", "/a:b"] {
            assert_eq!(
                normalize(bad).unwrap_err().code.as_deref(),
                Some("invalid_user_path"),
                "{bad}"
            );
        }
    }
}
