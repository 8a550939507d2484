//! The master key: `Authorization: Bearer <GOMODEL_MASTER_KEY>` on every `/v1` route.
//!
//! The comparison runs in time independent of where the keys differ, so response timing does
//! not leak a key prefix. Without a master key the gateway runs open (and says so loudly at
//! start, see `server.rs`).

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::GatewayError;
use gomodel_providers::Secret;

/// Checks the request's bearer token against the master key.
pub fn check_master_key(
    master_key: Option<&Secret>,
    headers: &HeaderMap,
) -> Result<(), GatewayError> {
    let Some(master_key) = master_key else {
        return Ok(());
    };
    let Some(value) = headers.get(AUTHORIZATION) else {
        // Anthropic SDKs (and Claude Code) send the key as `x-api-key`.
        if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
            return if constant_time_eq(key.trim().as_bytes(), master_key.expose().as_bytes()) {
                Ok(())
            } else {
                Err(GatewayError::unauthorized(
                    "invalid_api_key",
                    "invalid API key for this gateway",
                ))
            };
        }
        return Err(GatewayError::unauthorized(
            "missing_authorization",
            "missing authorization header: send Authorization: Bearer <your gateway key> (or x-api-key)",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Err(GatewayError::unauthorized(
            "invalid_authorization",
            "invalid authorization header: expected Authorization: Bearer <your gateway key>",
        ));
    };
    if constant_time_eq(token.as_bytes(), master_key.expose().as_bytes()) {
        Ok(())
    } else {
        Err(GatewayError::unauthorized(
            "invalid_api_key",
            "invalid API key for this gateway",
        ))
    }
}

/// Compares two byte strings in time that does not depend on where they differ. A length
/// mismatch returns early: it reveals only the key's length, which is not secret (hashing both
/// sides to hide it cost ~5% of the instructions of a whole request; callgrind).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(value) = value {
            headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn checks_bearer_tokens() {
        let key = Secret::new("master");
        assert!(check_master_key(Some(&key), &headers(Some("Bearer master"))).is_ok());
        assert_eq!(
            check_master_key(Some(&key), &headers(None))
                .unwrap_err()
                .code
                .unwrap(),
            "missing_authorization"
        );
        assert_eq!(
            check_master_key(Some(&key), &headers(Some("Basic x")))
                .unwrap_err()
                .code
                .unwrap(),
            "invalid_authorization"
        );
        assert_eq!(
            check_master_key(Some(&key), &headers(Some("Bearer nope")))
                .unwrap_err()
                .code
                .unwrap(),
            "invalid_api_key"
        );
        assert!(check_master_key(None, &headers(None)).is_ok());
    }
}
