//! Starting a fake on a loopback port, and the handle tests hold while it runs.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use axum::serve::ListenerExt as _;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::aws_credentials::AwsCredentialKind;
use crate::options::FakeOptions;
use crate::received::ReceivedRequest;
use crate::router;

/// A running fake provider. Dropping it stops accepting connections.
pub struct FakeUpstream {
    addr: SocketAddr,
    app: Arc<App>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl FakeUpstream {
    /// Default options on `127.0.0.1` and a free port.
    pub async fn start() -> anyhow::Result<FakeUpstream> {
        Self::start_with(FakeOptions::default()).await
    }

    /// `options` on `127.0.0.1` and a free port.
    pub async fn start_with(options: FakeOptions) -> anyhow::Result<FakeUpstream> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), options).await
    }

    /// `options` on `addr` (port 0 picks a free one).
    pub async fn bind(addr: SocketAddr, options: FakeOptions) -> anyhow::Result<FakeUpstream> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the fake upstream to {addr}"))?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App::new(options, addr).context("starting the fake upstream")?);
        // Without NODELAY, small SSE writes wait on delayed ACKs and the benchmark measures Nagle.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let service = router::router(app.clone());
        let server = tokio::spawn(async move { axum::serve(listener, service).await });
        Ok(FakeUpstream {
            addr,
            app,
            server: Some(server),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, with no trailing slash and no `/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every provider request received so far (empty when `record` is off).
    pub fn received(&self) -> Vec<ReceivedRequest> {
        self.app.traffic.received()
    }

    pub fn last_request(&self) -> Option<ReceivedRequest> {
        self.app.traffic.last()
    }

    /// Provider requests received, counted even when `record` is off.
    pub fn request_count(&self) -> u64 {
        self.app.traffic.requests()
    }

    /// Streams whose client went away before the stream finished.
    pub fn cancelled_streams(&self) -> u64 {
        self.app.traffic.cancelled_streams()
    }

    /// Requests to Google's token endpoint and the metadata server's token route. These are
    /// kept in [`Self::received`] but not counted in [`Self::request_count`].
    pub fn token_requests(&self) -> u64 {
        self.app.google.token_requests()
    }

    /// `{base_url}/token`: the `token_uri` of a service-account key file pointed at this fake,
    /// and the `aud` its JWT assertions must carry.
    pub fn token_url(&self) -> String {
        self.app.google.token_url()
    }

    /// Revokes every access token issued so far (Vertex then answers them 401).
    pub fn revoke_tokens(&self) {
        self.app.google.revoke_all();
    }

    /// Requests that handed out AWS credentials: STS `AssumeRoleWithWebIdentity`, the
    /// container endpoint, and IMDS role credentials (not IMDS session tokens or the role
    /// list). Refused requests count too. Like [`Self::token_requests`], they are kept in
    /// [`Self::received`] but not counted in [`Self::request_count`].
    pub fn aws_credential_requests(&self) -> u64 {
        self.app.aws.requests()
    }

    /// [`Self::aws_credential_requests`] of one kind.
    pub fn aws_credential_requests_of(&self, kind: AwsCredentialKind) -> u64 {
        self.app.aws.requests_of(kind)
    }

    /// Forgets recorded requests and resets the counters (issued tokens and credentials stay
    /// valid).
    pub fn clear(&self) {
        self.app.traffic.clear();
        self.app.google.reset_count();
        self.app.aws.reset_counts();
    }

    /// Serves until the server task fails; what the binary does.
    pub async fn join(mut self) -> anyhow::Result<()> {
        if let Some(server) = self.server.take() {
            server.await.context("fake upstream task")??;
        }
        Ok(())
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Binds `addr` and serves until the server fails.
pub async fn serve_forever(addr: SocketAddr, options: FakeOptions) -> anyhow::Result<()> {
    FakeUpstream::bind(addr, options).await?.join().await
}
