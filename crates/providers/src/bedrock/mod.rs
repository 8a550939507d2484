//! Amazon Bedrock: the Converse and ConverseStream APIs for OpenAI-dialect requests.
//!
//! Reference: <https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html>.
//! Requests are translated through the canonical types (`gomodel_protocol::bedrock`), signed
//! with SigV4 ([`crate::aws::sigv4`]) or sent with a Bedrock API key, and answered as OpenAI
//! chat completions; streams arrive as AWS event-stream frames. The model list is
//! `ListFoundationModels` (on-demand text models) plus the configured ids (`BEDROCK_MODELS`:
//! inference profiles and ARNs, which the list does not show).

mod errors;
mod models;
mod stream;

use std::sync::Arc;

use bytes::Bytes;
use gomodel_protocol::bedrock::request::to_converse;
use gomodel_protocol::bedrock::response::to_openai_response;
use gomodel_protocol::bedrock::usage::to_usage;
use gomodel_protocol::bedrock::wire::ConverseResponse;
use gomodel_protocol::canonical::ChatRequest;
use gomodel_protocol::report::{Strictness, TranslationReport};
use http::{HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::aws::clock::amz_date;
use crate::aws::sigv4::{self, Scope};
use crate::aws::{AwsAuth, AwsCredentials};
use crate::error::parse_body;
use crate::provider::{CallContext, ChatReply, JsonReply, RequestAdjustments, UpstreamModel};
use crate::response::{MAX_RESPONSE_BYTES, invalid, read_body};
use crate::settings::{BedrockAuth, GlobalProviderOptions};
use crate::util::{percent_encode, unix_seconds};
use crate::{ProviderError, ProviderSettings, Secret, UpstreamClient};

/// The SigV4 service name of both the runtime and the control plane.
const SERVICE: &str = "bedrock";

#[derive(Debug)]
enum Auth {
    /// `Authorization: Bearer <key>`.
    ApiKey(HeaderValue, Secret),
    SigV4(Arc<AwsAuth>),
}

#[derive(Debug)]
pub struct BedrockProvider {
    name: String,
    region: String,
    runtime_url: String,
    control_url: String,
    auth: Auth,
    /// Configured ids (inference profiles, ARNs) added to the listed models.
    configured_models: Vec<String>,
    client: UpstreamClient,
    strictness: Strictness,
}

impl BedrockProvider {
    pub(crate) fn new(
        settings: &ProviderSettings,
        client: UpstreamClient,
        options: &GlobalProviderOptions,
    ) -> Result<Self, ProviderError> {
        let bedrock = settings
            .bedrock
            .as_ref()
            .ok_or_else(|| ProviderError::InvalidRequest {
                message: format!("provider '{}' has no Bedrock settings", settings.name),
                param: None,
            })?;
        let auth = match &bedrock.auth {
            BedrockAuth::ApiKey(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose()))
                    .unwrap_or_else(|_| HeaderValue::from_static(""));
                value.set_sensitive(true);
                Auth::ApiKey(value, key.clone())
            }
            BedrockAuth::Aws(source) => Auth::SigV4(Arc::new(AwsAuth::new(
                &settings.name,
                source.clone(),
                client.clone(),
            ))),
        };
        Ok(Self {
            name: settings.name.clone(),
            region: bedrock.region.clone(),
            runtime_url: bedrock.runtime_url.trim_end_matches('/').to_owned(),
            control_url: bedrock.control_url.trim_end_matches('/').to_owned(),
            auth,
            configured_models: settings.models.clone(),
            client,
            strictness: options.strictness,
        })
    }

    pub(crate) fn prepare(
        &self,
        body: &mut gomodel_protocol::JsonObject<'_>,
        upstream_model: &str,
    ) -> RequestAdjustments {
        crate::util::set_model(body, upstream_model);
        RequestAdjustments::default()
    }

    /// An OpenAI-dialect chat request, translated to Converse and back.
    pub(crate) async fn chat(
        &self,
        body: Bytes,
        ctx: CallContext<'_>,
        adjustments: RequestAdjustments,
    ) -> Result<ChatReply, ProviderError> {
        let request: ChatRequest = parse_body(&body, "chat")?;
        let mut report = TranslationReport::new(self.strictness);
        let converse = to_converse(&request, &mut report)?;
        let upstream = Bytes::from(
            serde_json::to_vec(&converse).map_err(|err| invalid(&self.name, err.to_string()))?,
        );
        let operation = if ctx.stream {
            "converse-stream"
        } else {
            "converse"
        };
        // The model id is one path segment: `:` and `/` (profile ARNs) are percent-encoded.
        let url = format!(
            "{}/model/{}/{operation}",
            self.runtime_url,
            percent_encode(ctx.model)
        );
        let response = self
            .send(Method::POST, &url, upstream, ctx, adjustments.headers)
            .await?;
        let id = format!(
            "chatcmpl-bedrock-{}",
            response_id(&response, ctx.request_id)
        );
        if ctx.stream {
            let stream =
                stream::translate(response, self.name.clone(), &id, ctx.model, unix_seconds());
            return Ok(ChatReply::Stream(stream, report));
        }
        let raw = read_body(&self.name, response, MAX_RESPONSE_BYTES).await?;
        let parsed: ConverseResponse = serde_json::from_slice(&raw)
            .map_err(|err| invalid(&self.name, format!("not a Converse answer: {err}")))?;
        let openai = to_openai_response(&parsed, &id, ctx.model, unix_seconds());
        let body =
            serde_json::to_vec(&openai).map_err(|err| invalid(&self.name, err.to_string()))?;
        Ok(ChatReply::Json(JsonReply {
            body: Bytes::from(body),
            usage: Some(to_usage(&parsed.usage)),
            report,
        }))
    }

    pub(crate) async fn list_models(&self) -> Result<Vec<UpstreamModel>, ProviderError> {
        models::list(self).await
    }

    /// Sends one signed request. Temporary credentials AWS refuses (expired, revoked) are
    /// dropped and the call made once more with fresh ones.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Bytes,
        ctx: CallContext<'_>,
        headers: Vec<(HeaderName, HeaderValue)>,
    ) -> Result<reqwest::Response, ProviderError> {
        let url = Url::parse(url).map_err(|_| ProviderError::InvalidRequest {
            message: format!(
                "provider '{}' has a base URL that is not a valid URL; check BEDROCK_BASE_URL",
                self.name
            ),
            param: None,
        })?;
        let mut retried = false;
        loop {
            let (auth_headers, used) = self.auth_headers(&method, &url, &body).await?;
            let mut request = self.client.request(method.clone(), url.clone());
            for (name, value) in auth_headers.iter().chain(&headers) {
                request = request.header(name, value);
            }
            if !body.is_empty() {
                request = request
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            if !ctx.request_id.is_empty()
                && let Ok(value) = HeaderValue::from_str(ctx.request_id)
            {
                request = request.header("x-request-id", value);
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
            let error =
                errors::from_response(&self.name, &self.secrets(used.as_ref()), response).await;
            if !retried
                && errors::is_stale_credential(&error)
                && let (Auth::SigV4(auth), Some(used)) = (&self.auth, &used)
                && auth.invalidate(&used.access_key_id)
            {
                retried = true;
                continue;
            }
            return Err(error.into_provider_error());
        }
    }

    /// The credential headers for one request, and the keys used (for a retry decision).
    async fn auth_headers(
        &self,
        method: &Method,
        url: &Url,
        body: &[u8],
    ) -> Result<(Vec<(HeaderName, HeaderValue)>, Option<AwsCredentials>), ProviderError> {
        let auth = match &self.auth {
            Auth::ApiKey(value, _) => {
                return Ok((vec![(http::header::AUTHORIZATION, value.clone())], None));
            }
            Auth::SigV4(auth) => auth,
        };
        let credentials = auth.credentials().await?;
        let amz_date = amz_date(unix_seconds());
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        let mut signed: Vec<(&str, &str)> = vec![("host", &host), ("x-amz-date", &amz_date)];
        let token = credentials.session_token.as_ref().map(Secret::expose);
        if let Some(token) = token {
            signed.push(("x-amz-security-token", token));
        }
        let payload_hash = sigv4::hex_sha256(body);
        let request = sigv4::Request {
            method: method.as_str(),
            path: url.path(),
            query: url.query().unwrap_or(""),
            headers: &signed,
            payload_hash: &payload_hash,
        };
        let scope = Scope {
            amz_date: &amz_date,
            region: &self.region,
            service: SERVICE,
        };
        let authorization = sigv4::authorization(
            &request,
            &scope,
            &credentials.access_key_id,
            &credentials.secret_access_key,
        );
        let mut headers = Vec::with_capacity(3);
        let mut push = |name: &'static str, value: &str, sensitive: bool| {
            if let Ok(mut value) = HeaderValue::from_str(value) {
                value.set_sensitive(sensitive);
                headers.push((HeaderName::from_static(name), value));
            }
        };
        push("authorization", &authorization, true);
        push("x-amz-date", &amz_date, false);
        if let Some(token) = token {
            push("x-amz-security-token", token, true);
        }
        Ok((headers, Some(credentials)))
    }

    /// What must be scrubbed from error messages: the API key, or the keys a request was
    /// signed with.
    fn secrets(&self, used: Option<&AwsCredentials>) -> Vec<Secret> {
        match (&self.auth, used) {
            (Auth::ApiKey(_, key), _) => vec![key.clone()],
            (Auth::SigV4(_), Some(used)) => std::iter::once(used.secret_access_key.clone())
                .chain(used.session_token.clone())
                .collect(),
            (Auth::SigV4(_), None) => Vec::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn control_url(&self) -> &str {
        &self.control_url
    }

    pub(crate) fn configured_models(&self) -> &[String] {
        &self.configured_models
    }
}

/// AWS's request id for the answer, else the gateway's.
fn response_id(response: &reqwest::Response, fallback: &str) -> String {
    response
        .headers()
        .get("x-amzn-requestid")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(fallback)
        .to_owned()
}
