//! Provider-native passthrough (`/p/{provider}/{endpoint...}`): any method, any endpoint, the
//! body streamed byte for byte both ways. Only the credential is the gateway's business: the
//! client's own auth and hop-by-hop headers are removed, the provider's credential injected.

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::settings::AZURE_DEFAULT_API_VERSION;
use crate::{ProviderError, ProviderKind, ProviderSettings, UpstreamClient};
use gomodel_protocol::anthropic::API_VERSION as ANTHROPIC_VERSION_DEFAULT;

/// Request headers never forwarded: hop-by-hop (RFC 9110 §7.6.1), the client's credentials
/// for the gateway, cookies, proxy bookkeeping and the gateway's own headers.
const DROPPED_REQUEST_HEADERS: [&str; 18] = [
    "authorization",
    "x-api-key",
    "api-key",
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "cookie",
    "forwarded",
    "x-gomodel-user-path",
    "x-goog-api-key",
];

/// Response headers never relayed (hop-by-hop; the length is re-derived by the server).
pub const DROPPED_RESPONSE_HEADERS: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// OpenAI-style endpoint families; vLLM serves everything else (`/tokenize`, `/pooling`,
/// `/rerank`...) from the server root rather than under `/v1`.
const OPENAI_FAMILY: [&str; 10] = [
    "chat",
    "completions",
    "embeddings",
    "models",
    "responses",
    "audio",
    "images",
    "files",
    "batches",
    "moderations",
];

/// One passthrough call.
pub struct PassthroughRequest {
    pub method: Method,
    /// The endpoint after `/p/{provider}/`, without a leading slash and without `v1/`.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// `None` for bodiless methods. A buffered body lets the client retry on a stale pooled
    /// connection; a streamed one (unknown or large size) cannot be replayed.
    pub body: Option<reqwest::Body>,
    pub request_id: String,
}

pub(crate) async fn forward(
    settings: &ProviderSettings,
    client: &UpstreamClient,
    request: PassthroughRequest,
) -> Result<reqwest::Response, ProviderError> {
    // Their credentials are per request (an OAuth token, a SigV4 signature over the exact
    // bytes), not a header the client's request can carry through.
    if matches!(settings.kind, ProviderKind::Vertex | ProviderKind::Bedrock) {
        return Err(ProviderError::Unsupported {
            provider: settings.name.clone(),
            kind: settings.kind.as_str(),
            operation: "passthrough",
        });
    }
    let url = target_url(settings, &request.path, request.query.as_deref()).ok_or_else(|| {
        ProviderError::InvalidRequest {
            message: format!(
                "cannot build an upstream URL for provider '{}'",
                settings.name
            ),
            param: None,
        }
    })?;
    let mut headers = forwarded_headers(&request.headers);
    inject_credential(settings, &mut headers);
    if let Ok(id) = HeaderValue::from_str(&request.request_id) {
        headers.insert(
            HeaderName::from_static(settings.kind.request_id_header()),
            id,
        );
    }
    let mut builder = client.request(request.method, url).headers(headers);
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    client
        .send(builder)
        .await
        .map_err(|failure| ProviderError::Transport {
            provider: settings.name.clone(),
            failure,
        })
}

fn target_url(
    settings: &ProviderSettings,
    path: &str,
    query: Option<&str>,
) -> Option<reqwest::Url> {
    let base = settings.base_url.trim_end_matches('/');
    let first = path.split('/').next().unwrap_or("");
    let base = if settings.kind == ProviderKind::Vllm && !OPENAI_FAMILY.contains(&first) {
        base.strip_suffix("/v1").unwrap_or(base)
    } else {
        base
    };
    let mut url = reqwest::Url::parse(&format!("{base}/{path}")).ok()?;
    url.set_query(query.filter(|q| !q.is_empty()));
    if settings.kind == ProviderKind::Azure && !url.query_pairs().any(|(k, _)| k == "api-version") {
        let version = settings
            .api_version
            .clone()
            .unwrap_or_else(|| AZURE_DEFAULT_API_VERSION.to_owned());
        url.query_pairs_mut().append_pair("api-version", &version);
    }
    Some(url)
}

fn forwarded_headers(client: &HeaderMap) -> HeaderMap {
    // Headers the client named in `Connection` are hop-by-hop too.
    let named: Vec<String> = client
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()))
        .collect();
    let mut out = HeaderMap::with_capacity(client.len());
    for (name, value) in client {
        let lower = name.as_str();
        if DROPPED_REQUEST_HEADERS.contains(&lower)
            || lower.starts_with("x-forwarded-")
            || named.iter().any(|n| n == lower)
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

fn inject_credential(settings: &ProviderSettings, headers: &mut HeaderMap) {
    let key = settings.api_key.expose();
    match settings.kind {
        ProviderKind::Anthropic => {
            if let Ok(mut value) = HeaderValue::from_str(key) {
                value.set_sensitive(true);
                headers.insert(HeaderName::from_static("x-api-key"), value);
            }
            if !headers.contains_key("anthropic-version") {
                headers.insert(
                    HeaderName::from_static("anthropic-version"),
                    HeaderValue::from_static(ANTHROPIC_VERSION_DEFAULT),
                );
            }
        }
        ProviderKind::Azure => {
            if let Ok(mut value) = HeaderValue::from_str(key) {
                value.set_sensitive(true);
                headers.insert(HeaderName::from_static("api-key"), value);
            }
        }
        ProviderKind::Gemini => {
            if let Ok(mut value) = HeaderValue::from_str(key) {
                value.set_sensitive(true);
                headers.insert(HeaderName::from_static("x-goog-api-key"), value);
            }
        }
        _ if !key.is_empty() => {
            if let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {key}")) {
                value.set_sensitive(true);
                headers.insert(http::header::AUTHORIZATION, value);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;

    fn settings(kind: ProviderKind, base: &str) -> ProviderSettings {
        ProviderSettings {
            name: "p".into(),
            kind,
            api_key: Secret::new("k"),
            base_url: base.into(),
            api_version: None,
            models: vec![],
            api_mode: crate::ApiMode::Native,
            vertex: None,
            bedrock: None,
        }
    }

    #[test]
    fn urls() {
        let openai = settings(ProviderKind::OpenAi, "https://api.openai.com/v1");
        assert_eq!(
            target_url(&openai, "chat/completions", Some("a=1"))
                .unwrap()
                .as_str(),
            "https://api.openai.com/v1/chat/completions?a=1"
        );
        let vllm = settings(ProviderKind::Vllm, "http://gpu:8000/v1");
        assert_eq!(
            target_url(&vllm, "tokenize", None).unwrap().as_str(),
            "http://gpu:8000/tokenize"
        );
        assert_eq!(
            target_url(&vllm, "models", None).unwrap().as_str(),
            "http://gpu:8000/v1/models"
        );
        let azure = settings(ProviderKind::Azure, "https://r.openai.azure.com/openai");
        assert_eq!(
            target_url(&azure, "models", None).unwrap().as_str(),
            "https://r.openai.azure.com/openai/models?api-version=2024-10-21"
        );
    }

    #[test]
    fn strips_client_credentials_and_hop_by_hop_headers() {
        let mut client = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer gateway"),
            ("x-api-key", "gateway"),
            ("connection", "x-secret"),
            ("x-secret", "1"),
            ("x-forwarded-for", "1.2.3.4"),
            ("anthropic-beta", "b1"),
            ("accept", "text/event-stream"),
        ] {
            client.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        let mut out = forwarded_headers(&client);
        inject_credential(&settings(ProviderKind::Anthropic, "x"), &mut out);
        assert_eq!(out.get("x-api-key").unwrap(), "k");
        assert!(
            out.get("authorization").is_none()
                && out.get("x-secret").is_none()
                && out.get("x-forwarded-for").is_none()
        );
        assert_eq!(out.get("anthropic-beta").unwrap(), "b1");
        assert_eq!(
            out.get("anthropic-version").unwrap(),
            ANTHROPIC_VERSION_DEFAULT
        );
    }
}
