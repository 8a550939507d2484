//! The schema migrations, embedded in the binary and applied at connect.
//!
//! Each backend has its own numbered set under `migrations/<backend>/`; the two sets must keep
//! the same version numbers and column sets. sqlx's migrator records applied versions (with a
//! checksum) in `_sqlx_migrations`, so an applied file must never be edited: add the next number.
//!
//! Concurrency: two gateways starting against one database must not both create the tables.
//! On PostgreSQL sqlx's migrator holds `pg_advisory_lock` (keyed on the database name) for the
//! whole run, so the second process waits and then finds nothing to do. SQLite has no such lock
//! (sqlx's is a no-op), but each migration runs in its own transaction: the loser of a race fails
//! on "table already exists" with its transaction rolled back, and simply running the migrator
//! again sees the winner's record and succeeds. Hence the retry below.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::error::{Result, StoreError};
use crate::sql::Dialect;
use crate::store::{Backend, Store};

/// `(version, description, sql)` for SQLite, in order.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "drop usage request_id index",
        include_str!("../migrations/sqlite/0002_drop_usage_request_id_index.sql"),
    ),
    (
        3,
        "usage rollups",
        include_str!("../migrations/sqlite/0003_usage_rollup.sql"),
    ),
    (
        4,
        "audit auth method",
        include_str!("../migrations/sqlite/0004_audit_auth_method.sql"),
    ),
    (
        5,
        "audit lean indexes",
        include_str!("../migrations/sqlite/0005_audit_lean_indexes.sql"),
    ),
];

/// `(version, description, sql)` for PostgreSQL, in order.
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "drop usage request_id index",
        include_str!("../migrations/postgres/0002_drop_usage_request_id_index.sql"),
    ),
    (
        3,
        "usage rollups",
        include_str!("../migrations/postgres/0003_usage_rollup.sql"),
    ),
    (
        4,
        "audit auth method",
        include_str!("../migrations/postgres/0004_audit_auth_method.sql"),
    ),
    (
        5,
        "audit lean indexes",
        include_str!("../migrations/postgres/0005_audit_lean_indexes.sql"),
    ),
];

const SQLITE_ATTEMPTS: u32 = 3;

fn migrator(dialect: Dialect) -> Migrator {
    let set = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    let migrations = set
        .iter()
        .map(|&(version, description, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

/// Applies every pending migration.
pub(crate) async fn run(store: &Store) -> Result<()> {
    let migrator = migrator(store.dialect());
    match &store.backend {
        Backend::Postgres(pool) => migrator
            .run(pool)
            .await
            .map_err(|err| StoreError::Migrate(err.to_string())),
        Backend::Sqlite { writer, .. } => {
            let mut attempt = 1;
            loop {
                match migrator.run(writer).await {
                    Ok(()) => return Ok(()),
                    Err(err) if attempt < SQLITE_ATTEMPTS => {
                        tracing::warn!(%err, attempt, "SQLite migration failed; retrying in case another process raced us");
                        tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
                        attempt += 1;
                    }
                    Err(err) => return Err(StoreError::Migrate(err.to_string())),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_versions() {
        let versions = |set: &[(i64, &str, &str)]| set.iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        assert!(versions(SQLITE).windows(2).all(|w| w[0] < w[1]));
    }
}
