//! Google's Gemini dialect (`generateContent`), spoken by AI Studio and Vertex AI.
//!
//! Reference: <https://ai.google.dev/api/generate-content>. Translators, one direction each:
//! - [`request`]: canonical chat request → `GenerateContentRequest` (tools through
//!   [`schema`], reasoning effort through [`model`], signatures through [`signatures`]);
//! - [`response`]: `GenerateContentResponse` → canonical chat response;
//! - [`stream_in`]: streamed `GenerateContentResponse`s → canonical chunks (a state machine);
//! - [`embeddings`]: OpenAI embeddings ↔ `batchEmbedContents` / Vertex `predict`;
//! - [`usage`]: `usageMetadata` and finish reasons → OpenAI's.

pub mod embeddings;
pub mod ids;
pub mod logprobs;
pub mod model;
pub mod request;
pub mod response;
pub mod schema;
pub mod signatures;
pub mod stream_in;
pub mod usage;
pub mod wire;

/// The image type of a `gs://` or file URI, from its extension.
pub(crate) fn image_mime_from_uri(uri: &str) -> Option<&'static str> {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        _ => return None,
    })
}
