//! OpenRouter: attribution headers on every request, and provider errors unwrapped from
//! `error.metadata.raw` (reference §1.2 and §3.3 "OpenRouter").
//! <https://openrouter.ai/docs/api-reference/overview#headers>

use gomodel_protocol::openai::UpstreamErrorBody;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::provider::RequestAdjustments;
use crate::settings::GlobalProviderOptions;

const REFERER: &str = "http-referer";
const TITLE: &str = "x-openrouter-title";
/// OpenRouter's older title header, still honoured upstream.
const LEGACY_TITLE: &str = "x-title";

pub(crate) fn attribution_headers(headers: &mut HeaderMap, options: &GlobalProviderOptions) {
    if let Ok(value) = HeaderValue::from_str(&options.openrouter_site_url) {
        headers.insert(HeaderName::from_static(REFERER), value);
    }
    if let Ok(value) = HeaderValue::from_str(&options.openrouter_app_name) {
        headers.insert(HeaderName::from_static(TITLE), value);
    }
}

/// A client's own attribution headers replace the gateway's defaults.
pub(super) fn forward_client_attribution(
    client_headers: &HeaderMap,
    adjustments: &mut RequestAdjustments,
) {
    for name in [REFERER, TITLE, LEGACY_TITLE] {
        if let Some(value) = client_headers.get(name) {
            let target = if name == LEGACY_TITLE { TITLE } else { name };
            adjustments
                .headers
                .push((HeaderName::from_static(target), value.clone()));
        }
    }
}

/// "Provider returned error" hides the real cause in `metadata.raw`, which may itself be an
/// error envelope.
pub(super) fn unwrap_error(body: &UpstreamErrorBody) -> Option<String> {
    let raw = body.metadata_raw.as_deref()?.trim();
    if raw.is_empty() {
        return None;
    }
    let inner = UpstreamErrorBody::parse(raw.as_bytes());
    Some(inner.message.unwrap_or_else(|| raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwraps_metadata_raw() {
        let body = UpstreamErrorBody::parse(
            br#"{"error":{"message":"Provider returned error","code":502,"metadata":{"raw":"{\"error\":{\"message\":\"overloaded\"}}"}}}"#,
        );
        assert_eq!(unwrap_error(&body).as_deref(), Some("overloaded"));
        let plain = UpstreamErrorBody::parse(
            br#"{"error":{"message":"x","metadata":{"raw":"model busy"}}}"#,
        );
        assert_eq!(unwrap_error(&plain).as_deref(), Some("model busy"));
    }
}
