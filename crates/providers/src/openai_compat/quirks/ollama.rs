//! Ollama embeddings go through the native `POST /api/embed` (at the server root, not under
//! `/v1`), whose answer `{"embeddings": [[…]], "prompt_eval_count": n}` is mapped back to the
//! OpenAI list shape (reference §3.3 "Ollama").
//! <https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings>

use bytes::Bytes;
use gomodel_protocol::Usage;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::ProviderError;
use crate::openai_compat::OpenAiCompat;
use crate::provider::{CallContext, JsonReply, RequestAdjustments};

#[derive(Deserialize)]
struct OpenAiEmbeddingRequest<'a> {
    model: String,
    #[serde(borrow)]
    input: &'a RawValue,
    #[serde(default)]
    dimensions: Option<u32>,
}

#[derive(Serialize)]
struct OllamaEmbedRequest<'a> {
    model: &'a str,
    input: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
}

#[derive(Deserialize)]
struct OllamaEmbedResponse {
    #[serde(default)]
    model: Option<String>,
    embeddings: Vec<Vec<f32>>,
    #[serde(default)]
    prompt_eval_count: Option<u64>,
}

#[derive(Serialize)]
struct EmbeddingList<'a> {
    object: &'static str,
    data: Vec<EmbeddingItem>,
    model: &'a str,
    usage: EmbeddingUsage,
}

#[derive(Serialize)]
struct EmbeddingItem {
    object: &'static str,
    index: usize,
    embedding: Vec<f32>,
}

#[derive(Serialize)]
struct EmbeddingUsage {
    prompt_tokens: u64,
    total_tokens: u64,
}

pub(crate) async fn embeddings(
    provider: &OpenAiCompat,
    body: Bytes,
    ctx: CallContext<'_>,
    adjustments: RequestAdjustments,
) -> Result<JsonReply, ProviderError> {
    let request: OpenAiEmbeddingRequest<'_> =
        serde_json::from_slice(&body).map_err(|err| ProviderError::InvalidRequest {
            message: format!("invalid embeddings request: {err}"),
            param: None,
        })?;
    let native = OllamaEmbedRequest {
        model: &request.model,
        input: request.input,
        dimensions: request.dimensions,
    };
    let native_body =
        serde_json::to_vec(&native).map_err(|err| provider.invalid(err.to_string()))?;
    let url =
        reqwest::Url::parse(&provider.endpoints().ollama_native("/api/embed")).map_err(|err| {
            ProviderError::InvalidRequest {
                message: format!("invalid Ollama base URL: {err}"),
                param: None,
            }
        })?;
    let response = provider
        .send(
            Method::POST,
            url,
            Some(Bytes::from(native_body)),
            ctx,
            adjustments,
        )
        .await?;
    let raw = response
        .bytes()
        .await
        .map_err(|err| ProviderError::Transport {
            provider: provider.name().to_owned(),
            failure: crate::http::classify(&err),
        })?;
    let parsed: OllamaEmbedResponse = serde_json::from_slice(&raw).map_err(|err| {
        provider.invalid(format!(
            "/api/embed answer is not an Ollama embed response: {err}"
        ))
    })?;
    let tokens = parsed.prompt_eval_count.unwrap_or(0);
    let list = EmbeddingList {
        object: "list",
        data: parsed
            .embeddings
            .into_iter()
            .enumerate()
            .map(|(index, embedding)| EmbeddingItem {
                object: "embedding",
                index,
                embedding,
            })
            .collect(),
        model: parsed.model.as_deref().unwrap_or(&request.model),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    };
    let out = serde_json::to_vec(&list).map_err(|err| provider.invalid(err.to_string()))?;
    Ok(JsonReply {
        report: Default::default(),
        body: Bytes::from(out),
        usage: Some(Usage {
            prompt_tokens: tokens,
            total_tokens: tokens,
            ..Usage::default()
        }),
    })
}
