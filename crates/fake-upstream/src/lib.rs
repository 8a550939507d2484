//! A fake OpenAI-compatible provider on loopback, for the gateway's end-to-end tests and the
//! benchmark. The same server also speaks:
//!
//! - Anthropic's Messages API (`…/messages`, `…/messages/count_tokens`, and `…/models` when the
//!   request carries `x-api-key` or `anthropic-version`);
//! - Google's Gemini API and Vertex AI (`POST …/models/{model}:generateContent`,
//!   `:streamGenerateContent`, `:countTokens`, `:embedContent`, `:batchEmbedContents`, Vertex
//!   `:predict`, and `GET …/models` when the request carries `x-goog-api-key` or `?key=`), with
//!   Google's strict request reading, thinking, thought signatures and safety blocks
//!   (`gemini/`);
//! - Google's OAuth token endpoint (`POST …/token`: service-account JWTs verified with RS256,
//!   refresh tokens) and the GCE metadata server's token route, whose tokens the Vertex routes
//!   require (`google_oauth.rs`);
//! - Amazon Bedrock: Converse and ConverseStream (`POST …/model/{modelId}/converse`,
//!   `…/converse-stream`, the AWS event stream encoding) and the control plane's
//!   `GET …/foundation-models`, behind SigV4 verified from scratch or a Bedrock API key, with
//!   Bedrock's strict request checks, inference-profile-only models, Claude's thinking
//!   signatures and prompt caching (`bedrock/`);
//! - AWS credential endpoints: STS `AssumeRoleWithWebIdentity` (`POST /`), the container
//!   endpoint (`GET /v2/credentials/{id}`, `GET /ecs-creds`) and IMDSv2
//!   (`PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/…`), whose
//!   temporary credentials Bedrock accepts until they expire (`aws_credentials.rs`);
//! - `…/echo` and `…/binary` for passthrough tests.
//!
//! OpenAI and Anthropic response shapes come from real provider recordings (`fixtures/`); only
//! the model, ids, timestamps and token counts vary. Google's shapes follow its API reference
//! (see `fixtures/README.md`). Faults are scripted through the request's `model`
//! (`fake-error-429`, `fake-drop-3`, `fake-stall`, …; see `faults.rs`), because the gateway
//! forwards the model untouched; on Google's routes also `fake-safety-prompt`,
//! `fake-safety-candidate` and `fake-recitation`; on Bedrock's `fake-model-not-ready`,
//! `fake-model-stream-error`, `fake-corrupt-frame` and `fake-truncated-frame`. The fake never
//! uses the gateway's own wire types, signer or decoders, so a bug in them cannot hide itself.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let fake = gomodel_fake_upstream::FakeUpstream::start().await?;
//! let base = format!("{}/v1", fake.base_url()); // point a provider at this
//! # let _ = base;
//! assert_eq!(fake.request_count(), 0);
//! # Ok(()) }
//! ```

mod anthropic;
mod app;
mod aws_credentials;
mod aws_time;
mod base64;
mod bedrock;
mod chat;
mod embeddings;
mod errors;
mod faults;
mod feed;
pub mod fixtures;
mod gemini;
mod google_oauth;
mod models;
mod options;
mod passthrough;
mod received;
mod recordings;
mod reply;
mod request;
mod router;
mod scripted;
mod server;
mod split;
mod stream;
mod template;
mod tool_stream;
mod vectors;

pub use aws_credentials::AwsCredentialKind;
pub use options::FakeOptions;
pub use received::ReceivedRequest;
pub use server::{FakeUpstream, serve_forever};
