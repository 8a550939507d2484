//! Upstream providers: everything that talks to an LLM API over the network.
//!
//! - [`ProviderKind`] is the closed set of provider types with their defaults (base URL, auth
//!   style, whether a key or base URL is required);
//! - [`ProviderSettings`] is one configured instance (`openai`, `openai-east`, `ollama-a`…);
//! - [`Provider`] dispatches to the adapter for the instance's upstream dialect (an enum, not a
//!   trait object: the set of dialects is closed and `async fn` stays zero-cost);
//! - [`ProviderRegistry`] holds the instances in a deterministic order;
//! - [`UpstreamClient`] is the one pooled HTTP client every adapter uses.
//!
//! Adapters never see the client's credentials and never put a provider key in an error.

mod anthropic;
pub mod aws;
mod bedrock;
mod error;
mod gemini;
pub mod google_auth;
mod http;
mod kind;
mod model_list;
pub mod openai_compat;
pub mod passthrough;
mod provider;
mod redact;
mod refresh;
mod registry;
mod response;
mod secret;
mod settings;
mod translated_stream;
mod util;

pub use error::{ProviderError, TransportFailure};
pub use http::{ClientOptions, UpstreamClient, install_crypto_provider, set_worker_index};
pub use kind::ProviderKind;
pub use model_list::{ModelLimits, ModelListing};
pub use provider::{
    CallContext, ChatReply, JsonReply, Provider, RequestAdjustments, UpstreamModel, UpstreamStream,
};
pub use registry::ProviderRegistry;
pub use secret::Secret;
pub use settings::{
    ApiMode, BedrockAuth, BedrockSettings, GlobalProviderOptions, ProviderSettings, VertexSettings,
};
