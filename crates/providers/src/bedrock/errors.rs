//! AWS error answers → `ProviderError`s. The exception name comes from `x-amzn-ErrorType`
//! (`ValidationException:http://internal.amazon.com/coral/…`), else from the body's `__type`
//! or `code`; the message from `message` (or `Message`). The status is AWS's own
//! (ValidationException 400, AccessDenied 403, Throttling and ModelNotReady 429, …), except
//! for the two 4xx statuses Bedrock uses for the model's own failures: `ModelErrorException`
//! (424, "the model produced an invalid response") becomes 502 and `ModelTimeoutException`
//! (408, "the model has timed out") 504. Passed through, they would reach clients as
//! `invalid_request_error`s and tell them to fix a request that was fine (AWS's advice is
//! "try your request again"); as 502/504 they are provider errors, counted against the
//! provider's health, and a timeout reads as the gateway's own upstream timeouts do (504).
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

/// `secrets` are scrubbed from the message: the API key, or the signing keys and session
/// token (AWS's signature errors quote the canonical request, which holds the token).
pub(super) async fn from_response(
    provider: &str,
    secrets: &[Secret],
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
    // A signature mismatch quotes the canonical request and string to sign: useless to a
    // client, and the request carries the session token.
    if let Some(cut) = message.find("The Canonical String") {
        message.truncate(cut);
        message = message.trim_end().to_owned();
    }
    if exception == "ValidationException" && message.contains("on-demand throughput") {
        message.push_str(
            " (Hint: call the model through an inference profile: prefix its id with us., eu., apac. or global., e.g. us.anthropic.…, or use the profile ARN; `aws bedrock list-inference-profiles` lists them. BEDROCK_MODELS can pin profile ids.)",
        );
    }
    for secret in secrets {
        message = redact(&message, secret);
    }
    AwsError {
        provider: provider.to_owned(),
        status,
        message,
        exception,
        retry_after,
    }
}

/// `ThrottlingException:http://…` or `aws.protocols#ThrottlingException` → `ThrottlingException`.
fn exception_name(raw: &str) -> &str {
    let name = raw.split(':').next().unwrap_or(raw);
    name.rsplit('#').next().unwrap_or(name)
}

/// Temporary credentials AWS no longer accepts: worth one retry with fresh ones. (A signature
/// mismatch is not: fresh keys would not fix a clock skew, and renewing on every request
/// would hammer STS.)
pub(super) fn is_stale_credential(error: &AwsError) -> bool {
    matches!(
        error.exception.as_str(),
        "ExpiredTokenException" | "UnrecognizedClientException"
    ) && error.status == 403
}

/// The status a client sees: AWS's, but a failure of the model itself is the provider's
/// (see the module comment).
fn client_status(exception: &str, status: u16) -> u16 {
    match (exception, status) {
        ("ModelErrorException", _) | (_, 424) => 502,
        ("ModelTimeoutException", _) | (_, 408) => 504,
        _ => status,
    }
}

impl AwsError {
    pub(super) fn into_provider_error(self) -> ProviderError {
        let message = format!("{}: {}", self.exception, self.message);
        ProviderError::Upstream {
            status: client_status(&self.exception, self.status),
            provider: self.provider,
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

    #[tokio::test]
    async fn signature_errors_lose_the_canonical_request_and_every_secret() {
        let token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD";
        let body = format!(
            r#"{{"message":"The request signature we calculated does not match the signature you provided. The Canonical String for this request should have been 'POST /model/x/converse host;x-amz-date;x-amz-security-token {token}'"}}"#
        );
        let response = http::Response::builder()
            .status(403)
            .header("x-amzn-errortype", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
            .body(body)
            .unwrap();
        let error = from_response(
            "bedrock",
            &[Secret::new(token)],
            reqwest::Response::from(response),
        )
        .await;
        assert_eq!(error.exception, "InvalidSignatureException");
        assert!(
            !error.message.contains(token) && !error.message.contains("Canonical"),
            "{}",
            error.message
        );
        assert!(
            !is_stale_credential(&error),
            "a signature mismatch is not fixed by new keys"
        );
    }

    #[test]
    fn model_failures_are_the_providers_not_the_clients() {
        let cases = [
            ("ModelErrorException", 424, 502),
            ("ModelTimeoutException", 408, 504),
            ("InternalServerException", 500, 500),
            ("ServiceUnavailableException", 503, 503),
            ("ValidationException", 400, 400),
            ("ThrottlingException", 429, 429),
        ];
        for (exception, aws, expected) in cases {
            let error = AwsError {
                provider: "bedrock".to_owned(),
                status: aws,
                exception: exception.to_owned(),
                message: "m".to_owned(),
                retry_after: None,
            };
            let ProviderError::Upstream { status, body, .. } = error.into_provider_error() else {
                panic!("{exception}: not an upstream error");
            };
            assert_eq!(status, expected, "{exception}");
            assert_eq!(body.code.as_deref(), Some(exception));
        }
    }

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
