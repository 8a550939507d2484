//! Upstream URLs per provider type.
//!
//! Most types append `/chat/completions`, `/embeddings` and `/models` to the base URL. Azure is
//! the exception (reference §3.3): a deployment URL (`…/openai/deployments/<dep>`) takes chat and
//! embeddings, account-level calls (`/openai/models`) go to the resource root, every request
//! carries `?api-version=`, and a base URL that is the resource root gets the request's model
//! as the deployment name.

use reqwest::Url;

use crate::settings::AZURE_DEFAULT_API_VERSION;
use crate::{ProviderKind, ProviderSettings};

#[derive(Debug)]
pub(crate) struct Endpoints {
    kind: ProviderKind,
    base: String,
    api_version: String,
    /// Parsed once: URL parsing (with IDNA) showed up at ~2% of gateway CPU when done per
    /// request. `None` when the URL depends on the request's model (Azure resource root).
    chat_url: Option<Url>,
    embeddings_url: Option<Url>,
}

impl Endpoints {
    pub(crate) fn new(settings: &ProviderSettings) -> Self {
        let mut endpoints = Self {
            kind: settings.kind,
            base: settings.base_url.trim_end_matches('/').to_owned(),
            api_version: settings
                .api_version
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| AZURE_DEFAULT_API_VERSION.to_owned()),
            chat_url: None,
            embeddings_url: None,
        };
        if !endpoints.model_dependent() {
            endpoints.chat_url = Url::parse(&endpoints.chat(None)).ok();
            endpoints.embeddings_url = Url::parse(&endpoints.embeddings(None)).ok();
        }
        endpoints
    }

    /// The chat URL, parsed; `None` if the configured base URL is not a valid URL.
    pub(crate) fn chat_url(&self, model: &str) -> Option<Url> {
        match &self.chat_url {
            Some(url) => Some(url.clone()),
            None => Url::parse(&self.chat(Some(model))).ok(),
        }
    }

    pub(crate) fn embeddings_url(&self, model: &str) -> Option<Url> {
        match &self.embeddings_url {
            Some(url) => Some(url.clone()),
            None => Url::parse(&self.embeddings(Some(model))).ok(),
        }
    }

    /// Azure with a resource-root base URL takes the deployment from the request's model.
    fn model_dependent(&self) -> bool {
        self.kind == ProviderKind::Azure && !self.base.contains("/deployments/")
    }

    pub(crate) fn chat(&self, model: Option<&str>) -> String {
        self.operation("chat/completions", model)
    }

    pub(crate) fn embeddings(&self, model: Option<&str>) -> String {
        self.operation("embeddings", model)
    }

    pub(crate) fn models(&self) -> String {
        match self.kind {
            ProviderKind::Azure => format!(
                "{}/openai/models?api-version={}",
                self.azure_root(),
                self.api_version
            ),
            _ => format!("{}/models", self.base),
        }
    }

    /// Ollama's native API lives at the server root, beside the OpenAI-compatible `/v1`.
    pub(crate) fn ollama_native(&self, path: &str) -> String {
        let root = self.base.strip_suffix("/v1").unwrap_or(&self.base);
        format!("{root}{path}")
    }

    fn operation(&self, path: &str, model: Option<&str>) -> String {
        if self.kind != ProviderKind::Azure {
            return format!("{}/{path}", self.base);
        }
        let base = if self.base.contains("/deployments/") {
            self.base.clone()
        } else {
            let deployment = model.unwrap_or_default();
            format!(
                "{}/openai/deployments/{deployment}",
                self.base.trim_end_matches("/openai")
            )
        };
        format!("{base}/{path}?api-version={}", self.api_version)
    }

    /// The Azure resource root: the base URL without `/openai/deployments/<dep>`.
    fn azure_root(&self) -> &str {
        let base = self.base.as_str();
        let cut = base
            .find("/openai/deployments/")
            .or_else(|| base.find("/deployments/"))
            .or_else(|| base.strip_suffix("/openai").map(str::len));
        cut.map_or(base, |at| &base[..at])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn settings(kind: ProviderKind, base: &str) -> ProviderSettings {
        ProviderSettings {
            name: kind.as_str().to_owned(),
            kind,
            api_key: Secret::default(),
            base_url: base.to_owned(),
            api_version: None,
            models: Vec::new(),
            api_mode: crate::ApiMode::Native,
            vertex: None,
            bedrock: None,
        }
    }

    #[test]
    fn openai_style_paths() {
        let e = Endpoints::new(&settings(
            ProviderKind::Groq,
            "https://api.groq.com/openai/v1/",
        ));
        assert_eq!(
            e.chat(None),
            "https://api.groq.com/openai/v1/chat/completions"
        );
        assert_eq!(e.models(), "https://api.groq.com/openai/v1/models");
    }

    #[test]
    fn azure_deployment_and_resource_root() {
        let e = Endpoints::new(&settings(
            ProviderKind::Azure,
            "https://r.openai.azure.com/openai/deployments/gpt4o",
        ));
        assert_eq!(
            e.chat(Some("ignored")),
            "https://r.openai.azure.com/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21"
        );
        assert_eq!(
            e.models(),
            "https://r.openai.azure.com/openai/models?api-version=2024-10-21"
        );
        let root = Endpoints::new(&settings(ProviderKind::Azure, "https://r.openai.azure.com"));
        assert_eq!(
            root.embeddings(Some("embed-dep")),
            "https://r.openai.azure.com/openai/deployments/embed-dep/embeddings?api-version=2024-10-21"
        );
        assert_eq!(
            root.models(),
            "https://r.openai.azure.com/openai/models?api-version=2024-10-21"
        );
    }

    #[test]
    fn ollama_native_root() {
        let e = Endpoints::new(&settings(ProviderKind::Ollama, "http://localhost:11434/v1"));
        assert_eq!(
            e.ollama_native("/api/embed"),
            "http://localhost:11434/api/embed"
        );
    }
}
