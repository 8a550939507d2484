//! Anthropic SSE events → OpenAI chunks: the protocol crate's `AnthropicToOpenAi` state
//! machine behind the shared [`crate::translated_stream`] relay.

use gomodel_protocol::anthropic::stream_in::{AnthropicToOpenAi, Output};
use gomodel_protocol::anthropic::wire::StreamEvent;

use crate::provider::UpstreamStream;
use crate::translated_stream::{self, EventTranslator, Framing, Step};

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    model: String,
    created: i64,
) -> UpstreamStream {
    translated_stream::translate(
        response,
        provider,
        Framing::Sse,
        Anthropic(AnthropicToOpenAi::new(&model, created)),
    )
}

struct Anthropic(AnthropicToOpenAi);

impl EventTranslator for Anthropic {
    fn on_data(&mut self, _kind: Option<&str>, data: &[u8]) -> Step {
        let event = match serde_json::from_slice::<StreamEvent>(data) {
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
            Output::Done => Step::Done(Vec::new()),
            Output::Error { kind, message } => Step::Error { kind, message },
        }
    }

    fn on_end(&mut self) -> Result<Vec<gomodel_protocol::canonical::ChatChunk>, String> {
        // Done is sent at message_stop; ending without it means the stream was cut short.
        Err("stream ended before message_stop".to_owned())
    }
}
