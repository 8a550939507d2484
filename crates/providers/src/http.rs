//! `UpstreamClient`: the one pooled HTTP client for every provider call.
//!
//! One `reqwest::Client` means one connection pool: keep-alive connections are reused across
//! requests (and across instances that share a host), HTTP/2 is negotiated by ALPN where the
//! provider offers it, and `HTTP(S)_PROXY` is honoured. Timeouts follow GoModel: `HTTP_TIMEOUT`
//! bounds a whole exchange (streams included), `HTTP_RESPONSE_HEADER_TIMEOUT` bounds the wait for
//! the status line.

use std::cell::Cell;
use std::sync::{Arc, Once};
use std::time::Duration;

use crate::error::TransportFailure;

/// Transport settings, from `HTTP_TIMEOUT` and `HTTP_RESPONSE_HEADER_TIMEOUT`.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    pub timeout: Duration,
    pub response_header_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            response_header_timeout: Duration::from_secs(600),
        }
    }
}

/// The shared client. Cheap to clone.
///
/// With a thread-per-core server each worker thread gets its own `reqwest::Client` (and so its
/// own pool, whose connection tasks run on that worker's runtime): a request never crosses
/// threads between the client's handler and the upstream connection. Threads that are not
/// workers (background tasks, tests) use the first client.
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    clients: Arc<[reqwest::Client]>,
    options: ClientOptions,
}

thread_local! {
    static WORKER_INDEX: Cell<usize> = const { Cell::new(0) };
}

/// Marks the current thread as worker `index`; its upstream calls use client `index`.
pub fn set_worker_index(index: usize) {
    WORKER_INDEX.with(|cell| cell.set(index));
}

static INSTALL_CRYPTO: Once = Once::new();

/// reqwest is built without a bundled crypto provider: install `ring` as the process default,
/// once. Any other reqwest client in the process (tests' clients) needs this too.
pub fn install_crypto_provider() {
    INSTALL_CRYPTO.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl UpstreamClient {
    /// One client, for single-runtime use.
    pub fn new(options: ClientOptions) -> Result<Self, reqwest::Error> {
        Self::for_workers(options, 1)
    }

    /// One client per worker thread (see the type's docs).
    pub fn for_workers(options: ClientOptions, workers: usize) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let clients = (0..workers.max(1))
            .map(|_| {
                reqwest::Client::builder()
                    .pool_max_idle_per_host(100)
                    .pool_idle_timeout(Duration::from_secs(90))
                    .connect_timeout(Duration::from_secs(30))
                    .tcp_keepalive(Duration::from_secs(30))
                    .tcp_nodelay(true)
                    // Provider APIs do not redirect; following one would re-send a prompt (and
                    // the credential) elsewhere. Off also skips ~4% of CPU per request spent
                    // re-parsing URLs for the redirect policy (perf).
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(options.timeout)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            clients: clients.into(),
            options,
        })
    }

    pub fn request(&self, method: reqwest::Method, url: reqwest::Url) -> reqwest::RequestBuilder {
        let index = WORKER_INDEX.with(Cell::get);
        self.clients[index % self.clients.len()].request(method, url)
    }

    /// Sends a request, waiting at most the response-header timeout for the status line.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, TransportFailure> {
        let limit = self.options.response_header_timeout;
        if limit >= self.options.timeout {
            // The whole-exchange timeout fires first anyway: skip a second timer per request.
            return request.send().await.map_err(|err| classify(&err));
        }
        match tokio::time::timeout(limit, request.send()).await {
            Err(_) => Err(TransportFailure::HeaderTimeout(limit)),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(err)) => Err(classify(&err)),
        }
    }
}

/// Describes a reqwest error without its URL (URLs may carry keys for some providers).
pub(crate) fn classify(err: &reqwest::Error) -> TransportFailure {
    if err.is_timeout() {
        return TransportFailure::Timeout;
    }
    let host = err
        .url()
        .map(|url| {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{}{port}", url.scheme(), url.host_str().unwrap_or("?"))
        })
        .unwrap_or_else(|| "the provider".to_owned());
    if err.is_connect() {
        return TransportFailure::Connect(host);
    }
    // The top-level message embeds the URL; the causes do not.
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    if causes.is_empty() {
        causes.push(
            if err.is_body() {
                "error reading the response body"
            } else {
                "request failed"
            }
            .to_owned(),
        );
    }
    TransportFailure::Other(causes.join(": "))
}
