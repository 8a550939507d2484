//! One HTTP/1.1 keep-alive connection to the target, reconnecting after a failure.
//!
//! hyper's usual pattern spawns the `Connection` future on a task of its own, which costs two
//! cross-task wake-ups per request. Here the task that sends the requests also polls the
//! connection (see [`drive`]), so one request is one task's work: that keeps the generator from
//! being the bottleneck. The request is built from a template whose body is a shared `Bytes`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderValue};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::args::Config;
use crate::stream::SseScanner;

type Body = Full<Bytes>;
type Driver = Pin<Box<Connection<TokioIo<TcpStream>, Body>>>;

/// After a failed connect, wait this long before the next attempt, so a dead server costs a few
/// hundred errors a second rather than a spinning core.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// How many failure messages go to stderr: enough to diagnose, not a flood.
const LOGGED_FAILURES: u32 = 5;
static FAILURES_LOGGED: AtomicU32 = AtomicU32::new(0);

/// Where to connect and the request to send, shared by all connections.
#[derive(Debug)]
pub struct Target {
    pub addr: SocketAddr,
    method: Method,
    /// Origin form (`/path?query`): what an HTTP/1.1 request line carries.
    path: Uri,
    headers: HeaderMap,
    body: Bytes,
    timeout: Duration,
}

impl Target {
    /// Resolves the host once (not per connection) and builds the request template.
    pub async fn resolve(config: &Config) -> anyhow::Result<Self> {
        let authority = config.url.authority().context("URL has no host")?;
        let port = authority.port_u16().unwrap_or(80);
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .with_context(|| format!("resolving {host}"))?
            .collect();
        // `localhost` often resolves to ::1 first while servers here listen on 127.0.0.1.
        let addr = addrs
            .iter()
            .find(|addr| addr.is_ipv4())
            .or_else(|| addrs.first())
            .copied()
            .with_context(|| format!("{host} resolved to no address"))?;

        let path = match config.url.path_and_query() {
            Some(path) => Uri::try_from(path.as_str())?,
            None => Uri::from_static("/"),
        };
        // hyper's bare connection does not add Host (only its pooled client does).
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(authority.as_str())?);
        for (name, value) in &config.headers {
            if name == HOST {
                headers.insert(name.clone(), value.clone());
            } else {
                headers.append(name.clone(), value.clone());
            }
        }
        // Gateways reject a JSON body without a JSON content type; saying it each time is a chore.
        if !config.body.is_empty() && !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        Ok(Self {
            addr,
            method: config.method.clone(),
            path,
            headers,
            body: config.body.clone(),
            timeout: config.timeout,
        })
    }

    /// A fresh request from the template. Cloning the body only bumps a reference count; hyper
    /// adds `content-length` from the body's exact size.
    fn request(&self) -> Request<Body> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.path.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// One response, read to its end.
#[derive(Debug, Clone, Copy)]
pub struct Exchange {
    /// Just before the request was handed to hyper, with the connection open and idle.
    pub start: Instant,
    /// When the first non-empty body frame arrived.
    pub first_data: Option<Instant>,
    /// When the body ended.
    pub end: Instant,
    pub status: StatusCode,
    /// Body bytes (headers excluded).
    pub bytes: u64,
}

/// Why a request got no complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Connecting failed (refused, unreachable).
    Connect(String),
    /// The connection failed mid-request (reset, broken pipe, closed early, bad HTTP).
    Transport(String),
    /// No complete response within the per-request timeout.
    Timeout,
}

impl Failure {
    fn connect(message: String) -> Self {
        log_failure(&message);
        Self::Connect(message)
    }

    fn transport(error: &hyper::Error) -> Self {
        let message = error.to_string();
        log_failure(&message);
        Self::Transport(message)
    }
}

fn log_failure(message: &str) {
    let seen = FAILURES_LOGGED.fetch_add(1, Ordering::Relaxed);
    if seen < LOGGED_FAILURES {
        eprintln!("loadgen: request failed: {message}");
    } else if seen == LOGGED_FAILURES {
        eprintln!("loadgen: further failures are counted but not logged");
    }
}

/// An open connection: hyper's request handle and its connection future, which we poll ourselves.
struct Live {
    sender: SendRequest<Body>,
    /// `None` once the connection future has finished (the server closed, or an error).
    driver: Option<Driver>,
}

/// One keep-alive connection, owned by one task.
pub struct Client {
    target: Arc<Target>,
    live: Option<Live>,
}

impl Client {
    /// Opens the connection now, so connect time stays out of the measured period.
    pub async fn connect(target: Arc<Target>) -> Result<Self, Failure> {
        let live = open(&target).await?;
        Ok(Self {
            target,
            live: Some(live),
        })
    }

    /// Sends one request and reads the whole response body, feeding it to `sse` when given.
    ///
    /// Reconnects first if the connection was lost; after a failure the connection is dropped
    /// (its state is unknown) and the next call opens a new one.
    pub async fn exchange(&mut self, sse: Option<&mut SseScanner>) -> Result<Exchange, Failure> {
        let result = match tokio::time::timeout(
            self.target.timeout,
            exchange(&self.target, &mut self.live, sse),
        )
        .await
        {
            Ok(result) => result,
            Err(_elapsed) => Err(Failure::Timeout),
        };
        match &result {
            Err(Failure::Connect(_)) => tokio::time::sleep(CONNECT_BACKOFF).await,
            Err(_) => self.live = None,
            // A response with `Connection: close` ends the connection future: reconnect next time.
            Ok(_) if self.live.as_ref().is_some_and(|live| live.driver.is_none()) => {
                self.live = None
            }
            Ok(_) => {}
        }
        result
    }

    /// Waits until `deadline` while still polling the connection, so a server closing an idle
    /// connection is noticed now and the next request goes out on a fresh one.
    pub async fn idle_until(&mut self, deadline: Instant) {
        if Instant::now() >= deadline {
            return;
        }
        let sleep = tokio::time::sleep_until(deadline.into());
        match self.live.as_mut() {
            Some(live) => {
                drive(&mut live.driver, sleep).await;
                if live.driver.is_none() {
                    self.live = None;
                }
            }
            None => sleep.await,
        }
    }
}

/// Connects with TCP_NODELAY (small requests must not wait for Nagle) and the HTTP/1 handshake.
async fn open(target: &Target) -> Result<Live, Failure> {
    let connect = async {
        let stream = TcpStream::connect(target.addr).await?;
        stream.set_nodelay(true)?;
        Ok::<_, std::io::Error>(stream)
    };
    let stream = match tokio::time::timeout(target.timeout, connect).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            return Err(Failure::connect(format!(
                "connect {}: {error}",
                target.addr
            )));
        }
        Err(_elapsed) => return Err(Failure::Timeout),
    };
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| Failure::connect(format!("handshake {}: {error}", target.addr)))?;
    Ok(Live {
        sender,
        driver: Some(Box::pin(connection)),
    })
}

/// Makes sure `slot` holds a connection ready for a request. A connection found closed before
/// anything was sent on it is replaced silently (the server may close idle keep-alive
/// connections; that is no failed request); a fresh one that is not ready is a failure.
async fn ready<'a>(target: &Target, slot: &'a mut Option<Live>) -> Result<&'a mut Live, Failure> {
    loop {
        let fresh = slot.is_none();
        let live = match slot {
            Some(live) => live,
            None => slot.insert(open(target).await?),
        };
        let Live { sender, driver } = live;
        match drive(driver, sender.ready()).await {
            Ok(()) => break,
            Err(error) if fresh => {
                *slot = None;
                return Err(Failure::transport(&error));
            }
            Err(_) => *slot = None,
        }
    }
    slot.as_mut()
        .ok_or_else(|| Failure::Transport("connection vanished".to_owned()))
}

/// One request on a ready connection: send, then read the body frame by frame (counting bytes,
/// never buffering it).
async fn exchange(
    target: &Target,
    slot: &mut Option<Live>,
    mut sse: Option<&mut SseScanner>,
) -> Result<Exchange, Failure> {
    let Live { sender, driver } = ready(target, slot).await?;
    let request = target.request();
    let start = Instant::now();
    let response = drive(driver, async {
        let response = sender.send_request(request).await?;
        let status = response.status();
        let mut body = response.into_body();
        let mut bytes = 0u64;
        let mut first_data = None;
        while let Some(frame) = body.frame().await {
            if let Some(data) = frame?.data_ref() {
                if data.is_empty() {
                    continue;
                }
                if first_data.is_none() {
                    first_data = Some(Instant::now());
                }
                bytes += data.len() as u64;
                if let Some(scanner) = sse.as_deref_mut() {
                    scanner.feed(data);
                }
            }
        }
        Ok::<_, hyper::Error>((status, bytes, first_data))
    })
    .await;
    let end = Instant::now();
    let (status, bytes, first_data) = response.map_err(|error| Failure::transport(&error))?;
    Ok(Exchange {
        start,
        first_data,
        end,
        status,
        bytes,
    })
}

/// Runs `work` while polling the connection future on the same task: hyper needs that future
/// polled for any I/O to happen. If the connection finishes first (closed or failed) it is
/// dropped, which fails whatever `work` still waits for, so `work` always completes.
async fn drive<F: Future>(driver: &mut Option<Driver>, work: F) -> F::Output {
    let mut work = pin!(work);
    let ended = match driver.as_mut() {
        Some(connection) => tokio::select! {
            // Work first: when both are ready, the response is what we came for.
            biased;
            output = &mut work => return output,
            _ = connection.as_mut() => true,
        },
        None => false,
    };
    if ended {
        *driver = None;
    }
    work.await
}
