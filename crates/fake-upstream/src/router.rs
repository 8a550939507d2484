//! One handler for every request: routes are matched on the path's end, so any provider's
//! prefix works (`/v1/…`, `/openai/deployments/x/…`, `/api/paas/v4/…`). Google's model routes
//! end in `…/models/{model}:{method}` instead (see `gemini/mod.rs`).
//!
//! `GET …/models` answers Google's list when the request carries an API key the Gemini way
//! (`x-goog-api-key` or `?key=`), Anthropic's when it carries Anthropic's headers (`x-api-key`
//! or `anthropic-version`), and OpenAI's otherwise.
//!
//! Bedrock's routes (`…/model/{id}/converse[-stream]`, `…/foundation-models`) come first: a
//! Bedrock model id may contain anything once decoded.
//!
//! Credential routes (Google's `POST …/token` and metadata server token; AWS STS `POST /`, the
//! container endpoint, IMDS) are kept in the request log but counted apart, and `latency` does
//! not delay them (`token_latency` does).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use http::{Method, StatusCode};

use crate::app::App;
use crate::scripted::Dialect;
use crate::{
    anthropic, aws_credentials, bedrock, chat, embeddings, errors, gemini, google_oauth,
    passthrough, reply,
};

/// Larger than any prompt a test or the benchmark sends.
const MAX_BODY: usize = 64 * 1024 * 1024;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new().fallback(handle).with_state(app)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Route {
    Chat,
    Embeddings,
    OllamaEmbed,
    Messages,
    CountTokens,
    /// `POST …/model/{modelId}/converse[-stream]`: Bedrock Runtime.
    BedrockConverse,
    /// `GET …/foundation-models`: Bedrock's model catalog.
    FoundationModels,
    /// `POST /`: AWS STS (`AssumeRoleWithWebIdentity`).
    Sts,
    /// `GET /v2/credentials/{id}`, `GET /ecs-creds`: the container credential endpoint.
    ContainerCredentials,
    /// `PUT /latest/api/token`: an IMDSv2 session token.
    ImdsToken,
    /// `GET /latest/meta-data/…`: instance metadata, role credentials included.
    ImdsMetadata,
    /// `POST …/models/{model}:{method}`: Gemini and Vertex AI.
    Gemini,
    /// `POST …/token`: Google's OAuth 2.0 token endpoint.
    Token,
    /// `GET /computeMetadata/v1/instance/service-accounts/{account}/token`.
    MetadataToken,
    Models,
    Echo,
    Binary,
    Stats,
    Health,
    Unknown,
}

impl Route {
    fn of(method: &Method, path: &str) -> Self {
        let post = method == Method::POST;
        let get = method == Method::GET;
        if post && bedrock::converse_route(path).is_some() {
            Self::BedrockConverse
        } else if get && bedrock::is_foundation_models(path) {
            Self::FoundationModels
        } else if post && path == "/" {
            Self::Sts
        } else if get && (path.starts_with("/v2/credentials/") || path == "/ecs-creds") {
            Self::ContainerCredentials
        } else if method == Method::PUT && path == "/latest/api/token" {
            Self::ImdsToken
        } else if get && path.starts_with("/latest/meta-data/") {
            Self::ImdsMetadata
        } else if post && gemini::model_route(path).is_some() {
            Self::Gemini
        } else if post && path.ends_with("/token") {
            Self::Token
        } else if get
            && path.starts_with("/computeMetadata/v1/instance/service-accounts/")
            && path.ends_with("/token")
        {
            Self::MetadataToken
        } else if post && path.ends_with("/chat/completions") {
            Self::Chat
        } else if post && path.ends_with("/api/embed") {
            Self::OllamaEmbed
        } else if post && path.ends_with("/embeddings") {
            Self::Embeddings
        } else if post && path.ends_with("/messages/count_tokens") {
            Self::CountTokens
        } else if post && path.ends_with("/messages") {
            Self::Messages
        } else if get && path.ends_with("/models") {
            Self::Models
        } else if path.ends_with("/echo") {
            Self::Echo
        } else if get && path.ends_with("/binary") {
            Self::Binary
        } else if get && path == "/__stats" {
            Self::Stats
        } else if get && path == "/health" {
            Self::Health
        } else {
            Self::Unknown
        }
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let route = Route::of(&parts.method, parts.uri.path());
    // Control endpoints are neither counted nor delayed: polling them must not skew the numbers.
    match route {
        Route::Stats => return stats(&app),
        Route::Health => return reply::json(StatusCode::OK, &br#"{"status":"ok"}"#[..]),
        _ => {}
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        let message = "Request body too large or cut short.";
        if matches!(route, Route::Messages | Route::CountTokens) {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return errors::anthropic(status, "request_too_large", message);
        }
        if route == Route::Gemini {
            return gemini::ApiError::new(413, message).into_response();
        }
        if route == Route::BedrockConverse {
            return bedrock::too_large(&app);
        }
        return errors::openai(
            StatusCode::PAYLOAD_TOO_LARGE,
            message,
            "invalid_request_error",
            None,
        );
    };
    match route {
        Route::Token => {
            app.traffic.keep(app.options.record, &parts, &body);
            return google_oauth::token(&app, &parts, &body).await;
        }
        Route::MetadataToken => {
            app.traffic.keep(app.options.record, &parts, &body);
            return google_oauth::metadata_token(&app, &parts).await;
        }
        Route::Sts | Route::ContainerCredentials | Route::ImdsToken | Route::ImdsMetadata => {
            app.traffic.keep(app.options.record, &parts, &body);
            return match route {
                Route::Sts => aws_credentials::sts(&app, &body).await,
                Route::ContainerCredentials => aws_credentials::container(&app, &parts).await,
                Route::ImdsToken => aws_credentials::imds_token(&app, &parts),
                _ => aws_credentials::imds_metadata(&app, &parts).await,
            };
        }
        _ => {}
    }
    app.traffic.note(app.options.record, &parts, &body);
    if !app.options.latency.is_zero() {
        tokio::time::sleep(app.options.latency).await;
    }
    match route {
        // Vertex AI's OpenAI-compatible endpoint takes a Google token and `google/` model ids.
        Route::Chat if gemini::is_vertex(parts.uri.path()) => {
            gemini::vertex_openai_chat(app, &parts, body).await
        }
        Route::Chat => chat::respond(app, body).await,
        Route::Embeddings => embeddings::respond(app, body, Dialect::OpenAi).await,
        Route::OllamaEmbed => embeddings::respond(app, body, Dialect::Ollama).await,
        Route::Messages => anthropic::respond(app, body).await,
        Route::CountTokens => anthropic::count_tokens(body).await,
        Route::Gemini => gemini::respond(app, &parts, body).await,
        Route::BedrockConverse => bedrock::converse(app, &parts, body).await,
        Route::FoundationModels => bedrock::list_foundation_models(&app, &parts, &body),
        Route::Models if parts.uri.path().ends_with("/publishers/google/models") => {
            gemini::list_publisher_models(&app, &parts)
        }
        Route::Models if gemini::speaks_google(&parts) => gemini::list_models(&app, &parts),
        Route::Models if speaks_anthropic(&parts.headers) => {
            reply::json(StatusCode::OK, app.anthropic.models_body.clone())
        }
        Route::Models => reply::json(StatusCode::OK, app.canned.models_body.clone()),
        Route::Echo => passthrough::echo(&parts, &body),
        Route::Binary => passthrough::binary(),
        _ => errors::not_found(parts.method.as_str(), parts.uri.path()),
    }
}

/// Anthropic's clients send `x-api-key` and `anthropic-version`; OpenAI's send neither.
fn speaks_anthropic(headers: &http::HeaderMap) -> bool {
    headers.contains_key("x-api-key") || headers.contains_key("anthropic-version")
}

fn stats(app: &App) -> Response {
    let body = format!(
        r#"{{"requests":{},"cancelled_streams":{},"token_requests":{},"aws_credential_requests":{}}}"#,
        app.traffic.requests(),
        app.traffic.cancelled_streams(),
        app.google.token_requests(),
        app.aws.requests()
    );
    reply::json(StatusCode::OK, body)
}
