//! Gemini SSE events → OpenAI chunks: the protocol crate's `GeminiToOpenAi` state machine
//! behind the shared [`crate::translated_stream`] relay. Gemini has no end marker, so the
//! usage chunk and `[DONE]` are written when the upstream body ends after a finish reason.

use gomodel_protocol::canonical::ChatChunk;
use gomodel_protocol::gemini::stream_in::{GeminiToOpenAi, Output};
use gomodel_protocol::gemini::wire::GenerateContentResponse;

use crate::provider::UpstreamStream;
use crate::translated_stream::{self, EventTranslator, Framing, Step};

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    model: &str,
    created: i64,
    fallback_id: &str,
) -> UpstreamStream {
    translated_stream::translate(
        response,
        provider,
        Framing::Sse,
        Gemini(GeminiToOpenAi::new(model, created, fallback_id)),
    )
}

struct Gemini(GeminiToOpenAi);

impl EventTranslator for Gemini {
    fn on_data(&mut self, _kind: Option<&str>, data: &[u8]) -> Step {
        let event = match serde_json::from_slice::<GenerateContentResponse>(data) {
            Ok(event) => event,
            Err(err) => {
                return Step::Error {
                    kind: "invalid_provider_response".to_owned(),
                    message: format!("provider sent an undecodable stream event: {err}"),
                };
            }
        };
        match self.0.on_event(event) {
            Output::Chunks(chunks) => Step::Chunks(chunks),
            Output::Error { kind, message } => Step::Error { kind, message },
        }
    }

    fn on_end(&mut self) -> Result<Vec<ChatChunk>, String> {
        self.0.finish()
    }
}
