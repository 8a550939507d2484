//! Gemini's native API (`generateContent`) for OpenAI-dialect requests, on AI Studio
//! (`gemini`) and Vertex AI (`vertex`).
//!
//! Reference: <https://ai.google.dev/api/generate-content>. Requests are translated through
//! the canonical types (`gomodel_protocol::gemini`); answers and streams come back as OpenAI
//! chat completions. [`target`] decides the URLs and the credential (API key or OAuth token).
//! Embeddings use `batchEmbedContents` on AI Studio and `predict` on Vertex; the model list
//! comes from each service's own listing, filtered to models a chat or embeddings request
//! can use.

mod embeddings;
mod models;
mod stream;
pub(crate) mod target;

use bytes::Bytes;
use gomodel_protocol::JsonObject;
use gomodel_protocol::canonical::ChatRequest;
use gomodel_protocol::gemini::request::to_gemini;
use gomodel_protocol::gemini::response::to_openai_response;
use gomodel_protocol::gemini::usage::to_usage;
use gomodel_protocol::gemini::wire::GenerateContentResponse;
use gomodel_protocol::json_object::encode_value;
use gomodel_protocol::openai::UpstreamErrorBody;
use gomodel_protocol::report::{Strictness, TranslationReport};
use http::{HeaderName, HeaderValue};
use reqwest::{Method, Url};
use serde::Deserialize;

use crate::error::parse_body;
use crate::provider::{CallContext, ChatReply, JsonReply, RequestAdjustments};
use crate::redact::redact;
use crate::response::{MAX_ERROR_BYTES, MAX_RESPONSE_BYTES, invalid, read_body};
use crate::settings::GlobalProviderOptions;
use crate::util::unix_seconds;
use crate::{ProviderError, ProviderKind, ProviderSettings, Secret, UpstreamClient};

use target::Target;

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

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn prepare(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
    ) -> RequestAdjustments {
        crate::util::set_model(body, upstream_model);
        RequestAdjustments::default()
    }

    /// An OpenAI-dialect chat request, translated to `generateContent` and back.
    pub(crate) async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        let request: ChatRequest = parse_body(&body, "chat")?;
        let mut report = TranslationReport::new(self.strictness);
        let translated = to_gemini(&request, &mut report)?;
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
            let stream = stream::translate(
                response,
                self.name.clone(),
                ctx.model,
                unix_seconds(),
                &fallback_id,
            );
            return Ok(ChatReply::Stream(stream, report));
        }
        let raw = read_body(&self.name, response, MAX_RESPONSE_BYTES).await?;
        let parsed: GenerateContentResponse = serde_json::from_slice(&raw)
            .map_err(|err| invalid(&self.name, format!("not a generateContent answer: {err}")))?;
        let usage = parsed.usage_metadata.as_ref().map(to_usage);
        let openai = to_openai_response(&parsed, ctx.model, unix_seconds(), &fallback_id);
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
        embeddings::embed(self, body, ctx, adjustments).await
    }

    pub(crate) async fn list_models(&self) -> Result<crate::ModelListing, ProviderError> {
        models::list(self).await
    }

    pub(crate) async fn send_json(
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
        // A token Google refuses (revoked, or expired in a clock jump) is dropped and the
        // call made once more with a fresh one.
        for attempt in 0..2 {
            let auth = self.target.auth_headers().await?;
            let mut request = self.client.request(method.clone(), url.clone());
            for (name, value) in &auth {
                request = request.header(name, value);
            }
            if let Some(body) = &body {
                request = request
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            if !ctx.request_id.is_empty()
                && let Ok(value) = HeaderValue::from_str(ctx.request_id)
            {
                request = request.header(self.kind.request_id_header(), value);
            }
            for (name, value) in &headers {
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
            if response.status() == http::StatusCode::UNAUTHORIZED
                && attempt == 0
                && self.target.invalidate(&auth)
            {
                continue;
            }
            return Err(self.error_from(response).await);
        }
        Err(ProviderError::InvalidResponse {
            provider: self.name.clone(),
            detail: "the provider refused a fresh token".to_owned(),
        })
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
        format!("{:x}", unix_seconds())
    } else {
        request_id.to_owned()
    }
}
