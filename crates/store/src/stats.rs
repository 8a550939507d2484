//! Keeping SQLite's planner statistics current as the tables grow.
//!
//! The report indexes only pay off when the planner knows the grouping columns have few
//! distinct values (then it walks the covering index with a skip-scan instead of sorting a
//! month of rows). Without `sqlite_stat1` it guesses, and on 1M rows guessed plans were 4x
//! slower. `PRAGMA optimize=0x10002` analyzes any table never analyzed or whose size changed
//! tenfold since (sqlite.org/pragma.html#pragma_optimize), bounded by `analysis_limit`, so it
//! is nearly free when there is nothing to do. We run it at connect, after every
//! [`OPTIMIZE_EVERY_ROWS`] rows written, and after retention deletes. PostgreSQL's autovacuum
//! does the same job there.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::{Backend, Store};

/// Rows written between optimize runs: often enough to follow a table from empty through each
/// tenfold growth, rarely enough to cost nothing per insert.
const OPTIMIZE_EVERY_ROWS: u64 = 10_000;

/// Rows written since the last optimize, shared by the clones of one store.
#[derive(Debug, Default)]
pub(crate) struct WriteCounter(AtomicU64);

impl Store {
    /// Counts `rows` written and refreshes statistics when enough have accumulated.
    pub(crate) async fn note_rows_written(&self, rows: usize) {
        let Backend::Sqlite { writes, .. } = &self.backend else {
            return;
        };
        let rows = u64::try_from(rows).unwrap_or(u64::MAX);
        let before = writes.0.fetch_add(rows, Ordering::Relaxed);
        if before.saturating_add(rows) >= OPTIMIZE_EVERY_ROWS {
            writes.0.store(0, Ordering::Relaxed);
            self.refresh_statistics().await;
        }
    }

    /// Runs `PRAGMA optimize` on SQLite; a failure is logged, never returned: statistics are
    /// advice to the planner, and the write that triggered this has already committed.
    pub(crate) async fn refresh_statistics(&self) {
        let Backend::Sqlite { writer, .. } = &self.backend else {
            return;
        };
        if let Err(err) = sqlx::query("PRAGMA optimize=0x10002").execute(writer).await {
            tracing::warn!(%err, "SQLite PRAGMA optimize failed");
        }
    }
}
