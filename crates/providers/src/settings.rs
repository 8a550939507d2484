//! The resolved configuration of one provider instance, as the registry builds it.

use gomodel_protocol::report::Strictness;

use crate::aws::AwsCredentialSource;
use crate::google_auth::GoogleCredentialSource;
use crate::{ProviderKind, Secret};

/// One configured provider instance (`openai`, `openai-east`, `ollama-a`).
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    /// Instance name: what clients write before the `/` in `provider/model`.
    pub name: String,
    pub kind: ProviderKind,
    /// Empty for keyless self-hosted servers.
    pub api_key: Secret,
    /// Without trailing slash.
    pub base_url: String,
    /// Azure `api-version`.
    pub api_version: Option<String>,
    /// Configured model ids (`<TYPE>_MODELS` or YAML `models:`).
    pub models: Vec<String>,
    /// Gemini and Vertex: translate to the native API or use Google's OpenAI-compatible one.
    pub api_mode: ApiMode,
    /// Vertex AI only: project, location and credentials.
    pub vertex: Option<VertexSettings>,
    /// Amazon Bedrock only: region, endpoints and credentials.
    pub bedrock: Option<BedrockSettings>,
}

/// A Bedrock instance: where it runs and how it authenticates.
#[derive(Debug, Clone)]
pub struct BedrockSettings {
    pub region: String,
    /// `https://bedrock-runtime.{region}.amazonaws.com` or the configured endpoint.
    pub runtime_url: String,
    /// `https://bedrock.{region}.amazonaws.com` (the model list), derived from the runtime URL.
    pub control_url: String,
    pub auth: BedrockAuth,
}

#[derive(Debug, Clone)]
pub enum BedrockAuth {
    /// A Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`), sent as a bearer token.
    ApiKey(Secret),
    /// SigV4 with credentials from the AWS chain.
    Aws(AwsCredentialSource),
}

/// `GEMINI_API_MODE` / `VERTEX_API_MODE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiMode {
    /// `generateContent`, translated through the canonical types (the default).
    #[default]
    Native,
    /// Google's OpenAI-compatible endpoint, bytes through.
    OpenAiCompatible,
}

impl ApiMode {
    /// GoModel's spellings: `native` (also `gemini_native`, `generate_content`) and
    /// `openai_compatible` (also `openai`, `openai-compatible`, `compat`, `compatible`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "native" | "gemini_native" | "generate_content" => Some(Self::Native),
            "openai_compatible" | "openai" | "openai-compatible" | "compat" | "compatible" => {
                Some(Self::OpenAiCompatible)
            }
            _ => None,
        }
    }
}

/// A Vertex AI instance: where it runs and how it authenticates.
#[derive(Debug, Clone)]
pub struct VertexSettings {
    pub project: String,
    /// A region (`us-central1`) or `global`.
    pub location: String,
    pub credentials: GoogleCredentialSource,
    /// OAuth scope (`VERTEX_GCP_SCOPE`; cloud-platform by default).
    pub scope: String,
}

/// Settings that apply to every provider of a type rather than to one instance.
#[derive(Debug, Clone)]
pub struct GlobalProviderOptions {
    /// OpenRouter attribution (`OPENROUTER_SITE_URL`).
    pub openrouter_site_url: String,
    /// OpenRouter attribution (`OPENROUTER_APP_NAME`).
    pub openrouter_app_name: String,
    /// `ANTHROPIC_DEFAULT_MAX_TOKENS`: Anthropic requires `max_tokens`.
    pub anthropic_default_max_tokens: u64,
    /// `TRANSLATION_MODE`: what to do with parameters another dialect cannot express.
    pub strictness: Strictness,
}

impl Default for GlobalProviderOptions {
    fn default() -> Self {
        Self {
            openrouter_site_url: "https://gomodel.enterpilot.io".to_owned(),
            openrouter_app_name: "GoModel".to_owned(),
            anthropic_default_max_tokens: 4096,
            strictness: Strictness::Lenient,
        }
    }
}

/// The Azure API version used when none is configured (GoModel's default).
pub const AZURE_DEFAULT_API_VERSION: &str = "2024-10-21";
