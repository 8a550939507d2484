//! Gemini's native API (`generateContent`) for OpenAI-dialect requests, on AI Studio
//! (`gemini`) and Vertex AI (`vertex`).
//!
//! Reference: <https://ai.google.dev/api/generate-content>. Requests are translated through
//! the canonical types (`gomodel_protocol::gemini`); answers and streams come back as OpenAI
//! chat completions. [`target`] decides the URLs and the credential (API key or OAuth token).
//! Embeddings use `batchEmbedContents` on AI Studio and `predict` on Vertex; the model list
//! comes from each service's own listing, filtered to models a chat or embeddings request
//! can use.

mod models;
mod stream;
pub(crate) mod target;

use bytes::Bytes;
use gomodel_protocol::JsonObject;
use gomodel_protocol::canonical::ChatRequest;
use gomodel_protocol::gemini::embeddings::{self, EmbeddingRequest};
use gomodel_protocol::gemini::request::to_gemini;
use gomodel_protocol::gemini::response::to_openai_response;
use gomodel_protocol::gemini::usage::to_usage;
use gomodel_protocol::gemini::wire::GenerateContentResponse;
use gomodel_protocol::openai::UpstreamErrorBody;
use gomodel_protocol::report::{Strictness, TranslationReport};
use gomodel_protocol::{Usage, json_object::encode_value};
use http::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;

use crate::provider::{CallContext, ChatReply, JsonReply, RequestAdjustments, UpstreamModel};
use crate::redact::redact;
use crate::response::{MAX_ERROR_BYTES, MAX_RESPONSE_BYTES, invalid, read_body};
use crate::settings::GlobalProviderOptions;
use crate::{ProviderError, ProviderKind, ProviderSettings, Secret, UpstreamClient};

use target::{Target, bare_model_id};

/// Inputs per Vertex `predict` call for models that take one at a time.
const VERTEX_SINGLE_INPUT_PREFIX: &str = "gemini-embedding";

#[derive(Debug)]
pub struct GeminiNative {
    name: String,
    kind: ProviderKind,
    api_key: Secret,
    target: Target,
    client: UpstreamClient,
    strictness: Strictness,
}

impl GeminiNative {
    pub(crate) fn new(
        settings: &ProviderSettings,
        client: UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Self {
        Self {
            name: settings.name.clone(),
            kind: settings.kind,
            api_key: settings.api_key.clone(),
            target: Target::new(settings, &client),
            client,
            strictness: options.strictness,
        }
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn prepare(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
    ) -> RequestAdjustments {
        if body.get_str("model").ok().flatten().as_deref() != Some(upstream_model) {
            body.set_str("model", upstream_model);
        }
        RequestAdjustments::default()
    }

    /// An OpenAI-dialect chat request, translated to `generateContent` and back.
    pub(crate) async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        let request: ChatRequest =
            serde_json::from_slice(&body).map_err(|err| ProviderError::InvalidRequest {
                message: format!("invalid chat request: {err}"),
                param: None,
            })?;
        let mut report = TranslationReport::new(self.strictness);
        let translated =
            to_gemini(&request, &mut report).map_err(|err| ProviderError::InvalidRequest {
                message: err.message,
                param: err.param,
            })?;
        let upstream = Bytes::from(
            serde_json::to_vec(&translated).map_err(|err| invalid(&self.name, err.to_string()))?,
        );
        let url = if ctx.stream {
            format!(
                "{}?alt=sse",
                self.target.model_url(ctx.model, "streamGenerateContent")
            )
        } else {
            self.target.model_url(ctx.model, "generateContent")
        };
        let response = self
            .send(Method::POST, &url, Some(upstream), ctx, adjustments.headers)
            .await?;
        let fallback_id = fallback_id(ctx.request_id);
        if ctx.stream {
            let stream =
                stream::translate(response, self.name.clone(), ctx.model, now(), &fallback_id);
            return Ok(ChatReply::Stream(stream, report));
        }
        let raw = read_body(&self.name, response, MAX_RESPONSE_BYTES).await?;
        let parsed: GenerateContentResponse = serde_json::from_slice(&raw)
            .map_err(|err| invalid(&self.name, format!("not a generateContent answer: {err}")))?;
        let usage = parsed.usage_metadata.as_ref().map(to_usage);
        let openai = to_openai_response(&parsed, ctx.model, now(), &fallback_id);
        let body =
            serde_json::to_vec(&openai).map_err(|err| invalid(&self.name, err.to_string()))?;
        Ok(ChatReply::Json(JsonReply {
            body: Bytes::from(body),
            usage,
            report,
        }))
    }

    /// `/v1/embeddings`: `batchEmbedContents` on AI Studio, `predict` on Vertex.
    pub(crate) async fn embeddings(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<JsonReply, ProviderError> {
        let request: EmbeddingRequest =
            serde_json::from_slice(&body).map_err(|err| ProviderError::InvalidRequest {
                message: format!("invalid embeddings request: {err}"),
                param: None,
            })?;
        let texts = request
            .texts()
            .map_err(|err| ProviderError::InvalidRequest {
                message: err.message,
                param: err.param,
            })?;
        let model = bare_model_id(ctx.model);
        let (vectors, tokens) = if self.target.is_vertex() {
            self.vertex_embeddings(&request, &texts, model, ctx, &adjustments.headers)
                .await?
        } else {
            let payload = embeddings::batch_request(model, &request, &texts);
            let url = self.target.model_url(model, "batchEmbedContents");
            let raw = self
                .send_json(&url, &payload, ctx, adjustments.headers)
                .await?;
            let vectors = embeddings::vectors_from_batch(&raw)
                .map_err(|detail| invalid(&self.name, detail))?;
            (vectors, None)
        };
        if vectors.len() != texts.len() {
            return Err(invalid(
                &self.name,
                format!(
                    "{} embeddings returned for {} inputs",
                    vectors.len(),
                    texts.len()
                ),
            ));
        }
        let answer =
            embeddings::openai_response(ctx.model, &vectors, tokens, request.wants_base64());
        let usage = tokens.map(|tokens| Usage {
            prompt_tokens: tokens,
            total_tokens: tokens,
            ..Usage::default()
        });
        Ok(JsonReply {
            body: Bytes::from(answer.to_string()),
            usage,
            report: TranslationReport::default(),
        })
    }

    /// Vertex `predict`. Gemini embedding models take one instance per call, so their inputs
    /// are sent as concurrent single-instance calls.
    async fn vertex_embeddings(
        &self,
        request: &EmbeddingRequest,
        texts: &[String],
        model: &str,
        ctx: CallContext<'_>,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<(Vec<Vec<f32>>, Option<u64>), ProviderError> {
        let url = self.target.model_url(model, "predict");
        let groups: Vec<&[String]> = if model.starts_with(VERTEX_SINGLE_INPUT_PREFIX) {
            texts.chunks(1).collect()
        } else {
            vec![texts]
        };
        let calls = groups.into_iter().map(|group| {
            let payload = embeddings::predict_request(request, group);
            let url = url.clone();
            async move {
                let raw = self
                    .send_json(&url, &payload, ctx, headers.to_vec())
                    .await?;
                embeddings::vectors_from_predict(&raw).map_err(|detail| invalid(&self.name, detail))
            }
        });
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for answer in futures_util::future::join_all(calls).await {
            let (group, count) = answer?;
            vectors.extend(group);
            tokens += count;
        }
        Ok((vectors, Some(tokens)))
    }

    pub(crate) async fn list_models(&self) -> Result<Vec<UpstreamModel>, ProviderError> {
        models::list(self).await
    }

    async fn send_json(
        &self,
        url: &str,
        payload: &serde_json::Value,
        ctx: CallContext<'_>,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<Bytes, ProviderError> {
        let body = Bytes::from(encode_value(payload).get().to_owned());
        let response = self
            .send(Method::POST, url, Some(body), ctx, headers)
            .await?;
        read_body(&self.name, response, MAX_RESPONSE_BYTES).await
    }

    /// Sends one request with the credential, request id and extra headers; maps error
    /// statuses (Google's `{"error": {"code", "message", "status"}}`).
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<Bytes>,
        ctx: CallContext<'_>,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<reqwest::Response, ProviderError> {
        let url = Url::parse(url).map_err(|_| ProviderError::InvalidRequest {
            message: format!(
                "provider '{}' has a base URL that is not a valid URL; check its configuration",
                self.name
            ),
            param: None,
        })?;
        let mut request = self.client.request(method, url);
        for (name, value) in self.target.auth_headers().await? {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if !ctx.request_id.is_empty()
            && let Ok(value) = HeaderValue::from_str(ctx.request_id)
        {
            request = request.header(self.kind.request_id_header(), value);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response =
            self.client
                .send(request)
                .await
                .map_err(|failure| ProviderError::Transport {
                    provider: self.name.clone(),
                    failure,
                })?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.error_from(response).await)
    }

    async fn error_from(&self, response: reqwest::Response) -> ProviderError {
        let status = response.status();
        let retry_after = response
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let raw = read_body(&self.name, response, MAX_ERROR_BYTES)
            .await
            .unwrap_or_default();
        let google = GoogleError::parse(&raw);
        let message = google
            .as_ref()
            .map(|e| e.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| {
                let reason = status.canonical_reason().unwrap_or("error");
                format!("{} {reason}", status.as_u16())
            });
        let message = redact(&message, &self.api_key);
        // Google answers a wrong API key with 400 INVALID_ARGUMENT; it is an authentication
        // failure, and the client should see it as one.
        let status = if google.as_ref().is_some_and(GoogleError::is_invalid_key) {
            401
        } else {
            status.as_u16()
        };
        ProviderError::Upstream {
            provider: self.name.clone(),
            status,
            message: message.clone(),
            body: Box::new(UpstreamErrorBody {
                message: Some(message),
                code: google
                    .map(|e| e.status.to_ascii_lowercase())
                    .filter(|s| !s.is_empty()),
                ..UpstreamErrorBody::default()
            }),
            retry_after,
        }
    }
}

/// Google's error envelope.
#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

impl GoogleError {
    fn is_invalid_key(&self) -> bool {
        self.details
            .iter()
            .any(|d| d.get("reason").and_then(|r| r.as_str()) == Some("API_KEY_INVALID"))
    }

    fn parse(raw: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            error: GoogleError,
        }
        // Streaming endpoints called without alt=sse wrap errors in a one-element array.
        serde_json::from_slice::<Envelope>(raw)
            .or_else(|_| {
                serde_json::from_slice::<Vec<Envelope>>(raw)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| <serde_json::Error as serde::de::Error>::custom("empty"))
            })
            .ok()
            .map(|e| e.error)
    }
}

/// The id of an answer that carries none: the gateway's request id.
fn fallback_id(request_id: &str) -> String {
    if request_id.is_empty() {
        format!("{:x}", now())
    } else {
        request_id.to_owned()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
