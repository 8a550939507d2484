//! ConverseStream frames → OpenAI chunks: the protocol crate's `BedrockToOpenAi` state machine
//! behind the shared [`crate::translated_stream`] relay (AWS event-stream framing).

use gomodel_protocol::bedrock::stream_in::{BedrockToOpenAi, Output};
use gomodel_protocol::bedrock::wire::StreamPayload;
use gomodel_protocol::canonical::ChatChunk;

use crate::provider::UpstreamStream;
use crate::translated_stream::{self, EventTranslator, Framing, Step};

pub(crate) fn translate(
    response: reqwest::Response,
    provider: String,
    id: &str,
    model: &str,
    created: i64,
) -> UpstreamStream {
    translated_stream::translate(
        response,
        provider,
        Framing::AwsEventStream,
        Bedrock(BedrockToOpenAi::new(id, model, created)),
    )
}

struct Bedrock(BedrockToOpenAi);

impl EventTranslator for Bedrock {
    fn on_data(&mut self, kind: Option<&str>, data: &[u8]) -> Step {
        let payload = match serde_json::from_slice::<StreamPayload>(data) {
            Ok(payload) => payload,
            Err(err) => {
                return Step::Error {
                    kind: "invalid_provider_response".to_owned(),
                    message: format!("provider sent an undecodable stream event: {err}"),
                };
            }
        };
        match self.0.on_event(kind.unwrap_or(""), payload) {
            Output::Chunks(chunks) => Step::Chunks(chunks),
            Output::Done(chunks) => Step::Done(chunks),
            Output::Error { kind, message } => Step::Error { kind, message },
        }
    }

    fn on_end(&mut self) -> Result<Vec<ChatChunk>, String> {
        self.0.finish()
    }
}
