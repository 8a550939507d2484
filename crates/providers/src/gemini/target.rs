//! Where a Gemini-dialect request goes and how it authenticates: AI Studio (an API key in
//! `x-goog-api-key`, <https://ai.google.dev/api>) or Vertex AI (an OAuth access token,
//! `…/projects/{p}/locations/{l}/publishers/google/models/{m}:{method}`).
//!
//! Vertex URLs are derived from project and location: regional locations use
//! `https://{location}-aiplatform.googleapis.com`, `global` uses
//! `https://aiplatform.googleapis.com`. `VERTEX_BASE_URL` overrides them: a bare origin
//! (`http://127.0.0.1:8080`, a private endpoint) keeps the derived path; a URL ending in
//! `/publishers/google` or `/endpoints/openapi` names one surface and derives the other; any
//! other URL is used as is for both (GoModel's rule).

use std::sync::Arc;

use http::{HeaderName, HeaderValue};

use crate::google_auth::GoogleAuth;
use crate::settings::VertexSettings;
use crate::{ProviderError, ProviderSettings, UpstreamClient};

const AI_STUDIO_NATIVE: &str = "https://generativelanguage.googleapis.com/v1beta";
const OPENAI_SUFFIX: &str = "/openai";
const VERTEX_NATIVE_SUFFIX: &str = "/publishers/google";
const VERTEX_COMPAT_SUFFIX: &str = "/endpoints/openapi";

#[derive(Debug)]
pub(crate) enum Target {
    AiStudio {
        /// `…/v1beta`: `/models/{m}:{method}` and `/models` hang off it.
        native_base: String,
        key: HeaderValue,
    },
    Vertex {
        /// `…/projects/{p}/locations/{l}/publishers/google`.
        native_base: String,
        /// `{origin}/v1beta1/publishers/google/models` (the Model Garden list).
        models_url: String,
        auth: Arc<GoogleAuth>,
        /// `x-goog-user-project`, only when the credential names a quota project.
        user_project: Option<HeaderValue>,
    },
}

/// The two bases of one instance: native and OpenAI-compatible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bases {
    pub native: String,
    pub compat: String,
    /// Vertex only: the model list URL.
    pub models: Option<String>,
}

impl Bases {
    pub(crate) fn ai_studio(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        let (native, compat) = match base.strip_suffix(OPENAI_SUFFIX) {
            Some(native) => (native.to_owned(), base.to_owned()),
            None if base == AI_STUDIO_NATIVE => (base.to_owned(), format!("{base}{OPENAI_SUFFIX}")),
            None => (base.to_owned(), base.to_owned()),
        };
        Self {
            native,
            compat,
            models: None,
        }
    }

    pub(crate) fn vertex(base_url: &str, vertex: &VertexSettings) -> Self {
        let base = base_url.trim_end_matches('/');
        let default_origin = if vertex.location == "global" {
            "https://aiplatform.googleapis.com".to_owned()
        } else {
            format!("https://{}-aiplatform.googleapis.com", vertex.location)
        };
        let origin_of = |url: &str| -> String {
            match url.find("://").map(|i| i + 3) {
                Some(start) => {
                    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
                    url[..end].to_owned()
                }
                None => url.to_owned(),
            }
        };
        let root = |origin: &str| {
            format!(
                "{origin}/v1/projects/{}/locations/{}",
                vertex.project, vertex.location
            )
        };
        let (native, compat, origin) = if base.is_empty() {
            let root = root(&default_origin);
            (
                format!("{root}{VERTEX_NATIVE_SUFFIX}"),
                format!("{root}{VERTEX_COMPAT_SUFFIX}"),
                default_origin,
            )
        } else if origin_of(base) == base {
            let root = root(base);
            (
                format!("{root}{VERTEX_NATIVE_SUFFIX}"),
                format!("{root}{VERTEX_COMPAT_SUFFIX}"),
                base.to_owned(),
            )
        } else if let Some(root) = base.strip_suffix(VERTEX_NATIVE_SUFFIX) {
            (
                base.to_owned(),
                format!("{root}{VERTEX_COMPAT_SUFFIX}"),
                origin_of(base),
            )
        } else if let Some(root) = base.strip_suffix(VERTEX_COMPAT_SUFFIX) {
            (
                format!("{root}{VERTEX_NATIVE_SUFFIX}"),
                base.to_owned(),
                origin_of(base),
            )
        } else {
            (base.to_owned(), base.to_owned(), origin_of(base))
        };
        Self {
            native,
            compat,
            models: Some(format!("{origin}/v1beta1/publishers/google/models")),
        }
    }
}

impl Target {
    pub(crate) fn new(settings: &ProviderSettings, client: &UpstreamClient) -> Self {
        match &settings.vertex {
            Some(vertex) => {
                let bases = Bases::vertex(&settings.base_url, vertex);
                let auth = Arc::new(GoogleAuth::new(
                    &settings.name,
                    &vertex.credentials,
                    &vertex.scope,
                    client.clone(),
                ));
                let user_project = auth
                    .quota_project()
                    .and_then(|project| project.parse::<HeaderValue>().ok());
                Self::Vertex {
                    native_base: bases.native,
                    models_url: bases.models.unwrap_or_default(),
                    auth,
                    user_project,
                }
            }
            None => {
                let mut key = HeaderValue::from_str(settings.api_key.expose())
                    .unwrap_or_else(|_| HeaderValue::from_static(""));
                key.set_sensitive(true);
                Self::AiStudio {
                    native_base: Bases::ai_studio(&settings.base_url).native,
                    key,
                }
            }
        }
    }

    /// `…/models/{model}:{method}`.
    pub(crate) fn model_url(&self, model: &str, method: &str) -> String {
        let base = match self {
            Self::AiStudio { native_base, .. } | Self::Vertex { native_base, .. } => native_base,
        };
        format!("{base}/models/{}:{method}", bare_model_id(model))
    }

    pub(crate) fn is_vertex(&self) -> bool {
        matches!(self, Self::Vertex { .. })
    }

    /// The credential headers for one request (fetching a token first on Vertex).
    pub(crate) async fn auth_headers(
        &self,
    ) -> Result<Vec<(HeaderName, HeaderValue)>, ProviderError> {
        match self {
            Self::AiStudio { key, .. } => Ok(vec![(
                HeaderName::from_static("x-goog-api-key"),
                key.clone(),
            )]),
            Self::Vertex {
                auth, user_project, ..
            } => {
                let mut headers = vec![(http::header::AUTHORIZATION, auth.authorization().await?)];
                if let Some(project) = user_project {
                    headers.push((
                        HeaderName::from_static("x-goog-user-project"),
                        project.clone(),
                    ));
                }
                Ok(headers)
            }
        }
    }

    /// Drops the token in `auth` after Google refused it; true when there was one to drop
    /// (a retry with a new token may then succeed).
    pub(crate) fn invalidate(&self, auth: &[(HeaderName, HeaderValue)]) -> bool {
        let Self::Vertex { auth: source, .. } = self else {
            return false;
        };
        let Some((_, token)) = auth
            .iter()
            .find(|(name, _)| name == http::header::AUTHORIZATION)
        else {
            return false;
        };
        source.invalidate(token);
        true
    }

    pub(crate) fn google_auth(&self) -> Option<Arc<GoogleAuth>> {
        match self {
            Self::Vertex { auth, .. } => Some(Arc::clone(auth)),
            Self::AiStudio { .. } => None,
        }
    }
}

/// A model id as Gemini's URLs want it: without `models/`, `publishers/google/models/` or a
/// `google/` vendor prefix.
pub(crate) fn bare_model_id(model: &str) -> &str {
    let model = model.rsplit_once("/models/").map_or(model, |(_, id)| id);
    let model = model.strip_prefix("models/").unwrap_or(model);
    model.strip_prefix("google/").unwrap_or(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::google_auth::{CLOUD_PLATFORM_SCOPE, GoogleCredentialSource};

    fn vertex(location: &str) -> VertexSettings {
        VertexSettings {
            project: "proj".to_owned(),
            location: location.to_owned(),
            credentials: GoogleCredentialSource::KeyJson {
                json: Secret::new("{}"),
                origin: "test".to_owned(),
            },
            scope: CLOUD_PLATFORM_SCOPE.to_owned(),
        }
    }

    #[test]
    fn ai_studio_bases() {
        let default = Bases::ai_studio(AI_STUDIO_NATIVE);
        assert_eq!(default.compat, format!("{AI_STUDIO_NATIVE}/openai"));
        let compat = Bases::ai_studio("https://proxy/v1beta/openai/");
        assert_eq!(
            (compat.native.as_str(), compat.compat.as_str()),
            ("https://proxy/v1beta", "https://proxy/v1beta/openai")
        );
        let other = Bases::ai_studio("http://127.0.0.1:9/v1beta");
        assert_eq!(other.native, other.compat);
    }

    #[test]
    fn vertex_regional_global_and_overridden_bases() {
        let regional = Bases::vertex("", &vertex("europe-west4"));
        assert_eq!(
            regional.native,
            "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj/locations/europe-west4/publishers/google"
        );
        assert_eq!(
            regional.models.as_deref(),
            Some("https://europe-west4-aiplatform.googleapis.com/v1beta1/publishers/google/models")
        );
        let global = Bases::vertex("", &vertex("global"));
        assert_eq!(
            global.compat,
            "https://aiplatform.googleapis.com/v1/projects/proj/locations/global/endpoints/openapi"
        );
        let local = Bases::vertex("http://127.0.0.1:9", &vertex("us-central1"));
        assert_eq!(
            local.native,
            "http://127.0.0.1:9/v1/projects/proj/locations/us-central1/publishers/google"
        );
        let named = Bases::vertex(
            "https://psc.example/v1/projects/x/locations/y/endpoints/openapi",
            &vertex("y"),
        );
        assert_eq!(
            named.native,
            "https://psc.example/v1/projects/x/locations/y/publishers/google"
        );
    }

    #[test]
    fn model_ids_lose_their_prefixes() {
        for id in [
            "gemini-2.5-flash",
            "models/gemini-2.5-flash",
            "google/gemini-2.5-flash",
            "publishers/google/models/gemini-2.5-flash",
        ] {
            assert_eq!(bare_model_id(id), "gemini-2.5-flash");
        }
    }
}
