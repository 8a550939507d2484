//! The knobs a test or the benchmark sets when it starts a fake.

use std::time::Duration;

/// How a [`crate::FakeUpstream`] behaves. `FakeOptions::default()` replays the recordings as they are.
#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Ids served by `GET …/models`; `None` serves the ids of `fixtures/openai/models.json`.
    pub models: Option<Vec<String>>,
    /// Content chunks per stream; `None` sends exactly the recording's chunks. Recorded texts
    /// repeat in order when more are asked for; the non-stream answer is their concatenation.
    pub stream_chunks: Option<usize>,
    /// Delay between stream events.
    pub chunk_delay: Duration,
    /// Delay before answering any provider request (not `/health` or `/__stats`).
    pub latency: Duration,
    /// Embedding length when the request has no `dimensions`.
    pub embed_dim: usize,
    /// Keep every received request for [`crate::FakeUpstream::received`]; the benchmark turns it
    /// off so memory stays flat. Requests are counted either way.
    pub record: bool,
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
        }
    }
}
