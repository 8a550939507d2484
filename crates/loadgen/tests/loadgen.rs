//! End-to-end tests of the load generator against a tiny in-process HTTP/1.1 server on
//! 127.0.0.1:0, written on raw tokio TCP so that the test build needs no hyper server feature.
//! The server answers every request on a keep-alive connection with a fixed reply.

// Test helpers outside #[test] functions may fail loudly too: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use gomodel_loadgen::args::{Parsed, parse_args};
use gomodel_loadgen::report::Report;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// What the test server sends back for each request.
#[derive(Clone)]
enum Reply {
    /// One write.
    Whole(Vec<u8>),
    /// Several writes with a pause between, so the client sees the body in separate frames.
    Pieces(Vec<Vec<u8>>),
    /// Never answers (for timeouts).
    Silent,
    /// Promises 10 body bytes, sends 3 and closes (a transport error).
    Truncated,
    /// Like `Whole`, but the `nth` request (1-based, over all connections) waits `pause` first.
    StallOnce {
        nth: u64,
        pause: Duration,
        bytes: Vec<u8>,
    },
}

struct Server {
    addr: SocketAddr,
    /// Complete requests received, measured or not.
    requests: Arc<AtomicU64>,
}

impl Server {
    async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&requests);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve_connection(
                    socket,
                    reply.clone(),
                    Arc::clone(&counter),
                ));
            }
        });
        Self { addr, requests }
    }

    fn url(&self) -> String {
        format!("http://{}/v1/chat/completions", self.addr)
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

async fn serve_connection(mut socket: TcpStream, reply: Reply, requests: Arc<AtomicU64>) {
    socket.set_nodelay(true).unwrap();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        while let Some(length) = request_length(&buffer) {
            buffer.drain(..length);
            let seen = requests.fetch_add(1, Ordering::Relaxed) + 1;
            let written = match &reply {
                Reply::Whole(bytes) => socket.write_all(bytes).await,
                Reply::Pieces(pieces) => {
                    let mut result = Ok(());
                    for piece in pieces {
                        result = socket.write_all(piece).await;
                        if result.is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    result
                }
                Reply::StallOnce { nth, pause, bytes } => {
                    if seen == *nth {
                        tokio::time::sleep(*pause).await;
                    }
                    socket.write_all(bytes).await
                }
                Reply::Silent => Ok(()),
                Reply::Truncated => {
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
                        .await;
                    return;
                }
            };
            if written.is_err() {
                return;
            }
        }
        match socket.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Length of the first complete request in `buffer` (head plus `content-length` body), if any.
fn request_length(buffer: &[u8]) -> Option<usize> {
    let head_end = buffer.windows(4).position(|window| window == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buffer[..head_end]).ok()?;
    let body = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    (buffer.len() >= head_end + body).then_some(head_end + body)
}

fn fixed_response(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An SSE response in chunked encoding, one chunk per event piece. The pieces deliberately split
/// the "\n\n" terminators across chunks.
fn sse_response(events: &[&str]) -> Vec<Vec<u8>> {
    let mut pieces = vec![
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
    ];
    for event in events {
        pieces.push(format!("{:x}\r\n{event}\r\n", event.len()).into_bytes());
    }
    pieces.push(b"0\r\n\r\n".to_vec());
    pieces
}

async fn run(args: &[&str]) -> Report {
    let config = match parse_args(args.iter().map(|s| (*s).to_owned())).unwrap() {
        Parsed::Run(config) => config,
        Parsed::Help => panic!("unexpected help"),
    };
    gomodel_loadgen::run(&config).await.unwrap()
}

const OK_BODY: &str = r#"{"id":"x","object":"chat.completion"}"#;

#[tokio::test]
async fn closed_loop_sends_exactly_the_requested_count() {
    let server = Server::start(Reply::Whole(fixed_response("200 OK", OK_BODY))).await;
    let url = server.url();
    let report = run(&[
        "--url",
        &url,
        "--body",
        r#"{"model":"m"}"#,
        "-c",
        "8",
        "--requests",
        "200",
    ])
    .await;
    assert_eq!(report.mode, "closed");
    assert_eq!(report.requests, 200);
    assert_eq!(report.ok, 200);
    assert_eq!(report.errors.total, 0);
    assert_eq!(
        server.requests(),
        200,
        "the server saw exactly the counted requests"
    );
    assert_eq!(report.bytes_received, 200 * OK_BODY.len() as u64);
    let latency = report.latency_us.unwrap();
    assert!(latency.min <= latency.p50 && latency.p50 <= latency.p99 && latency.p99 <= latency.max);
    assert!(report.latency_uncorrected_us.is_none());
    assert!(report.ttfb_us.is_none());
    assert!(report.rps > 0.0);
}

#[tokio::test]
async fn open_loop_holds_the_target_rate() {
    let server = Server::start(Reply::Whole(fixed_response("200 OK", OK_BODY))).await;
    let url = server.url();
    let report = run(&["--url", &url, "--rate", "200", "--duration", "1", "-c", "4"]).await;
    assert_eq!(report.mode, "open");
    assert_eq!(report.target_rate, Some(200.0));
    assert_eq!(report.errors.total, 0);
    assert!(
        (160.0..=240.0).contains(&report.rps),
        "achieved {} req/s for a target of 200",
        report.rps
    );
    assert_eq!(
        report.requests + report.unsent.unwrap(),
        200,
        "the schedule had 200 slots"
    );
    let corrected = report.latency_us.unwrap();
    let uncorrected = report.latency_uncorrected_us.unwrap();
    assert!(corrected.max >= uncorrected.min);
}

#[tokio::test]
async fn open_loop_charges_a_stall_to_every_request_it_delayed() {
    // One connection, a request every 10 ms; the 10th stalls for 200 ms. Uncorrected, that is
    // one slow request; corrected, the ~19 requests queued behind it waited too.
    let server = Server::start(Reply::StallOnce {
        nth: 10,
        pause: Duration::from_millis(200),
        bytes: fixed_response("200 OK", OK_BODY),
    })
    .await;
    let url = server.url();
    let report = run(&["--url", &url, "--rate", "100", "--duration", "1"]).await;
    assert_eq!(report.ok, 100, "{report:?}");
    let corrected = report.latency_us.unwrap();
    let uncorrected = report.latency_uncorrected_us.unwrap();
    assert!(corrected.max >= 200_000, "{corrected:?}");
    assert!(uncorrected.max >= 200_000, "{uncorrected:?}");
    assert!(
        corrected.p90 >= 50_000,
        "the queued requests count: {corrected:?}"
    );
    assert!(
        uncorrected.p90 < 50_000,
        "only one request was slow: {uncorrected:?}"
    );
}

#[tokio::test]
async fn stream_mode_counts_events() {
    let pieces = sse_response(&[
        "data: {\"n\":1}\n",
        "\ndata: {\"n\":2}\n\n",
        "data: [DONE]\n",
        "\n",
    ]);
    let server = Server::start(Reply::Pieces(pieces)).await;
    let url = server.url();
    let report = run(&[
        "--url",
        &url,
        "--body",
        "{}",
        "--stream",
        "-c",
        "2",
        "--requests",
        "20",
    ])
    .await;
    assert_eq!(report.mode, "stream");
    assert_eq!(report.ok, 20, "{report:?}");
    assert_eq!(report.errors.incomplete_stream, 0);
    let events = report.events_per_stream.unwrap();
    assert_eq!((events.min, events.max), (3, 3));
    assert!((events.mean - 3.0).abs() < f64::EPSILON);
    let ttfb = report.ttfb_us.unwrap();
    let total = report.latency_us.unwrap();
    assert!(
        ttfb.p50 <= total.p50,
        "first byte {} after the end {}",
        ttfb.p50,
        total.p50
    );
    // The body arrives over several 1 ms pauses, so total time clearly exceeds that.
    assert!(total.min >= 2_000, "{total:?}");
}

#[tokio::test]
async fn stream_without_done_is_incomplete() {
    let pieces = sse_response(&["data: {\"n\":1}\n\n", "data: {\"n\":2}\n\n"]);
    let server = Server::start(Reply::Pieces(pieces)).await;
    let url = server.url();
    let report = run(&["--url", &url, "--stream", "--requests", "20", "-c", "2"]).await;
    assert_eq!(report.requests, 20);
    assert_eq!(report.ok, 0);
    assert_eq!(report.errors.incomplete_stream, 20);
    assert_eq!(report.errors.total, 20);
    assert!(
        report.latency_us.is_none(),
        "errors stay out of the histograms"
    );
    assert!(report.events_per_stream.is_none());
}

#[tokio::test]
async fn server_errors_are_counted_by_status() {
    let reply = fixed_response("500 Internal Server Error", r#"{"error":"boom"}"#);
    let server = Server::start(Reply::Whole(reply)).await;
    let url = server.url();
    let report = run(&["--url", &url, "--requests", "50", "-c", "4"]).await;
    assert_eq!(report.requests, 50);
    assert_eq!(report.ok, 0);
    assert_eq!(report.errors.status.get(&500), Some(&50));
    assert_eq!(report.errors.total, 50);
    assert!(report.latency_us.is_none());
}

#[tokio::test]
async fn transport_errors_reconnect_and_continue() {
    let server = Server::start(Reply::Truncated).await;
    let url = server.url();
    let report = run(&["--url", &url, "--requests", "10", "-c", "2"]).await;
    assert_eq!(report.requests, 10);
    assert_eq!(report.errors.transport, 10, "{report:?}");
    assert_eq!(
        server.requests(),
        10,
        "every request went out on a fresh connection"
    );
}

#[tokio::test]
async fn timeouts_are_counted() {
    let server = Server::start(Reply::Silent).await;
    let url = server.url();
    let report = run(&["--url", &url, "--requests", "2", "--timeout", "0.2"]).await;
    assert_eq!(report.requests, 2);
    assert_eq!(report.errors.timeout, 2);
}

#[tokio::test]
async fn warmup_is_not_recorded() {
    let server = Server::start(Reply::Whole(fixed_response("200 OK", OK_BODY))).await;
    let url = server.url();
    let report = run(&[
        "--url",
        &url,
        "--warmup",
        "0.3",
        "--duration",
        "0.3",
        "-c",
        "2",
    ])
    .await;
    assert!(report.requests > 0);
    assert!(
        server.requests() > report.requests,
        "server saw {} requests, report counts {}",
        server.requests(),
        report.requests
    );
    assert!(
        report.duration_s >= 0.3 && report.duration_s < 0.5,
        "{}",
        report.duration_s
    );
}

#[tokio::test]
async fn binary_prints_one_json_object() {
    let server = Server::start(Reply::Whole(fixed_response("200 OK", OK_BODY))).await;
    let url = server.url();
    // The server runs on this test's runtime, so the child process is awaited off it.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
            .args([
                "--url",
                &url,
                "--requests",
                "30",
                "-c",
                "3",
                "--threads",
                "2",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["requests"], 30);
    assert_eq!(json["ok"], 30);
    assert_eq!(json["threads"], 2);
    for key in [
        "mode",
        "url",
        "concurrency",
        "duration_s",
        "errors",
        "rps",
        "target_rate",
        "latency_us",
        "latency_uncorrected_us",
        "ttfb_us",
        "events_per_stream",
        "bytes_received",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn binary_rejects_bad_arguments() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(["--url", "https://example.invalid/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "nothing but the report goes to stdout"
    );
}
