//! SQLite's WAL checkpoints, run on a connection of their own instead of inside the writer's
//! commits.
//!
//! A checkpoint copies the write-ahead log back into the database file and fsyncs both. By
//! default SQLite runs one inside whichever COMMIT takes the log past 1,000 pages, on the
//! committing connection. Here that is the single writer connection that every usage and
//! audit batch goes through, so every ~4 MB of rows the writer stood still for the copy and
//! two fsyncs (tens of milliseconds on a VM's disk). At ~25,000 audited requests a second that
//! pause outlasted the 1,000-row queue (`LOGGING_BUFFER_SIZE`, GoModel's default), and rows
//! were dropped; usage rows too, now and then (bench/findings.md, 2026-12-04).
//!
//! So the writer runs with `wal_autocheckpoint=0`, and [`spawn`] checkpoints every
//! [`CHECKPOINT_EVERY`] on a connection of its own, when anything was committed since the
//! last complete checkpoint (`PRAGMA data_version`; an idle gateway only reads that counter):
//! - `PASSIVE` first: it copies whatever frames it can without waiting for, or blocking, the
//!   writer or any reader. The writer keeps committing meanwhile.
//! - The log starts over from its beginning only when a checkpoint completes with no commit in
//!   between; under sustained writes that may never happen, and the log file would grow
//!   without bound. Once it passes [`RESTART_PAGES`], a `RESTART` checkpoint waits for the
//!   current write to finish and holds new ones back while it completes, so the next commit
//!   starts the log over: the old pause, once per ~64 MB instead of every 4 MB.
//!
//! Nothing changes for durability (`synchronous=NORMAL` syncs at checkpoints, as before) or
//! for readers (they read the log's newer frames either way). When the last connection
//! closes, SQLite checkpoints the whole log and deletes it, as before.

use std::time::Duration;

use sqlx::sqlite::SqlitePool;

/// How often the log is copied back. At the fastest rate measured (~40 MB of log a second with
/// audit bodies) this keeps it near the 4 MB SQLite's default would.
pub(crate) const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Log size, in pages, past which a checkpoint makes the log start over (64 MB of 4 KB pages).
pub(crate) const RESTART_PAGES: i64 = 16_384;

/// What `PRAGMA wal_checkpoint` reports: whether it was blocked, the frames in the log, and
/// how many of them are now in the database (-1 and -1 when the file is not in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub busy: bool,
    pub log_pages: i64,
    pub copied_pages: i64,
}

/// The checkpoint modes used here (sqlite.org/pragma.html#pragma_wal_checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Copies what it can; never waits, never blocks anyone.
    Passive,
    /// Waits for the current writer, holds new writers back until the log is copied, then
    /// waits for readers of the log, so the next commit starts it over.
    Restart,
}

/// Runs one checkpoint on `pool`.
pub(crate) async fn checkpoint(pool: &SqlitePool, mode: Mode) -> Result<Progress, sqlx::Error> {
    let statement = match mode {
        Mode::Passive => "PRAGMA wal_checkpoint(PASSIVE)",
        Mode::Restart => "PRAGMA wal_checkpoint(RESTART)",
    };
    let (busy, log_pages, copied_pages): (i64, i64, i64) =
        sqlx::query_as(statement).fetch_one(pool).await?;
    Ok(Progress {
        busy: busy != 0,
        log_pages,
        copied_pages,
    })
}

/// One round: a passive checkpoint, and a restarting one when the log has grown to
/// `restart_pages`. Returns whether the whole log is now in the database.
async fn round(pool: &SqlitePool, restart_pages: i64) -> Result<bool, sqlx::Error> {
    let mut progress = checkpoint(pool, Mode::Passive).await?;
    if progress.log_pages >= restart_pages {
        progress = checkpoint(pool, Mode::Restart).await?;
    }
    Ok(!progress.busy && progress.copied_pages >= progress.log_pages)
}

/// SQLite's count of commits by other connections (any process) as this connection sees it:
/// unchanged means there is nothing new to copy back.
async fn data_version(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(pool)
        .await
}

/// Checkpoints on `pool` (a connection of its own) every [`CHECKPOINT_EVERY`] when anything
/// was committed since the last round, until the pool is closed ([`crate::Store::close`]).
/// An idle gateway then only reads a counter ten times a second.
pub(crate) fn spawn(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut seen = None;
        loop {
            tick.tick().await;
            if pool.is_closed() {
                return;
            }
            let version = data_version(&pool).await.ok();
            if version.is_some() && version == seen {
                continue;
            }
            match round(&pool, RESTART_PAGES).await {
                // Remembered only once all is copied (a reader may hold frames back): until
                // then every tick tries again.
                Ok(true) => seen = version,
                Ok(false) => {}
                Err(_) if pool.is_closed() => return,
                // Another process's checkpoint or a long write holding the file: the next
                // round catches up.
                Err(err) if crate::store::is_busy(&err) => {
                    tracing::debug!(%err, "SQLite checkpoint deferred: the file is busy");
                }
                Err(err) => tracing::warn!(%err, "SQLite checkpoint failed; retrying"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{AuditRow, RawJson};
    use crate::store::{Backend, Store, StoreConfig};

    /// Entries of ~2 KB that do not compress (audit segments are LZ4), so a thousand fill
    /// more than SQLite's default 1,000-page log.
    fn entries(from: i64, count: i64) -> Vec<AuditRow> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ from.unsigned_abs();
        let mut noise = move || {
            (0..125)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    format!("{state:016x}")
                })
                .collect::<String>()
        };
        (from..from + count)
            .map(|n| AuditRow {
                id: format!("{n:016x}{:016x}", 0xabc),
                request_id: format!("req-{n}"),
                ts_us: n,
                duration_ms: 1.0,
                requested_model: None,
                resolved_model: None,
                provider_type: None,
                provider_name: None,
                status_code: 200,
                method: "POST".into(),
                path: "/v1/chat/completions".into(),
                user_path: "/".into(),
                stream: false,
                client_ip: None,
                error_type: None,
                response_id: None,
                previous_response_id: None,
                auth_method: None,
                data: RawJson::parse(&format!("{{\"body\":\"{}\"}}", noise())).unwrap(),
                usage: None,
            })
            .collect()
    }

    fn pools(store: &Store) -> (&SqlitePool, &SqlitePool) {
        let Backend::Sqlite {
            writer,
            checkpointer,
            ..
        } = &store.backend
        else {
            unreachable!()
        };
        (writer, checkpointer)
    }

    /// The writer never checkpoints in its commits; the checkpointer's task copies the log
    /// into the database file on its own, while the store stays open.
    #[tokio::test]
    async fn the_log_is_copied_back_off_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let store = Store::connect(&StoreConfig::Sqlite { path: path.clone() })
            .await
            .unwrap();
        let (writer, _) = pools(&store);
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(writer)
            .await
            .unwrap();
        assert_eq!(
            autocheckpoint, 0,
            "the writer leaves checkpoints to the task"
        );

        let before = std::fs::metadata(&path).unwrap().len();
        store.insert_audit(&entries(1, 1000)).await.unwrap();
        // ~2 MB of entries: only a checkpoint moves them from the log into the file.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < before + 1_500_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "no checkpoint copied the log within 10 s"
            );
            tokio::time::sleep(CHECKPOINT_EVERY).await;
        }
        store.close().await;
    }

    /// Past the restart size a round makes the next commit start the log over, however long
    /// it had grown.
    #[tokio::test]
    async fn a_long_log_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&StoreConfig::Sqlite {
            path: dir.path().join("r.db"),
        })
        .await
        .unwrap();
        let (_, checkpointer) = pools(&store);
        store.insert_audit(&entries(1, 1000)).await.unwrap();
        round(checkpointer, 1).await.unwrap();
        store.insert_audit(&entries(2000, 1)).await.unwrap();
        let progress = checkpoint(checkpointer, Mode::Passive).await.unwrap();
        assert!(!progress.busy);
        assert!(
            progress.log_pages < 20,
            "the log started over for the last small write: {progress:?}"
        );
        assert_eq!(progress.log_pages, progress.copied_pages);
        store.close().await;
    }
}
