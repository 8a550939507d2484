//! Hiding the password in a database URL before it reaches a log line or an error message.
//!
//! PostgreSQL accepts the password in three places: the URL's user-info
//! (`postgres://user:secret@host/db`), a `password=` query parameter, and a libpq key-value string
//! (`host=h password=secret`). All three are masked; everything else is kept so an operator can
//! still tell which server and database were meant.

const MASK: &str = "***";

/// Returns `url` with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let masked = mask_userinfo_password(url);
    mask_password_params(&masked)
}

/// The passwords a database URL carries (the user-info's and any `password=` parameter), for
/// callers that keep secrets out of what they store (the gateway's audit log).
pub fn url_passwords(url: &str) -> Vec<String> {
    passwords_in(url)
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect()
}

/// Replaces every occurrence of the URL's password in `message` (sqlx errors should never echo
/// it, but an error text is not worth a leaked credential).
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_owned();
    for secret in passwords_in(url) {
        if !secret.is_empty() {
            out = out.replace(&secret, MASK);
        }
    }
    out
}

fn mask_userinfo_password(url: &str) -> String {
    match userinfo_password(url) {
        Some(range) => format!("{}{MASK}{}", &url[..range.start], &url[range.end..]),
        None => url.to_owned(),
    }
}

/// Where the password of `scheme://user:password@host/...` sits in `url`, if there is one.
fn userinfo_password(url: &str) -> Option<std::ops::Range<usize>> {
    let authority_start = url.find("://")? + 3;
    let rest = &url[authority_start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    // The user-info ends at the last '@': an unencoded '@' inside a password is a common mistake.
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some(authority_start + colon + 1..authority_start + at)
}

/// Masks the value of every `password=` parameter, whether `&`-separated (URL query) or
/// whitespace-separated (libpq key-value string).
fn mask_password_params(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = find_param(rest) {
        let value_start = pos + "password=".len();
        out.push_str(&rest[..value_start]);
        out.push_str(MASK);
        let tail = &rest[value_start..];
        rest = &tail[param_value_len(tail)..];
    }
    out.push_str(rest);
    out
}

/// The byte offset of the next `password=` that starts a parameter (not `sslpassword=` etc.).
fn find_param(s: &str) -> Option<usize> {
    let lower = s.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find("password=") {
        let pos = from + found;
        let starts_param = pos == 0
            || matches!(
                lower.as_bytes().get(pos - 1),
                Some(b'?' | b'&' | b' ' | b'\t' | b'\n')
            );
        if starts_param {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

/// The passwords a URL carries, as they appear in its text.
fn passwords_in(url: &str) -> Vec<String> {
    let mut found: Vec<String> = userinfo_password(url)
        .map(|range| url[range].to_owned())
        .into_iter()
        .collect();
    let mut rest = url;
    while let Some(pos) = find_param(rest) {
        let tail = &rest[pos + "password=".len()..];
        let len = param_value_len(tail);
        found.push(tail[..len].to_owned());
        rest = &tail[len..];
    }
    found
}

fn param_value_len(tail: &str) -> usize {
    tail.find(|c: char| c == '&' || c == '#' || c.is_whitespace())
        .unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_place_a_password_can_hide() {
        let cases = [
            (
                "postgres://gm:s3cret@db.internal:5432/gomodel",
                "postgres://gm:***@db.internal:5432/gomodel",
            ),
            (
                "postgresql://gm:p@ss@db/x?sslmode=require",
                "postgresql://gm:***@db/x?sslmode=require",
            ),
            (
                "postgres://gm@db/x?password=hunter2&sslmode=disable",
                "postgres://gm@db/x?password=***&sslmode=disable",
            ),
            (
                "host=db user=gm password=hunter2 dbname=x",
                "host=db user=gm password=*** dbname=x",
            ),
            (
                "postgres://gm@db/x?sslpassword=keep",
                "postgres://gm@db/x?sslpassword=keep",
            ),
            ("postgres://gm@db/x", "postgres://gm@db/x"),
            ("postgres://db/x", "postgres://db/x"),
            ("/var/lib/gomodel/usage.db", "/var/lib/gomodel/usage.db"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(redact_url(input), want, "{input}");
        }
    }

    #[test]
    fn scrub_removes_the_password_from_messages() {
        let url = "postgres://gm:s3cret@db/x?password=other";
        let msg = "failed for gm with s3cret and other";
        assert_eq!(scrub(msg, url), "failed for gm with *** and ***");
    }
}
