//! AWS error answers → `ProviderError`s. The exception name comes from `x-amzn-ErrorType`
//! (`ValidationException:http://internal.amazon.com/coral/…`), else from the body's `__type`
//! or `code`; the message from `message` (or `Message`). The status is AWS's own
//! (ValidationException 400, AccessDenied 403, Throttling and ModelNotReady 429, …).
//!
//! One message gets a hint: a model that must be called through an inference profile ("with
//! on-demand throughput isn't supported") says how to name the profile.

use gomodel_protocol::openai::UpstreamErrorBody;
use serde::Deserialize;

use crate::redact::redact;
use crate::response::{MAX_ERROR_BYTES, read_body};
use crate::{ProviderError, Secret};

/// A decoded AWS error.
pub(super) struct AwsError {
    provider: String,
    status: u16,
    exception: String,
    message: String,
    retry_after: Option<String>,
}

pub(super) async fn from_response(
    provider: &str,
    secret: Secret,
    response: reqwest::Response,
) -> AwsError {
    let status = response.status().as_u16();
    let header_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|raw| exception_name(raw).to_owned());
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let raw = read_body(provider, response, MAX_ERROR_BYTES)
        .await
        .unwrap_or_default();
    #[derive(Deserialize, Default)]
    struct Body {
        #[serde(default, alias = "Message")]
        message: Option<String>,
        #[serde(default, rename = "__type", alias = "code")]
        kind: Option<String>,
    }
    let body: Body = serde_json::from_slice(&raw).unwrap_or_default();
    let exception = header_type
        .or_else(|| body.kind.as_deref().map(|k| exception_name(k).to_owned()))
        .unwrap_or_else(|| "UnknownError".to_owned());
    let mut message = body
        .message
        .unwrap_or_else(|| format!("HTTP {status} from Bedrock"));
    if exception == "ValidationException" && message.contains("on-demand throughput") {
        message.push_str(
            " (Hint: call the model through an inference profile: prefix its id with us., eu., apac. or global., e.g. us.anthropic.…, or use the profile ARN; `aws bedrock list-inference-profiles` lists them. BEDROCK_MODELS can pin profile ids.)",
        );
    }
    AwsError {
        provider: provider.to_owned(),
        status,
        message: redact(&message, &secret),
        exception,
        retry_after,
    }
}

/// `ThrottlingException:http://…` or `aws.protocols#ThrottlingException` → `ThrottlingException`.
fn exception_name(raw: &str) -> &str {
    let name = raw.split(':').next().unwrap_or(raw);
    name.rsplit('#').next().unwrap_or(name)
}

/// Temporary credentials AWS no longer accepts: worth one retry with fresh ones.
pub(super) fn is_stale_credential(error: &AwsError) -> bool {
    matches!(
        error.exception.as_str(),
        "ExpiredTokenException" | "UnrecognizedClientException" | "InvalidSignatureException"
    ) && error.status == 403
}

impl AwsError {
    pub(super) fn into_provider_error(self) -> ProviderError {
        let message = format!("{}: {}", self.exception, self.message);
        ProviderError::Upstream {
            provider: self.provider,
            status: self.status,
            message: message.clone(),
            body: Box::new(UpstreamErrorBody {
                message: Some(message),
                code: Some(self.exception),
                ..UpstreamErrorBody::default()
            }),
            retry_after: self.retry_after,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_from_every_spelling() {
        assert_eq!(
            exception_name(
                "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
            ),
            "ValidationException"
        );
        assert_eq!(
            exception_name("aws.protocols#ThrottlingException"),
            "ThrottlingException"
        );
        assert_eq!(
            exception_name("AccessDeniedException"),
            "AccessDeniedException"
        );
    }
}
