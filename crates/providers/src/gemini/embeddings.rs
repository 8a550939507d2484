//! `/v1/embeddings` on Gemini: `embedContent` for one input and `batchEmbedContents` for
//! several (AI Studio), or `predict` (Vertex AI), split into calls of the sizes each API
//! accepts and sent a few at a time, in order.
//!
//! Limits: AI Studio takes at most 100 requests per `batchEmbedContents`; Vertex's text
//! embedding models at most 250 instances per `predict`; Vertex's Gemini embedding models one.
//! An OpenAI client may send 2,048 inputs in one request.

use bytes::Bytes;
use futures_util::StreamExt;
use gomodel_protocol::Usage;
use gomodel_protocol::gemini::embeddings::{self as wire, EmbeddingRequest};
use gomodel_protocol::report::TranslationReport;

use super::GeminiNative;
use super::target::bare_model_id;
use crate::ProviderError;
use crate::error::parse_body;
use crate::provider::{CallContext, JsonReply, RequestAdjustments};
use crate::response::invalid;

const AI_STUDIO_BATCH: usize = 100;
const VERTEX_BATCH: usize = 250;
/// Vertex models that take one instance per `predict` call.
const VERTEX_SINGLE_INPUT_PREFIX: &str = "gemini-embedding";
/// Calls in flight at once for one client request.
const CONCURRENCY: usize = 4;

/// One call's vectors and, on Vertex, its token count.
type Group = (Vec<Vec<f32>>, Option<u64>);

/// Which of Google's embedding methods a request uses.
#[derive(Clone, Copy)]
enum Method {
    /// AI Studio, a single input: the plain method, as Google's SDKs use for one text.
    EmbedContent,
    /// AI Studio, several inputs.
    BatchEmbedContents,
    /// Vertex AI.
    Predict,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Self::EmbedContent => "embedContent",
            Self::BatchEmbedContents => "batchEmbedContents",
            Self::Predict => "predict",
        }
    }
}

pub(super) async fn embed(
    provider: &GeminiNative,
    body: Bytes,
    ctx: CallContext<'_>,
    adjustments: RequestAdjustments,
) -> Result<JsonReply, ProviderError> {
    let request: EmbeddingRequest = parse_body(&body, "embeddings")?;
    let texts = request.texts()?;
    let model = bare_model_id(ctx.model);
    let (method, size) = match provider.target().is_vertex() {
        true if model.starts_with(VERTEX_SINGLE_INPUT_PREFIX) => (Method::Predict, 1),
        true => (Method::Predict, VERTEX_BATCH),
        false if texts.len() == 1 => (Method::EmbedContent, 1),
        false => (Method::BatchEmbedContents, AI_STUDIO_BATCH),
    };
    let url = provider.target().model_url(model, method.name());
    let calls: Vec<_> = texts
        .chunks(size)
        .map(|group| {
            let call = Call {
                method,
                model,
                url: &url,
            };
            embed_group(provider, &request, call, group, ctx, &adjustments)
        })
        .collect();
    let answers: Vec<Result<Group, ProviderError>> = futures_util::stream::iter(calls)
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let mut vectors = Vec::with_capacity(texts.len());
    let mut tokens: Option<u64> = None;
    for answer in answers {
        let (group, count) = answer?;
        vectors.extend(group);
        if let Some(count) = count {
            tokens = Some(tokens.unwrap_or(0) + count);
        }
    }
    let answer = wire::openai_response(ctx.model, &vectors, tokens, request.wants_base64());
    Ok(JsonReply {
        body: Bytes::from(answer.to_string()),
        usage: tokens.map(|tokens| Usage {
            prompt_tokens: tokens,
            total_tokens: tokens,
            ..Usage::default()
        }),
        report: TranslationReport::default(),
    })
}

/// Where one call goes.
#[derive(Clone, Copy)]
struct Call<'a> {
    method: Method,
    model: &'a str,
    url: &'a str,
}

/// One `embedContent`, `batchEmbedContents` or `predict` call for `group`.
async fn embed_group(
    provider: &GeminiNative,
    request: &EmbeddingRequest,
    call: Call<'_>,
    group: &[String],
    ctx: CallContext<'_>,
    adjustments: &RequestAdjustments,
) -> Result<Group, ProviderError> {
    // `embed` gives embedContent calls exactly one text.
    let payload = match (call.method, group) {
        (Method::EmbedContent, [text]) => wire::embed_content_request(call.model, request, text),
        (Method::Predict, _) => wire::predict_request(request, group),
        _ => wire::batch_request(call.model, request, group),
    };
    let raw = provider
        .send_json(call.url, &payload, ctx, adjustments.headers.clone())
        .await?;
    // AI Studio does not count embedding tokens.
    let read = match call.method {
        Method::EmbedContent => wire::vector_from_embed_content(&raw).map(|v| (vec![v], None)),
        Method::BatchEmbedContents => wire::vectors_from_batch(&raw).map(|v| (v, None)),
        Method::Predict => wire::vectors_from_predict(&raw).map(|(v, tokens)| (v, Some(tokens))),
    };
    let (vectors, tokens) = read.map_err(|detail| invalid(provider.name(), detail))?;
    if vectors.len() != group.len() {
        return Err(invalid(
            provider.name(),
            format!(
                "{} embeddings returned for {} inputs",
                vectors.len(),
                group.len()
            ),
        ));
    }
    Ok((vectors, tokens))
}
