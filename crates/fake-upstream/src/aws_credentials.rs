//! Where AWS SDKs get temporary credentials, so a gateway's whole AWS credential chain runs end
//! to end against the fake:
//!
//! - STS `AssumeRoleWithWebIdentity` (`POST /`, form-encoded, unsigned): what EKS IRSA and
//!   `AWS_WEB_IDENTITY_TOKEN_FILE` use (`aws_credentials/sts.rs`);
//! - the ECS / EKS Pod Identity container endpoint (`GET /v2/credentials/{id}` for
//!   `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, `GET /ecs-creds` for a `…_FULL_URI`), which
//!   checks `Authorization` against `aws_container_token` when one is set;
//! - the EC2 instance metadata service, IMDSv2 only (`aws_credentials/imds.rs`).
//!
//! Every credential issued here is temporary: an `ASIA…` access key id, a secret, a session
//! token and an expiry `aws_credential_lifetime` from now. They are kept so the Bedrock routes
//! can verify signatures made with them (`bedrock/sigv4.rs`) and refuse them once expired.
//! Requests that hand out credentials are counted per kind; they appear in
//! [`crate::FakeUpstream::received`] but not in `request_count()`, like Google's token routes.

mod imds;
mod sts;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::app::App;
use crate::{aws_time, base64, reply};

pub(crate) use imds::{metadata as imds_metadata, token as imds_token};
pub(crate) use sts::respond as sts;

/// The account and role names the issued credentials claim to belong to.
const ACCOUNT: &str = "123456789012";
const CONTAINER_ROLE: &str = "fake-task-role";

/// Which endpoint handed out credentials, for [`crate::FakeUpstream::aws_credential_requests_of`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsCredentialKind {
    /// STS `AssumeRoleWithWebIdentity`.
    WebIdentity,
    /// The ECS / EKS Pod Identity container endpoint.
    Container,
    /// The EC2 instance metadata service's role credentials (not its token or role list).
    InstanceMetadata,
}

impl AwsCredentialKind {
    fn index(self) -> usize {
        match self {
            Self::WebIdentity => 0,
            Self::Container => 1,
            Self::InstanceMetadata => 2,
        }
    }
}

/// Issued temporary credentials, IMDSv2 session tokens, and the request counters.
#[derive(Default)]
pub(crate) struct AwsCredentials {
    issued: Mutex<HashMap<String, Temporary>>,
    imds_tokens: Mutex<HashMap<String, Instant>>,
    requests: [AtomicU64; 3],
}

struct Temporary {
    secret: String,
    session_token: String,
    expires: Instant,
}

/// One set of credentials as the endpoints render them.
pub(crate) struct Issued {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    pub(crate) session_token: String,
    /// ISO 8601, e.g. `2025-01-01T12:00:00Z`.
    pub(crate) expiration: String,
}

/// What an access key presented to Bedrock is.
pub(crate) enum KeyStatus {
    Unknown,
    Expired,
    Live {
        secret: String,
        session_token: String,
    },
}

impl AwsCredentials {
    pub(crate) fn requests(&self) -> u64 {
        self.requests
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    pub(crate) fn requests_of(&self, kind: AwsCredentialKind) -> u64 {
        self.requests[kind.index()].load(Ordering::Relaxed)
    }

    pub(crate) fn reset_counts(&self) {
        for counter in &self.requests {
            counter.store(0, Ordering::Relaxed);
        }
    }

    pub(crate) fn status(&self, access_key_id: &str) -> KeyStatus {
        let issued = lock(&self.issued);
        match issued.get(access_key_id) {
            None => KeyStatus::Unknown,
            Some(credentials) if credentials.expires <= Instant::now() => KeyStatus::Expired,
            Some(credentials) => KeyStatus::Live {
                secret: credentials.secret.clone(),
                session_token: credentials.session_token.clone(),
            },
        }
    }

    /// Counts a credential request and waits out `token_latency`, as every endpoint does
    /// before it answers.
    async fn note_request(app: &App, kind: AwsCredentialKind) {
        app.aws.requests[kind.index()].fetch_add(1, Ordering::Relaxed);
        if !app.options.token_latency.is_zero() {
            tokio::time::sleep(app.options.token_latency).await;
        }
    }
}

/// Fresh temporary credentials, remembered until the fake stops.
pub(crate) fn issue(app: &App) -> Issued {
    let lifetime = app.options.aws_credential_lifetime;
    let access_key_id = format!("ASIA{}", base32(&random_bytes(app, 10)));
    let secret_access_key = base64::encode(&random_bytes(app, 30));
    let session_token = format!(
        "IQoJb3JpZ2luX2VjEFAKE{}",
        base64::encode(&random_bytes(app, 120))
    );
    // A part second still counts: the expiry must not be earlier than the real one.
    let lifetime_secs = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let expiration = aws_time::iso8601(aws_time::unix_now() + lifetime_secs);
    let temporary = Temporary {
        secret: secret_access_key.clone(),
        session_token: session_token.clone(),
        expires: Instant::now() + lifetime,
    };
    lock(&app.aws.issued).insert(access_key_id.clone(), temporary);
    Issued {
        access_key_id,
        secret_access_key,
        session_token,
        expiration,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ContainerCredentials<'a> {
    access_key_id: &'a str,
    secret_access_key: &'a str,
    token: &'a str,
    expiration: &'a str,
    role_arn: String,
}

/// `GET /v2/credentials/{id}` and `GET /ecs-creds`: the container credential endpoint.
pub(crate) async fn container(app: &App, parts: &http::request::Parts) -> Response {
    AwsCredentials::note_request(app, AwsCredentialKind::Container).await;
    if let Some(expected) = &app.options.aws_container_token {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        if presented != Some(expected.as_bytes()) {
            let body = serde_json::json!({
                "code": "AccessDeniedException",
                "message": "Authorization token is missing or does not match.",
            });
            return reply::json(StatusCode::UNAUTHORIZED, body.to_string());
        }
    }
    let issued = issue(app);
    let body = ContainerCredentials {
        access_key_id: &issued.access_key_id,
        secret_access_key: &issued.secret_access_key,
        token: &issued.session_token,
        expiration: &issued.expiration,
        role_arn: format!("arn:aws:iam::{ACCOUNT}:role/{CONTAINER_ROLE}"),
    };
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    reply::json(StatusCode::OK, bytes)
}

/// `n` bytes that differ between calls and fakes (ids, keys, tokens).
pub(crate) fn random_bytes(app: &App, n: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n + 8);
    while bytes.len() < n {
        bytes.extend_from_slice(&app.next_id().to_be_bytes());
    }
    bytes.truncate(n);
    bytes
}

/// RFC 4648 base32 without padding: access key ids use `A-Z` and `2-7`.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in bytes {
        bits = (bits << 8 | u32::from(*byte)) & 0xFFFF;
        count += 8;
        while count >= 5 {
            count -= 5;
            out.push(char::from(ALPHABET[((bits >> count) & 31) as usize]));
        }
    }
    if count > 0 {
        out.push(char::from(ALPHABET[((bits << (5 - count)) & 31) as usize]));
    }
    out
}

/// A panicking test thread must not lock everyone out, so a poisoned map is still used.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_of_rfc4648_vectors() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 10]).len(), 16);
    }
}
