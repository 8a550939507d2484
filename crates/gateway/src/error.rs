//! `GatewayError`: every failure a request can meet, with its HTTP status, OpenAI error type,
//! machine-readable code and fault domain. Rendered into a response in exactly one place per
//! client dialect (`ingress::openai::error` for the OpenAI envelope).

use std::borrow::Cow;

use gomodel_providers::{ProviderError, TransportFailure};
use http::StatusCode;

/// Whose fault a failure is: decides log level now, and retry/failover/breaker accounting later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request was wrong (bad JSON, unknown model, bad key).
    Client,
    /// The gateway could not serve it (no provider configured, internal error).
    Gateway,
    /// The provider failed or was unreachable.
    Provider,
}

/// The OpenAI error `type` values GoModel uses (reference §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    NotFound,
    RateLimit,
    Provider,
    Server,
}

impl ErrorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication => "authentication_error",
            Self::NotFound => "not_found_error",
            Self::RateLimit => "rate_limit_error",
            Self::Provider => "provider_error",
            Self::Server => "server_error",
        }
    }
}

/// A failed request.
#[derive(Debug, Clone)]
pub struct GatewayError {
    pub status: StatusCode,
    pub error_type: ErrorType,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<Cow<'static, str>>,
    pub fault: Fault,
    /// Passed on as `Retry-After`.
    pub retry_after: Option<String>,
}

impl GatewayError {
    fn new(
        status: StatusCode,
        error_type: ErrorType,
        fault: Fault,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error_type,
            message: message.into(),
            param: None,
            code: Some(Cow::Borrowed(code)),
            fault,
            retry_after: None,
        }
    }

    pub fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    /// A malformed or invalid request.
    pub fn invalid_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::InvalidRequest,
            Fault::Client,
            code,
            message,
        )
    }

    pub fn missing_parameter(param: &str) -> Self {
        Self::invalid_request(
            "missing_required_parameter",
            format!("missing required parameter: '{param}'"),
        )
        .with_param(param)
    }

    pub fn unsupported_media_type(found: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::InvalidRequest,
            Fault::Client,
            "unsupported_content_type",
            format!(
                "request body must be JSON sent with Content-Type: application/json (got {found:?})"
            ),
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::InvalidRequest,
            Fault::Client,
            "request_too_large",
            format!("request body exceeds the {limit}-byte limit (BODY_SIZE_LIMIT)"),
        )
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::Authentication,
            Fault::Client,
            code,
            message,
        )
    }

    pub fn route_not_found(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::NotFound,
            Fault::Client,
            "route_not_found",
            format!("no route for {method} {path}"),
        )
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorType::InvalidRequest,
            Fault::Client,
            "method_not_allowed",
            format!("method {method} is not allowed on {path}"),
        )
    }

    /// No provider is configured at all: the message says what to set.
    pub fn no_providers() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Provider,
            Fault::Gateway,
            "no_providers_configured",
            "no providers are configured. Set a provider key such as OPENAI_API_KEY, GROQ_API_KEY, \
             XAI_API_KEY, DEEPSEEK_API_KEY, OPENROUTER_API_KEY or ZAI_API_KEY; AZURE_API_KEY with \
             AZURE_BASE_URL; ORACLE_API_KEY with ORACLE_BASE_URL; OLLAMA_BASE_URL or VLLM_BASE_URL \
             for a local server; or add a providers: section to config.yaml. Then restart the gateway.",
        )
    }

    /// Providers exist but no model list has been loaded yet.
    pub fn registry_empty() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Provider,
            Fault::Gateway,
            "model_registry_empty",
            "model registry has no models yet: no provider's model list could be fetched. \
             Check the providers' base URLs and keys (the gateway log says which fetch failed), \
             or configure model lists with <TYPE>_MODELS.",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Server,
            Fault::Gateway,
            "internal_error",
            message,
        )
    }

    /// Maps a provider failure (reference §1.8): 401/403 stay authentication errors, 429 a rate
    /// limit, 404 not found, other 4xx invalid requests and 5xx provider errors with the
    /// upstream status kept; anything else is a 502.
    pub fn from_provider(err: ProviderError) -> Self {
        match err {
            ProviderError::Upstream {
                provider,
                status,
                message,
                body,
                retry_after,
            } => {
                let (status_code, error_type) = match status {
                    401 | 403 => (status, ErrorType::Authentication),
                    429 => (429, ErrorType::RateLimit),
                    404 => (404, ErrorType::NotFound),
                    400..=499 => (status, ErrorType::InvalidRequest),
                    500..=599 => (status, ErrorType::Provider),
                    _ => (502, ErrorType::Provider),
                };
                let message = if matches!(status, 401 | 403) {
                    format!(
                        "provider '{provider}' rejected the gateway's credentials for it: {message}"
                    )
                } else {
                    message
                };
                Self {
                    status: StatusCode::from_u16(status_code).unwrap_or(StatusCode::BAD_GATEWAY),
                    error_type,
                    message,
                    param: body.param,
                    code: Some(
                        body.code
                            .map_or(Cow::Borrowed("provider_error"), Cow::Owned),
                    ),
                    fault: Fault::Provider,
                    retry_after,
                }
            }
            ProviderError::Transport { provider, failure } => match failure {
                TransportFailure::HeaderTimeout(_) | TransportFailure::Timeout => Self::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    ErrorType::Provider,
                    Fault::Provider,
                    "request_timeout",
                    format!("provider '{provider}' did not answer in time: {failure}"),
                ),
                TransportFailure::Connect(_) => Self::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorType::Provider,
                    Fault::Provider,
                    "provider_unreachable",
                    format!("provider '{provider}' is unreachable: {failure}"),
                ),
                TransportFailure::Other(_) => Self::new(
                    StatusCode::BAD_GATEWAY,
                    ErrorType::Provider,
                    Fault::Provider,
                    "provider_connection_error",
                    format!("provider '{provider}' connection failed: {failure}"),
                ),
            },
            err @ ProviderError::InvalidResponse { .. } => Self::new(
                StatusCode::BAD_GATEWAY,
                ErrorType::Provider,
                Fault::Provider,
                "invalid_provider_response",
                err.to_string(),
            ),
            err @ ProviderError::Unsupported { .. } => {
                Self::invalid_request("unsupported_operation", err.to_string())
            }
            ProviderError::InvalidRequest { message, param } => {
                let mut error = Self::invalid_request("invalid_request", message);
                error.param = param;
                error
            }
        }
    }
}

impl From<ProviderError> for GatewayError {
    fn from(err: ProviderError) -> Self {
        Self::from_provider(err)
    }
}

/// Error facts attached to an error response (as an extension) for the request log.
#[derive(Debug, Clone)]
pub struct ErrorFacts {
    pub code: Option<String>,
    pub message: String,
    /// Whose fault it was (counted by `gomodel_upstream_errors_total`).
    pub fault: Fault,
}
