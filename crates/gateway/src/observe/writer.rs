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

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Writes one batch. The batch is shared, not copied: a retry hands the same rows over again
/// (cloning every row per attempt was a tenth of the gateway's CPU with usage on).
pub type Sink<R> = Arc<
    dyn Fn(Arc<Vec<R>>) -> Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send>>
        + Send
        + Sync,
>;

/// Why a batch was not written.
#[derive(Debug)]
pub struct SinkError {
    pub message: String,
    /// Storage refused the rows' content: retrying the same batch cannot succeed. The writer
    /// then splits the batch to find the refused rows, writes the rest and drops (and counts)
    /// only those, instead of retrying forever and stalling every row behind them.
    pub rejected: bool,
}

impl From<String> for SinkError {
    /// An error of reaching or running storage: retried.
    fn from(message: String) -> Self {
        SinkError {
            message,
            rejected: false,
        }
    }
}

/// Counters, readable while running.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub queued: AtomicU64,
}

/// The queue shared by the request threads (push) and the writer task (take).
struct Queue<R> {
    rows: std::sync::Mutex<Vec<R>>,
    capacity: usize,
    /// Rows taken by the writer and not yet written: they count against `capacity`, so the
    /// queue plus the writer's hands never hold more than `capacity` rows.
    in_flight: std::sync::atomic::AtomicUsize,
    max_batch: usize,
    /// Wakes the writer early when a full batch is waiting (otherwise it wakes on its timer:
    /// no per-row wake-up, which cost more than the row itself under load).
    ready: tokio::sync::Notify,
    shutdown: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    stopping: std::sync::atomic::AtomicBool,
}

/// The submitting side. Cheap to clone.
pub struct BatchWriter<R> {
    name: &'static str,
    queue: Arc<Queue<R>>,
    stats: Arc<WriterStats>,
    last_drop_log: Arc<std::sync::Mutex<Option<Instant>>>,
}

impl<R> Clone for BatchWriter<R> {
    fn clone(&self) -> Self {
        Self {
            name: self.name,
            queue: Arc::clone(&self.queue),
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

impl<R: Send + Sync + 'static> BatchWriter<R> {
    /// Starts the background task on the current runtime.
    pub fn spawn(
        name: &'static str,
        options: WriterOptions,
        sink: Sink<R>,
    ) -> (Self, JoinHandle<()>) {
        let queue = Arc::new(Queue {
            rows: std::sync::Mutex::new(Vec::with_capacity(options.max_batch)),
            capacity: options.capacity.max(1),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            max_batch: options.max_batch.max(1),
            ready: tokio::sync::Notify::new(),
            shutdown: std::sync::Mutex::new(None),
            stopping: std::sync::atomic::AtomicBool::new(false),
        });
        let stats = Arc::new(WriterStats::default());
        let task = tokio::spawn(run(
            name,
            Arc::clone(&queue),
            options.flush_interval,
            sink,
            Arc::clone(&stats),
        ));
        (
            Self {
                name,
                queue,
                stats,
                last_drop_log: Arc::default(),
            },
            task,
        )
    }

    /// Queues a row without waiting; a full queue drops it (counted and logged).
    pub fn submit(&self, row: R) {
        let len = {
            let mut rows = self
                .queue
                .rows
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if rows.len() + self.queue.in_flight.load(Ordering::Relaxed) >= self.queue.capacity {
                None
            } else {
                rows.push(row);
                Some(rows.len())
            }
        };
        match len {
            Some(len) => {
                self.stats.queued.fetch_add(1, Ordering::Relaxed);
                if len == self.queue.max_batch {
                    self.queue.ready.notify_one();
                }
            }
            None => {
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

    /// Rows not yet written: waiting in the queue or in the writer's current batches.
    pub fn depth(&self) -> usize {
        let waiting = self
            .queue
            .rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len();
        waiting + self.queue.in_flight.load(Ordering::Relaxed)
    }

    /// Writes everything queued and stops the task (waits at most `deadline`).
    pub async fn shutdown(&self, deadline: Duration) {
        let (done, wait) = oneshot::channel();
        *self
            .queue
            .shutdown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(done);
        self.queue.stopping.store(true, Ordering::SeqCst);
        self.queue.ready.notify_one();
        if tokio::time::timeout(deadline, wait).await.is_err() {
            let lost = self.depth();
            self.stats.dropped.fetch_add(lost as u64, Ordering::Relaxed);
            tracing::error!(
                writer = self.name,
                lost,
                "could not flush all records before the shutdown deadline; these rows are lost"
            );
        }
    }
}

async fn run<R: Send + Sync + 'static>(
    name: &'static str,
    queue: Arc<Queue<R>>,
    flush_interval: Duration,
    sink: Sink<R>,
    stats: Arc<WriterStats>,
) {
    loop {
        tokio::select! {
            _ = queue.ready.notified() => {}
            _ = tokio::time::sleep(flush_interval) => {}
        }
        let stopping = queue.stopping.load(Ordering::SeqCst);
        let mut woken = true;
        loop {
            // Take the whole queue in O(1) under the lock (the request threads push into it),
            // then cut it into batches outside. Draining a batch off the front instead moved
            // every row still queued, per batch, while holding the lock.
            let taken = {
                let mut rows = queue
                    .rows
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                // After the write that followed a wake-up, go on only while full batches wait:
                // draining whatever trickled in during each write made batches of a few rows,
                // and every batch has a fixed cost (a transaction, a commit, rollup upserts).
                if !woken && !stopping && rows.len() < queue.max_batch {
                    break;
                }
                woken = false;
                queue.in_flight.store(rows.len(), Ordering::Relaxed);
                std::mem::replace(&mut *rows, Vec::with_capacity(queue.max_batch))
            };
            if taken.is_empty() {
                break;
            }
            let mut rows = taken.into_iter();
            loop {
                let mut batch: Vec<R> = rows.by_ref().take(queue.max_batch).collect();
                if batch.is_empty() {
                    break;
                }
                stats
                    .queued
                    .fetch_sub(batch.len() as u64, Ordering::Relaxed);
                let give_up = stopping.then_some(Duration::from_secs(30));
                let count = batch.len();
                flush(name, &sink, &mut batch, &stats, give_up).await;
                queue.in_flight.fetch_sub(count, Ordering::Relaxed);
            }
        }
        if stopping {
            let written = stats.written.load(Ordering::Relaxed);
            let dropped = stats.dropped.load(Ordering::Relaxed);
            // The total since start, said once more at exit: the per-second warnings while
            // dropping may have been missed, and a benchmark reads this line.
            if dropped > 0 {
                tracing::warn!(
                    writer = name,
                    written,
                    dropped,
                    "records flushed at shutdown; some were dropped while running"
                );
            } else {
                tracing::info!(writer = name, written, "records flushed at shutdown");
            }
            if let Some(done) = queue
                .shutdown
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take()
            {
                let _ = done.send(());
            }
            return;
        }
    }
}

/// Writes the batch, retrying with backoff (giving up after `give_up_after` when set; in normal
/// operation it keeps trying, since new rows wait in the bounded queue meanwhile). A batch whose
/// content storage refuses is split in halves until the refused rows stand alone; those are
/// dropped, counted and logged, and every other row is written.
async fn flush<R>(
    name: &'static str,
    sink: &Sink<R>,
    batch: &mut Vec<R>,
    stats: &WriterStats,
    give_up_after: Option<Duration>,
) where
    R: Send + Sync + 'static,
{
    if batch.is_empty() {
        return;
    }
    let started = Instant::now();
    let mut pending = vec![std::mem::take(batch)];
    while let Some(part) = pending.pop() {
        match write_part(name, sink, part, stats, started, give_up_after).await {
            Written::Done(rows) => {
                // Keep the allocation for the next batch.
                if batch.capacity() == 0 {
                    *batch = rows;
                }
            }
            Written::Refused(mut rows) if rows.len() > 1 => {
                let second = rows.split_off(rows.len() / 2);
                pending.push(second);
                pending.push(rows);
            }
            Written::Refused(rows) => {
                stats
                    .dropped
                    .fetch_add(rows.len() as u64, Ordering::Relaxed);
                tracing::error!(
                    writer = name,
                    rows = rows.len(),
                    "storage refused a record; dropped (see the warning before for why)"
                );
            }
            Written::GaveUp => {}
        }
    }
}

/// How [`write_part`] ended.
enum Written<R> {
    /// Written; the emptied vector is handed back for reuse (empty when the sink kept it).
    Done(Vec<R>),
    /// Storage refused the content; the rows come back to be split.
    Refused(Vec<R>),
    /// Given up at shutdown (counted as dropped).
    GaveUp,
}

/// One write of `rows`, retried with backoff while storage is unavailable.
async fn write_part<R>(
    name: &'static str,
    sink: &Sink<R>,
    rows: Vec<R>,
    stats: &WriterStats,
    started: Instant,
    give_up_after: Option<Duration>,
) -> Written<R>
where
    R: Send + Sync + 'static,
{
    let mut delay = Duration::from_millis(100);
    let count = rows.len() as u64;
    let mut shared = Arc::new(rows);
    loop {
        match sink(Arc::clone(&shared)).await {
            Ok(()) => {
                stats.written.fetch_add(count, Ordering::Relaxed);
                return Written::Done(Arc::try_unwrap(shared).map_or_else(
                    |_| Vec::new(),
                    |mut rows| {
                        rows.clear();
                        rows
                    },
                ));
            }
            Err(err) => {
                let attempts = stats.failed_attempts.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(writer = name, rows = count, attempts, rejected = err.rejected, error = %err.message, "writing records failed");
                if err.rejected {
                    // The sink has let go of the rows by now; should it not have, they are
                    // retried as they are below (never lost).
                    match Arc::try_unwrap(shared) {
                        Ok(rows) => return Written::Refused(rows),
                        Err(still_shared) => shared = still_shared,
                    }
                }
                if give_up_after.is_some_and(|limit| started.elapsed() >= limit) {
                    stats.dropped.fetch_add(count, Ordering::Relaxed);
                    tracing::error!(
                        writer = name,
                        rows = count,
                        "giving up on records at shutdown: storage unavailable"
                    );
                    return Written::GaveUp;
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
        let sink: Sink<u32> = Arc::new(move |rows: Arc<Vec<u32>>| {
            let (target, failures) = (Arc::clone(&target), Arc::clone(&failures));
            Box::pin(async move {
                if failures.load(Ordering::SeqCst) > 0 {
                    failures.fetch_sub(1, Ordering::SeqCst);
                    return Err("database down".to_owned().into());
                }
                target.lock().unwrap().extend(rows.iter().copied());
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
    async fn a_refused_row_is_split_out_and_dropped_and_the_rest_written() {
        // Storage refuses any batch holding 13 (a value it cannot store), every time.
        let written = Arc::new(Mutex::new(Vec::new()));
        let target = Arc::clone(&written);
        let sink: Sink<u32> = Arc::new(move |rows: Arc<Vec<u32>>| {
            let target = Arc::clone(&target);
            Box::pin(async move {
                if rows.contains(&13) {
                    return Err(SinkError {
                        message: "value out of range".to_owned(),
                        rejected: true,
                    });
                }
                target.lock().unwrap().extend(rows.iter().copied());
                Ok(())
            })
        });
        let options = WriterOptions {
            capacity: 100,
            max_batch: 20,
            flush_interval: Duration::from_millis(20),
        };
        let (writer, _task) = BatchWriter::spawn("test", options, sink);
        for i in 0..40 {
            writer.submit(i);
        }
        writer.shutdown(Duration::from_secs(10)).await;
        let mut rows = written.lock().unwrap().clone();
        rows.sort_unstable();
        let expected: Vec<u32> = (0..40).filter(|&i| i != 13).collect();
        assert_eq!(rows, expected, "every other row written exactly once");
        assert_eq!(writer.stats().dropped.load(Ordering::Relaxed), 1);
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
