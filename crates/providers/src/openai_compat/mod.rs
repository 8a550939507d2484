//! The OpenAI-compatible dialect: OpenAI itself and every provider that speaks its API
//! (Azure, OpenRouter, Groq, xAI, DeepSeek, Z.ai, Oracle, MiniMax, Ollama, vLLM).
//!
//! Reference: <https://platform.openai.com/docs/api-reference/chat>. Requests go out as the
//! client sent them, with only the model id and each type's quirks (in [`quirks`]) rewritten;
//! responses come back byte for byte, with usage read on the way.

mod quirks;
mod urls;

use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use gomodel_protocol::JsonObject;
use gomodel_protocol::openai::extract_usage;
use gomodel_protocol::report::TranslationReport;
use http::{HeaderMap, HeaderValue};
use reqwest::Method;

use crate::google_auth::GoogleAuth;
use crate::http::classify;
use crate::model_list::{ModelListing, parse_openai_list};
use crate::provider::{CallContext, ChatReply, JsonReply, RequestAdjustments};
use crate::response::{MAX_RESPONSE_BYTES, error_from, read_body};
use crate::settings::GlobalProviderOptions;
use crate::util::set_model;
use crate::{ProviderError, ProviderKind, ProviderSettings, Secret, UpstreamClient};

use urls::Endpoints;

/// An OpenAI-compatible upstream.
#[derive(Debug)]
pub struct OpenAiCompat {
    name: String,
    kind: ProviderKind,
    api_key: Secret,
    endpoints: Endpoints,
    client: UpstreamClient,
    /// Headers every request carries (auth, attribution), built once.
    static_headers: HeaderMap,
    /// Vertex AI's OpenAI-compatible endpoint: a Google access token per request instead of
    /// a static key.
    google_auth: Option<Arc<GoogleAuth>>,
}

impl OpenAiCompat {
    pub(crate) fn new(
        settings: &ProviderSettings,
        client: UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Self {
        Self {
            name: settings.name.clone(),
            kind: settings.kind,
            api_key: settings.api_key.clone(),
            endpoints: Endpoints::new(settings),
            client,
            static_headers: static_headers(settings, options),
            google_auth: None,
        }
    }

    pub(crate) fn with_google_auth(mut self, auth: Option<Arc<GoogleAuth>>) -> Self {
        self.google_auth = auth;
        self
    }

    pub(crate) fn prepare_chat(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
        client_headers: &HeaderMap,
    ) -> Result<RequestAdjustments, ProviderError> {
        let mut adjustments = RequestAdjustments::default();
        set_model(body, upstream_model);
        quirks::adapt_chat(
            self.kind,
            body,
            upstream_model,
            client_headers,
            &mut adjustments,
        );
        Ok(adjustments)
    }

    pub(crate) fn prepare_embeddings(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
    ) -> Result<RequestAdjustments, ProviderError> {
        if !self.kind.supports_embeddings() {
            return Err(self.unsupported("embeddings"));
        }
        set_model(body, upstream_model);
        Ok(RequestAdjustments::default())
    }

    pub(crate) async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        let url = self
            .endpoints
            .chat_url(ctx.model)
            .ok_or_else(|| self.bad_base_url())?;
        let response = self
            .send(Method::POST, url, Some(body), ctx, adjustments)
            .await?;
        if ctx.stream {
            let provider = self.name.clone();
            let stream = response.bytes_stream().map(move |chunk| {
                chunk.map_err(|err| ProviderError::Transport {
                    provider: provider.clone(),
                    failure: classify(&err),
                })
            });
            return Ok(ChatReply::Stream(
                Box::pin(stream),
                TranslationReport::default(),
            ));
        }
        self.read_json(response).await.map(ChatReply::Json)
    }

    pub(crate) async fn embeddings(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<JsonReply, ProviderError> {
        if self.kind == ProviderKind::Ollama {
            return quirks::ollama::embeddings(self, body, ctx, adjustments).await;
        }
        let url = self
            .endpoints
            .embeddings_url(ctx.model)
            .ok_or_else(|| self.bad_base_url())?;
        let response = self
            .send(Method::POST, url, Some(body), ctx, adjustments)
            .await?;
        self.read_json(response).await
    }

    /// The provider's `/models`, with the limits its entries state ([`crate::model_list`]).
    pub(crate) async fn list_models(&self) -> Result<ModelListing, ProviderError> {
        let ctx = CallContext {
            request_id: "",
            stream: false,
            model: "",
        };
        let url = reqwest::Url::parse(&self.endpoints.models()).map_err(|_| self.bad_base_url())?;
        let response = self
            .send(Method::GET, url, None, ctx, RequestAdjustments::default())
            .await?;
        let body = self.read_body(response, MAX_RESPONSE_BYTES).await?;
        parse_openai_list(&body)
            .map_err(|err| self.invalid(format!("model list is not an OpenAI model list: {err}")))
    }

    /// Sends one request with auth, request id and extra headers; maps error statuses.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: reqwest::Url,
        body: Option<Bytes>,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut headers = self.static_headers.clone();
        // Vertex AI: a Google access token replaces any static credential.
        let google_token = match &self.google_auth {
            Some(auth) => {
                let token = auth.authorization().await?;
                headers.insert(http::header::AUTHORIZATION, token.clone());
                Some(token)
            }
            None => None,
        };
        let mut request = self.client.request(method, url).headers(headers);
        if let Some(body) = body {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if ctx.stream {
            request = request.header(http::header::ACCEPT, "text/event-stream");
        }
        if let Some(value) = request_id_value(self.kind, ctx.request_id) {
            request = request.header(self.kind.request_id_header(), value);
        }
        for (name, value) in adjustments.headers {
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
        // A token Google refused is dropped, so the next request fetches a new one.
        if response.status() == http::StatusCode::UNAUTHORIZED
            && let (Some(auth), Some(token)) = (&self.google_auth, &google_token)
        {
            auth.invalidate(token);
        }
        Err(self.error_from(response).await)
    }

    async fn read_json(&self, response: reqwest::Response) -> Result<JsonReply, ProviderError> {
        let body = self.read_body(response, MAX_RESPONSE_BYTES).await?;
        let usage = extract_usage(&body).map_err(|err| self.invalid(err.to_string()))?;
        Ok(JsonReply {
            body,
            usage,
            report: TranslationReport::default(),
        })
    }

    async fn read_body(
        &self,
        response: reqwest::Response,
        limit: usize,
    ) -> Result<Bytes, ProviderError> {
        read_body(&self.name, response, limit).await
    }

    async fn error_from(&self, response: reqwest::Response) -> ProviderError {
        let kind = self.kind;
        error_from(&self.name, &self.api_key, response, |body| {
            quirks::error_message(kind, body)
        })
        .await
    }

    fn bad_base_url(&self) -> ProviderError {
        ProviderError::InvalidRequest {
            message: format!(
                "provider '{}' has a base URL that is not a valid URL; check its configuration",
                self.name
            ),
            param: None,
        }
    }

    pub(crate) fn invalid(&self, detail: String) -> ProviderError {
        ProviderError::InvalidResponse {
            provider: self.name.clone(),
            detail,
        }
    }

    fn unsupported(&self, operation: &'static str) -> ProviderError {
        ProviderError::Unsupported {
            provider: self.name.clone(),
            kind: self.kind.as_str(),
            operation,
        }
    }

    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// Auth and attribution headers, fixed for the instance's lifetime.
fn static_headers(settings: &ProviderSettings, options: &GlobalProviderOptions) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let key = settings.api_key.expose();
    if !key.is_empty() {
        let (name, value) = match settings.kind {
            // Azure OpenAI authenticates with an `api-key` header, not a bearer token.
            ProviderKind::Azure => (
                http::header::HeaderName::from_static("api-key"),
                key.to_owned(),
            ),
            _ => (http::header::AUTHORIZATION, format!("Bearer {key}")),
        };
        if let Ok(mut value) = HeaderValue::from_str(&value) {
            value.set_sensitive(true);
            headers.insert(name, value);
        }
    }
    if settings.kind == ProviderKind::OpenRouter {
        quirks::openrouter::attribution_headers(&mut headers, options);
    }
    headers
}

/// The request id as the provider's header allows it: OpenAI's `X-Client-Request-Id` must be
/// ASCII and at most 512 bytes, so anything else is not forwarded.
fn request_id_value(kind: ProviderKind, request_id: &str) -> Option<HeaderValue> {
    if request_id.is_empty() {
        return None;
    }
    if kind.request_id_header() == "x-client-request-id"
        && (request_id.len() > 512 || !request_id.is_ascii())
    {
        return None;
    }
    HeaderValue::from_str(request_id).ok()
}
