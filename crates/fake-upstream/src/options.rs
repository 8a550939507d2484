//! The knobs a test or the benchmark sets when it starts a fake.

use std::fmt;
use std::time::Duration;

/// How a [`crate::FakeUpstream`] behaves. `FakeOptions::default()` replays the recordings as they are.
#[derive(Clone)]
pub struct FakeOptions {
    /// Ids served by `GET …/models`; `None` serves the ids of `fixtures/openai/models.json`.
    /// Google's list (requests with `x-goog-api-key`) serves these as chat models plus its two
    /// embedding models.
    pub models: Option<Vec<String>>,
    /// Content chunks per stream; `None` sends exactly the recording's chunks. Recorded texts
    /// repeat in order when more are asked for; the non-stream answer is their concatenation.
    pub stream_chunks: Option<usize>,
    /// Delay between stream events.
    pub chunk_delay: Duration,
    /// Delay before answering any provider request (not `/health`, `/__stats` or the Google
    /// token routes, which have `token_latency`).
    pub latency: Duration,
    /// Embedding length when the request has no `dimensions` (OpenAI and Ollama; Gemini and
    /// Vertex default to 768 as Google's models do).
    pub embed_dim: usize,
    /// Keep every received request for [`crate::FakeUpstream::received`]; the benchmark turns it
    /// off so memory stays flat. Requests are counted either way.
    pub record: bool,
    /// The only key Gemini's AI Studio routes accept in `x-goog-api-key` (or `?key=`); `None`
    /// accepts any non-empty key.
    pub google_api_key: Option<String>,
    /// The service account's RSA private key as PKCS#8 DER. The token endpoint verifies JWT
    /// assertions against its public half; `None` rejects every assertion ("account not found").
    /// A key that is not PKCS#8 RSA makes the fake fail to start.
    pub google_service_account_key: Option<Vec<u8>>,
    /// The service account's email; when set, an assertion's `iss` must equal it.
    pub google_client_email: Option<String>,
    /// How long issued access tokens live (`expires_in`); Vertex routes reject them afterwards.
    pub google_token_lifetime: Duration,
    /// Delay before the token endpoint and the metadata server answer, so concurrent first
    /// requests of a client overlap on one token fetch.
    pub token_latency: Duration,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            models: None,
            stream_chunks: None,
            chunk_delay: Duration::ZERO,
            latency: Duration::ZERO,
            embed_dim: 1536,
            record: true,
            google_api_key: None,
            google_service_account_key: None,
            google_client_email: None,
            google_token_lifetime: Duration::from_secs(3600),
            token_latency: Duration::ZERO,
        }
    }
}

/// By hand so the API key and the private key never reach a log.
impl fmt::Debug for FakeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { Some("***") } else { None };
        f.debug_struct("FakeOptions")
            .field("models", &self.models)
            .field("stream_chunks", &self.stream_chunks)
            .field("chunk_delay", &self.chunk_delay)
            .field("latency", &self.latency)
            .field("embed_dim", &self.embed_dim)
            .field("record", &self.record)
            .field("google_api_key", &redacted(self.google_api_key.is_some()))
            .field(
                "google_service_account_key",
                &redacted(self.google_service_account_key.is_some()),
            )
            .field("google_client_email", &self.google_client_email)
            .field("google_token_lifetime", &self.google_token_lifetime)
            .field("token_latency", &self.token_latency)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secrets() {
        let options = FakeOptions {
            google_api_key: Some("AIza-secret".into()),
            google_service_account_key: Some(vec![1, 2, 3]),
            ..FakeOptions::default()
        };
        let text = format!("{options:?}");
        assert!(
            !text.contains("AIza-secret") && !text.contains("[1, 2, 3]"),
            "{text}"
        );
        assert!(text.contains("***"));
    }
}
