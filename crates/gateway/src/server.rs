//! Start-up, serving and graceful shutdown.
//!
//! [`Gateway::start`] builds the registry and model inventory (warm from the cache file when
//! there is one), starts the background model refresh and begins accepting connections.
//!
//! Two ways to serve:
//! - [`Gateway::start_workers`] (the binary): thread-per-core. Each worker thread runs its own
//!   single-threaded runtime with its own listener on the port (`SO_REUSEPORT`, the kernel
//!   spreads connections) and its own upstream connection pool, so a request is handled start
//!   to finish on one thread: no work stealing, no cross-thread wake-ups (measured: about a
//!   fifth less CPU per request than tokio's multi-threaded scheduler; BENCHMARKS.md).
//! - [`Gateway::start`] (tests): serves on the caller's runtime.
//!
//! Shutdown (SIGTERM/SIGINT in the binary, [`Gateway::shutdown`] in tests) stops accepting new
//! connections, lets in-flight requests, streams included, finish for up to
//! `SHUTDOWN_TIMEOUT`, stops background tasks, and returns.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use gomodel_providers::{ProviderRegistry, UpstreamClient, set_worker_index};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::app::{AppState, Records, router};
use crate::config::Config;
use crate::models::{ModelCacheFile, ModelCatalog, ModelInventory, refresh};
use crate::records;

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
    #[error("cannot start worker thread: {0}")]
    Worker(std::io::Error),
    #[error("storage: {0}")]
    Storage(String),
}

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    serving: Serving,
    refresher: JoinHandle<()>,
    drain_timeout: Duration,
    records: Records,
    background: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
enum Serving {
    /// One server task on the caller's runtime.
    InProcess(JoinHandle<()>),
    /// Worker threads; each sends on its channel when it has drained and stopped.
    Workers(Vec<oneshot::Receiver<()>>),
}

/// What both serving modes share.
struct Prepared {
    app: Router,
    refresher: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
    drain_timeout: Duration,
    records: Records,
    background: Vec<JoinHandle<()>>,
}

impl Gateway {
    /// Binds `addr` (port 0 picks a free port) and serves on the current runtime.
    pub async fn start(config: Config, addr: SocketAddr) -> Result<Self, StartError> {
        let prepared = prepare(config, 1).await?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let stop = prepared.shutdown.subscribe();
        let server = tokio::spawn(serve(listener, prepared.app.clone(), stop));
        tracing::info!(%addr, "gomodel listening");
        Ok(Self::assemble(addr, prepared, Serving::InProcess(server)))
    }

    /// Serves on `workers` threads, each with its own runtime and listener (see module docs).
    /// Background tasks run on the caller's runtime.
    pub async fn start_workers(
        config: Config,
        addr: SocketAddr,
        workers: usize,
    ) -> Result<Self, StartError> {
        let workers = workers.max(1);
        refuse_taken_port(addr)?;
        let prepared = prepare(config, workers).await?;
        let mut done = Vec::with_capacity(workers);
        let mut bound = addr;
        for index in 0..workers {
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            let (done_tx, done_rx) = oneshot::channel();
            let app = prepared.app.clone();
            let stop = prepared.shutdown.subscribe();
            std::thread::Builder::new()
                .name(format!("gomodel-worker-{index}"))
                .spawn(move || run_worker(index, bound, app, stop, ready_tx, done_tx))
                .map_err(StartError::Worker)?;
            // The first worker resolves port 0; the others bind the port it got.
            match ready_rx.recv() {
                Ok(Ok(local)) => bound = local,
                Ok(Err(source)) => {
                    prepared.shutdown.send_replace(true);
                    return Err(StartError::Bind {
                        addr: bound,
                        source,
                    });
                }
                Err(_) => {
                    return Err(StartError::Worker(std::io::Error::other(
                        "worker exited during start-up",
                    )));
                }
            }
            done.push(done_rx);
        }
        tracing::info!(addr = %bound, workers, "gomodel listening");
        Ok(Self::assemble(bound, prepared, Serving::Workers(done)))
    }

    fn assemble(addr: SocketAddr, prepared: Prepared, serving: Serving) -> Self {
        Self {
            addr,
            shutdown: prepared.shutdown,
            serving,
            refresher: prepared.refresher,
            drain_timeout: prepared.drain_timeout,
            records: prepared.records,
            background: prepared.background,
        }
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
        let drained = match self.serving {
            Serving::InProcess(mut server) => {
                let drained = tokio::time::timeout(self.drain_timeout, &mut server)
                    .await
                    .is_ok();
                if !drained {
                    server.abort();
                }
                drained
            }
            Serving::Workers(done) => {
                let all = futures_util::future::join_all(done);
                tokio::time::timeout(self.drain_timeout, all).await.is_ok()
            }
        };
        if !drained {
            tracing::warn!("drain deadline reached with requests still in flight; closing them");
        }
        self.refresher.abort();
        // Requests are done: every usage row is queued. Write them all before exiting.
        if let Some(usage) = &self.records.usage {
            usage
                .writer()
                .shutdown(self.drain_timeout.max(Duration::from_secs(5)))
                .await;
        }
        if let Some(audit) = &self.records.audit {
            audit
                .writer()
                .shutdown(self.drain_timeout.max(Duration::from_secs(5)))
                .await;
        }
        for task in &self.background {
            task.abort();
        }
        if let Some(store) = &self.records.store {
            store.close().await;
        }
        tracing::info!("shutdown complete");
    }

    /// Serves until the process gets SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        self.shutdown().await;
    }
}

/// Builds the shared state and starts the model refresher on the current runtime.
async fn prepare(config: Config, workers: usize) -> Result<Prepared, StartError> {
    warn_about(&config);
    let client = UpstreamClient::for_workers(config.http, workers)
        .map_err(|e| StartError::Client(e.to_string()))?;
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
    let (shutdown, shutdown_rx) = watch::channel(false);
    let refresher = tokio::spawn(refresh::run(
        Arc::clone(&registry),
        Arc::clone(&inventory),
        cache,
        config.models.configured_provider_models_mode,
        config.models.refresh_interval,
        shutdown_rx,
    ));
    let drain_timeout = config.server.shutdown_timeout;
    let (mut records, background) = records::start(&config).await?;
    if config.metrics.enabled {
        let metrics = crate::observe::metrics::Metrics::new(&records, Arc::clone(&inventory));
        records.metrics = Some(Arc::new(metrics));
        tracing::info!(path = %config.metrics.endpoint, "Prometheus metrics enabled");
    }
    let state = AppState::new(config, registry, inventory, records.clone());
    state.reload_pricing_overrides().await;
    let app = router(state);
    Ok(Prepared {
        app,
        refresher,
        shutdown,
        drain_timeout,
        records,
        background,
    })
}

/// Serves until `stop` fires, then waits for open connections to finish.
async fn serve(listener: TcpListener, app: Router, mut stop: watch::Receiver<bool>) {
    let serving = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stop.wait_for(|stop| *stop).await;
    });
    if let Err(err) = serving.await {
        tracing::error!(error = %err, "server error");
    }
}

/// One worker thread: its own current-thread runtime, listener and upstream pool.
fn run_worker(
    index: usize,
    addr: SocketAddr,
    app: Router,
    stop: watch::Receiver<bool>,
    ready: std::sync::mpsc::Sender<std::io::Result<SocketAddr>>,
    done: oneshot::Sender<()>,
) {
    set_worker_index(index);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            let _ = ready.send(Err(err));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match bind_shared(addr) {
            Ok(listener) => listener,
            Err(err) => {
                let _ = ready.send(Err(err));
                return;
            }
        };
        let _ = ready.send(listener.local_addr());
        serve(listener, app, stop).await;
    });
    // Dropping the runtime ends this worker's idle upstream connections.
    drop(runtime);
    let _ = done.send(());
}

/// Fails when another process listens on `addr`'s port. The workers share the port with
/// `SO_REUSEPORT`, which would as gladly share it with a second gateway started by the same
/// user (a stale one, or one with another configuration): the kernel would split connections
/// between the two without a word. A plain bind (no `SO_REUSEPORT`) is refused while any
/// socket listens there, so it is tried, and let go, before the workers bind. Port 0 asks for
/// a free port and needs no check.
fn refuse_taken_port(addr: SocketAddr) -> Result<(), StartError> {
    if addr.port() == 0 {
        return Ok(());
    }
    std::net::TcpListener::bind(addr)
        .map(drop)
        .map_err(|source| StartError::Bind { addr, source })
}

/// A listener that other workers can bind on the same port (`SO_REUSEPORT`).
fn bind_shared(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    #[cfg(unix)]
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
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
