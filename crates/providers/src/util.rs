//! Small helpers several adapters share.

/// Seconds since the Unix epoch (`created` of translated answers, JWT `iat`).
pub(crate) fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Sets the request's `model` to the upstream id, leaving the body untouched (and so
/// forwardable as is) when it is already right.
pub(crate) fn set_model(body: &mut gomodel_protocol::JsonObject<'_>, upstream_model: &str) {
    if body.get_str("model").ok().flatten().as_deref() != Some(upstream_model) {
        body.set_str("model", upstream_model);
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters: for form bodies
/// (`application/x-www-form-urlencoded`) and query values.
pub(crate) fn percent_encode(text: &str) -> String {
    percent_encode_bytes(text.as_bytes())
}

/// [`percent_encode`] on raw bytes (which need not be UTF-8).
pub(crate) fn percent_encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(percent_encode("1//0g a:é"), "1%2F%2F0g%20a%3A%C3%A9");
    }
}
