//! Google credentials: what a key file holds, and where Application Default Credentials come
//! from (<https://cloud.google.com/docs/authentication/application-default-credentials>).
//!
//! Two file types are understood: `service_account` (a private key that signs token
//! requests) and `authorized_user` (what `gcloud auth application-default login` writes: a
//! refresh token). Without a file, ADC falls back to the metadata server of the machine
//! (GCE, GKE Workload Identity, Cloud Run).

use serde::Deserialize;

use super::jwt::SigningKey;
use crate::Secret;

/// Google's token endpoint, used when a key file names none.
pub(crate) const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// Where an access token comes from.
#[derive(Debug)]
pub(crate) enum Credentials {
    ServiceAccount {
        client_email: String,
        /// Boxed: the parsed RSA key is large, the other variants small.
        key: Box<SigningKey>,
        token_uri: String,
    },
    AuthorizedUser {
        client_id: String,
        client_secret: Secret,
        refresh_token: Secret,
        token_uri: String,
        quota_project_id: Option<String>,
    },
    /// `http://{host}/computeMetadata/v1/instance/service-accounts/default/token`.
    Metadata { host: String },
}

#[derive(Deserialize)]
struct KeyFile {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    client_email: Option<String>,
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    quota_project_id: Option<String>,
}

impl Credentials {
    /// Parses a key file's JSON. Errors name the missing field, never a value.
    pub(crate) fn from_json(json: &str) -> Result<Self, String> {
        let file: KeyFile = serde_json::from_str(json)
            .map_err(|err| format!("not a Google key file: {}", json_error(&err)))?;
        let token_uri = file
            .token_uri
            .filter(|uri| !uri.is_empty())
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        match file.kind.as_str() {
            "service_account" => {
                let client_email = required(file.client_email, "client_email")?;
                let pem = required(file.private_key, "private_key")?;
                let key = Box::new(SigningKey::from_pem(&pem, file.private_key_id)?);
                Ok(Self::ServiceAccount {
                    client_email,
                    key,
                    token_uri,
                })
            }
            "authorized_user" => Ok(Self::AuthorizedUser {
                client_id: required(file.client_id, "client_id")?,
                client_secret: Secret::new(required(file.client_secret, "client_secret")?),
                refresh_token: Secret::new(required(file.refresh_token, "refresh_token")?),
                token_uri,
                quota_project_id: file.quota_project_id,
            }),
            "" => Err("the key file has no \"type\"".to_owned()),
            other => Err(format!(
                "key files of type \"{other}\" are not supported (service_account and authorized_user are)"
            )),
        }
    }

    /// The project that quota and billing go to, when the credential names one explicitly
    /// (a service account's own `project_id` is where it lives, not a quota choice).
    pub(crate) fn quota_project(&self) -> Option<&str> {
        match self {
            Self::AuthorizedUser {
                quota_project_id, ..
            } => quota_project_id.as_deref(),
            Self::ServiceAccount { .. } | Self::Metadata { .. } => None,
        }
    }
}

fn required(value: Option<String>, field: &str) -> Result<String, String> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("the key file has no \"{field}\""))
}

/// A JSON error's position and category, without the text around it (which may be a key).
fn json_error(err: &serde_json::Error) -> String {
    format!(
        "invalid JSON at line {} column {}",
        err.line(),
        err.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_errors_name_fields_not_values() {
        let err = Credentials::from_json(r#"{"type":"service_account","client_email":"a@b"}"#)
            .unwrap_err();
        assert_eq!(err, "the key file has no \"private_key\"");
        let err = Credentials::from_json(r#"{"type":"external_account"}"#).unwrap_err();
        assert!(err.contains("external_account"));
        let err = Credentials::from_json(r#"{"private_key": "SECRET"#).unwrap_err();
        assert!(!err.contains("SECRET"), "{err}");
        let user = Credentials::from_json(
            r#"{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r","quota_project_id":"q"}"#,
        )
        .unwrap();
        assert_eq!(user.quota_project(), Some("q"));
        assert!(format!("{user:?}").contains("***"));
    }
}
