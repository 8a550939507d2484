//! Google's OAuth 2.0 token endpoint and the GCE metadata server's token route, so a gateway's
//! Vertex AI credentials (service-account keys, `authorized_user` ADC files, the metadata
//! server) run end to end against the fake.
//!
//! - `POST …/token` (also `…/oauth2/v4/token`), form-encoded, as in
//!   https://developers.google.com/identity/protocols/oauth2/service-account ("Making the access
//!   token request"): `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`,
//!   verified in `jwt.rs`; or `grant_type=refresh_token` with `client_id`, `client_secret` and
//!   `refresh_token` (RFC 6749 §6), which fails only for the refresh token `revoked`.
//! - `GET /computeMetadata/v1/instance/service-accounts/{account}/token`, which needs
//!   `Metadata-Flavor: Google` (Compute Engine docs, "About VM metadata").
//!
//! Both answer `{"access_token":"ya29.fake-…","expires_in":N,"token_type":"Bearer"}`; errors
//! are `{"error":…,"error_description":…}` with Google's descriptions. Every issued token is
//! kept with its expiry and whether it carries the cloud-platform scope, for the Vertex routes
//! to check (see `gemini/auth.rs`).

pub(crate) mod form;
mod jwt;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

use crate::app::App;
use crate::options::FakeOptions;
use crate::reply;

pub(crate) const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The refresh token a test passes to be told it was revoked.
const REVOKED: &str = "revoked";

/// Issued tokens and the counters behind [`crate::FakeUpstream::token_requests`].
pub(crate) struct GoogleAuth {
    /// The service account's public key (DER `RSAPublicKey`), from the configured private key.
    public_key: Option<Vec<u8>>,
    addr: SocketAddr,
    tokens: Mutex<HashMap<String, Issued>>,
    requests: AtomicU64,
    serial: AtomicU64,
}

struct Issued {
    expires: Instant,
    cloud_platform: bool,
}

/// What a bearer token presented to a Vertex route is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid { cloud_platform: bool },
    Expired,
    Unknown,
}

impl GoogleAuth {
    pub(crate) fn new(options: &FakeOptions, addr: SocketAddr) -> anyhow::Result<Self> {
        let public_key = match &options.google_service_account_key {
            Some(der) => {
                let pair = ring::signature::RsaKeyPair::from_pkcs8(der)
                    .map_err(|e| anyhow::anyhow!("{e}"))
                    .context("google_service_account_key is not a PKCS#8 DER RSA key")?;
                Some(pair.public().as_ref().to_vec())
            }
            None => None,
        };
        Ok(Self {
            public_key,
            addr,
            tokens: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
            serial: AtomicU64::new(0),
        })
    }

    pub(crate) fn token_url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    pub(crate) fn token_requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub(crate) fn reset_count(&self) {
        self.requests.store(0, Ordering::Relaxed);
    }

    /// Forgets every issued token, as when Google revokes them: callers get 401 until they
    /// fetch new ones.
    pub(crate) fn revoke_all(&self) {
        self.lock().clear();
    }

    pub(crate) fn check(&self, token: &str) -> TokenCheck {
        match self.lock().get(token) {
            None => TokenCheck::Unknown,
            Some(issued) if issued.expires <= Instant::now() => TokenCheck::Expired,
            Some(issued) => TokenCheck::Valid {
                cloud_platform: issued.cloud_platform,
            },
        }
    }

    fn issue(&self, random: u64, lifetime: Duration, cloud_platform: bool) -> String {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
        let token = format!("ya29.fake-{serial}-{random:016x}");
        let issued = Issued {
            expires: Instant::now() + lifetime,
            cloud_platform,
        };
        self.lock().insert(token.clone(), issued);
        token
    }

    /// A panicking test thread must not lock everyone out, so a poisoned map is still used.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issued>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    token_type: &'static str,
}

/// `POST …/token`.
pub(crate) async fn token(app: &App, parts: &http::request::Parts, body: &[u8]) -> Response {
    let google = &app.google;
    google.requests.fetch_add(1, Ordering::Relaxed);
    if !app.options.token_latency.is_zero() {
        tokio::time::sleep(app.options.token_latency).await;
    }
    let form = form::parse(body);
    match form::get(&form, "grant_type") {
        Some(JWT_BEARER) => jwt_grant(app, parts, &form),
        Some("refresh_token") => refresh_grant(app, &form),
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("Invalid grant_type: {}", other.unwrap_or_default()),
        ),
    }
}

fn jwt_grant(app: &App, parts: &http::request::Parts, form: &[(String, String)]) -> Response {
    let google = &app.google;
    let Some(assertion) = form::get(form, "assertion").filter(|a| !a.is_empty()) else {
        return invalid_request("Missing required parameter: assertion");
    };
    let mut authorities = vec![google.addr.to_string()];
    if let Some(host) = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    {
        authorities.push(host.to_owned());
    }
    let expect = jwt::Expectation {
        public_key: google.public_key.as_deref(),
        client_email: app.options.google_client_email.as_deref(),
        authorities: &authorities,
        now: unix_now(),
    };
    match jwt::verify(assertion, &expect) {
        Ok(claims) => {
            let scope = claims.scope.as_deref().unwrap_or_default();
            let cloud_platform = scope.split_whitespace().any(|s| s == CLOUD_PLATFORM);
            granted(app, cloud_platform, None)
        }
        Err(refusal) => jwt_refused(refusal, &google.token_url()),
    }
}

fn jwt_refused(refusal: jwt::Refusal, token_url: &str) -> Response {
    let (error, description) = match refusal {
        jwt::Refusal::Signature => ("invalid_grant", "Invalid JWT Signature.".to_owned()),
        jwt::Refusal::Account => (
            "invalid_grant",
            "Invalid grant: account not found".to_owned(),
        ),
        jwt::Refusal::Audience => (
            "invalid_grant",
            format!("Invalid JWT: Failed audience check. The right audience is {token_url}"),
        ),
        jwt::Refusal::Timeframe => (
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable \
             timeframe. Check your iat and exp values in the JWT claim."
                .to_owned(),
        ),
        jwt::Refusal::Scope => (
            "invalid_scope",
            "Invalid OAuth scope or ID token audience provided.".to_owned(),
        ),
    };
    oauth_error(StatusCode::BAD_REQUEST, error, &description)
}

/// An `authorized_user` ADC file's refresh. Google's answers per missing piece: no client id is
/// `invalid_request`, a wrong secret `invalid_client` (401), a bad refresh token `invalid_grant`.
fn refresh_grant(app: &App, form: &[(String, String)]) -> Response {
    let present = |name| form::get(form, name).filter(|v| !v.is_empty());
    if present("client_id").is_none() {
        return invalid_request("Could not determine client ID from request.");
    }
    if present("client_secret").is_none() {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Unauthorized");
    }
    match form::get(form, "refresh_token") {
        None => invalid_request("Missing required parameter: refresh_token"),
        Some("" | REVOKED) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        ),
        Some(_) => granted(app, true, Some(CLOUD_PLATFORM)),
    }
}

/// `GET /computeMetadata/v1/instance/service-accounts/{account}/token[?scopes=a,b]`.
pub(crate) async fn metadata_token(app: &App, parts: &http::request::Parts) -> Response {
    app.google.requests.fetch_add(1, Ordering::Relaxed);
    if !app.options.token_latency.is_zero() {
        tokio::time::sleep(app.options.token_latency).await;
    }
    let flavored = parts
        .headers
        .get("metadata-flavor")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Google"));
    let mut response = if flavored {
        // A VM's default account carries cloud-platform unless `scopes` asks for others.
        let query = form::parse(parts.uri.query().unwrap_or_default().as_bytes());
        let cloud_platform = form::get(&query, "scopes")
            .is_none_or(|scopes| scopes.split(',').any(|s| s.trim() == CLOUD_PLATFORM));
        granted(app, cloud_platform, None)
    } else {
        let text = format!(
            "<!DOCTYPE html>\n<html lang=en><title>Error 403 (Forbidden)</title><p><b>403.</b> \
             Your client does not have permission to get URL <code>{}</code> from this server. \
             Missing Metadata-Flavor:Google header.</html>\n",
            parts.uri.path()
        );
        let mut response = Response::new(Body::from(text));
        *response.status_mut() = StatusCode::FORBIDDEN;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=UTF-8"),
        );
        response
    };
    response
        .headers_mut()
        .insert("metadata-flavor", HeaderValue::from_static("Google"));
    response
}

fn granted(app: &App, cloud_platform: bool, scope: Option<&str>) -> Response {
    let lifetime = app.options.google_token_lifetime;
    let token = app.google.issue(app.next_id(), lifetime, cloud_platform);
    let body = TokenBody {
        access_token: &token,
        expires_in: lifetime.as_secs(),
        scope,
        token_type: "Bearer",
    };
    json(StatusCode::OK, &body)
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = serde_json::json!({"error": error, "error_description": description});
    json(status, &body)
}

fn json(status: StatusCode, body: &impl Serialize) -> Response {
    // Google's token endpoint pretty-prints its answers.
    let bytes = serde_json::to_vec_pretty(body).unwrap_or_default();
    reply::json(status, bytes)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_and_unknown_tokens_are_unknown() {
        let auth = GoogleAuth::new(
            &FakeOptions::default(),
            SocketAddr::from(([127, 0, 0, 1], 1)),
        )
        .unwrap();
        let live = auth.issue(1, Duration::from_secs(60), true);
        let dead = auth.issue(2, Duration::ZERO, false);
        assert!(live.starts_with("ya29.fake-1-"), "{live}");
        assert_eq!(
            auth.check(&live),
            TokenCheck::Valid {
                cloud_platform: true
            }
        );
        assert_eq!(auth.check(&dead), TokenCheck::Expired);
        assert_eq!(auth.check("ya29.other"), TokenCheck::Unknown);
        assert_eq!(auth.token_url(), "http://127.0.0.1:1/token");
    }

    #[test]
    fn a_key_that_is_not_pkcs8_rsa_is_a_start_up_error() {
        let options = FakeOptions {
            google_service_account_key: Some(vec![0x30, 0x03, 0x02, 0x01, 0x00]),
            ..FakeOptions::default()
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], 1));
        assert!(GoogleAuth::new(&options, addr).is_err());
    }
}
