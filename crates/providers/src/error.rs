//! What can go wrong talking to a provider, described precisely enough for the gateway to pick
//! the right status, error type and retry decision. Messages never contain a credential.

use gomodel_protocol::openai::UpstreamErrorBody;

/// Failure of one upstream call.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider answered with an error status.
    #[error("provider '{provider}' returned HTTP {status}: {message}")]
    Upstream {
        provider: String,
        status: u16,
        message: String,
        /// Boxed: keeps `Result<_, ProviderError>` small on the happy path.
        body: Box<UpstreamErrorBody>,
        /// `Retry-After` from the provider, passed on to the client on 429/503.
        retry_after: Option<String>,
    },
    /// The request never got an answer.
    #[error("provider '{provider}' could not be reached: {failure}")]
    Transport {
        provider: String,
        failure: TransportFailure,
    },
    /// The provider answered 2xx with something that is not what its API promises.
    #[error("provider '{provider}' returned an invalid response: {detail}")]
    InvalidResponse { provider: String, detail: String },
    /// The operation does not exist for this provider type.
    #[error("{operation} is not supported by provider '{provider}' (type {kind})")]
    Unsupported {
        provider: String,
        kind: &'static str,
        operation: &'static str,
    },
    /// The request cannot be expressed for this provider.
    #[error("{message}")]
    InvalidRequest {
        message: String,
        param: Option<String>,
    },
}

/// Why no answer arrived.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TransportFailure {
    #[error("connection to {0} failed")]
    Connect(String),
    #[error("no response headers within {0:?}")]
    HeaderTimeout(std::time::Duration),
    #[error("request timed out")]
    Timeout,
    #[error("connection lost: {0}")]
    Other(String),
}

/// A request the target dialect cannot express: a 400 naming the parameter.
impl From<gomodel_protocol::report::TranslationError> for ProviderError {
    fn from(err: gomodel_protocol::report::TranslationError) -> Self {
        Self::InvalidRequest {
            message: err.message,
            param: err.param,
        }
    }
}

/// Parses a client's JSON body for a translating adapter (`what`: "chat", "embeddings").
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, ProviderError> {
    serde_json::from_slice(body).map_err(|err| ProviderError::InvalidRequest {
        message: format!("invalid {what} request: {err}"),
        param: None,
    })
}
