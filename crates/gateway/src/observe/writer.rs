//! `BatchWriter`: a bounded in-memory queue drained by one background task that writes rows to
//! storage in batches. The request path only ever calls [`BatchWriter::submit`], which never
//! waits.
//!
//! - Batches are written when they reach `max_batch` rows or every `flush_interval`.
//! - A failed write (database down, say) is retried with backoff, the batch kept in memory;
//!   inserts are idempotent (`ON CONFLICT DO NOTHING`), so a retry after a timeout that did
//!   commit writes nothing twice.
//! - The queue is bounded (`USAGE_BUFFER_SIZE` / `LOGGING_BUFFER_SIZE`): when it is full because
//!   storage cannot keep up, the new row is dropped, counted ([`WriterStats::dropped`]), and
//!   logged (at most once per second). Requests are never slowed; memory never grows without
//!   bound. This is the documented policy (docs/usage.md).
//! - [`BatchWriter::shutdown`] drains the queue and writes everything before returning (the
//!   SIGTERM path), giving up only at its deadline, with the count of lost rows logged.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Writes one batch.
pub type Sink<R> =
    Arc<dyn Fn(Vec<R>) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Counters, readable while running.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub queued: AtomicU64,
}

enum Command<R> {
    Row(R),
    /// Write everything queued, then stop.
    Shutdown(oneshot::Sender<()>),
}

/// The submitting side. Cheap to clone.
pub struct BatchWriter<R> {
    name: &'static str,
    sender: mpsc::Sender<Command<R>>,
    stats: Arc<WriterStats>,
    last_drop_log: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl<R> Clone for BatchWriter<R> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            sender: self.sender.clone(),
            stats: Arc::clone(&self.stats),
            last_drop_log: Arc::clone(&self.last_drop_log),
        }
    }
}

impl<R> std::fmt::Debug for BatchWriter<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchWriter")
            .field("name", &self.name)
            .field("stats", &self.stats)
            .finish()
    }
}

/// How a writer batches.
#[derive(Debug, Clone, Copy)]
pub struct WriterOptions {
    pub capacity: usize,
    pub max_batch: usize,
    pub flush_interval: Duration,
}

impl<R: Clone + Send + 'static> BatchWriter<R> {
    /// Starts the background task on the current runtime.
    pub fn spawn(
        name: &'static str,
        options: WriterOptions,
        sink: Sink<R>,
    ) -> (Self, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(options.capacity.max(1));
        let stats = Arc::new(WriterStats::default());
        let task = tokio::spawn(run(name, receiver, options, sink, Arc::clone(&stats)));
        (
            Self {
                name,
                sender,
                stats,
                last_drop_log: Arc::default(),
            },
            task,
        )
    }

    /// Queues a row without waiting; a full queue drops it (counted and logged).
    pub fn submit(&self, row: R) {
        match self.sender.try_send(Command::Row(row)) {
            Ok(()) => {
                self.stats.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                let dropped = self.stats.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                let mut last = self
                    .last_drop_log
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                    *last = Some(Instant::now());
                    tracing::warn!(
                        writer = self.name,
                        dropped_total = dropped,
                        "record queue full: storage is not keeping up, row dropped"
                    );
                }
            }
        }
    }

    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Rows waiting in the queue.
    pub fn depth(&self) -> usize {
        self.sender.max_capacity() - self.sender.capacity()
    }

    /// Writes everything queued and stops the task (waits at most `deadline`).
    pub async fn shutdown(&self, deadline: Duration) {
        let (done, wait) = oneshot::channel();
        let sent = tokio::time::timeout(deadline, self.sender.send(Command::Shutdown(done))).await;
        if !matches!(sent, Ok(Ok(()))) || tokio::time::timeout(deadline, wait).await.is_err() {
            tracing::error!(
                writer = self.name,
                "could not flush all records before the shutdown deadline"
            );
        }
    }
}

async fn run<R: Clone + Send + 'static>(
    name: &'static str,
    mut receiver: mpsc::Receiver<Command<R>>,
    options: WriterOptions,
    sink: Sink<R>,
    stats: Arc<WriterStats>,
) {
    let mut batch: Vec<R> = Vec::with_capacity(options.max_batch);
    let mut ticker = tokio::time::interval(options.flush_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            command = receiver.recv() => match command {
                Some(Command::Row(row)) => {
                    stats.queued.fetch_sub(1, Ordering::Relaxed);
                    batch.push(row);
                    if batch.len() >= options.max_batch {
                        flush(name, &sink, &mut batch, &stats, None).await;
                    }
                }
                Some(Command::Shutdown(done)) => {
                    // Everything submitted before the shutdown command is already ahead of it
                    // in the channel; drain what raced in after, then write it all.
                    while let Ok(Command::Row(row)) = receiver.try_recv() {
                        stats.queued.fetch_sub(1, Ordering::Relaxed);
                        batch.push(row);
                    }
                    let total = batch.len();
                    flush(name, &sink, &mut batch, &stats, Some(Duration::from_secs(30))).await;
                    tracing::info!(writer = name, rows = total, "records flushed at shutdown");
                    let _ = done.send(());
                    return;
                }
                None => {
                    flush(name, &sink, &mut batch, &stats, Some(Duration::from_secs(30))).await;
                    return;
                }
            },
            _ = ticker.tick() => {
                if !batch.is_empty() {
                    flush(name, &sink, &mut batch, &stats, None).await;
                }
            }
        }
    }
}

/// Writes the batch, retrying with backoff (giving up after `give_up_after` when set; in normal
/// operation it keeps trying, since new rows wait in the bounded queue meanwhile).
async fn flush<R>(
    name: &'static str,
    sink: &Sink<R>,
    batch: &mut Vec<R>,
    stats: &WriterStats,
    give_up_after: Option<Duration>,
) where
    R: Clone + Send + 'static,
{
    if batch.is_empty() {
        return;
    }
    let started = Instant::now();
    let mut delay = Duration::from_millis(100);
    let count = batch.len() as u64;
    loop {
        match sink(batch.clone()).await {
            Ok(()) => {
                stats.written.fetch_add(count, Ordering::Relaxed);
                batch.clear();
                return;
            }
            Err(err) => {
                let attempts = stats.failed_attempts.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(writer = name, rows = count, attempts, error = %err, "writing records failed; retrying");
                if give_up_after.is_some_and(|limit| started.elapsed() >= limit) {
                    stats.dropped.fetch_add(count, Ordering::Relaxed);
                    tracing::error!(
                        writer = name,
                        rows = count,
                        "giving up on records at shutdown: storage unavailable"
                    );
                    batch.clear();
                    return;
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn recording_sink(fail_first: usize) -> (Sink<u32>, Arc<Mutex<Vec<u32>>>) {
        let written = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicU64::new(fail_first as u64));
        let target = Arc::clone(&written);
        let sink: Sink<u32> = Arc::new(move |rows: Vec<u32>| {
            let (target, failures) = (Arc::clone(&target), Arc::clone(&failures));
            Box::pin(async move {
                if failures.load(Ordering::SeqCst) > 0 {
                    failures.fetch_sub(1, Ordering::SeqCst);
                    return Err("database down".to_owned());
                }
                target.lock().unwrap().extend(rows);
                Ok(())
            })
        });
        (sink, written)
    }

    #[tokio::test]
    async fn batches_retry_while_storage_is_down_and_shutdown_flushes() {
        let (sink, written) = recording_sink(3);
        let options = WriterOptions {
            capacity: 100,
            max_batch: 10,
            flush_interval: Duration::from_millis(20),
        };
        let (writer, _task) = BatchWriter::spawn("test", options, sink);
        for i in 0..25 {
            writer.submit(i);
        }
        writer.shutdown(Duration::from_secs(10)).await;
        let mut rows = written.lock().unwrap().clone();
        rows.sort_unstable();
        assert_eq!(
            rows,
            (0..25).collect::<Vec<_>>(),
            "every row written exactly once"
        );
        assert_eq!(writer.stats().failed_attempts.load(Ordering::Relaxed), 3);
        assert_eq!(writer.stats().dropped.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts_without_blocking() {
        // A sink that never succeeds keeps the first batch in flight; the queue then fills.
        let (sink, _written) = recording_sink(usize::MAX);
        let options = WriterOptions {
            capacity: 5,
            max_batch: 1,
            flush_interval: Duration::from_secs(60),
        };
        let (writer, task) = BatchWriter::spawn("test", options, sink);
        let started = Instant::now();
        for i in 0..100 {
            writer.submit(i);
        }
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "submit must never wait"
        );
        let dropped = writer.stats().dropped.load(Ordering::Relaxed);
        assert!(dropped >= 90, "dropped {dropped}");
        task.abort();
    }
}
