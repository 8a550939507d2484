//! Amazon Bedrock on the same fake server: the runtime's Converse and ConverseStream
//! (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html,
//! `API_runtime_ConverseStream.html`) and the control plane's ListFoundationModels.
//!
//! Routes: `POST …/model/{modelId}/converse`, `POST …/model/{modelId}/converse-stream` (the
//! model id percent-encoded, as clients send ARNs and `…:0` ids) and `GET …/foundation-models`.
//! Every call is authenticated (`sigv4.rs`: SigV4 with static or issued temporary credentials,
//! or a Bedrock API key), then the model id is resolved against the catalog (`models.rs`), the
//! body read strictly (`shape.rs`, `request.rs`), the conversation checked (`turns.rs`, and
//! `claude.rs` for Anthropic's models), and the answer planned (`answer.rs`) and rendered as
//! JSON (`response.rs`) or as an AWS event stream (`stream.rs`, `eventstream.rs`). Errors are
//! Bedrock's (`errors.rs`); faults are the usual model names plus `fake-model-not-ready`,
//! `fake-model-stream-error`, `fake-corrupt-frame` and `fake-truncated-frame`.

mod answer;
mod claude;
mod content;
mod errors;
mod eventstream;
mod models;
mod request;
mod response;
mod shape;
mod sigv4;
mod stream;
mod turns;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};

use crate::app::App;
use crate::faults::Fault;
use crate::options::FakeOptions;
use crate::reply;
use crate::scripted::{self, Dialect};

use errors::BedrockError;
use models::FoundationModel;

/// Bedrock's per-fake state: the catalog, issued reasoning signatures, prompts cached so far.
pub(crate) struct Bedrock {
    catalog: Vec<FoundationModel>,
    text_pieces: Vec<String>,
    signatures: claude::Signatures,
    cached_prefixes: Mutex<HashSet<String>>,
}

impl Bedrock {
    pub(crate) fn new(options: &FakeOptions) -> Self {
        let count = options
            .stream_chunks
            .unwrap_or(answer::TEXT_PIECES.len())
            .max(1);
        Self {
            catalog: models::catalog(options.models.as_deref(), &options.aws_region),
            text_pieces: answer::TEXT_PIECES
                .iter()
                .cycle()
                .take(count)
                .map(|p| (*p).to_owned())
                .collect(),
            signatures: claude::Signatures::default(),
            cached_prefixes: Mutex::new(HashSet::new()),
        }
    }

    /// Remembers a cached prompt prefix; true the first time it is seen (a cache write).
    fn remember_prefix(&self, key: &str) -> bool {
        self.cached_prefixes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.to_owned())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Operation {
    Converse,
    ConverseStream,
}

/// `…/model/{modelId}/converse[-stream]`: the raw (still percent-encoded) model id and which.
pub(crate) fn converse_route(path: &str) -> Option<(&str, Operation)> {
    let (rest, operation) = match path.strip_suffix("/converse-stream") {
        Some(rest) => (rest, Operation::ConverseStream),
        None => (path.strip_suffix("/converse")?, Operation::Converse),
    };
    let at = rest.find("/model/")?;
    let model = &rest[at + "/model/".len()..];
    (!model.is_empty()).then_some((model, operation))
}

/// `GET …/foundation-models`.
pub(crate) fn is_foundation_models(path: &str) -> bool {
    path.ends_with("/foundation-models")
}

/// The model id of a Converse path, percent-decoded.
pub(crate) fn decoded_model_id(path: &str) -> Option<String> {
    let (raw, _) = converse_route(path)?;
    Some(String::from_utf8_lossy(&sigv4::percent_decode(raw)).into_owned())
}

/// `POST …/model/{modelId}/converse` and `…/converse-stream`.
pub(crate) async fn converse(app: Arc<App>, parts: &http::request::Parts, body: Bytes) -> Response {
    let started = Instant::now();
    let response = match run(&app, parts, &body, started).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    stamp(&app, response)
}

/// `GET …/foundation-models`.
pub(crate) fn list_foundation_models(
    app: &App,
    parts: &http::request::Parts,
    body: &[u8],
) -> Response {
    let listed = sigv4::authenticate(app, parts, body)
        .and_then(|()| models::list(&app.bedrock.catalog, parts.uri.query().unwrap_or_default()));
    let response = match listed {
        Ok(json) => reply::json(StatusCode::OK, json),
        Err(error) => error.into_response(),
    };
    stamp(app, response)
}

/// A refusal of a body that could not be read whole.
pub(crate) fn too_large(app: &App) -> Response {
    let error = BedrockError::validation("Input is too long for requested model.");
    stamp(app, error.into_response())
}

async fn run(
    app: &Arc<App>,
    parts: &http::request::Parts,
    body: &[u8],
    started: Instant,
) -> Result<Response, BedrockError> {
    sigv4::authenticate(app, parts, body)?;
    let Some((raw_id, operation)) = converse_route(parts.uri.path()) else {
        return Err(unknown_operation());
    };
    // An ARN whose `/` was not encoded does not name a Bedrock operation.
    if raw_id.contains('/') {
        return Err(unknown_operation());
    }
    let model_id = String::from_utf8_lossy(&sigv4::percent_decode(raw_id)).into_owned();
    let streaming = operation == Operation::ConverseStream;
    let fault = Fault::from_model(&model_id);
    if let Fault::Error(status) = fault {
        return Err(errors::scripted(status));
    }
    if model_id == "fake-model-not-ready" {
        return Err(errors::model_not_ready());
    }
    // Scripted names stand for a generic model; others must resolve in the catalog.
    let base_id = if model_id.starts_with("fake-") {
        model_id.clone()
    } else {
        let model = models::resolve(&app.bedrock.catalog, &model_id, &app.options.aws_region)?;
        model.model_id.clone()
    };
    if let Some(response) =
        scripted::before_answer(fault, &model_id, Dialect::OpenAi, streaming).await
    {
        return Ok(response);
    }
    let request = request::parse(body)?;
    turns::check(&request)?;
    let claude = claude::is_claude(&base_id);
    let thinking = claude && claude::thinking(&request)?;
    if claude {
        claude::check(&request, &base_id, thinking, &app.bedrock.signatures)?;
    }
    let plan = answer::plan(app, &request, thinking);
    let fields = response::model_fields(&request.response_field_paths, claude, &plan);
    let latency_ms = (started.elapsed().as_millis() as u64).max(1);
    if streaming {
        let events = stream::events(&plan, latency_ms, fields);
        return Ok(stream::respond(app, events, fault, &model_id));
    }
    let body = response::converse(&plan, latency_ms, fields);
    Ok(reply::json(StatusCode::OK, body.to_string()))
}

/// What AWS's front end answers for a path that names no operation.
fn unknown_operation() -> BedrockError {
    BedrockError::new(404, "UnknownOperationException", "")
}

/// Every Bedrock answer carries a request id.
fn stamp(app: &App, mut response: Response) -> Response {
    if let Ok(id) = HeaderValue::from_str(&request_id(app)) {
        response.headers_mut().insert("x-amzn-requestid", id);
    }
    response
}

/// A UUID-shaped request id, as AWS services send.
pub(crate) fn request_id(app: &App) -> String {
    let (a, b) = (app.next_id(), app.next_id());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0x0FFF,
        ((b >> 48) & 0x3FFF) | 0x8000,
        b & 0xFFFF_FFFF_FFFF
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converse_routes() {
        assert_eq!(
            converse_route("/model/amazon.nova-pro-v1%3A0/converse"),
            Some(("amazon.nova-pro-v1%3A0", Operation::Converse))
        );
        assert_eq!(
            converse_route("/bedrock/model/m/converse-stream"),
            Some(("m", Operation::ConverseStream))
        );
        assert_eq!(converse_route("/model//converse"), None);
        assert_eq!(converse_route("/models/m/converse"), None);
        assert_eq!(converse_route("/model/m/invoke"), None);
        assert_eq!(
            decoded_model_id(
                "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fus.x/converse"
            )
            .as_deref(),
            Some("arn:aws:bedrock:us-east-1:1:inference-profile/us.x")
        );
        assert!(is_foundation_models("/foundation-models"));
        assert!(!is_foundation_models("/v1/models"));
    }
}
