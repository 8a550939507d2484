//! The state every request handler shares: options, compiled recordings, answers rendered ahead
//! of time, and the traffic counters.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

use crate::anthropic::Anthropic;
use crate::aws_credentials::AwsCredentials;
use crate::bedrock::Bedrock;
use crate::gemini::Gemini;
use crate::google_oauth::GoogleAuth;
use crate::options::FakeOptions;
use crate::received::Traffic;
use crate::recordings::Recordings;
use crate::template::{Slot, push_json_str};
use crate::vectors::CachedVector;
use crate::{models, tool_stream};

pub(crate) struct App {
    pub(crate) options: FakeOptions,
    pub(crate) rec: Recordings,
    pub(crate) canned: Canned,
    /// Anthropic's recordings and its canned answers.
    pub(crate) anthropic: Anthropic,
    /// Gemini's issued thought signatures and its canned text.
    pub(crate) gemini: Gemini,
    /// Google's token endpoint: the service account's key and the tokens it issued.
    pub(crate) google: GoogleAuth,
    /// Bedrock's catalog, reasoning signatures and prompt cache.
    pub(crate) bedrock: Bedrock,
    /// AWS temporary credentials issued by STS, the container endpoint and IMDS.
    pub(crate) aws: AwsCredentials,
    pub(crate) traffic: Traffic,
    ids: AtomicU64,
    id_seed: u64,
}

/// Everything that depends only on the options, rendered once so a request only fills slots.
pub(crate) struct Canned {
    /// The `delta` of each content chunk of a stream.
    pub(crate) content_deltas: Vec<Box<[u8]>>,
    /// The non-stream message: the content chunks joined, as a JSON string.
    pub(crate) message_content: Box<[u8]>,
    /// The `delta`s of a tool-call stream: the call's head, then argument fragments.
    pub(crate) tool_deltas: Vec<Box<[u8]>>,
    pub(crate) models_body: Bytes,
    pub(crate) vector: CachedVector,
}

impl App {
    /// `addr` is where the fake listens: the audience Google's token endpoint expects.
    pub(crate) fn new(options: FakeOptions, addr: SocketAddr) -> anyhow::Result<Self> {
        let rec = Recordings::load()?;
        let canned = Canned::new(&rec, &options);
        let anthropic = Anthropic::new(&options)?;
        let gemini = Gemini::new(&options);
        let google = GoogleAuth::new(&options, addr)?;
        let bedrock = Bedrock::new(&options);
        // Ids only need to differ between fakes and requests; the clock is a good enough seed.
        let id_seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Ok(Self {
            options,
            rec,
            canned,
            anthropic,
            gemini,
            google,
            bedrock,
            aws: AwsCredentials::default(),
            traffic: Traffic::default(),
            ids: AtomicU64::new(0),
            id_seed,
        })
    }

    /// A fresh number for a response id (see [`crate::template::push_hex_id`]).
    pub(crate) fn next_id(&self) -> u64 {
        splitmix64(self.id_seed ^ self.ids.fetch_add(1, Ordering::Relaxed))
    }
}

impl Canned {
    fn new(rec: &Recordings, options: &FakeOptions) -> Self {
        let count = options.stream_chunks.unwrap_or(rec.contents.len());
        let texts: Vec<&str> = rec
            .contents
            .iter()
            .map(String::as_str)
            .cycle()
            .take(count)
            .collect();
        let content_deltas = texts
            .iter()
            .map(|text| {
                let mut delta = Vec::new();
                rec.content_delta.render(&mut delta, &mut |slot, out| {
                    if slot == Slot::Content {
                        push_json_str(out, text);
                    }
                });
                delta.into()
            })
            .collect();
        let mut message_content = Vec::new();
        push_json_str(&mut message_content, &texts.concat());
        Self {
            content_deltas,
            message_content: message_content.into(),
            tool_deltas: tool_stream::deltas(&rec.tool_call),
            models_body: models::list_body(rec, options.models.as_deref()),
            vector: CachedVector::new(options.embed_dim),
        }
    }
}

/// A bijective mix, so consecutive counters give unrelated-looking ids.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}
