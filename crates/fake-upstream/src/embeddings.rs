//! `POST …/embeddings` (OpenAI) and `POST /api/embed` (Ollama's native API).
//!
//! Neither was recorded. The OpenAI body follows the API reference ("Create embeddings":
//! `object`, `data[].{object,index,embedding}`, `model`, `usage`); the Ollama body follows the
//! Ollama API docs for `/api/embed` (`model`, `embeddings`, `total_duration`, `load_duration`,
//! `prompt_eval_count`).

use std::sync::Arc;

use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;

use crate::app::App;
use crate::faults::Fault;
use crate::request::{EmbeddingsRequest, InputStats};
use crate::scripted::{self, Dialect};
use crate::template::{push_json_str, push_u64};
use crate::{errors, reply};

/// Far above any real model, low enough that a typo cannot make the fake allocate gigabytes.
const MAX_DIMENSIONS: usize = 65_536;

pub(crate) async fn respond(app: Arc<App>, body: Bytes, dialect: Dialect) -> Response {
    let Ok(request) = serde_json::from_slice::<EmbeddingsRequest<'_>>(&body) else {
        return errors::bad_json();
    };
    let Some(model) = request.model.as_deref().filter(|m| !m.is_empty()) else {
        return errors::bad_request("you must provide a model parameter");
    };
    let fault = Fault::from_model(model);
    if let Some(response) = scripted::before_answer(fault, model, dialect, false).await {
        return response;
    }
    let Some(input) = request.input.as_ref() else {
        return errors::bad_request("'input' is a required property");
    };
    if input.inputs == 0 {
        return errors::bad_request("'$.input' is invalid. Please check the API reference.");
    }
    let dim = request.dimensions.unwrap_or(app.options.embed_dim);
    if dim == 0 || dim > MAX_DIMENSIONS {
        return errors::bad_request("Invalid value for 'dimensions'.");
    }
    let body = match dialect {
        // Anthropic has no embeddings API; the router never sends it here.
        Dialect::OpenAi | Dialect::Anthropic => {
            let base64 = request.encoding_format.as_deref() == Some("base64");
            openai_body(&app, model, input, dim, base64)
        }
        Dialect::Ollama => ollama_body(&app, model, input, dim),
    };
    reply::json(StatusCode::OK, body)
}

fn openai_body(app: &App, model: &str, input: &InputStats, dim: usize, base64: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.inputs * (dim * 7 + 48) + model.len() + 96);
    out.extend_from_slice(br#"{"object":"list","data":["#);
    for index in 0..input.inputs {
        if index > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"object":"embedding","index":"#);
        push_u64(&mut out, index as u64);
        out.extend_from_slice(br#","embedding":"#);
        app.canned.vector.push(&mut out, index, dim, base64);
        out.push(b'}');
    }
    out.extend_from_slice(br#"],"model":"#);
    push_json_str(&mut out, model);
    out.extend_from_slice(br#","usage":{"prompt_tokens":"#);
    push_u64(&mut out, input.tokens);
    out.extend_from_slice(br#","total_tokens":"#);
    push_u64(&mut out, input.tokens);
    out.extend_from_slice(b"}}");
    out
}

fn ollama_body(app: &App, model: &str, input: &InputStats, dim: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.inputs * (dim * 7 + 2) + model.len() + 96);
    out.extend_from_slice(br#"{"model":"#);
    push_json_str(&mut out, model);
    out.extend_from_slice(br#","embeddings":["#);
    for index in 0..input.inputs {
        if index > 0 {
            out.push(b',');
        }
        app.canned.vector.push(&mut out, index, dim, false);
    }
    out.extend_from_slice(br#"],"total_duration":1,"load_duration":1,"prompt_eval_count":"#);
    push_u64(&mut out, input.tokens);
    out.push(b'}');
    out
}
