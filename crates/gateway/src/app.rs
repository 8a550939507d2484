//! `AppState` and the router: every route and layer of the gateway in one place, added
//! through [`served::RecordedRouter`] so a test can check the OpenAPI table against it.
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

pub mod served;

use served::RecordedRouter;

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

    /// The price sources, and the model limits the model registry gives.
    pub fn price_sources(&self) -> &Arc<observe::price_sources::PriceSources> {
        &self.inner.records.price_sources
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
    let (routes, _) = routes(&state).into_parts();
    let routes = routes
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

/// Every route of the gateway under `BASE_PATH`, with the list of what is served (see
/// [`served`]; the OpenAPI table is checked against that list).
fn routes(state: &AppState) -> RecordedRouter {
    let config = state.config();
    let v1 = RecordedRouter::new()
        .post("/chat/completions", openai::chat::chat_completions)
        .post("/embeddings", openai::embeddings::embeddings)
        .get("/models", openai::models::list_models)
        .map(|r| {
            r.route_layer(middleware::from_fn_with_state(
                state.clone(),
                require_master_key,
            ))
        });
    // The Messages API answers errors (auth included) in Anthropic's envelope.
    let messages = RecordedRouter::new()
        .post("/messages", anthropic::messages::messages)
        .post(
            "/messages/count_tokens",
            anthropic::count_tokens::count_tokens,
        )
        .map(|r| {
            r.route_layer(middleware::from_fn_with_state(
                state.clone(),
                require_master_key_anthropic,
            ))
        });
    let passthrough = RecordedRouter::new()
        .any("/p/{provider}/{*rest}", passthrough::passthrough)
        .map(|r| {
            r.route_layer(middleware::from_fn_with_state(
                state.clone(),
                require_master_key,
            ))
        });
    let mut routes = RecordedRouter::new();
    if config.server.swagger_enabled {
        routes = routes
            .file("/swagger", || async {
                axum::response::Redirect::permanent("swagger/index.html")
            })
            .file("/swagger/{file}", crate::openapi::swagger_file);
    }
    if config.records.admin_enabled {
        routes = routes.nest("/admin/api/v1", admin_routes(state));
    }
    if config.records.admin_ui_enabled {
        routes = routes.merge(admin::dashboard::routes(config));
    }
    routes
        .get("/health", health::health)
        .get("/health/ready", health::ready)
        .merge(observe::metrics::routes(config))
        .get("/openapi.json", crate::openapi::openapi_json)
        .nest("/v1", v1.merge(messages))
        .merge(passthrough)
}

fn admin_routes(state: &AppState) -> RecordedRouter {
    RecordedRouter::new()
        .get("/usage/summary", admin::usage::summary)
        .get("/usage/daily", admin::usage::daily)
        .get("/usage/models", admin::usage::models)
        .get("/usage/user-paths", admin::usage::user_paths)
        .get("/usage/log", admin::usage::log)
        .post("/usage/recalculate-pricing", admin::pricing::recalculate)
        .get("/model-pricing-overrides", admin::pricing::list)
        .put("/model-pricing-overrides", admin::pricing::put)
        .delete("/model-pricing-overrides", admin::pricing::delete)
        .get(
            "/model-pricing-overrides/{*selector}",
            admin::pricing::get_one,
        )
        .put(
            "/model-pricing-overrides/{*selector}",
            admin::pricing::put_one,
        )
        .delete(
            "/model-pricing-overrides/{*selector}",
            admin::pricing::delete_one,
        )
        .get("/storage/status", admin::storage::status)
        .get("/audit/log", admin::audit::log)
        .get("/audit/conversation", admin::audit::conversation)
        .get("/dashboard/config", admin::runtime::dashboard_config)
        .get("/providers/status", admin::providers::status)
        .post("/runtime/refresh", admin::runtime::refresh)
        .get("/models", admin::models::list)
        .get("/models/categories", admin::models::categories)
        .map(|r| r.route_layer(middleware::from_fn_with_state(state.clone(), require_admin)))
}

/// What the router serves for `state`'s configuration (for the OpenAPI coverage test).
#[cfg(test)]
pub(crate) fn served_routes(state: &AppState) -> Vec<served::Served> {
    routes(state).into_parts().1
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
