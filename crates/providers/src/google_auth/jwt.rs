//! The signed assertion a service account trades for an access token (RFC 7523, as Google's
//! "Using OAuth 2.0 for server to server applications" describes): an RS256 JWT whose issuer
//! is the account's email, audience the token endpoint, lifetime one hour.
//!
//! Signing uses `ring`, already in the build for TLS: no second crypto library.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

/// Lifetime Google accepts at most.
pub(crate) const ASSERTION_LIFETIME_SECS: u64 = 3600;

/// A service account's RSA key, parsed once.
pub(crate) struct SigningKey {
    pair: RsaKeyPair,
    key_id: Option<String>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

impl SigningKey {
    /// From the PEM in a key file's `private_key` (PKCS#8 `PRIVATE KEY`, as Google issues
    /// them, or PKCS#1 `RSA PRIVATE KEY`). Errors never quote the key.
    pub(crate) fn from_pem(pem: &str, key_id: Option<String>) -> Result<Self, String> {
        let (label, der) = pem_body(pem)?;
        let pair = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            other => {
                return Err(format!(
                    "private_key is a PEM '{other}', not an RSA private key"
                ));
            }
        }
        .map_err(|err| format!("private_key is not a usable RSA key ({err})"))?;
        Ok(Self { pair, key_id })
    }

    /// The signed assertion for `issuer` asking `scope` from `audience` at `now` (Unix s).
    pub(crate) fn assertion(
        &self,
        issuer: &str,
        scope: &str,
        audience: &str,
        now: u64,
    ) -> Result<String, String> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": issuer,
            "scope": scope,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        let mut message = URL_SAFE_NO_PAD.encode(header.to_string());
        message.push('.');
        message.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0u8; self.pair.public().modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the token request failed".to_owned())?;
        message.push('.');
        message.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(message)
    }
}

/// The label and decoded bytes of the first PEM block.
fn pem_body(pem: &str) -> Result<(String, Vec<u8>), String> {
    let begin = pem
        .find("-----BEGIN ")
        .ok_or("private_key is not PEM (no BEGIN line)")?;
    let rest = &pem[begin + "-----BEGIN ".len()..];
    let label_end = rest
        .find("-----")
        .ok_or("private_key has a broken BEGIN line")?;
    let label = rest[..label_end].to_owned();
    // The body is searched after the BEGIN line only, so a marker inside the label cannot
    // make the END come first.
    let after_begin = &rest[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let body_end = after_begin
        .find(&end_marker)
        .ok_or("private_key has no END line")?;
    let body: String = after_begin[..body_end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = STANDARD
        .decode(body)
        .map_err(|_| "private_key PEM body is not base64".to_owned())?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_keys_fail_without_quoting_the_key() {
        let err = SigningKey::from_pem("not a key at all", None).unwrap_err();
        assert!(err.contains("not PEM"));
        let err = SigningKey::from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            None,
        )
        .unwrap_err();
        assert!(err.contains("not a usable RSA key"), "{err}");
        assert!(!err.contains("AAAA"));
        let err = SigningKey::from_pem(
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----",
            None,
        )
        .unwrap_err();
        assert!(err.contains("EC PRIVATE KEY"));
        // An END marker inside the BEGIN line must not be taken for the end of the body.
        let err = SigningKey::from_pem("-----BEGIN X-----END X-----", None).unwrap_err();
        assert!(err.contains("no END line"), "{err}");
    }
}
