//! `AppState` and the router: every route and layer of the gateway in one place.
//!
//! Layer order, outermost first: request id + record + log line (`observe::middleware`), then
//! routing; `/v1` routes add the master-key check. Panics in handlers are not caught by a
//! layer: handlers are written not to panic (clippy denies `unwrap`/`expect`/`panic`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use gomodel_providers::ProviderRegistry;

use crate::config::Config;
use crate::error::GatewayError;
use crate::ingress::{anthropic, health, openai, passthrough};
use crate::models::{ModelCatalog, ModelInventory};
use crate::observe;
use crate::pipeline::{auth, resolve};

/// How long a request that arrives before the first model-list load waits for it.
const FIRST_LOAD_WAIT: Duration = Duration::from_secs(10);

/// Services shared by every request. Cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: Config,
    registry: Arc<ProviderRegistry>,
    inventory: Arc<ModelInventory>,
}

impl AppState {
    pub fn new(
        config: Config,
        registry: Arc<ProviderRegistry>,
        inventory: Arc<ModelInventory>,
    ) -> Self {
        Self {
            inner: Arc::new(Shared {
                config,
                registry,
                inventory,
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn registry(&self) -> &Arc<ProviderRegistry> {
        &self.inner.registry
    }

    /// The current catalog; right after a cold start, waits briefly for the first load.
    pub async fn catalog(&self) -> Result<Arc<ModelCatalog>, GatewayError> {
        if self.inner.registry.is_empty() {
            return Err(GatewayError::no_providers());
        }
        let inventory = &self.inner.inventory;
        if !inventory.is_loaded() {
            inventory.wait_loaded(FIRST_LOAD_WAIT).await;
        }
        let catalog = inventory.snapshot();
        if catalog.is_empty() {
            return Err(GatewayError::registry_empty());
        }
        Ok(catalog)
    }

    /// Resolves a model selector to a provider (see `pipeline::resolve`).
    pub async fn resolve(
        &self,
        model: &str,
        provider: Option<&str>,
    ) -> Result<resolve::Route, GatewayError> {
        let registry = &self.inner.registry;
        let mode = self.inner.config.models.configured_provider_models_mode;
        let inventory = &self.inner.inventory;
        let first = resolve::resolve(registry, &inventory.snapshot(), mode, model, provider);
        match first {
            Err(err)
                if err.code.as_deref() == Some("model_not_found") && !inventory.is_loaded() =>
            {
                inventory.wait_loaded(FIRST_LOAD_WAIT).await;
                resolve::resolve(registry, &inventory.snapshot(), mode, model, provider)
            }
            other => other,
        }
    }
}

/// Builds the router, mounted under `BASE_PATH`.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/chat/completions", post(openai::chat::chat_completions))
        .route("/embeddings", post(openai::embeddings::embeddings))
        .route("/models", get(openai::models::list_models))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_master_key,
        ));
    // The Messages API answers errors (auth included) in Anthropic's envelope.
    let messages = Router::new()
        .route("/messages", post(anthropic::messages::messages))
        .route(
            "/messages/count_tokens",
            post(anthropic::count_tokens::count_tokens),
        )
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_master_key_anthropic,
        ));
    let passthrough = Router::new()
        .route("/p/{provider}/{*rest}", any(passthrough::passthrough))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_master_key,
        ));
    let routes = Router::new()
        .route("/health", get(health::health))
        .nest("/v1", v1.merge(messages))
        .merge(passthrough)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    let base_path = state.config().server.base_path.clone();
    let mounted = if base_path == "/" {
        routes
    } else {
        Router::new().nest(&base_path, routes)
    };
    mounted
        .fallback(not_found)
        .layer(middleware::from_fn(observe::middleware::observe))
}

async fn require_master_key(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match auth::check_master_key(state.config().server.master_key.as_ref(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

async fn require_master_key_anthropic(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match auth::check_master_key(state.config().server.master_key.as_ref(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(err) => anthropic::error::AnthropicError(err).into_response(),
    }
}

async fn not_found(request: Request) -> GatewayError {
    GatewayError::route_not_found(request.method().as_str(), request.uri().path())
}

async fn method_not_allowed(request: Request) -> GatewayError {
    GatewayError::method_not_allowed(request.method().as_str(), request.uri().path())
}
