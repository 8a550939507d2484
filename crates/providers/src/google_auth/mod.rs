//! Access tokens for Google Cloud (Vertex AI): obtained from a service-account key, an
//! `authorized_user` ADC file or the metadata server, cached, and refreshed before expiry.
//!
//! Refreshing is single-flight: one caller fetches while the others keep using the current
//! token if it is still valid, or wait for the fetch if there is none (so a burst of first
//! requests makes one token request). A failed fetch is the answer for a few seconds to
//! everyone who queued behind it (no pile-up of timeouts against a dead endpoint); with a valid
//! token left, the failure is logged and the old token used. A token Google rejects (401) is
//! dropped at once. Token requests time out after 30 s.
//!
//! Errors name the credential source (`VERTEX_SERVICE_ACCOUNT_FILE (/etc/sa.json)`) and what
//! the token endpoint said, never the key, the refresh token or an access token.

mod cache;
mod credentials;
mod exchange;
mod jwt;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gomodel_protocol::openai::UpstreamErrorBody;
use http::HeaderValue;

use crate::redact::redact;
use crate::{ProviderError, Secret, UpstreamClient};

use cache::{CachedToken, TokenState};
use credentials::Credentials;
use exchange::{Refusal, request_token};

/// The scope Vertex AI needs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// A token request that takes longer has failed.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

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

/// One provider's token source.
#[derive(Debug)]
pub struct GoogleAuth {
    provider: String,
    /// Parsed once; a broken key makes every request fail with the reason.
    credentials: Result<Credentials, String>,
    origin: String,
    scope: String,
    client: UpstreamClient,
    state: Mutex<TokenState>,
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
            state: Mutex::new(TokenState::default()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The project quota is billed to, when the credential names one explicitly (an ADC
    /// file's `quota_project_id`). Google's libraries send `x-goog-user-project` only then:
    /// naming a project makes the caller need `serviceusage.services.use` on it.
    pub fn quota_project(&self) -> Option<&str> {
        self.credentials.as_ref().ok()?.quota_project()
    }

    /// `Bearer <token>`, marked sensitive.
    pub async fn authorization(&self) -> Result<HeaderValue, ProviderError> {
        if let Some(token) = self.with_state(|s| s.token.clone()) {
            if token.is_fresh() {
                return Ok(token.header);
            }
            if token.is_usable() {
                // Due for refresh but still valid: one caller refreshes (unless one just
                // failed), the rest go on with the current token.
                if self.with_state(|s| s.recent_failure()).is_some() {
                    return Ok(token.header);
                }
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
        let (token, failure) = self.with_state(|s| (s.token.clone(), s.recent_failure()));
        if let Some(token) = token.filter(CachedToken::is_fresh) {
            return Ok(token.header);
        }
        if let Some(refusal) = failure {
            return Err(self.failure(&refusal));
        }
        self.fetch_and_store().await
    }

    /// Google refused `header` (401): forget it so the next request fetches a new token.
    pub fn invalidate(&self, header: &HeaderValue) {
        self.with_state(|state| {
            if state.token.as_ref().is_some_and(|t| t.header == header) {
                state.token = None;
            }
        });
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut TokenState) -> T) -> T {
        // A poisoned lock only means a panic elsewhere mid-update; the state is still a
        // valid cache entry.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    async fn fetch_and_store(&self) -> Result<HeaderValue, ProviderError> {
        let fetched_at = Instant::now();
        let outcome = match &self.credentials {
            Err(reason) => Err(Refusal {
                status: 401,
                reason: reason.clone(),
            }),
            Ok(credentials) => tokio::time::timeout(
                TOKEN_TIMEOUT,
                request_token(credentials, &self.scope, &self.client, &self.provider),
            )
            .await
            .unwrap_or_else(|_| {
                Err(Refusal {
                    status: 502,
                    reason: format!(
                        "the token endpoint did not answer within {} s",
                        TOKEN_TIMEOUT.as_secs()
                    ),
                })
            }),
        };
        let answer = outcome.and_then(|answer| {
            let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.access_token))
                .map_err(|_| Refusal {
                    status: 502,
                    reason: "the token endpoint returned an unusable token".to_owned(),
                })?;
            header.set_sensitive(true);
            Ok((header, answer.expires_in.unwrap_or(3600)))
        });
        match answer {
            Ok((header, expires_in)) => {
                let token =
                    CachedToken::new(header.clone(), Duration::from_secs(expires_in), fetched_at);
                self.with_state(|s| {
                    s.token = Some(token);
                    s.last_failure = None;
                });
                Ok(header)
            }
            Err(refusal) => {
                let err = self.failure(&refusal);
                self.with_state(|s| s.last_failure = Some((Instant::now(), refusal)));
                Err(err)
            }
        }
    }

    /// An authentication failure naming the credential source.
    fn failure(&self, refusal: &Refusal) -> ProviderError {
        let message = redact(
            &format!(
                "Google authentication failed for provider '{}' (credentials from {}): {}",
                self.provider, self.origin, refusal.reason
            ),
            &Secret::default(),
        );
        ProviderError::Upstream {
            provider: self.provider.clone(),
            status: refusal.status,
            message: message.clone(),
            body: Box::new(UpstreamErrorBody {
                message: Some(message),
                code: Some(
                    if refusal.status == 401 {
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
