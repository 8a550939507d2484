//! AWS credentials from the standard chain, as far as it goes without an AWS SDK: static keys
//! (environment or a shared-file profile, resolved by the gateway's config), web identity
//! (`AssumeRoleWithWebIdentity`, what EKS IRSA sets up), ECS/EKS container credentials, and
//! EC2 instance metadata (IMDSv2). Temporary credentials are cached and refreshed before they
//! expire ([`crate::refresh::Refreshing`]).
//!
//! Errors name the source (`web identity (role arn:aws:iam::…)`, `instance metadata at …`)
//! and what it said; never a key, a session token or a web-identity token.

use std::time::Duration;

use gomodel_protocol::openai::UpstreamErrorBody;
use reqwest::{Method, Url};
use serde::Deserialize;

use super::clock::parse_iso8601;
use crate::redact::redact;
use crate::refresh::{Refreshing, Refusal};
use crate::response::{MAX_ERROR_BYTES, read_body};
use crate::util::{percent_encode, unix_seconds};
use crate::{ProviderError, Secret, UpstreamClient};

/// Local credential endpoints (instance metadata, the ECS/EKS agent) answer in milliseconds
/// or not at all (off EC2, or a container one network hop too far): give up quickly, as the
/// AWS SDKs do, rather than hold requests for the client's connect timeout.
const LOCAL_ENDPOINT_TIMEOUT: Duration = Duration::from_secs(2);
/// STS is a remote service.
const STS_TIMEOUT: Duration = Duration::from_secs(10);

/// One set of keys.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key id is not secret (it appears in every signed request); the rest is.
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Where credentials come from (resolved by the gateway's config, in the SDKs' order).
#[derive(Debug, Clone)]
pub enum AwsCredentialSource {
    /// Keys from the environment or a profile; `origin` says which.
    Static {
        credentials: AwsCredentials,
        origin: String,
    },
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, exchanged at STS.
    WebIdentity {
        token_file: String,
        role_arn: String,
        session_name: String,
        sts_endpoint: String,
    },
    /// ECS task role or EKS Pod Identity: `AWS_CONTAINER_CREDENTIALS_*`.
    Container {
        url: String,
        authorization: Option<Secret>,
        authorization_file: Option<String>,
    },
    /// EC2 instance metadata (IMDSv2) at `endpoint`.
    InstanceMetadata { endpoint: String },
}

impl AwsCredentialSource {
    pub fn describe(&self) -> String {
        match self {
            Self::Static { origin, .. } => origin.clone(),
            Self::WebIdentity { role_arn, .. } => format!("web identity (role {role_arn})"),
            Self::Container { url, .. } => format!("container credentials at {url}"),
            Self::InstanceMetadata { endpoint } => format!("instance metadata at {endpoint}"),
        }
    }
}

/// One provider's credentials.
#[derive(Debug)]
pub struct AwsAuth {
    provider: String,
    source: AwsCredentialSource,
    client: UpstreamClient,
    cache: Refreshing<AwsCredentials>,
}

impl AwsAuth {
    pub fn new(provider: &str, source: AwsCredentialSource, client: UpstreamClient) -> Self {
        Self {
            provider: provider.to_owned(),
            cache: Refreshing::new(format!("AWS credentials of provider '{provider}'")),
            source,
            client,
        }
    }

    pub async fn credentials(&self) -> Result<AwsCredentials, ProviderError> {
        if let AwsCredentialSource::Static { credentials, .. } = &self.source {
            return Ok(credentials.clone());
        }
        self.cache
            .get(|| self.fetch())
            .await
            .map_err(|refusal| self.failure(&refusal))
    }

    /// AWS refused these keys (expired or revoked): forget them so the next call fetches new
    /// ones. False for static keys, which cannot be renewed.
    pub fn invalidate(&self, access_key_id: &str) -> bool {
        if matches!(self.source, AwsCredentialSource::Static { .. }) {
            return false;
        }
        self.cache.invalidate(|c| c.access_key_id == access_key_id);
        true
    }

    async fn fetch(&self) -> Result<(AwsCredentials, Duration), Refusal> {
        match &self.source {
            AwsCredentialSource::Static { credentials, .. } => {
                Ok((credentials.clone(), Duration::from_secs(3600)))
            }
            AwsCredentialSource::WebIdentity {
                token_file,
                role_arn,
                session_name,
                sts_endpoint,
            } => {
                self.web_identity(token_file, role_arn, session_name, sts_endpoint)
                    .await
            }
            AwsCredentialSource::Container {
                url,
                authorization,
                authorization_file,
            } => {
                self.container(url, authorization.as_ref(), authorization_file.as_deref())
                    .await
            }
            AwsCredentialSource::InstanceMetadata { endpoint } => {
                self.instance_metadata(endpoint).await
            }
        }
    }

    async fn web_identity(
        &self,
        token_file: &str,
        role_arn: &str,
        session_name: &str,
        sts_endpoint: &str,
    ) -> Result<(AwsCredentials, Duration), Refusal> {
        // Re-read each time: Kubernetes rotates the projected token file.
        let token = tokio::fs::read_to_string(token_file)
            .await
            .map_err(|err| Refusal::new(401, format!("cannot read {token_file}: {err}")))?;
        let body = [
            ("Action", "AssumeRoleWithWebIdentity"),
            ("Version", "2011-06-15"),
            ("RoleArn", role_arn),
            ("RoleSessionName", session_name),
            ("WebIdentityToken", token.trim()),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        let url = parse_url(sts_endpoint)?;
        let request = self
            .client
            .request(Method::POST, url)
            .timeout(STS_TIMEOUT)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body);
        let (status, text) = self.exchange(request).await?;
        if !status.is_success() {
            let code = xml_value(&text, "Code").unwrap_or("error");
            let message = xml_value(&text, "Message").unwrap_or("");
            return Err(Refusal::new(
                if status.is_server_error() { 502 } else { 401 },
                format!("STS answered HTTP {}: {code}: {message}", status.as_u16()),
            ));
        }
        let field = |name| {
            xml_value(&text, name)
                .map(str::to_owned)
                .ok_or_else(|| Refusal::new(502, format!("STS answer has no {name}")))
        };
        let credentials = AwsCredentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: Secret::new(field("SecretAccessKey")?),
            session_token: Some(Secret::new(field("SessionToken")?)),
        };
        Ok((credentials, lifetime(xml_value(&text, "Expiration"))))
    }

    async fn container(
        &self,
        url: &str,
        authorization: Option<&Secret>,
        authorization_file: Option<&str>,
    ) -> Result<(AwsCredentials, Duration), Refusal> {
        let mut request = self
            .client
            .request(Method::GET, parse_url(url)?)
            .timeout(LOCAL_ENDPOINT_TIMEOUT);
        // The file wins: EKS Pod Identity rotates it.
        let token = match authorization_file {
            Some(path) => Some(Secret::new(
                tokio::fs::read_to_string(path)
                    .await
                    .map_err(|err| Refusal::new(401, format!("cannot read {path}: {err}")))?
                    .trim()
                    .to_owned(),
            )),
            None => authorization.cloned(),
        };
        if let Some(token) = token {
            request = request.header(http::header::AUTHORIZATION, token.expose());
        }
        let (status, text) = self.exchange(request).await?;
        json_credentials(status, &text)
    }

    /// IMDSv2: a session token first, then the role name, then its credentials.
    async fn instance_metadata(
        &self,
        endpoint: &str,
    ) -> Result<(AwsCredentials, Duration), Refusal> {
        let base = endpoint.trim_end_matches('/');
        let token_request = self
            .client
            .request(Method::PUT, parse_url(&format!("{base}/latest/api/token"))?)
            .timeout(LOCAL_ENDPOINT_TIMEOUT)
            .header("x-aws-ec2-metadata-token-ttl-seconds", "21600");
        let (status, token) = self.exchange(token_request).await?;
        if !status.is_success() {
            return Err(Refusal::new(
                502,
                format!(
                    "the metadata token request answered HTTP {}",
                    status.as_u16()
                ),
            ));
        }
        let token = token.trim().to_owned();
        let path = format!("{base}/latest/meta-data/iam/security-credentials/");
        let get = |url: String| -> Result<reqwest::RequestBuilder, Refusal> {
            Ok(self
                .client
                .request(Method::GET, parse_url(&url)?)
                .timeout(LOCAL_ENDPOINT_TIMEOUT)
                .header("x-aws-ec2-metadata-token", token.as_str()))
        };
        let (status, roles) = self.exchange(get(path.clone())?).await?;
        let role = roles.lines().next().unwrap_or("").trim().to_owned();
        if !status.is_success() || role.is_empty() {
            return Err(Refusal::new(
                401,
                "the instance has no IAM role (no instance profile attached)",
            ));
        }
        let (status, text) = self.exchange(get(format!("{path}{role}"))?).await?;
        json_credentials(status, &text)
    }

    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(http::StatusCode, String), Refusal> {
        let response = self
            .client
            .send(request)
            .await
            .map_err(|failure| Refusal::new(502, format!("could not be reached: {failure}")))?;
        let status = response.status();
        let body = read_body(&self.provider, response, MAX_ERROR_BYTES)
            .await
            .map_err(|err| Refusal::new(502, format!("reading the answer failed: {err}")))?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    fn failure(&self, refusal: &Refusal) -> ProviderError {
        let message = redact(
            &format!(
                "AWS credentials for provider '{}' are unavailable ({}): {}",
                self.provider,
                self.source.describe(),
                refusal.reason
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

/// The container and instance-metadata answer: `{AccessKeyId, SecretAccessKey, Token,
/// Expiration}` (plus `Code` on EC2).
fn json_credentials(
    status: http::StatusCode,
    text: &str,
) -> Result<(AwsCredentials, Duration), Refusal> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        access_key_id: String,
        #[serde(default)]
        secret_access_key: String,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        expiration: Option<String>,
    }
    if !status.is_success() {
        return Err(Refusal::new(
            if status.is_server_error() { 502 } else { 401 },
            format!("answered HTTP {}", status.as_u16()),
        ));
    }
    let answer: Answer = serde_json::from_str(text)
        .map_err(|_| Refusal::new(502, "the answer is not a credentials document"))?;
    if answer.code.as_deref().is_some_and(|c| c != "Success") || answer.access_key_id.is_empty() {
        return Err(Refusal::new(
            502,
            format!(
                "no credentials in the answer ({})",
                answer.code.unwrap_or_default()
            ),
        ));
    }
    Ok((
        AwsCredentials {
            access_key_id: answer.access_key_id,
            secret_access_key: Secret::new(answer.secret_access_key),
            session_token: answer.token.map(Secret::new),
        },
        lifetime(answer.expiration.as_deref()),
    ))
}

/// Time left until an ISO 8601 expiry (an hour when none is given).
fn lifetime(expiration: Option<&str>) -> Duration {
    expiration
        .and_then(parse_iso8601)
        .map_or(Duration::from_secs(3600), |at| {
            Duration::from_secs(u64::try_from(at - unix_seconds()).unwrap_or(0))
        })
}

/// The text of the first `<name>…</name>` element (STS answers are small, flat XML).
fn xml_value<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(xml[start..end].trim())
}

fn parse_url(url: &str) -> Result<Url, Refusal> {
    Url::parse(url).map_err(|_| Refusal::new(500, format!("{url:?} is not a valid URL")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sts_xml_and_credential_json() {
        let xml = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
            <AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
            <SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>\
            </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        assert_eq!(xml_value(xml, "AccessKeyId"), Some("ASIAEXAMPLE"));
        assert_eq!(xml_value(xml, "Nope"), None);
        let (credentials, lifetime) = json_credentials(
            http::StatusCode::OK,
            r#"{"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2099-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(credentials.access_key_id, "ASIA1");
        assert!(lifetime > Duration::from_secs(86_400));
        assert!(
            format!("{credentials:?}").contains("ASIA1")
                && !format!("{credentials:?}").contains("\"s\"")
        );
        assert!(json_credentials(http::StatusCode::OK, r#"{"Code":"Failure"}"#).is_err());
    }
}
