//! A fake OpenAI-compatible provider on loopback, for the gateway's end-to-end tests and the
//! benchmark. The same server also speaks Anthropic's Messages API (`…/messages`,
//! `…/messages/count_tokens`, and `…/models` when the request carries `x-api-key` or
//! `anthropic-version`), and has `…/echo` and `…/binary` for passthrough tests.
//!
//! Every response shape comes from real provider recordings (`fixtures/`); only the model, ids,
//! timestamps and token counts vary. Faults are scripted through the request's `model`
//! (`fake-error-429`, `fake-drop-3`, `fake-stall`, …; see `faults.rs`), because the gateway
//! forwards the model untouched. The fake never uses the gateway's own wire types, so a bug in
//! them cannot hide itself.
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
mod base64;
mod chat;
mod embeddings;
mod errors;
mod faults;
mod feed;
pub mod fixtures;
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
mod stream;
mod template;
mod tool_stream;
mod vectors;

pub use options::FakeOptions;
pub use received::ReceivedRequest;
pub use server::{FakeUpstream, serve_forever};
