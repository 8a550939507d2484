//! Every credential the gateway's configuration holds, gathered in one place, and the
//! [`Scrubber`] that replaces them with `[REDACTED]` in anything the audit log stores.
//!
//! Headers that carry credentials are redacted by name (see the parent module); this is the
//! second line: a key that turns up anywhere else (pasted into a prompt, echoed in an error,
//! sent in an unexpected header) is still never stored. GoModel stored bodies unredacted
//! (reference §7.2 L4).
//!
//! What counts as a secret: the master key; each provider's API key; a Vertex key file (the
//! JSON, its base64 form, and the `private_key`, `private_key_id`, `client_secret` and
//! `refresh_token` inside it, the private key also line by line so any fragment is caught);
//! Bedrock's API key, static AWS keys (secret access key, session token) and the container
//! credentials token; the PostgreSQL password. Credentials fetched at run time (OAuth access
//! tokens, temporary AWS keys, a web-identity token file) are sent upstream only: the audit log
//! records the client's side of the exchange, where they never appear.

use std::borrow::Cow;

use base64::Engine;
use gomodel_providers::aws::AwsCredentialSource;
use gomodel_providers::google_auth::GoogleCredentialSource;
use gomodel_providers::{BedrockAuth, ProviderSettings};
use memchr::memmem;

use crate::config::{Config, StorageConfig};

/// Shorter values are not scrubbed: replacing every `1234` in a body would hide more than it
/// protects, and no real credential is that short.
const MIN_SECRET_LEN: usize = 8;

/// Fragments of a PEM private key shorter than this are not worth a search of their own.
const MIN_PEM_LINE: usize = 16;

/// Every secret in `config`, as the text that could appear in a request or response.
pub fn configured_secrets(config: &Config) -> Vec<String> {
    let mut secrets = Vec::new();
    if let Some(key) = &config.server.master_key {
        secrets.push(key.expose().to_owned());
    }
    for provider in &config.providers {
        provider_secrets(provider, &mut secrets);
    }
    match &config.storage {
        StorageConfig::Sqlite { .. } => {}
        StorageConfig::Postgres { url, .. } => {
            secrets.extend(gomodel_store::url_passwords(url.expose()));
        }
    }
    secrets
}

/// The matches below name every variant on purpose: a new credential source does not compile
/// until someone decides what of it must be scrubbed.
fn provider_secrets(provider: &ProviderSettings, out: &mut Vec<String>) {
    out.push(provider.api_key.expose().to_owned());
    if let Some(vertex) = &provider.vertex {
        match &vertex.credentials {
            GoogleCredentialSource::KeyJson { json, .. } => key_file_secrets(json.expose(), out),
            GoogleCredentialSource::MetadataServer { .. } => {}
        }
    }
    if let Some(bedrock) = &provider.bedrock {
        match &bedrock.auth {
            BedrockAuth::ApiKey(key) => out.push(key.expose().to_owned()),
            BedrockAuth::Aws(source) => match source {
                AwsCredentialSource::Static { credentials, .. } => {
                    out.push(credentials.secret_access_key.expose().to_owned());
                    if let Some(token) = &credentials.session_token {
                        out.push(token.expose().to_owned());
                    }
                }
                AwsCredentialSource::Container { authorization, .. } => {
                    if let Some(token) = authorization {
                        out.push(token.expose().to_owned());
                    }
                }
                AwsCredentialSource::WebIdentity { .. }
                | AwsCredentialSource::InstanceMetadata { .. } => {}
            },
        }
    }
}

/// A Google key file (`service_account` or `authorized_user` JSON): the whole text, its
/// base64 form (`VERTEX_SERVICE_ACCOUNT_JSON_BASE64`), and the secret fields inside.
fn key_file_secrets(json: &str, out: &mut Vec<String>) {
    out.push(json.to_owned());
    out.push(base64::engine::general_purpose::STANDARD.encode(json));
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(json) else {
        return;
    };
    for name in [
        "private_key",
        "private_key_id",
        "client_secret",
        "refresh_token",
    ] {
        if let Some(value) = fields.get(name).and_then(serde_json::Value::as_str) {
            out.push(value.to_owned());
        }
    }
    if let Some(pem) = fields
        .get("private_key")
        .and_then(serde_json::Value::as_str)
    {
        // Base64 lines carry no character JSON or a prompt would escape, so each line matches
        // however many times the key was quoted on its way into a body.
        out.extend(
            pem.lines()
                .map(str::trim)
                .filter(|line| !line.starts_with("-----") && line.len() >= MIN_PEM_LINE)
                .map(str::to_owned),
        );
    }
}

/// Replaces secrets with `[REDACTED]`.
#[derive(Debug, Default)]
pub struct Scrubber {
    /// Longest first, so a secret that contains another is replaced whole. Each with its
    /// searcher built once: building one per search was a visible share of an audit row.
    needles: Vec<(String, memmem::Finder<'static>)>,
    /// The shortest needle's length: shorter text (most header values) holds none.
    shortest: usize,
}

pub const REDACTED: &str = "[REDACTED]";

impl Scrubber {
    /// Each secret is searched as it is and, when JSON would escape it (a key file's newlines,
    /// a quote), as it appears inside a JSON string.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut needles: Vec<String> = Vec::new();
        for secret in secrets {
            if secret.len() < MIN_SECRET_LEN {
                continue;
            }
            // Both escapers: serde's (bodies as clients sent them) and ours (the fields the
            // audit document writes, which `found_in` searches).
            if let Ok(quoted) = serde_json::to_string(&secret) {
                let escaped = &quoted[1..quoted.len() - 1];
                if escaped != secret {
                    needles.push(escaped.to_owned());
                }
            }
            let mut quoted = String::new();
            gomodel_store::json_text::push_string(&mut quoted, &secret);
            let escaped = &quoted[1..quoted.len() - 1];
            if escaped != secret {
                needles.push(escaped.to_owned());
            }
            needles.push(secret);
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        let needles = needles
            .into_iter()
            .map(|needle| {
                let finder = memmem::Finder::new(needle.as_bytes()).into_owned();
                (needle, finder)
            })
            .collect::<Vec<_>>();
        let shortest = needles
            .iter()
            .map(|(needle, _)| needle.len())
            .min()
            .unwrap_or(usize::MAX);
        Self { needles, shortest }
    }

    /// Whether `text` holds any secret, as it is or JSON-escaped (one search per needle over
    /// the whole text).
    pub fn found_in(&self, text: &[u8]) -> bool {
        text.len() >= self.shortest
            && self
                .needles
                .iter()
                .any(|(_, finder)| finder.find(text).is_some())
    }

    /// `text` with every secret replaced; borrowed when there was none (the usual case).
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        if text.len() < self.shortest {
            return out;
        }
        for (needle, finder) in &self.needles {
            if finder.find(out.as_bytes()).is_some() {
                out = Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EnvMap;

    #[test]
    fn scrubs_raw_and_json_escaped_forms_longest_first() {
        let scrubber = Scrubber::new([
            "short".to_owned(),
            "sk-abcdefgh".to_owned(),
            "sk-abcdefgh-longer".to_owned(),
            "line one\nline \"two\"".to_owned(),
        ]);
        assert_eq!(scrubber.scrub("nothing here"), "nothing here");
        assert!(matches!(scrubber.scrub("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            scrubber.scrub("a sk-abcdefgh-longer b sk-abcdefgh c short"),
            "a [REDACTED] b [REDACTED] c short"
        );
        assert_eq!(
            scrubber.scrub(r#"{"k":"line one\nline \"two\""}"#),
            r#"{"k":"[REDACTED]"}"#
        );
    }

    #[test]
    fn every_configured_credential_is_collected() {
        let env = EnvMap::from_pairs([
            ("GOMODEL_MASTER_KEY", "master-key-0123456789"),
            ("OPENAI_API_KEY", "sk-openai-0123456789"),
            ("GEMINI_API_KEY", "AIza-gemini-0123456789"),
            ("BEDROCK_BASE_URL", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret-0123456789"),
            ("AWS_SESSION_TOKEN", "aws-session-0123456789"),
            ("STORAGE_TYPE", "postgresql"),
            ("POSTGRES_URL", "postgres://gm:db-password-0123@db/x"),
        ]);
        let secrets = configured_secrets(&Config::from_env(&env).unwrap());
        for want in [
            "master-key-0123456789",
            "sk-openai-0123456789",
            "AIza-gemini-0123456789",
            "aws-secret-0123456789",
            "aws-session-0123456789",
            "db-password-0123",
        ] {
            assert!(secrets.iter().any(|s| s == want), "{want} not collected");
        }
        assert!(
            !secrets.iter().any(|s| s == "AKIAEXAMPLE"),
            "the access key id is not a secret"
        );

        let bedrock_key = Config::from_env(&EnvMap::from_pairs([
            ("BEDROCK_BASE_URL", "us-east-1"),
            ("AWS_BEARER_TOKEN_BEDROCK", "ABSK-bedrock-key-0123456789"),
        ]))
        .unwrap();
        assert!(
            configured_secrets(&bedrock_key)
                .iter()
                .any(|s| s == "ABSK-bedrock-key-0123456789")
        );
    }

    #[test]
    fn a_pasted_key_file_loses_its_secret_parts() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nabcdEFGHijklMNOPqrstUVWXyz0123456789+/\n-----END PRIVATE KEY-----\n";
        let key_file = serde_json::json!({
            "type": "service_account", "project_id": "p", "private_key_id": "kid-0123456789abcdef",
            "private_key": pem, "client_email": "sa@p.iam.gserviceaccount.com",
        })
        .to_string();
        let mut secrets = Vec::new();
        key_file_secrets(&key_file, &mut secrets);
        for want in [
            key_file.as_str(),
            pem,
            "kid-0123456789abcdef",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
        ] {
            assert!(secrets.iter().any(|s| s == want), "{want} not collected");
        }
        // Quoted twice on its way into a prompt (a JSON string inside a JSON body).
        let pasted = serde_json::to_string(&serde_json::to_string(&key_file).unwrap()).unwrap();
        let scrubbed = Scrubber::new(secrets).scrub(&pasted).into_owned();
        assert!(!scrubbed.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"));
        assert!(!scrubbed.contains("abcdEFGHijklMNOPqrstUVWXyz0123456789"));
        assert!(scrubbed.contains("sa@p.iam.gserviceaccount.com"));
    }
}
