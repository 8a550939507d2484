//! Log output: text (colour on a terminal) or JSON lines, at `LOG_LEVEL`.
//!
//! Every request logs one line, so the cost of a line matters (a `write` per line was ~10 µs of
//! CPU per request under load). Lines are formatted on the calling thread into a shared buffer
//! ([`BatchedStderr`]); a flusher thread writes the buffer every 50 ms, and a caller that finds
//! it over 64 KiB writes it itself, so memory stays bounded and no line is dropped. The guard
//! returned by [`init`] stops the flusher and writes what is left; the binary holds it until
//! shutdown completes.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{LogFormat, LogLevel, LoggingConfig};
use crate::observe::request_log::{self, RequestLogSink};

const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// Installs the global subscriber. Later calls in one process (tests start several gateways)
/// leave the first subscriber in place and return `None`.
pub fn init(config: &LoggingConfig) -> Option<LogGuard> {
    let level = match config.level {
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error => LevelFilter::ERROR,
    };
    let terminal = std::io::stderr().is_terminal();
    let json = match config.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let writer = BatchedStderr::default();
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(writer.clone())
        .with_target(false);
    let installed = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.with_ansi(terminal).try_init()
    };
    let guard = installed.ok().map(|()| LogGuard::start(writer.clone()))?;
    let max_level = match config.level {
        LogLevel::Debug => tracing::Level::DEBUG,
        LogLevel::Info => tracing::Level::INFO,
        LogLevel::Warn => tracing::Level::WARN,
        LogLevel::Error => tracing::Level::ERROR,
    };
    request_log::install(RequestLogSink {
        writer,
        json,
        max_level,
    });
    Some(guard)
}

/// Log lines waiting to be written, shared by every logging thread.
#[derive(Clone, Default)]
pub struct BatchedStderr {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    buffer: Mutex<Vec<u8>>,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl BatchedStderr {
    pub(crate) fn append(&self, line: &[u8]) {
        let full = {
            let mut buffer = self
                .shared
                .buffer
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            buffer.extend_from_slice(line);
            (buffer.len() >= FLUSH_THRESHOLD).then(|| std::mem::take(&mut *buffer))
        };
        if let Some(batch) = full {
            write_out(&batch);
        }
    }

    fn flush(&self) {
        let batch = std::mem::take(
            &mut *self
                .shared
                .buffer
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        if !batch.is_empty() {
            write_out(&batch);
        }
    }
}

fn write_out(batch: &[u8]) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(batch);
    let _ = stderr.flush();
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        LineBuffer {
            line: Vec::with_capacity(512),
            target: self.clone(),
        }
    }
}

/// One log line being formatted; appended to the shared buffer when dropped.
pub struct LineBuffer {
    line: Vec<u8>,
    target: BatchedStderr,
}

impl Write for LineBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.target.append(&self.line);
        }
    }
}

/// Owns the flusher thread; dropping it writes the remaining lines.
pub struct LogGuard {
    writer: BatchedStderr,
    flusher: Option<JoinHandle<()>>,
}

impl LogGuard {
    fn start(writer: BatchedStderr) -> Self {
        let background = writer.clone();
        let flusher = std::thread::Builder::new()
            .name("gomodel-log".to_owned())
            .spawn(move || {
                let shared = Arc::clone(&background.shared);
                let mut stop = shared.stop.lock().unwrap_or_else(PoisonError::into_inner);
                while !*stop {
                    stop = shared
                        .wake
                        .wait_timeout(stop, FLUSH_INTERVAL)
                        .map(|(guard, _)| guard)
                        .unwrap_or_else(|poisoned| poisoned.into_inner().0);
                    background.flush();
                }
            })
            .ok();
        Self { writer, flusher }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        *self
            .writer
            .shared
            .stop
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = true;
        self.writer.shared.wake.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        self.writer.flush();
    }
}
