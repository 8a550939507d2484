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
    (
        6,
        "audit records",
        include_str!("../migrations/sqlite/0006_audit_records.sql"),
    ),
    (
        7,
        "audit thread index",
        include_str!("../migrations/sqlite/0007_audit_thread_index.sql"),
    ),
    (
        8,
        "audit segments",
        include_str!("../migrations/sqlite/0008_audit_segments.sql"),
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
    (
        6,
        "audit records",
        include_str!("../migrations/postgres/0006_audit_records.sql"),
    ),
    (
        7,
        "audit thread index",
        include_str!("../migrations/postgres/0007_audit_thread_index.sql"),
    ),
    (
        8,
        "audit segments",
        include_str!("../migrations/postgres/0008_audit_segments.sql"),
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

    use crate::store::StoreConfig;
    use crate::{AuditFilter, RawJson};

    /// A database written before migration 6 (entries in the plain `audit_logs` table) reads
    /// back the same after it: every column, the document, the log order and a conversation.
    #[tokio::test]
    async fn sqlite_audit_entries_survive_the_move_to_audit_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let mut before_6 = migrator(Dialect::Sqlite);
        before_6.migrations.to_mut().retain(|m| m.version < 6);
        before_6.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO audit_logs (id, request_id, ts_us, duration_ms, requested_model, \
             resolved_model, provider_type, provider_name, status_code, method, path, user_path, \
             stream, client_ip, error_type, response_id, previous_response_id, auth_method, data) \
             VALUES ('0000000000000064aaaaaaaaaaaaaaaa', 'req-1', 100, 12.5, 'gpt', 'gpt-x', \
             'openai', 'openai', 200, 'POST', '/v1/responses', '/team', 1, '10.0.0.1', NULL, \
             'resp_1', NULL, 'master_key', '{\"request_body\":{\"n\":1e-20000,\"s\":\"\\ud800\"}}'), \
             ('legacy-id', 'req-2', 200, 3.0, NULL, NULL, NULL, NULL, 502, 'POST', \
             '/v1/responses', '/', 0, NULL, 'provider_error', 'resp_2', 'resp_1', NULL, '{}'), \
             ('0000000000000190bbbbbbbbbbbbbbbb', 'req-3', 400, 1.0, 'gpt', 'gpt', 'openai', \
             'openai', 200, 'POST', '/v1/chat/completions', '/', 0, NULL, NULL, \
             'chatcmpl-1', NULL, 'no_key', '{}')",
        )
        .execute(&pool)
        .await
        .unwrap();
        // A document nested deeper than a JSON reader follows moves as the text it is.
        let deep = format!(r#"{{"d":{}{}}}"#, "[".repeat(300), "]".repeat(300));
        sqlx::query(
            "INSERT INTO audit_logs (id, request_id, ts_us, duration_ms, status_code, method, \
             path, user_path, stream, data) \
             VALUES ('00000000000001f4cccccccccccccccc', 'req-4', 500, 1.0, 200, 'POST', \
             '/v1/chat/completions', '/', 0, ?)",
        )
        .bind(&deep)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = Store::connect(&StoreConfig::Sqlite { path }).await.unwrap();
        let moved = store
            .audit_entry("00000000000001f4cccccccccccccccc")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(moved.data.get(), deep);
        let first = store
            .audit_entry("0000000000000064aaaaaaaaaaaaaaaa")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.request_id.as_str(), first.ts_us, first.duration_ms),
            ("req-1", 100, 12.5)
        );
        assert_eq!(first.requested_model.as_deref(), Some("gpt"));
        assert_eq!(first.resolved_model.as_deref(), Some("gpt-x"));
        assert_eq!(first.provider_type.as_deref(), Some("openai"));
        assert_eq!(first.provider_name.as_deref(), Some("openai"));
        assert_eq!((first.status_code, first.method.as_str()), (200, "POST"));
        assert_eq!(
            (first.path.as_str(), first.user_path.as_str(), first.stream),
            ("/v1/responses", "/team", true)
        );
        assert_eq!(first.client_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(first.response_id.as_deref(), Some("resp_1"));
        assert_eq!(first.auth_method.as_deref(), Some("master_key"));
        assert_eq!(
            first.data.get(),
            r#"{"request_body":{"n":1e-20000,"s":"\ud800"}}"#,
            "the document's text is copied as it was"
        );
        let legacy = store.audit_entry("legacy-id").await.unwrap().unwrap();
        assert_eq!(legacy.error_type.as_deref(), Some("provider_error"));
        assert_eq!(legacy.previous_response_id.as_deref(), Some("resp_1"));
        assert_eq!((legacy.requested_model, legacy.auth_method), (None, None));
        assert_eq!(legacy.data, RawJson::parse("{}").unwrap());

        let page = store
            .audit_log(&AuditFilter::default(), 10, 0)
            .await
            .unwrap();
        let ids: Vec<&str> = page.items.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "00000000000001f4cccccccccccccccc",
                "0000000000000190bbbbbbbbbbbbbbbb",
                "legacy-id",
                "0000000000000064aaaaaaaaaaaaaaaa"
            ]
        );
        let thread = store.audit_conversation("legacy-id", 10).await.unwrap();
        let ids: Vec<&str> = thread.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["0000000000000064aaaaaaaaaaaaaaaa", "legacy-id"]);
        store.close().await;
    }

    #[test]
    fn both_backends_have_the_same_versions() {
        let versions = |set: &[(i64, &str, &str)]| set.iter().map(|m| m.0).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        assert!(versions(SQLITE).windows(2).all(|w| w[0] < w[1]));
    }
}
