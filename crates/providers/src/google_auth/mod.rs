//! Access tokens for Google Cloud (Vertex AI): obtained from a service-account key, an
//! `authorized_user` ADC file or the metadata server, cached, and refreshed before expiry.
//!
//! Refreshing is single-flight: one caller fetches while the others keep using the current
//! token if it is still valid, or wait for the fetch if there is none (so a burst of first
//! requests makes one token request). A refresh that fails while the old token is still
//! valid is logged and retried on the next request; the request itself goes through.
//!
//! Errors name the credential source (`VERTEX_SERVICE_ACCOUNT_FILE (/etc/sa.json)`) and what
//! the token endpoint said, never the key, the refresh token or an access token.

mod credentials;
mod jwt;

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use gomodel_protocol::openai::UpstreamErrorBody;
use http::HeaderValue;
use reqwest::{Method, Url};
use serde::Deserialize;

use crate::redact::redact;
use crate::response::{MAX_ERROR_BYTES, read_body};
use crate::{ProviderError, Secret, UpstreamClient};

use credentials::Credentials;

/// The scope Vertex AI needs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Refresh this long before expiry (or after three quarters of a short lifetime).
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Where a provider's Google credential comes from (resolved by the gateway's config).
#[derive(Debug, Clone)]
pub enum GoogleCredentialSource {
    /// A key file's JSON (`service_account` or `authorized_user`) and where it was read from,
    /// e.g. `VERTEX_SERVICE_ACCOUNT_FILE (/etc/sa.json)`.
    KeyJson { json: Secret, origin: String },
    /// The metadata server at `host` (`metadata.google.internal`, or `GCE_METADATA_HOST`).
    MetadataServer { host: String },
}

impl GoogleCredentialSource {
    /// Checks a key file's JSON without keeping anything: for config validation at start.
    pub fn check_key_json(json: &str) -> Result<(), String> {
        Credentials::from_json(json).map(|_| ())
    }
}

#[derive(Debug, Clone)]
struct CachedToken {
    header: HeaderValue,
    refresh_at: Instant,
    expires_at: Instant,
}

/// One provider's token source.
#[derive(Debug)]
pub struct GoogleAuth {
    provider: String,
    /// Parsed once; a broken key makes every request fail with the reason.
    credentials: Result<Credentials, String>,
    origin: String,
    scope: String,
    client: UpstreamClient,
    cached: Mutex<Option<CachedToken>>,
    refresh: tokio::sync::Mutex<()>,
}

impl GoogleAuth {
    pub fn new(
        provider: &str,
        source: &GoogleCredentialSource,
        scope: &str,
        client: UpstreamClient,
    ) -> Self {
        let (credentials, origin) = match source {
            GoogleCredentialSource::KeyJson { json, origin } => {
                (Credentials::from_json(json.expose()), origin.clone())
            }
            GoogleCredentialSource::MetadataServer { host } => (
                Ok(Credentials::Metadata { host: host.clone() }),
                format!("the metadata server at {host}"),
            ),
        };
        Self {
            provider: provider.to_owned(),
            credentials,
            origin,
            scope: scope.to_owned(),
            client,
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The project quota is billed to, when the credential names one.
    pub fn quota_project(&self) -> Option<&str> {
        self.credentials.as_ref().ok()?.quota_project()
    }

    /// `Bearer <token>`, marked sensitive.
    pub async fn authorization(&self) -> Result<HeaderValue, ProviderError> {
        let now = Instant::now();
        if let Some(token) = self.cached() {
            if now < token.refresh_at {
                return Ok(token.header);
            }
            if now < token.expires_at {
                // Due for refresh but still valid: one caller refreshes, the rest go on.
                let Ok(_guard) = self.refresh.try_lock() else {
                    return Ok(token.header);
                };
                return match self.fetch_and_store().await {
                    Ok(header) => Ok(header),
                    Err(err) => {
                        tracing::warn!(provider = %self.provider, error = %err, "Google token refresh failed; using the current token until it expires");
                        Ok(token.header)
                    }
                };
            }
        }
        let _guard = self.refresh.lock().await;
        if let Some(token) = self.cached()
            && Instant::now() < token.refresh_at
        {
            return Ok(token.header);
        }
        self.fetch_and_store().await
    }

    fn cached(&self) -> Option<CachedToken> {
        self.cached.lock().ok()?.clone()
    }

    async fn fetch_and_store(&self) -> Result<HeaderValue, ProviderError> {
        let fetched_at = Instant::now();
        let answer = self.fetch().await?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.access_token))
            .map_err(|_| self.failure(502, "the token endpoint returned an unusable token"))?;
        header.set_sensitive(true);
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let refresh_after = lifetime
            .saturating_sub(REFRESH_MARGIN)
            .max(lifetime.mul_f64(0.75));
        let token = CachedToken {
            header: header.clone(),
            refresh_at: fetched_at + refresh_after,
            expires_at: fetched_at + lifetime,
        };
        if let Ok(mut slot) = self.cached.lock() {
            *slot = Some(token);
        }
        Ok(header)
    }

    async fn fetch(&self) -> Result<TokenAnswer, ProviderError> {
        let credentials = self
            .credentials
            .as_ref()
            .map_err(|reason| self.failure(401, reason))?;
        let request = match credentials {
            Credentials::ServiceAccount {
                client_email,
                key,
                token_uri,
                ..
            } => {
                let assertion = key
                    .assertion(client_email, &self.scope, token_uri, unix_now())
                    .map_err(|reason| self.failure(500, &reason))?;
                let body = form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", &assertion),
                ]);
                self.post_form(token_uri, body)?
            }
            Credentials::AuthorizedUser {
                client_id,
                client_secret,
                refresh_token,
                token_uri,
                ..
            } => {
                let body = form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", client_id),
                    ("client_secret", client_secret.expose()),
                    ("refresh_token", refresh_token.expose()),
                ]);
                self.post_form(token_uri, body)?
            }
            Credentials::Metadata { host } => {
                let url = format!(
                    "http://{host}/computeMetadata/v1/instance/service-accounts/default/token?scopes={}",
                    form_encode(&self.scope)
                );
                let url = Url::parse(&url).map_err(|_| {
                    self.failure(500, "the metadata server address is not a valid host")
                })?;
                self.client
                    .request(Method::GET, url)
                    .header("metadata-flavor", "Google")
            }
        };
        let response = self.client.send(request).await.map_err(|failure| {
            self.failure(
                502,
                &format!("the token endpoint could not be reached: {failure}"),
            )
        })?;
        let status = response.status();
        let body = read_body(&self.provider, response, MAX_ERROR_BYTES)
            .await
            .map_err(|err| self.failure(502, &format!("reading the token answer failed: {err}")))?;
        if !status.is_success() {
            let detail = token_error_text(&body);
            let code = if status.is_server_error() { 502 } else { 401 };
            return Err(self.failure(
                code,
                &format!(
                    "the token endpoint answered HTTP {}: {detail}",
                    status.as_u16()
                ),
            ));
        }
        serde_json::from_slice::<TokenAnswer>(&body)
            .ok()
            .filter(|answer| !answer.access_token.is_empty())
            .ok_or_else(|| self.failure(502, "the token endpoint answer has no access_token"))
    }

    fn post_form(&self, uri: &str, body: String) -> Result<reqwest::RequestBuilder, ProviderError> {
        let url = Url::parse(uri)
            .map_err(|_| self.failure(401, "the key file's token_uri is not a valid URL"))?;
        Ok(self
            .client
            .request(Method::POST, url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body))
    }

    /// An authentication failure naming the credential source.
    fn failure(&self, status: u16, reason: &str) -> ProviderError {
        let message = redact(
            &format!(
                "Google authentication failed for provider '{}' (credentials from {}): {reason}",
                self.provider, self.origin
            ),
            &Secret::default(),
        );
        ProviderError::Upstream {
            provider: self.provider.clone(),
            status,
            message: message.clone(),
            body: Box::new(UpstreamErrorBody {
                message: Some(message),
                code: Some(
                    if status == 401 {
                        "provider_authentication_failed"
                    } else {
                        "provider_authentication_unavailable"
                    }
                    .to_owned(),
                ),
                ..UpstreamErrorBody::default()
            }),
            retry_after: None,
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// `invalid_grant: Invalid JWT Signature.` from an OAuth error body (or its first bytes).
fn token_error_text(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct OAuthError {
        #[serde(default)]
        error: Option<serde_json::Value>,
        #[serde(default)]
        error_description: Option<String>,
    }
    match serde_json::from_slice::<OAuthError>(body) {
        Ok(parsed) => {
            let error = match parsed.error {
                Some(serde_json::Value::String(code)) => code,
                Some(serde_json::Value::Object(map)) => map
                    .get("message")
                    .and_then(|m| m.as_str())
                    .unwrap_or("error")
                    .to_owned(),
                _ => "error".to_owned(),
            };
            match parsed.error_description {
                Some(description) => format!("{error}: {description}"),
                None => error,
            }
        }
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `application/x-www-form-urlencoded` body.
fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
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
    fn form_encoding_and_oauth_errors() {
        assert_eq!(
            form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("t", "1//0g a")
            ]),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&t=1%2F%2F0g%20a"
        );
        assert_eq!(
            token_error_text(
                br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#
            ),
            "invalid_grant: Invalid JWT Signature."
        );
    }
}
