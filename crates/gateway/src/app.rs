//! `AppState` and the router: every route and layer of the gateway in one place.
//!
//! Layer order, outermost first: request id + record + log line (`observe::middleware`), then
//! routing; `/v1` routes add the master-key check. Panics in handlers are not caught by a
//! layer: handlers are written not to panic (clippy denies `unwrap`/`expect`/`panic`).

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use gomodel_providers::ProviderRegistry;
use gomodel_store::Store;
use std::net::SocketAddr;

use crate::config::Config;
use crate::error::GatewayError;
use crate::ingress::{admin, anthropic, health, openai, passthrough};
use crate::models::{ModelCatalog, ModelInventory};
use crate::observe;
use crate::observe::pricing::Pricing;
use crate::observe::usage::UsageRecorder;
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
    records: Records,
    /// Recent traffic per provider (`providers/status`).
    health: Arc<observe::provider_health::ProviderHealth>,
}

/// Storage and the record writers (absent when storage or usage is off).
#[derive(Debug, Clone)]
pub struct Records {
    pub store: Option<Store>,
    pub pricing: Arc<ArcSwap<Pricing>>,
    pub usage: Option<Arc<UsageRecorder>>,
    pub audit: Option<Arc<crate::observe::audit::AuditRecorder>>,
    pub price_sources: Arc<crate::observe::price_sources::PriceSources>,
    /// Prometheus metrics (`METRICS_ENABLED`).
    pub metrics: Option<Arc<observe::metrics::Metrics>>,
}

impl AppState {
    pub fn new(
        config: Config,
        registry: Arc<ProviderRegistry>,
        inventory: Arc<ModelInventory>,
        records: Records,
    ) -> Self {
        let health = Arc::new(observe::provider_health::ProviderHealth::new(
            registry.iter().map(|p| p.name()),
        ));
        Self {
            inner: Arc::new(Shared {
                config,
                registry,
                inventory,
                records,
                health,
            }),
        }
    }

    pub fn provider_health(&self) -> &Arc<observe::provider_health::ProviderHealth> {
        &self.inner.health
    }

    pub fn inventory(&self) -> &Arc<ModelInventory> {
        &self.inner.inventory
    }

    pub fn store(&self) -> Option<&Store> {
        self.inner.records.store.as_ref()
    }

    /// The current pricing snapshot (catalog plus stored overrides).
    pub fn pricing(&self) -> Arc<Pricing> {
        self.inner.records.pricing.load_full()
    }

    pub fn usage_recorder(&self) -> Option<&Arc<UsageRecorder>> {
        self.inner.records.usage.as_ref()
    }

    pub fn audit_recorder(&self) -> Option<&Arc<crate::observe::audit::AuditRecorder>> {
        self.inner.records.audit.as_ref()
    }

    pub fn metrics(&self) -> Option<&Arc<observe::metrics::Metrics>> {
        self.inner.records.metrics.as_ref()
    }

    /// Re-reads the stored pricing overrides into the live snapshot.
    pub async fn reload_pricing_overrides(&self) {
        let records = &self.inner.records;
        if let Some(store) = self.store() {
            match store.list_pricing_overrides().await {
                Ok(rows) => records
                    .price_sources
                    .set_stored(crate::ingress::admin::pricing::overrides_from_rows(rows)),
                Err(err) => tracing::warn!(error = %err, "could not reload pricing overrides"),
            }
        }
        records.price_sources.publish(&records.pricing);
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
    let admin_routes = Router::new()
        .route("/usage/summary", get(admin::usage::summary))
        .route("/usage/daily", get(admin::usage::daily))
        .route("/usage/models", get(admin::usage::models))
        .route("/usage/user-paths", get(admin::usage::user_paths))
        .route("/usage/log", get(admin::usage::log))
        .route(
            "/usage/recalculate-pricing",
            post(admin::pricing::recalculate),
        )
        .route(
            "/model-pricing-overrides",
            get(admin::pricing::list)
                .put(admin::pricing::put)
                .delete(admin::pricing::delete),
        )
        .route("/storage/status", get(admin::storage::status))
        .route("/audit/log", get(admin::audit::log))
        .route("/audit/conversation", get(admin::audit::conversation))
        .route("/dashboard/config", get(admin::runtime::dashboard_config))
        .route("/providers/status", get(admin::providers::status))
        .route("/runtime/refresh", post(admin::runtime::refresh))
        .route("/models", get(admin::models::list))
        .route("/models/categories", get(admin::models::categories))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_admin));
    let mut routes = Router::new();
    if state.config().server.swagger_enabled {
        routes = routes
            .route(
                "/swagger",
                get(|| async { axum::response::Redirect::permanent("swagger/index.html") }),
            )
            .route("/swagger/{file}", get(crate::openapi::swagger_file));
    }
    if state.config().records.admin_enabled {
        routes = routes.nest("/admin/api/v1", admin_routes);
    }
    if state.config().records.admin_ui_enabled {
        routes = routes.merge(admin::dashboard::routes(state.config()));
    }
    let routes = routes
        .route("/health", get(health::health))
        .route("/health/ready", get(health::ready))
        .merge(observe::metrics::routes(state.config()))
        .route("/openapi.json", get(crate::openapi::openapi_json))
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
        .layer(middleware::from_fn_with_state(
            state,
            observe::middleware::observe,
        ))
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

/// Admin routes: the master key when one is set; loopback clients only when none is.
async fn require_admin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.config().server.master_key.as_ref() {
        Some(key) => match auth::check_master_key(Some(key), request.headers()) {
            Ok(()) => next.run(request).await,
            Err(err) => err.into_response(),
        },
        None => {
            let loopback = request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback())
                && local_request(request.headers());
            if loopback {
                next.run(request).await
            } else {
                let mut error = GatewayError::unauthorized(
                    "admin_requires_master_key",
                    "the admin API is only open to loopback clients while GOMODEL_MASTER_KEY is unset; set it to use the admin API remotely",
                );
                error.status = http::StatusCode::FORBIDDEN;
                error.into_response()
            }
        }
    }
}

/// A request meant for this machine: a loopback `Host`, and no proxy forwarding headers (a
/// reverse proxy or a DNS-rebinding page on the same host would otherwise make every remote
/// client look local).
fn local_request(headers: &http::HeaderMap) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    let host = headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    !forwarded && matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

async fn not_found(request: Request) -> GatewayError {
    GatewayError::route_not_found(request.method().as_str(), request.uri().path())
}

async fn method_not_allowed(request: Request) -> GatewayError {
    GatewayError::method_not_allowed(request.method().as_str(), request.uri().path())
}
