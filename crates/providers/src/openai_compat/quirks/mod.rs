//! Per-type quirks of OpenAI-compatible providers, one file each, applied to the parsed request
//! body in place. Each file cites the part of the reference (or the provider's docs) it follows.

mod deepseek;
mod minimax;
pub(crate) mod ollama;
mod openai;
pub(crate) mod openrouter;
mod xai;

use gomodel_protocol::JsonObject;
use gomodel_protocol::openai::UpstreamErrorBody;
use http::HeaderMap;

use crate::ProviderKind;
use crate::provider::RequestAdjustments;

/// Applies the chat-request quirks of `kind`.
pub(crate) fn adapt_chat(
    kind: ProviderKind,
    body: &mut JsonObject<'_>,
    model: &str,
    client_headers: &HeaderMap,
    adjustments: &mut RequestAdjustments,
) {
    match kind {
        ProviderKind::OpenAi | ProviderKind::Azure => {
            openai::adapt_reasoning_model(body, model, adjustments);
            openai::flatten_reasoning_effort(body);
        }
        // Google's OpenAI-compatible endpoint reads `reasoning_effort` (GoModel rewrites the
        // `reasoning: {effort}` form for it).
        ProviderKind::Groq | ProviderKind::Gemini | ProviderKind::Vertex => {
            openai::flatten_reasoning_effort(body)
        }
        ProviderKind::Xai => {
            openai::flatten_reasoning_effort(body);
            xai::conversation_header(body, model, client_headers, adjustments);
        }
        ProviderKind::DeepSeek => deepseek::map_reasoning_effort(body, adjustments),
        ProviderKind::MiniMax => minimax::clamp_temperature(body, adjustments),
        ProviderKind::OpenRouter => {
            openrouter::forward_client_attribution(client_headers, adjustments)
        }
        ProviderKind::Oracle
        | ProviderKind::Ollama
        | ProviderKind::Vllm
        | ProviderKind::Zai
        | ProviderKind::Anthropic
        | ProviderKind::Bedrock => {}
    }
}

/// The message to show for an upstream error, after the type's unwrapping rules.
pub(crate) fn error_message(kind: ProviderKind, body: &UpstreamErrorBody) -> Option<String> {
    if kind == ProviderKind::OpenRouter
        && let Some(raw) = openrouter::unwrap_error(body)
    {
        return Some(raw);
    }
    body.message.clone()
}
