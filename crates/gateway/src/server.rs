//! Start-up, serving and graceful shutdown.
//!
//! [`Gateway::start`] builds the registry and model inventory (warm from the cache file when
//! there is one), starts the background model refresh and begins accepting connections.
//! Shutdown (SIGTERM/SIGINT in the binary, [`Gateway::shutdown`] in tests) stops accepting new
//! connections, lets in-flight requests, streams included, finish for up to
//! `SHUTDOWN_TIMEOUT`, stops background tasks, and returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gomodel_providers::{ProviderRegistry, UpstreamClient};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{AppState, router};
use crate::config::Config;
use crate::models::{ModelCacheFile, ModelCatalog, ModelInventory, refresh};

/// Start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    refresher: JoinHandle<()>,
    drain_timeout: Duration,
}

impl Gateway {
    /// Binds `addr` (port 0 picks a free port) and starts serving.
    pub async fn start(config: Config, addr: SocketAddr) -> Result<Self, StartError> {
        warn_about(&config);
        let client =
            UpstreamClient::new(config.http).map_err(|e| StartError::Client(e.to_string()))?;
        let registry = Arc::new(ProviderRegistry::new(
            config.providers.clone(),
            &client,
            &config.provider_options,
        ));
        let cache = ModelCacheFile::new(&config.models.cache_dir);
        let inventory = Arc::new(match cache.load(&registry) {
            Some(catalog) => {
                tracing::info!(models = catalog.model_count(), file = %cache.path().display(), "serving cached model list until the first refresh");
                ModelInventory::new(catalog, true)
            }
            None => ModelInventory::new(ModelCatalog::empty_for(&registry), registry.is_empty()),
        });
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let refresher = tokio::spawn(refresh::run(
            Arc::clone(&registry),
            Arc::clone(&inventory),
            cache,
            config.models.configured_provider_models_mode,
            config.models.refresh_interval,
            shutdown_rx.clone(),
        ));
        let drain_timeout = config.server.shutdown_timeout;
        let state = AppState::new(config, registry, inventory);
        let app = router(state);
        let mut stop = shutdown_rx;
        let server = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            });
            if let Err(err) = serving.await {
                tracing::error!(error = %err, "server error");
            }
        });
        tracing::info!(%addr, "gomodel listening");
        Ok(Self {
            addr,
            shutdown,
            server,
            refresher,
            drain_timeout,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, drains in-flight requests up to the shutdown timeout, stops tasks.
    pub async fn shutdown(self) {
        tracing::info!(
            timeout_s = self.drain_timeout.as_secs_f64(),
            "shutting down: draining in-flight requests"
        );
        self.shutdown.send_replace(true);
        let mut server = self.server;
        if tokio::time::timeout(self.drain_timeout, &mut server)
            .await
            .is_err()
        {
            tracing::warn!("drain deadline reached with requests still in flight; closing them");
            server.abort();
        }
        self.refresher.abort();
        tracing::info!("shutdown complete");
    }

    /// Serves until the process gets SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Logs what the operator should know before the first request.
fn warn_about(config: &Config) {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    if config.server.master_key.is_none() {
        tracing::warn!(
            "GOMODEL_MASTER_KEY is not set: the gateway is UNAUTHENTICATED and anyone who can reach it can use your provider keys. Set GOMODEL_MASTER_KEY to require Authorization: Bearer <key>."
        );
    }
    if config.providers.is_empty() {
        tracing::warn!(
            "no providers configured: model requests will fail until you set a provider key (e.g. OPENAI_API_KEY) or OLLAMA_BASE_URL/VLLM_BASE_URL, or add providers: to config.yaml"
        );
    }
    for provider in &config.providers {
        tracing::info!(provider = %provider.name, r#type = %provider.kind, base_url = %provider.base_url, "provider configured");
    }
}
