//! The knobs a test or the benchmark sets when it starts a fake.

use std::fmt;
use std::time::Duration;

/// How a [`crate::FakeUpstream`] behaves. `FakeOptions::default()` replays the recordings as they are.
#[derive(Clone)]
pub struct FakeOptions {
    /// Ids served by `GET …/models`; `None` serves the ids of `fixtures/openai/models.json`.
    /// Google's list (requests with `x-goog-api-key`) serves these as chat models plus its two
    /// embedding models; Bedrock's catalog (`GET /foundation-models`, and the model ids
    /// Converse accepts) is exactly these, as on-demand text models.
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
    /// requests of a client overlap on one token fetch. The AWS credential endpoints (STS, the
    /// container endpoint, IMDS role credentials) wait it out too.
    pub token_latency: Duration,
    /// Long-term AWS access keys (access key id, secret access key) whose SigV4 signatures the
    /// Bedrock routes accept, besides the temporary credentials this fake issues. Defaults to
    /// AWS's documentation pair `AKIDEXAMPLE` / `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`.
    pub aws_credentials: Vec<(String, String)>,
    /// The region Bedrock signatures must be scoped to and inference profiles and ARNs must
    /// name (`us-east-1`).
    pub aws_region: String,
    /// The only Bedrock API key (`Authorization: Bearer …`) the Bedrock routes accept; `None`
    /// refuses every bearer token.
    pub bedrock_api_key: Option<String>,
    /// When set, the container credential endpoint requires `Authorization` equal to it (what
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` holds).
    pub aws_container_token: Option<String>,
    /// How long issued AWS temporary credentials live; Bedrock refuses them afterwards.
    pub aws_credential_lifetime: Duration,
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
            aws_credentials: vec![(
                "AKIDEXAMPLE".to_owned(),
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_owned(),
            )],
            aws_region: "us-east-1".to_owned(),
            bedrock_api_key: None,
            aws_container_token: None,
            aws_credential_lifetime: Duration::from_secs(3600),
        }
    }
}

/// By hand so API keys, private keys, secret access keys and tokens never reach a log.
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
            .field(
                "aws_credentials",
                &self
                    .aws_credentials
                    .iter()
                    .map(|(key, _)| (key.as_str(), "***"))
                    .collect::<Vec<_>>(),
            )
            .field("aws_region", &self.aws_region)
            .field("bedrock_api_key", &redacted(self.bedrock_api_key.is_some()))
            .field(
                "aws_container_token",
                &redacted(self.aws_container_token.is_some()),
            )
            .field("aws_credential_lifetime", &self.aws_credential_lifetime)
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
            bedrock_api_key: Some("ABSK-secret".into()),
            aws_container_token: Some("container-secret".into()),
            ..FakeOptions::default()
        };
        let text = format!("{options:?}");
        for secret in [
            "AIza-secret",
            "[1, 2, 3]",
            "ABSK-secret",
            "container-secret",
            "wJalrXUtnFEMI",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("***") && text.contains("AKIDEXAMPLE"));
    }
}
