//! Anthropic: the Messages API, natively.
//!
//! Reference: <https://docs.anthropic.com/en/api/messages>. OpenAI-dialect requests are
//! translated through the canonical types (`gomodel_protocol::anthropic`); Anthropic-dialect
//! requests (`/v1/messages` ingress, passthrough) go through as bytes ([`AnthropicProvider::native`]).
//! Auth is `x-api-key` plus `anthropic-version`.

mod stream;

use bytes::Bytes;
use gomodel_protocol::JsonObject;
use gomodel_protocol::Usage;
use gomodel_protocol::anthropic::request::{RequestOptions, to_anthropic};
use gomodel_protocol::anthropic::response::to_openai_response;
use gomodel_protocol::anthropic::wire::MessagesResponse;
use gomodel_protocol::anthropic::{API_VERSION, usage};
use gomodel_protocol::canonical::ChatRequest;
use gomodel_protocol::report::{Strictness, TranslationReport};
use http::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::error::parse_body;
use crate::provider::{CallContext, ChatReply, JsonReply, RequestAdjustments, UpstreamModel};
use crate::response::{MAX_RESPONSE_BYTES, error_from, invalid, read_body};
use crate::settings::GlobalProviderOptions;
use crate::util::unix_seconds;
use crate::{ProviderError, ProviderSettings, Secret, UpstreamClient};

/// Headers a client may set that Anthropic reads (betas, version pinning).
const CLIENT_HEADERS: [&str; 2] = ["anthropic-beta", "anthropic-version"];

#[derive(Debug)]
pub struct AnthropicProvider {
    name: String,
    api_key: Secret,
    base: String,
    client: UpstreamClient,
    static_headers: HeaderMap,
    options: RequestOptions,
    strictness: Strictness,
}

impl AnthropicProvider {
    pub(crate) fn new(
        settings: &ProviderSettings,
        client: UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Self {
        let mut static_headers = HeaderMap::new();
        if let Ok(mut key) = HeaderValue::from_str(settings.api_key.expose()) {
            key.set_sensitive(true);
            static_headers.insert(HeaderName::from_static("x-api-key"), key);
        }
        static_headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        Self {
            name: settings.name.clone(),
            api_key: settings.api_key.clone(),
            base: settings.base_url.trim_end_matches('/').to_owned(),
            client,
            static_headers,
            options: RequestOptions {
                default_max_tokens: options.anthropic_default_max_tokens,
            },
            strictness: options.strictness,
        }
    }

    pub(crate) fn prepare_chat(
        &self,
        body: &mut JsonObject<'_>,
        upstream_model: &str,
        client_headers: &HeaderMap,
    ) -> Result<RequestAdjustments, ProviderError> {
        crate::util::set_model(body, upstream_model);
        Ok(RequestAdjustments {
            headers: client_anthropic_headers(client_headers),
            notes: Vec::new(),
        })
    }

    /// An OpenAI-dialect chat request, translated to Messages and back.
    pub(crate) async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        let request: ChatRequest = parse_body(&body, "chat")?;
        let mut report = TranslationReport::new(self.strictness);
        let mut messages = to_anthropic(&request, self.options, &mut report)?;
        messages.stream = ctx.stream.then_some(true);
        let upstream = Bytes::from(
            serde_json::to_vec(&messages).map_err(|err| invalid(&self.name, err.to_string()))?,
        );
        let response = self
            .send(
                Method::POST,
                "/messages",
                Some(upstream),
                ctx,
                adjustments.headers,
            )
            .await?;
        if ctx.stream {
            let stream = stream::translate(
                response,
                self.name.clone(),
                ctx.model.to_owned(),
                unix_seconds(),
            );
            return Ok(ChatReply::Stream(stream, report));
        }
        let raw = read_body(&self.name, response, MAX_RESPONSE_BYTES).await?;
        let parsed: MessagesResponse = serde_json::from_slice(&raw)
            .map_err(|err| invalid(&self.name, format!("not a Messages response: {err}")))?;
        let openai = to_openai_response(&parsed, unix_seconds());
        let usage = openai_usage(&parsed.usage);
        let body =
            serde_json::to_vec(&openai).map_err(|err| invalid(&self.name, err.to_string()))?;
        Ok(ChatReply::Json(JsonReply {
            body: Bytes::from(body),
            usage: Some(usage),
            report,
        }))
    }

    /// An Anthropic-dialect request sent as is to `path` (`/messages`, `/messages/count_tokens`):
    /// the answer comes back untranslated (status, JSON or SSE) for the caller to relay.
    pub(crate) async fn native(
        &self,
        path: &str,
        body: Bytes,
        ctx: CallContext<'_>,
        client_headers: &HeaderMap,
    ) -> Result<reqwest::Response, ProviderError> {
        self.send(
            Method::POST,
            path,
            Some(body),
            ctx,
            client_anthropic_headers(client_headers),
        )
        .await
    }

    pub(crate) async fn list_models(&self) -> Result<Vec<UpstreamModel>, ProviderError> {
        #[derive(serde::Deserialize)]
        struct Page {
            data: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            id: String,
        }
        let ctx = CallContext {
            request_id: "",
            stream: false,
            model: "",
        };
        let response = self
            .send(Method::GET, "/models?limit=1000", None, ctx, Vec::new())
            .await?;
        let raw = read_body(&self.name, response, MAX_RESPONSE_BYTES).await?;
        let page: Page = serde_json::from_slice(&raw).map_err(|err| {
            invalid(
                &self.name,
                format!("model list is not an Anthropic model list: {err}"),
            )
        })?;
        Ok(page
            .data
            .into_iter()
            .map(|m| UpstreamModel {
                id: m.id,
                created: None,
                owned_by: Some("anthropic".to_owned()),
            })
            .collect())
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Bytes>,
        ctx: CallContext<'_>,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<reqwest::Response, ProviderError> {
        let url = Url::parse(&format!("{}{path}", self.base)).map_err(|_| {
            ProviderError::InvalidRequest {
                message: format!(
                    "provider '{}' has a base URL that is not a valid URL",
                    self.name
                ),
                param: None,
            }
        })?;
        let mut request = self
            .client
            .request(method, url)
            .headers(self.static_headers.clone());
        if let Some(body) = body {
            request = request
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        if !ctx.request_id.is_empty()
            && let Ok(value) = HeaderValue::from_str(ctx.request_id)
        {
            request = request.header("x-request-id", value);
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
        Err(error_from(&self.name, &self.api_key, response, |body| {
            body.message.clone()
        })
        .await)
    }
}

/// `anthropic-beta` / `anthropic-version` from the client override the defaults.
fn client_anthropic_headers(client_headers: &HeaderMap) -> Vec<(HeaderName, HeaderValue)> {
    CLIENT_HEADERS
        .iter()
        .filter_map(|name| {
            Some((
                HeaderName::from_static(name),
                client_headers.get(*name)?.clone(),
            ))
        })
        .collect()
}

/// Anthropic usage as the gateway records it (OpenAI convention, raw cache counts kept).
pub(crate) fn openai_usage(anthropic: &gomodel_protocol::anthropic::wire::Usage) -> Usage {
    let converted = usage::to_openai(anthropic);
    Usage {
        prompt_tokens: converted.prompt_tokens,
        completion_tokens: converted.completion_tokens,
        total_tokens: converted.total_tokens,
        cached_tokens: anthropic.cache_read_input_tokens,
        reasoning_tokens: None,
        raw: serde_json::value::to_raw_value(anthropic).ok(),
    }
}
