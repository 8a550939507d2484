//! Access tokens for Google Cloud (Vertex AI): obtained from a service-account key, an
//! `authorized_user` ADC file or the metadata server, cached, and refreshed before expiry.
//!
//! Caching and refreshing are [`crate::refresh::Refreshing`]'s: single-flight, failures
//! shared with the callers queued behind them, a 30 s timeout. A token Google rejects (401)
//! is dropped at once.
//!
//! Errors name the credential source (`VERTEX_SERVICE_ACCOUNT_FILE (/etc/sa.json)`) and what
//! the token endpoint said, never the key, the refresh token or an access token.

mod credentials;
mod exchange;
mod jwt;

use std::time::Duration;

use gomodel_protocol::openai::UpstreamErrorBody;
use http::HeaderValue;

use crate::redact::redact;
use crate::refresh::{Refreshing, Refusal};
use crate::{ProviderError, Secret, UpstreamClient};

use credentials::Credentials;
use exchange::request_token;

/// The scope Vertex AI needs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

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
    token: Refreshing<HeaderValue>,
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
            token: Refreshing::new(format!("Google token of provider '{provider}'")),
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
        self.token
            .get(|| self.fetch())
            .await
            .map_err(|refusal| self.failure(&refusal))
    }

    /// Google refused `header` (401): forget it so the next request fetches a new token.
    pub fn invalidate(&self, header: &HeaderValue) {
        self.token.invalidate(|cached| cached == header);
    }

    async fn fetch(&self) -> Result<(HeaderValue, Duration), Refusal> {
        let credentials = self
            .credentials
            .as_ref()
            .map_err(|reason| Refusal::new(401, reason.clone()))?;
        let answer = request_token(credentials, &self.scope, &self.client, &self.provider).await?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", answer.access_token))
            .map_err(|_| Refusal::new(502, "the token endpoint returned an unusable token"))?;
        header.set_sensitive(true);
        Ok((
            header,
            Duration::from_secs(answer.expires_in.unwrap_or(3600)),
        ))
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
