//! Verifying a service account's JWT assertion the way Google's token endpoint does
//! (https://developers.google.com/identity/protocols/oauth2/service-account, "Preparing to make
//! an authorized API call" and "Error codes").
//!
//! The assertion is `base64url(header).base64url(claims).base64url(signature)` (RFC 7519), the
//! header `{"alg":"RS256","typ":"JWT","kid":...}`, the signature RSASSA-PKCS1-v1_5 with SHA-256
//! over the first two parts. Claims: `iss` (the service account's email), `scope`, `aud` (the
//! token URL), `iat` and `exp` (at most an hour apart), and optionally `sub`.

use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde::Deserialize;

use crate::base64;

/// Clock skew Google tolerates on `iat`.
const SKEW_SECS: i64 = 300;
/// Google's upper bound on `exp - iat`.
const MAX_LIFETIME_SECS: i64 = 3600;

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    typ: Option<String>,
}

/// The claims the token endpoint reads.
#[derive(Deserialize)]
pub(super) struct Claims {
    pub(super) iss: Option<String>,
    #[serde(default)]
    pub(super) scope: Option<String>,
    aud: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
}

/// Why an assertion was refused; each maps to Google's error and description.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Not three base64url parts of JSON, not RS256, or a signature that does not verify.
    Signature,
    /// `iss` is missing, or not the configured service account, or no key is configured.
    Account,
    /// `aud` is not this token endpoint.
    Audience,
    /// `iat`/`exp` missing, in the future or past, or more than an hour apart.
    Timeframe,
    /// No `scope` (and no ID-token audience, which the fake does not issue).
    Scope,
}

/// Who may sign, and what `aud` must be.
pub(super) struct Expectation<'e> {
    /// The service account's public key (DER `RSAPublicKey`); `None` knows no account.
    pub(super) public_key: Option<&'e [u8]>,
    pub(super) client_email: Option<&'e str>,
    /// `host[:port]` values under which this endpoint is reachable.
    pub(super) authorities: &'e [String],
    /// Unix seconds.
    pub(super) now: i64,
}

/// The claims of a valid assertion.
pub(super) fn verify(assertion: &str, expect: &Expectation<'_>) -> Result<Claims, Refusal> {
    let mut parts = assertion.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Signature);
    };
    let header: Header = decode_json(header)?;
    if header.alg.as_deref() != Some("RS256") || header.typ.as_deref().is_some_and(|t| t != "JWT") {
        return Err(Refusal::Signature);
    }
    let parsed: Claims = decode_json(claims)?;
    // Google finds the account's keys through `iss` before it can check the signature.
    let account_known = parsed
        .iss
        .as_deref()
        .is_some_and(|iss| !iss.is_empty() && expect.client_email.is_none_or(|email| email == iss));
    let Some(public_key) = expect.public_key.filter(|_| account_known) else {
        return Err(Refusal::Account);
    };
    let signature = base64::decode_url(signature).ok_or(Refusal::Signature)?;
    let signed = &assertion[..header_and_claims_len(assertion)];
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| Refusal::Signature)?;
    if !parsed
        .aud
        .as_deref()
        .is_some_and(|aud| audience_matches(aud, expect.authorities))
    {
        return Err(Refusal::Audience);
    }
    let (Some(iat), Some(exp)) = (parsed.iat, parsed.exp) else {
        return Err(Refusal::Timeframe);
    };
    let timely = (iat - expect.now).abs() <= SKEW_SECS
        && exp > expect.now
        && exp > iat
        && exp - iat <= MAX_LIFETIME_SECS;
    if !timely {
        return Err(Refusal::Timeframe);
    }
    if parsed.scope.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Err(Refusal::Scope);
    }
    Ok(parsed)
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, Refusal> {
    let bytes = base64::decode_url(part).ok_or(Refusal::Signature)?;
    serde_json::from_slice(&bytes).map_err(|_| Refusal::Signature)
}

/// The signing input is everything before the second dot.
fn header_and_claims_len(assertion: &str) -> usize {
    assertion.rfind('.').unwrap_or(assertion.len())
}

/// `aud` must be an http(s) URL on one of this endpoint's authorities whose path ends in
/// `/token`, as every path the router sends here does (`/token`, `/oauth2/v4/token`).
fn audience_matches(aud: &str, authorities: &[String]) -> bool {
    let Some(rest) = aud
        .strip_prefix("https://")
        .or_else(|| aud.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = path.split(['?', '#']).next().unwrap_or_default();
    authorities
        .iter()
        .any(|a| a.eq_ignore_ascii_case(authority))
        && path.ends_with("/token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences() {
        let ours = ["127.0.0.1:9999".to_owned(), "fake:80".to_owned()];
        assert!(audience_matches("http://127.0.0.1:9999/token", &ours));
        assert!(audience_matches("https://fake:80/oauth2/v4/token", &ours));
        assert!(!audience_matches(
            "https://oauth2.googleapis.com/token",
            &ours
        ));
        assert!(!audience_matches(
            "http://127.0.0.1:9999/token/other",
            &ours
        ));
        assert!(!audience_matches("http://127.0.0.1:9998/token", &ours));
        assert!(!audience_matches("127.0.0.1:9999/token", &ours));
    }

    #[test]
    fn malformed_assertions_fail_the_signature_check() {
        let expect = Expectation {
            public_key: Some(b"not a key"),
            client_email: None,
            authorities: &[],
            now: 0,
        };
        for assertion in ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.e30.AA"] {
            assert_eq!(
                verify(assertion, &expect).err(),
                Some(Refusal::Signature),
                "{assertion}"
            );
        }
    }
}
