//! AWS Signature Version 4 (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>),
//! checked against AWS's published test suite (`tests/fixtures/sigv4/`).
//!
//! Written here rather than taken from `aws-sigv4`: that crate pulls in the smithy runtime
//! (a dozen crates and a second `http` major version) for about 150 lines of hashing and
//! string building, and the gateway already links `ring` (HMAC) and `sha2`.
//!
//! The canonical URI encodes the request path as it appears on the wire once more (every
//! service but S3 does): a Bedrock model id `arn%3Aaws…` in the path is `arn%253Aaws…` in the
//! canonical request. The query is decoded and re-encoded once (it is not double-encoded).

use ring::hmac;
use sha2::{Digest, Sha256};

use crate::Secret;
use crate::util::percent_encode_bytes;

/// What one signature needs.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The path as sent (percent-encoded where needed).
    pub path: &'a str,
    /// The query string without `?`, as sent.
    pub query: &'a str,
    /// Every header to sign, names in any case, values as sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body.
    pub payload_hash: &'a str,
}

/// Where and when: `20150830T123600Z`, `us-east-1`, `bedrock`.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub amz_date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
}

impl Scope<'_> {
    fn date(&self) -> &str {
        self.amz_date.get(..8).unwrap_or(self.amz_date)
    }

    fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date(),
            self.region,
            self.service
        )
    }
}

/// The `Authorization` header value.
pub fn authorization(
    request: &Request<'_>,
    scope: &Scope<'_>,
    access_key_id: &str,
    secret_access_key: &Secret,
) -> String {
    let (canonical, signed_headers) = canonical_request(request);
    let to_sign = string_to_sign(scope, &canonical);
    let signature = signature(secret_access_key, scope, &to_sign);
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{}, SignedHeaders={signed_headers}, Signature={signature}",
        scope.credential_scope()
    )
}

/// The canonical request and its signed-headers list.
pub fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in request.headers {
        let name = name.to_ascii_lowercase();
        let value = collapse_whitespace(value);
        match headers.iter_mut().find(|(n, _)| *n == name) {
            // Repeated headers: values joined with commas, in order.
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => headers.push((name, value)),
        }
    }
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let signed = headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let mut canonical = String::new();
    canonical.push_str(request.method);
    canonical.push('\n');
    canonical.push_str(&canonical_uri(request.path));
    canonical.push('\n');
    canonical.push_str(&canonical_query(request.query));
    canonical.push('\n');
    for (name, value) in &headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&signed);
    canonical.push('\n');
    canonical.push_str(request.payload_hash);
    (canonical, signed)
}

pub fn string_to_sign(scope: &Scope<'_>, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        scope.amz_date,
        scope.credential_scope(),
        hex_sha256(canonical_request.as_bytes())
    )
}

/// HMAC chain: date, region, service, `aws4_request`, then the string to sign.
pub fn signature(secret: &Secret, scope: &Scope<'_>, string_to_sign: &str) -> String {
    let secret = format!("AWS4{}", secret.expose());
    let key = mac(secret.as_bytes(), scope.date().as_bytes());
    let key = mac(&key, scope.region.as_bytes());
    let key = mac(&key, scope.service.as_bytes());
    let key = mac(&key, b"aws4_request");
    hex(&mac(&key, string_to_sign.as_bytes()))
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, data).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xF)] as char);
    }
    out
}

/// Trimmed, with runs of whitespace (newlines included) collapsed to one space.
fn collapse_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The normalized path (`.` and `..` resolved, empty segments dropped), each segment
/// URI-encoded once more.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|s| uri_encode(s.as_bytes()))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if !segments.is_empty() && path.ends_with('/') {
        out.push('/');
    }
    out
}

/// Parameters decoded, encoded once, sorted by name then value.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                uri_encode(&percent_decode(key)),
                uri_encode(&percent_decode(value)),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Everything but RFC 3986 unreserved characters as `%XX` (uppercase), on raw bytes.
fn uri_encode(bytes: &[u8]) -> String {
    percent_encode_bytes(bytes)
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_at = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex_at(i + 1), hex_at(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedrock_model_ids_are_encoded_twice_in_the_path_only() {
        assert_eq!(
            canonical_uri("/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"),
            "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%253A0/converse"
        );
        assert_eq!(
            canonical_query("byOutputModality=TEXT&a=%3A"),
            "a=%3A&byOutputModality=TEXT"
        );
    }
}
