//! Faults that replace an answer, or delay it, before the normal answer is built.
//!
//! Faults that shape a stream (drop, stall, error event, garbage events) live in `stream.rs`.

use axum::response::Response;
use http::StatusCode;

use crate::faults::Fault;
use crate::{errors, reply};

/// Which error vocabulary a route speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    OpenAi,
    Ollama,
    Anthropic,
}

/// The response that replaces the answer, if the fault calls for one. Waits out `fake-slow-*`
/// first; for `fake-stall` on a non-stream request it never returns (until the client leaves
/// and hyper drops this future).
pub(crate) async fn before_answer(
    fault: Fault,
    model: &str,
    dialect: Dialect,
    streaming: bool,
) -> Option<Response> {
    match fault {
        Fault::Error(status) => Some(match dialect {
            Dialect::OpenAi => errors::scripted(status, model),
            Dialect::Ollama => errors::scripted_ollama(status, model),
            Dialect::Anthropic => errors::scripted_anthropic(status, model),
        }),
        Fault::OpenRouterError => Some(errors::openrouter()),
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::Garbage if !streaming => Some(reply::json(
            StatusCode::OK,
            &b"<html>upstream exploded</html>"[..],
        )),
        Fault::Drop(_) if !streaming => Some(reply::dropped_connection()),
        Fault::Stall if !streaming => std::future::pending().await,
        _ => None,
    }
}
