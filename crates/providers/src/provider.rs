//! `Provider`: one configured instance, dispatching to the adapter of its upstream dialect.
//!
//! The gateway drives every call in two steps: `prepare_*` rewrites the parsed request body in
//! place (model id, provider quirks) and returns the extra headers to send; then `chat` /
//! `embeddings` send the bytes. Splitting the steps lets the gateway serialize the body once,
//! after all rewrites, and skip serialization entirely when nothing changed.

use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;
use gomodel_protocol::report::TranslationReport;
use gomodel_protocol::{JsonObject, Usage};
use http::HeaderMap;

use crate::anthropic::AnthropicProvider;
use crate::bedrock::BedrockProvider;
use crate::gemini::GeminiNative;
use crate::gemini::target::Bases;
use crate::openai_compat::OpenAiCompat;
use crate::settings::{ApiMode, GlobalProviderOptions};
use crate::{ProviderError, ProviderKind, ProviderSettings, UpstreamClient};

/// The raw bytes of an upstream event stream, as they arrive.
pub type UpstreamStream = Pin<Box<dyn Stream<Item = Result<Bytes, ProviderError>> + Send>>;

/// Per-call facts the adapter needs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    /// The request id, forwarded in the provider's request-id header.
    pub request_id: &'a str,
    /// The client asked for a stream.
    pub stream: bool,
    /// The upstream model id (Azure resource-root URLs use it as the deployment name).
    pub model: &'a str,
}

/// What `prepare_*` changed or adds, besides the body edits themselves.
#[derive(Debug, Default)]
pub struct RequestAdjustments {
    /// Headers to send upstream with this request.
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Human-readable notes on parameters renamed, dropped or clamped for this provider.
    pub notes: Vec<String>,
}

/// A complete JSON answer in the OpenAI dialect.
#[derive(Debug)]
pub struct JsonReply {
    /// Well-formed JSON, always: checked when it came from the provider as it is, written by
    /// serde when translated (the audit log stores it without checking it again).
    pub body: Bytes,
    pub usage: Option<Usage>,
    /// What a cross-dialect translation dropped or clamped (empty on the fast path).
    pub report: TranslationReport,
}

/// The answer to a chat request.
pub enum ChatReply {
    Json(JsonReply),
    /// OpenAI-dialect SSE bytes, not yet split into events, and the translation report.
    Stream(UpstreamStream, TranslationReport),
}

impl std::fmt::Debug for ChatReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json(reply) => f.debug_tuple("Json").field(reply).finish(),
            Self::Stream(..) => f.write_str("Stream(..)"),
        }
    }
}

/// A model as a provider lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UpstreamModel {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
}

/// One configured provider instance.
#[derive(Debug)]
pub struct Provider {
    settings: ProviderSettings,
    /// For passthrough; adapters hold their own clone.
    client: UpstreamClient,
    adapter: Adapter,
}

/// The upstream dialects. Later dialects (Bedrock) join as variants.
#[derive(Debug)]
enum Adapter {
    OpenAiCompat(OpenAiCompat),
    Anthropic(AnthropicProvider),
    /// Gemini or Vertex, translated to `generateContent`.
    Gemini(GeminiNative),
    /// Gemini or Vertex through Google's OpenAI-compatible endpoint; the native client lists
    /// models (both modes) and, on Vertex, serves embeddings (`predict`).
    GoogleCompat {
        compat: OpenAiCompat,
        native: GeminiNative,
    },
    /// Amazon Bedrock's Converse API.
    Bedrock(BedrockProvider),
    /// A provider whose settings could not make an adapter: every call fails with why.
    Broken(String),
}

impl Provider {
    pub fn new(
        settings: ProviderSettings,
        client: UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Self {
        let adapter = match settings.kind {
            ProviderKind::Anthropic => {
                Adapter::Anthropic(AnthropicProvider::new(&settings, client.clone(), options))
            }
            ProviderKind::Gemini | ProviderKind::Vertex => {
                google_adapter(&settings, &client, options)
            }
            ProviderKind::Bedrock => match BedrockProvider::new(&settings, client.clone(), options)
            {
                Ok(bedrock) => Adapter::Bedrock(bedrock),
                Err(err) => Adapter::Broken(err.to_string()),
            },
            _ => Adapter::OpenAiCompat(OpenAiCompat::new(&settings, client.clone(), options)),
        };
        Self {
            settings,
            client,
            adapter,
        }
    }

    pub fn name(&self) -> &str {
        &self.settings.name
    }

    pub fn kind(&self) -> ProviderKind {
        self.settings.kind
    }

    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// Rewrites a chat request for this provider: upstream model id, then the type's quirks.
    pub fn prepare_chat(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
        client_headers: &HeaderMap,
    ) -> Result<RequestAdjustments, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.prepare_chat(body, upstream_model, client_headers),
            Adapter::Anthropic(a) => a.prepare_chat(body, upstream_model, client_headers),
            Adapter::Gemini(a) => Ok(a.prepare(body, upstream_model)),
            Adapter::GoogleCompat { compat, .. } => {
                compat.prepare_chat(body, &self.compat_model(upstream_model), client_headers)
            }
            Adapter::Bedrock(a) => Ok(a.prepare(body, upstream_model)),
            Adapter::Broken(reason) => Err(self.broken(reason)),
        }
    }

    pub async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.chat(body, ctx, adjustments).await,
            Adapter::Anthropic(a) => a.chat(body, ctx, adjustments).await,
            Adapter::Gemini(a) => a.chat(body, ctx, adjustments).await,
            Adapter::GoogleCompat { compat, .. } => {
                let model = self.compat_model(ctx.model);
                let ctx = CallContext {
                    model: &model,
                    ..ctx
                };
                compat.chat(body, ctx, adjustments).await
            }
            Adapter::Bedrock(a) => a.chat(body, ctx, adjustments).await,
            Adapter::Broken(reason) => Err(self.broken(reason)),
        }
    }

    /// Rewrites an embeddings request for this provider.
    pub fn prepare_embeddings(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
    ) -> Result<RequestAdjustments, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.prepare_embeddings(body, upstream_model),
            Adapter::Anthropic(_) => Err(ProviderError::Unsupported {
                provider: self.settings.name.clone(),
                kind: "anthropic",
                operation: "embeddings",
            }),
            Adapter::Gemini(a) => Ok(a.prepare(body, upstream_model)),
            Adapter::GoogleCompat { native, .. } if self.kind() == ProviderKind::Vertex => {
                Ok(native.prepare(body, upstream_model))
            }
            Adapter::GoogleCompat { compat, .. } => compat.prepare_embeddings(body, upstream_model),
            Adapter::Bedrock(_) => Err(self.unsupported("embeddings")),
            Adapter::Broken(reason) => Err(self.broken(reason)),
        }
    }

    pub async fn embeddings(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<JsonReply, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.embeddings(body, ctx, adjustments).await,
            Adapter::Anthropic(_) => Err(ProviderError::Unsupported {
                provider: self.settings.name.clone(),
                kind: "anthropic",
                operation: "embeddings",
            }),
            Adapter::Gemini(a) => a.embeddings(body, ctx, adjustments).await,
            // Vertex's OpenAI-compatible endpoint has no embeddings: `predict` serves them.
            Adapter::GoogleCompat { native, .. } if self.kind() == ProviderKind::Vertex => {
                native.embeddings(body, ctx, adjustments).await
            }
            Adapter::GoogleCompat { compat, .. } => compat.embeddings(body, ctx, adjustments).await,
            Adapter::Bedrock(_) => Err(self.unsupported("embeddings")),
            Adapter::Broken(reason) => Err(self.broken(reason)),
        }
    }

    /// The provider's own model list.
    pub async fn list_models(&self) -> Result<Vec<UpstreamModel>, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.list_models().await.map(|listing| listing.models),
            Adapter::Anthropic(a) => a.list_models().await,
            Adapter::Gemini(a) | Adapter::GoogleCompat { native: a, .. } => {
                a.list_models().await.map(|listing| listing.models)
            }
            Adapter::Bedrock(a) => a.list_models().await,
            Adapter::Broken(reason) => Err(self.broken(reason)),
        }
    }

    /// The provider's own model list with each model's context window and output limit where
    /// the list states them (OpenAI-compatible lists and Google's, see `model_list`).
    pub async fn model_listing(&self) -> Result<crate::ModelListing, ProviderError> {
        match &self.adapter {
            Adapter::OpenAiCompat(a) => a.list_models().await,
            Adapter::Gemini(a) | Adapter::GoogleCompat { native: a, .. } => a.list_models().await,
            _ => self.list_models().await.map(crate::ModelListing::from),
        }
    }

    /// Forwards a passthrough request (`/p/{provider}/...`) with this provider's credential.
    pub async fn passthrough(
        &self,
        request: crate::passthrough::PassthroughRequest,
    ) -> Result<reqwest::Response, ProviderError> {
        crate::passthrough::forward(&self.settings, &self.client, request).await
    }

    /// Sends an Anthropic-dialect request untranslated (Anthropic providers only); `None` when
    /// this provider does not speak the Messages dialect.
    pub async fn anthropic_native(
        &self,
        path: &str,
        body: Bytes,
        ctx: CallContext<'_>,
        client_headers: &HeaderMap,
    ) -> Option<Result<reqwest::Response, ProviderError>> {
        match &self.adapter {
            Adapter::Anthropic(a) => Some(a.native(path, body, ctx, client_headers).await),
            _ => None,
        }
    }

    fn unsupported(&self, operation: &'static str) -> ProviderError {
        ProviderError::Unsupported {
            provider: self.settings.name.clone(),
            kind: self.kind().as_str(),
            operation,
        }
    }

    fn broken(&self, reason: &str) -> ProviderError {
        ProviderError::InvalidRequest {
            message: format!(
                "provider '{}' is misconfigured: {reason}",
                self.settings.name
            ),
            param: None,
        }
    }

    /// Vertex's OpenAI-compatible endpoint names Google's models `google/<id>`.
    fn compat_model(&self, model: &str) -> String {
        if self.kind() == ProviderKind::Vertex && !model.contains('/') {
            format!("google/{model}")
        } else {
            model.to_owned()
        }
    }
}

/// Gemini and Vertex: native translation, or Google's OpenAI-compatible endpoint (with the
/// native client kept for what that endpoint lacks).
fn google_adapter(
    settings: &ProviderSettings,
    client: &UpstreamClient,
    options: &GlobalProviderOptions,
) -> Adapter {
    let native = GeminiNative::new(settings, client.clone(), options);
    if settings.api_mode == ApiMode::Native {
        return Adapter::Gemini(native);
    }
    let bases = match &settings.vertex {
        Some(vertex) => Bases::vertex(&settings.base_url, vertex),
        None => Bases::ai_studio(&settings.base_url),
    };
    let compat_settings = ProviderSettings {
        base_url: bases.compat,
        ..settings.clone()
    };
    let compat = OpenAiCompat::new(&compat_settings, client.clone(), options)
        .with_google_auth(native.target().google_auth());
    Adapter::GoogleCompat { compat, native }
}
