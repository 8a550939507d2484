//! Opening a store: choosing the backend, tuning its connections, and applying migrations.
//!
//! SQLite gets two pools on one file: a single writer connection (SQLite admits one writer at a
//! time anyway; queueing writers in our pool is cheaper than having them spin on `SQLITE_BUSY`)
//! and a few reader connections, which WAL lets run alongside the writer, so a dashboard query
//! never stalls usage inserts. A third, single connection copies the write-ahead log back into
//! the database (`checkpoint`), so the writer never stops for it. PostgreSQL gets one ordinary
//! pool.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::checkpoint;
use crate::error::{Result, StoreError};
use crate::migrate;
use crate::redact::{redact_url, scrub};
use crate::sql::Dialect;
use crate::stats::WriteCounter;

/// How long a statement waits for another connection's write lock before giving up. Long enough
/// to ride out a retention delete batch or a second gateway process's insert.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Concurrent dashboard reads on SQLite; more would only contend for the same two cores' worth
/// of page cache.
const SQLITE_READERS: u32 = 4;
/// Tries at opening a SQLite pool while the file reports busy (see `open_sqlite_pool`).
const SQLITE_OPEN_ATTEMPTS: u32 = 5;
/// Bytes the write-ahead log file is cut back to after the log starts over (SQLite otherwise
/// keeps the file at the largest size it ever reached).
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// How long a checkpoint waits for other connections (see `connect_sqlite`).
const CHECKPOINT_BUSY_TIMEOUT: Duration = Duration::from_millis(200);
/// How long a caller waits for a pooled connection before the request fails rather than hangs.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A SQLite database file; its parent directory is created if missing.
    Sqlite { path: PathBuf },
    /// A PostgreSQL server, e.g. `postgres://user:pass@host:5432/db`.
    Postgres { url: String, max_connections: u32 },
}

/// A handle on the usage/audit store. Cheap to clone: clones share the connection pools.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        /// The WAL checkpointer's own connection (`checkpoint`).
        checkpointer: SqlitePool,
        writes: Arc<WriteCounter>,
    },
    Postgres(PgPool),
}

impl Store {
    /// Opens the store and brings its schema up to date.
    pub async fn connect(config: &StoreConfig) -> Result<Store> {
        let store = match config {
            StoreConfig::Sqlite { path } => connect_sqlite(path).await?,
            StoreConfig::Postgres {
                url,
                max_connections,
            } => connect_postgres(url, *max_connections).await?,
        };
        migrate::run(&store).await?;
        if let Backend::Sqlite { .. } = store.backend {
            // Entries written before migration 8, moved into segments once (SQL alone cannot
            // compress them).
            store
                .sqlite_move_legacy_audit()
                .await
                .map_err(|err| StoreError::Migrate(format!("moving audit entries: {err}")))?;
        }
        store.refresh_statistics().await;
        Ok(store)
    }

    /// `"sqlite"` or `"postgresql"`, for logs and the health endpoint.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgresql",
        }
    }

    /// Round-trips a trivial statement, for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { writer, reader, .. } => {
                sqlx::query("SELECT 1").execute(reader).await?;
                sqlx::query("SELECT 1").execute(writer).await?;
            }
            Backend::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned. Later calls fail.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                writer,
                reader,
                checkpointer,
                ..
            } => {
                // The checkpointer first (its task stops with it); the writer last, whose
                // close checkpoints the whole log and deletes it.
                checkpointer.close().await;
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }
}

async fn connect_sqlite(path: &Path) -> Result<Store> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await.map_err(|err| {
            StoreError::Connect(format!("cannot create directory {}: {err}", dir.display()))
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode never corrupts; a power cut can lose the last commits, which for
        // usage and audit records is the right trade against an fsync per batch.
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        // Sorts and GROUP BY temp tables stay off disk.
        .pragma("temp_store", "memory")
        // Keeps the planner's statistics fresh without a manual ANALYZE (sqlite.org/lang_analyze).
        .analysis_limit(400)
        .optimize_on_close(true, None);
    let open_err = |err: sqlx::Error| {
        StoreError::Connect(format!("cannot open SQLite at {}: {err}", path.display()))
    };
    // The writer never checkpoints inside its commits (see `checkpoint`); after a restarting
    // checkpoint the log file is cut back to this size.
    let writer_options = options
        .clone()
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string());
    // The writer opens first: it creates the file and switches it to WAL before any reader.
    let writer = open_sqlite_pool(1, &writer_options)
        .await
        .map_err(open_err)?;
    let existing = options.create_if_missing(false);
    let reader = open_sqlite_pool(SQLITE_READERS, &existing)
        .await
        .map_err(open_err)?;
    // A restarting checkpoint holds new writes back while it waits for readers: it gives up
    // after a moment (and tries again next round) rather than the writers' 5 seconds.
    let checkpointer = open_sqlite_pool(1, &existing.clone().busy_timeout(CHECKPOINT_BUSY_TIMEOUT))
        .await
        .map_err(open_err)?;
    checkpoint::spawn(checkpointer.clone());
    Ok(Store {
        backend: Backend::Sqlite {
            writer,
            reader,
            checkpointer,
            writes: Arc::default(),
        },
    })
}

/// Opens a pool, retrying while the file is busy. SQLite answers `SQLITE_BUSY` at once, without
/// consulting busy_timeout, when waiting could deadlock; two processes opening a brand-new file
/// together and both switching it to WAL is exactly that case (seen in the concurrent-connect
/// contract test). A short pause and a second try is SQLite's documented remedy.
async fn open_sqlite_pool(
    max_connections: u32,
    options: &SqliteConnectOptions,
) -> Result<SqlitePool, sqlx::Error> {
    let mut attempt = 1;
    loop {
        let opened = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await;
        match opened {
            Err(err) if attempt < SQLITE_OPEN_ATTEMPTS && is_busy(&err) => {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// `SQLITE_BUSY` or `SQLITE_LOCKED`, including their extended codes.
pub(crate) fn is_busy(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    db.code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

async fn connect_postgres(url: &str, max_connections: u32) -> Result<Store> {
    if max_connections == 0 {
        return Err(StoreError::Unsupported(
            "PostgreSQL max_connections must be at least 1".into(),
        ));
    }
    let connect_err = |err: sqlx::Error| {
        StoreError::Connect(scrub(
            &format!("cannot connect to PostgreSQL at {}: {err}", redact_url(url)),
            url,
        ))
    };
    let options = PgConnectOptions::from_str(url).map_err(connect_err)?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(connect_err)?;
    Ok(Store {
        backend: Backend::Postgres(pool),
    })
}
