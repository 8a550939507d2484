//! The provider types GoModel knows, and what each needs to be usable.
//!
//! The defaults follow GoModel's provider registrations (reference §3.2): default base URL,
//! whether a base URL is required, whether the type works without a key, and whether it takes
//! an API version (Azure only).

use std::fmt;

/// A provider type. `openai-east` and `openai` are two instances of [`ProviderKind::OpenAi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
    Gemini,
    Vertex,
    Bedrock,
    OpenRouter,
    Azure,
    Oracle,
    DeepSeek,
    Groq,
    MiniMax,
    Ollama,
    Vllm,
    Xai,
    Zai,
}

impl ProviderKind {
    /// Every type, in GoModel's registration order.
    pub const ALL: [ProviderKind; 15] = [
        Self::OpenAi,
        Self::OpenRouter,
        Self::Azure,
        Self::Oracle,
        Self::Anthropic,
        Self::DeepSeek,
        Self::Gemini,
        Self::Vertex,
        Self::Bedrock,
        Self::Groq,
        Self::MiniMax,
        Self::Ollama,
        Self::Vllm,
        Self::Xai,
        Self::Zai,
    ];

    /// The type name used in config (`type: openai`) and in `provider/model` selectors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Gemini => "gemini",
            Self::Vertex => "vertex",
            Self::Bedrock => "bedrock",
            Self::OpenRouter => "openrouter",
            Self::Azure => "azure",
            Self::Oracle => "oracle",
            Self::DeepSeek => "deepseek",
            Self::Groq => "groq",
            Self::MiniMax => "minimax",
            Self::Ollama => "ollama",
            Self::Vllm => "vllm",
            Self::Xai => "xai",
            Self::Zai => "zai",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The env prefix: the type uppercased (`OPENAI`, `OLLAMA`).
    pub fn env_prefix(self) -> String {
        self.as_str().to_ascii_uppercase()
    }

    /// Base URL used when a key is configured without one.
    pub fn default_base_url(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => Some("https://api.openai.com/v1"),
            Self::Anthropic => Some("https://api.anthropic.com/v1"),
            // The native API; the OpenAI-compatible one is this plus `/openai`.
            Self::Gemini => Some("https://generativelanguage.googleapis.com/v1beta"),
            Self::OpenRouter => Some("https://openrouter.ai/api/v1"),
            Self::DeepSeek => Some("https://api.deepseek.com"),
            Self::Groq => Some("https://api.groq.com/openai/v1"),
            Self::MiniMax => Some("https://api.minimax.io/v1"),
            Self::Ollama => Some("http://localhost:11434/v1"),
            Self::Vllm => Some("http://localhost:8000/v1"),
            Self::Xai => Some("https://api.x.ai/v1"),
            Self::Zai => Some("https://api.z.ai/api/paas/v4"),
            // Vertex derives its URL from project and location, Bedrock from the region;
            // Azure and Oracle need one.
            Self::Azure | Self::Oracle | Self::Vertex | Self::Bedrock => None,
        }
    }

    /// Azure and Oracle have no public default endpoint: each deployment has its own.
    pub fn requires_base_url(self) -> bool {
        matches!(self, Self::Azure | Self::Oracle)
    }

    /// Self-hosted servers run without a key unless started with one; Vertex authenticates
    /// with Google credentials, not an API key.
    pub fn allows_keyless(self) -> bool {
        matches!(
            self,
            Self::Ollama | Self::Vllm | Self::Vertex | Self::Bedrock
        )
    }

    /// Only Azure takes an `api-version` query parameter.
    pub fn supports_api_version(self) -> bool {
        matches!(self, Self::Azure)
    }

    /// The header the client's request id is forwarded in (reference §1.2).
    pub fn request_id_header(self) -> &'static str {
        match self {
            Self::OpenAi | Self::Azure | Self::OpenRouter => "x-client-request-id",
            _ => "x-request-id",
        }
    }

    /// Whether `/v1/embeddings` exists upstream (DeepSeek and Oracle have none).
    pub fn supports_embeddings(self) -> bool {
        !matches!(
            self,
            Self::DeepSeek | Self::Oracle | Self::Anthropic | Self::Bedrock
        )
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ProviderKind::ALL {
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ProviderKind::parse("nope"), None);
    }
}
