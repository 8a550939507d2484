//! `gomodel-loadgen`: an HTTP/1.1 load generator for benchmarking the gateway on loopback with
//! correct percentiles. The binary (`src/main.rs`) only parses arguments and prints; the logic
//! lives here so the integration tests can run it against an in-process server.
//!
//! A run opens all connections first (connect time is never measured), then every connection is
//! one task that drives its own keep-alive connection ([`client`]) in a closed loop
//! ([`closed_loop`]) or at a scheduled rate ([`open_loop`]), optionally measuring SSE streams
//! ([`stream`]). Each task records into its own histograms ([`stats`]); they are merged once at
//! the end into the JSON [`report`].

pub mod args;
pub mod client;
pub mod closed_loop;
pub mod open_loop;
pub mod report;
pub mod stats;
pub mod stream;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context as _, anyhow};

use crate::args::Config;
use crate::client::{Client, Target};
use crate::open_loop::Schedule;
use crate::report::Report;
use crate::stats::Recorder;

/// The timeline shared by all connection tasks.
#[derive(Debug)]
pub struct Plan {
    /// When load starts (the warmup, if any, begins here; the open-loop schedule counts from it).
    pub t0: Instant,
    /// Requests starting from here on are recorded.
    pub measure_start: Instant,
    /// No request starts at or after this (unless `limit` governs instead).
    pub measure_end: Instant,
    /// `--requests`: a fixed number of measured requests instead of a measured period.
    pub limit: Option<RequestLimit>,
    pub stream: bool,
}

/// Hands out exactly `total` request slots across all connections.
#[derive(Debug)]
pub struct RequestLimit {
    claimed: AtomicU64,
    total: u64,
}

impl RequestLimit {
    pub fn new(total: u64) -> Self {
        Self {
            claimed: AtomicU64::new(0),
            total,
        }
    }

    /// Claims one slot; false once all are taken. Relaxed is enough: only the count matters.
    pub fn claim(&self) -> bool {
        self.claimed.fetch_add(1, Ordering::Relaxed) < self.total
    }
}

/// Runs the whole load as configured and returns the report. Must run inside a tokio runtime;
/// the connection tasks spread over its worker threads.
pub async fn run(config: &Config) -> anyhow::Result<Report> {
    let target = Arc::new(Target::resolve(config).await?);
    let mut clients = Vec::with_capacity(config.concurrency);
    for _ in 0..config.concurrency {
        let client = Client::connect(Arc::clone(&target))
            .await
            .map_err(|failure| anyhow!("{failure:?}"))
            .with_context(|| format!("opening a connection to {}", target.addr))?;
        clients.push(client);
    }
    let recorder = Recorder::new(config.rate.is_some(), config.stream)?;

    let t0 = Instant::now();
    let measure_start = t0 + config.warmup;
    let plan = Arc::new(Plan {
        t0,
        measure_start,
        measure_end: measure_start + config.duration,
        limit: config.requests.map(RequestLimit::new),
        stream: config.stream,
    });
    eprintln!(
        "loadgen: {} connection(s) to {}; warmup {:.3}s, then {}",
        config.concurrency,
        target.addr,
        config.warmup.as_secs_f64(),
        match (config.requests, config.rate) {
            (Some(requests), _) => format!("{requests} requests"),
            (None, Some(rate)) => format!("{:.3}s at {rate} req/s", config.duration.as_secs_f64()),
            (None, None) => format!("{:.3}s closed loop", config.duration.as_secs_f64()),
        }
    );

    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(connection, client)| {
            let plan = Arc::clone(&plan);
            let recorder = recorder.clone();
            match config.rate {
                Some(rate) => {
                    let schedule = Schedule {
                        connection,
                        connections: config.concurrency,
                        rate,
                    };
                    tokio::spawn(open_loop::run_connection(client, plan, recorder, schedule))
                }
                None => tokio::spawn(closed_loop::run_connection(client, plan, recorder)),
            }
        })
        .collect();
    let mut total = recorder;
    for task in tasks {
        total.merge(&task.await.context("a connection task failed")?)?;
    }
    let elapsed = Instant::now().saturating_duration_since(plan.measure_start);
    eprintln!(
        "loadgen: done: {} requests, {} errors in {:.3}s",
        total.requests,
        total.errors(),
        elapsed.as_secs_f64()
    );
    Ok(report::build(config, &total, elapsed))
}
