//! Gemini and Vertex AI settings (reference §3.3 "Gemini", §3.6 "Vertex"): the API mode, and
//! for Vertex the project, location and where its Google credentials come from.
//!
//! - `<PREFIX>_API_MODE` (`native` by default; GoModel's spellings accepted). Without it, the
//!   legacy `USE_GOOGLE_GEMINI_NATIVE_API=false` selects the OpenAI-compatible endpoint.
//! - `VERTEX_AUTH_TYPE`: `gcp_service_account` (key from `_SERVICE_ACCOUNT_JSON_BASE64`, then
//!   `_JSON`, then `_FILE`) or `gcp_adc`; unset means the service account when one is given,
//!   else ADC. ADC reads `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's well-known file
//!   (`$CLOUDSDK_CONFIG` or `~/.config/gcloud/application_default_credentials.json`), then
//!   falls back to the metadata server (`GCE_METADATA_HOST` or `metadata.google.internal`).
//!
//! Key files are read and checked here, at start, so a wrong path or a broken key is a
//! warning naming the variable (never the key) instead of a failure on the first request.

use std::path::PathBuf;

use base64::Engine as _;
use gomodel_providers::google_auth::{CLOUD_PLATFORM_SCOPE, GoogleCredentialSource};
use gomodel_providers::{ApiMode, ProviderKind, Secret, VertexSettings};

use super::source::EnvMap;

/// The Google-specific fields of one provider, from YAML and env.
#[derive(Debug, Default, Clone)]
pub struct GoogleDraft {
    pub api_mode: Option<String>,
    pub project: Option<String>,
    pub location: Option<String>,
    pub auth_type: Option<String>,
    pub service_account_file: Option<String>,
    /// Keys are `Secret`s from the moment they are read: a `Debug` of the draft prints `***`.
    pub service_account_json: Option<Secret>,
    pub service_account_json_base64: Option<Secret>,
    pub gcp_scope: Option<String>,
}

/// Env field names (after the `GEMINI_…`/`VERTEX_…` prefix), longest first so suffixed names
/// match the longest field (`VERTEX_US_SERVICE_ACCOUNT_JSON_BASE64`). `VERTEX_PROJECT` and
/// `VERTEX_LOCATION` are GoModel's aliases (`VERTEX_VERTEX_PROJECT` works there too).
pub const VERTEX_FIELDS: [&str; 10] = [
    "SERVICE_ACCOUNT_JSON_BASE64",
    "SERVICE_ACCOUNT_FILE",
    "SERVICE_ACCOUNT_JSON",
    "VERTEX_LOCATION",
    "VERTEX_PROJECT",
    "GCP_SCOPE",
    "AUTH_TYPE",
    "LOCATION",
    "API_MODE",
    "PROJECT",
];

impl GoogleDraft {
    /// Sets field `field` (one of [`VERTEX_FIELDS`]); false when it is not a Google field.
    pub fn set(&mut self, field: &str, value: &str) -> bool {
        match field {
            "SERVICE_ACCOUNT_JSON" => {
                self.service_account_json = Some(Secret::new(value));
                return true;
            }
            "SERVICE_ACCOUNT_JSON_BASE64" => {
                self.service_account_json_base64 = Some(Secret::new(value));
                return true;
            }
            _ => {}
        }
        let slot = match field {
            "API_MODE" => &mut self.api_mode,
            "PROJECT" | "VERTEX_PROJECT" => &mut self.project,
            "LOCATION" | "VERTEX_LOCATION" => &mut self.location,
            "AUTH_TYPE" => &mut self.auth_type,
            "SERVICE_ACCOUNT_FILE" => &mut self.service_account_file,
            "GCP_SCOPE" => &mut self.gcp_scope,
            _ => return false,
        };
        *slot = Some(value.to_owned());
        true
    }
}

/// The resolved Google settings of one instance, or the reason it is skipped.
pub struct Resolved {
    pub api_mode: ApiMode,
    pub vertex: Option<VertexSettings>,
}

pub fn resolve(
    kind: ProviderKind,
    prefix: &str,
    draft: &GoogleDraft,
    base_url: Option<&str>,
    env: &EnvMap,
) -> Result<Resolved, String> {
    let api_mode = api_mode(prefix, draft, env)?;
    let vertex = match kind {
        ProviderKind::Vertex => Some(vertex(prefix, draft, base_url, env)?),
        _ => None,
    };
    Ok(Resolved { api_mode, vertex })
}

fn api_mode(prefix: &str, draft: &GoogleDraft, env: &EnvMap) -> Result<ApiMode, String> {
    if let Some(text) = draft.api_mode.as_deref().filter(|t| !t.trim().is_empty()) {
        return ApiMode::parse(text).ok_or_else(|| {
            format!("{prefix}_API_MODE={text:?} is not native or openai_compatible")
        });
    }
    let legacy = env
        .get("USE_GOOGLE_GEMINI_NATIVE_API")
        .map(|v| v.trim().to_ascii_lowercase());
    Ok(match legacy.as_deref() {
        Some("0" | "false" | "no" | "off") => ApiMode::OpenAiCompatible,
        _ => ApiMode::Native,
    })
}

fn vertex(
    prefix: &str,
    draft: &GoogleDraft,
    base_url: Option<&str>,
    env: &EnvMap,
) -> Result<VertexSettings, String> {
    let project = draft.project.clone().unwrap_or_default();
    let location = draft.location.clone().unwrap_or_default();
    // Project and location build the URL, unless the base URL names the whole path.
    if (project.is_empty() || location.is_empty()) && !base_url_has_path(base_url) {
        return Err(format!(
            "set {prefix}_PROJECT and {prefix}_LOCATION (a region such as us-central1, or global)"
        ));
    }
    let service_account = draft.service_account_json_base64.is_some()
        || draft.service_account_json.is_some()
        || draft.service_account_file.is_some();
    let auth_type = draft
        .auth_type
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let credentials = match auth_type.as_str() {
        "" if service_account => service_account_source(prefix, draft)?,
        "" | "gcp_adc" | "adc" | "google_adc" => adc_source(env)?,
        "gcp_service_account" | "service_account" => {
            if !service_account {
                return Err(format!(
                    "{prefix}_AUTH_TYPE={auth_type} needs {prefix}_SERVICE_ACCOUNT_FILE, _JSON or _JSON_BASE64"
                ));
            }
            service_account_source(prefix, draft)?
        }
        other => {
            return Err(format!(
                "{prefix}_AUTH_TYPE={other:?} is not gcp_adc or gcp_service_account"
            ));
        }
    };
    Ok(VertexSettings {
        project,
        location,
        credentials,
        scope: draft
            .gcp_scope
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| CLOUD_PLATFORM_SCOPE.to_owned()),
    })
}

/// The service-account key, base64 first, then inline JSON, then the file (GoModel's order).
fn service_account_source(
    prefix: &str,
    draft: &GoogleDraft,
) -> Result<GoogleCredentialSource, String> {
    let (json, origin) = if let Some(encoded) = &draft.service_account_json_base64 {
        let variable = format!("{prefix}_SERVICE_ACCOUNT_JSON_BASE64");
        (
            decode_base64(encoded.expose()).ok_or_else(|| format!("{variable} is not base64"))?,
            variable,
        )
    } else if let Some(json) = &draft.service_account_json {
        (
            json.expose().to_owned(),
            format!("{prefix}_SERVICE_ACCOUNT_JSON"),
        )
    } else if let Some(path) = &draft.service_account_file {
        let variable = format!("{prefix}_SERVICE_ACCOUNT_FILE ({path})");
        let json = std::fs::read_to_string(path)
            .map_err(|err| format!("{variable} cannot be read: {err}"))?;
        (json, variable)
    } else {
        return Err(format!(
            "no service account key in {prefix}_SERVICE_ACCOUNT_*"
        ));
    };
    key_source(json, origin)
}

fn key_source(json: String, origin: String) -> Result<GoogleCredentialSource, String> {
    GoogleCredentialSource::check_key_json(&json)
        .map_err(|reason| format!("{origin}: {reason}"))?;
    Ok(GoogleCredentialSource::KeyJson {
        json: Secret::new(json),
        origin,
    })
}

/// Application Default Credentials, in Google's documented order.
fn adc_source(env: &EnvMap) -> Result<GoogleCredentialSource, String> {
    if let Some(path) = env.get("GOOGLE_APPLICATION_CREDENTIALS") {
        let origin = format!("GOOGLE_APPLICATION_CREDENTIALS ({path})");
        let json = std::fs::read_to_string(path)
            .map_err(|err| format!("{origin} cannot be read: {err}"))?;
        return key_source(json, origin);
    }
    let well_known = env
        .get("CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| {
            env.get("HOME")
                .map(|home| PathBuf::from(home).join(".config/gcloud"))
        })
        .map(|dir| dir.join("application_default_credentials.json"));
    if let Some(path) = well_known.filter(|p| p.is_file()) {
        let origin = format!(
            "gcloud's application default credentials ({})",
            path.display()
        );
        let json = std::fs::read_to_string(&path)
            .map_err(|err| format!("{origin} cannot be read: {err}"))?;
        return key_source(json, origin);
    }
    Ok(GoogleCredentialSource::MetadataServer {
        host: env
            .get("GCE_METADATA_HOST")
            .unwrap_or("metadata.google.internal")
            .to_owned(),
    })
}

/// Whether a base URL has a path beyond its origin (`https://host/v1/projects/p/…`), as opposed
/// to a bare origin that still needs project and location.
fn base_url_has_path(base_url: Option<&str>) -> bool {
    let Some(url) = base_url else {
        return false;
    };
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    after_scheme
        .split_once('/')
        .is_some_and(|(_, path)| !path.trim_matches('/').is_empty())
}

/// Standard, URL-safe, padded or not (GoModel accepts all four).
fn decode_base64(text: &str) -> Option<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(&text).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
}

#[cfg(test)]
mod tests;
