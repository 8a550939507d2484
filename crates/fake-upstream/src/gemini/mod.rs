//! Google's Gemini API (AI Studio, https://ai.google.dev/api) and Vertex AI's Google publisher
//! models (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest), on the same
//! fake server as the OpenAI and Anthropic routes.
//!
//! Routes are `POST …/models/{model}:{method}` with `generateContent`,
//! `streamGenerateContent` (`?alt=sse` for SSE, else a JSON array), `countTokens`,
//! `embedContent`, `batchEmbedContents` and Vertex's `predict` (text embeddings), plus
//! `GET …/models` with an API key. A path under `/projects/{p}/locations/{l}/` is Vertex AI
//! (bearer token from `google_oauth.rs`); any other is AI Studio (API key).
//!
//! Requests are read as strictly as Google reads them (`request.rs`, `schema.rs`, `turns.rs`),
//! so a gateway that sends an unknown field, a JSON Schema keyword, a bad role, unpaired
//! function responses or a forged thought signature fails here as it would there. Faults are
//! the usual model names (`faults.rs`), answered in Google's error format (`errors.rs`);
//! `fake-safety-prompt`, `fake-safety-candidate` and `fake-recitation` script blocked answers.

mod answer;
mod auth;
mod embeddings;
mod errors;
mod models;
mod reader;
mod request;
mod response;
mod schema;
mod signatures;
mod stream;
mod turns;

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde::Serialize;

use crate::app::App;
use crate::base64;
use crate::faults::Fault;
use crate::options::FakeOptions;
use crate::reply;
use crate::scripted::{self, Dialect};

pub(crate) use errors::ApiError;
use reader::Reader;
use response::Stamp;
pub(crate) use signatures::Signatures;

/// Gemini's per-fake state: the signatures it issued, and the plain answer's stream pieces.
pub(crate) struct Gemini {
    pub(crate) signatures: Signatures,
    text_pieces: Vec<String>,
}

impl Gemini {
    pub(crate) fn new(options: &FakeOptions) -> Self {
        let count = options
            .stream_chunks
            .unwrap_or(answer::TEXT_PIECES.len())
            .max(1);
        let text_pieces = answer::TEXT_PIECES
            .iter()
            .cycle()
            .take(count)
            .map(|p| (*p).to_owned())
            .collect();
        Self {
            signatures: Signatures::default(),
            text_pieces,
        }
    }
}

/// The `:method` of a model route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Generate,
    Stream,
    CountTokens,
    Embed,
    BatchEmbed,
    Predict,
}

impl Method {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "generateContent" => Self::Generate,
            "streamGenerateContent" => Self::Stream,
            "countTokens" => Self::CountTokens,
            "embedContent" => Self::Embed,
            "batchEmbedContents" => Self::BatchEmbed,
            "predict" => Self::Predict,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Generate => "generateContent",
            Self::Stream => "streamGenerateContent",
            Self::CountTokens => "countTokens",
            Self::Embed => "embedContent",
            Self::BatchEmbed => "batchEmbedContents",
            Self::Predict => "predict",
        }
    }
}

/// The model route a path names: the segment after the last `/models/` up to `:`, and the
/// method after it.
pub(crate) fn model_route(path: &str) -> Option<(&str, Method)> {
    let at = path.rfind("/models/")?;
    let (model, method) = path[at + "/models/".len()..].split_once(':')?;
    if model.is_empty() || model.contains('/') {
        return None;
    }
    Some((model, Method::parse(method)?))
}

/// What one request is: which model and method, on which API.
pub(crate) struct Call<'p> {
    model: &'p str,
    method: Method,
    /// `v1beta`, `v1`, `v1beta1`: the path's first version segment.
    version: &'p str,
    vertex: bool,
    /// `streamGenerateContent?alt=sse`.
    sse: bool,
}

impl<'p> Call<'p> {
    fn of(parts: &'p http::request::Parts) -> Option<Self> {
        let path = parts.uri.path();
        let (model, method) = model_route(path)?;
        Some(Self {
            model,
            method,
            version: version(path),
            vertex: is_vertex(path),
            sse: parts
                .uri
                .query()
                .is_some_and(|q| q.split('&').any(|pair| pair == "alt=sse")),
        })
    }
}

fn version(path: &str) -> &str {
    path.split('/')
        .find(|s| s.len() > 1 && s.starts_with('v') && s.as_bytes()[1].is_ascii_digit())
        .unwrap_or("v1beta")
}

pub(crate) fn is_vertex(path: &str) -> bool {
    path.contains("/projects/") && path.contains("/locations/")
}

/// `GET …/models` goes to Google when the request carries an API key, which neither OpenAI's
/// nor Anthropic's clients send.
pub(crate) fn speaks_google(parts: &http::request::Parts) -> bool {
    auth::api_key(parts).is_some()
}

/// `POST …/models/{model}:{method}`.
pub(crate) async fn respond(app: Arc<App>, parts: &http::request::Parts, body: Bytes) -> Response {
    let Some(call) = Call::of(parts) else {
        return ApiError::new(404, "Method not found.").into_response();
    };
    if let Err(error) = auth::check(&app, parts, call.vertex) {
        return error.into_response();
    }
    let fault = Fault::from_model(call.model);
    if let Fault::Error(status) = fault {
        return errors::scripted(status, &call).into_response();
    }
    let streaming = call.method == Method::Stream;
    // Error faults were answered above; the rest (slow, garbage, drop, stall) are generic.
    if let Some(response) =
        scripted::before_answer(fault, call.model, Dialect::OpenAi, streaming).await
    {
        return response;
    }
    let reader = Reader::new(call.vertex);
    let answer = match call.method {
        Method::Generate | Method::Stream => return generate(&app, &call, &reader, &body, fault),
        Method::CountTokens => count_tokens(&reader, &body, call.vertex),
        Method::Embed => embeddings::embed_content(&reader, &body),
        Method::BatchEmbed => embeddings::batch_embed(&reader, &body, call.model),
        Method::Predict => embeddings::predict(&reader, &body),
    };
    match answer {
        Ok(value) => ok(&value),
        Err(error) => error.into_response(),
    }
}

/// `GET …/models` on the Gemini API.
pub(crate) fn list_models(app: &App, parts: &http::request::Parts) -> Response {
    if let Err(error) = auth::check(app, parts, false) {
        return error.into_response();
    }
    match models::page(app.options.models.as_deref(), parts.uri.query()) {
        Ok(page) => ok(&page),
        Err(error) => error.into_response(),
    }
}

/// `GET {origin}/v1beta1/publishers/google/models`: Vertex AI's Model Garden list (Google's
/// models as `publishers/google/models/{id}`, without supported methods), paged like the
/// Gemini API's list.
pub(crate) fn list_publisher_models(app: &App, parts: &http::request::Parts) -> Response {
    if let Err(error) = auth::check(app, parts, true) {
        return error.into_response();
    }
    match models::publisher_page(app.options.models.as_deref(), parts.uri.query()) {
        Ok(page) => ok(&page),
        Err(error) => error.into_response(),
    }
}

/// `POST …/projects/{p}/locations/{l}/endpoints/openapi/chat/completions`: Vertex AI's
/// OpenAI-compatible chat. A Google token is required and models are `publisher/model`
/// (`google/gemini-2.5-flash`); the answer is the OpenAI fake's.
pub(crate) async fn vertex_openai_chat(
    app: Arc<App>,
    parts: &http::request::Parts,
    body: Bytes,
) -> Response {
    if let Err(error) = auth::check(&app, parts, true) {
        return error.into_response();
    }
    let model = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("model")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    if !model.contains('/') {
        return ApiError::invalid(format!(
            "Model name must be in the format of publisher/model, got \"{model}\"."
        ))
        .into_response();
    }
    crate::chat::respond(app, body).await
}

fn generate(
    app: &Arc<App>,
    call: &Call<'_>,
    reader: &Reader,
    body: &[u8],
    fault: Fault,
) -> Response {
    let planned = reader.request(body).and_then(|request| {
        turns::check(&request, call.model, &app.gemini.signatures)?;
        answer::plan(app, &request, call.model)
    });
    let plan = match planned {
        Ok(plan) => plan,
        Err(error) => return error.into_response(),
    };
    let stamp = Stamp {
        model_version: call.model.to_owned(),
        response_id: response_id(app),
        create_time: call.vertex.then(response::rfc3339_now),
        vertex: call.vertex,
    };
    if call.method == Method::Stream {
        stream::respond(app, &stream::chunks(&plan, &stamp), call.sse, fault)
    } else {
        ok(&response::whole(&plan, &stamp))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CountTokensResponse {
    total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_billable_characters: Option<u64>,
    prompt_tokens_details: Vec<serde_json::Value>,
}

/// `countTokens`: the same estimate `promptTokenCount` reports. The body is a
/// GenerateContentRequest, or one wrapped in `generateContentRequest`.
fn count_tokens(reader: &Reader, body: &[u8], vertex: bool) -> Result<serde_json::Value, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::invalid("Invalid JSON payload received. Unexpected token."))?;
    let inner = value
        .get("generateContentRequest")
        .or_else(|| value.get("generate_content_request"));
    let request = match inner {
        Some(inner) => reader.request(inner.to_string().as_bytes())?,
        None => reader.request(body)?,
    };
    let tokens = crate::request::text_tokens(request.prompt_bytes);
    let response = CountTokensResponse {
        total_tokens: tokens,
        total_billable_characters: vertex.then_some(request.prompt_bytes as u64),
        prompt_tokens_details: vec![serde_json::json!({"modality": "TEXT", "tokenCount": tokens})],
    };
    serde_json::to_value(response).map_err(|e| ApiError::new(500, e.to_string()))
}

/// 22 URL-safe characters, like Google's response ids.
fn response_id(app: &App) -> String {
    let mut bytes = app.next_id().to_be_bytes().to_vec();
    bytes.extend_from_slice(&app.next_id().to_be_bytes());
    base64::encode_url(&bytes)
}

/// Google pretty-prints its JSON answers.
fn ok(value: &impl Serialize) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    reply::json(StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_routes() {
        assert_eq!(
            model_route("/v1beta/models/gemini-2.5-flash:generateContent"),
            Some(("gemini-2.5-flash", Method::Generate))
        );
        assert_eq!(
            model_route(
                "/v1/projects/p/locations/us-central1/publishers/google/models/m:streamGenerateContent"
            ),
            Some(("m", Method::Stream))
        );
        assert_eq!(model_route("/v1beta/models/m:rawPredict"), None);
        assert_eq!(model_route("/v1beta/models/:generateContent"), None);
        assert_eq!(model_route("/v1/models"), None);
        assert_eq!(version("/v1beta1/projects/p/locations/global/x"), "v1beta1");
        assert_eq!(version("/gemini/models/m:embedContent"), "v1beta");
        assert!(is_vertex(
            "/v1/projects/p/locations/global/publishers/google/models/m:predict"
        ));
        assert!(!is_vertex("/v1beta/models/m:predict"));
    }
}
