//! Where a contract case runs: a fresh SQLite file or a fresh PostgreSQL schema.

use std::io::Write;
use std::sync::Mutex;

use gomodel_store::{Store, StoreConfig};
use sqlx::Connection;

const POSTGRES_ENV: &str = "GOMODEL_TEST_POSTGRES_URL";

/// An empty database for one case, removed by [`Target::finish`].
pub struct Target {
    pub config: StoreConfig,
    kind: Kind,
    stores: Mutex<Vec<Store>>,
}

enum Kind {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, schema: String },
}

impl Target {
    /// A path inside a new temp dir, one directory down so `connect` must create it.
    pub fn sqlite() -> Target {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join("gomodel.db");
        Target {
            config: StoreConfig::Sqlite { path },
            kind: Kind::Sqlite(dir),
            stores: Mutex::new(Vec::new()),
        }
    }

    /// A new schema on the server named by `GOMODEL_TEST_POSTGRES_URL`, or `None` (after a loud
    /// notice) when the variable is not set.
    pub async fn postgres() -> Option<Target> {
        #[allow(clippy::disallowed_methods)] // tests read their own switches
        let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
            // Straight to the stderr handle: libtest captures eprintln! of passing tests, and a
            // skip must be visible in a plain `cargo test`.
            let notice =
                format!("SKIPPED: set {POSTGRES_ENV} to run the PostgreSQL contract tests\n");
            std::io::stderr().write_all(notice.as_bytes()).ok();
            return None;
        };
        let schema = format!("gm_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to GOMODEL_TEST_POSTGRES_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create test schema");
        admin.close().await.ok();
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options[search_path]={schema}");
        Some(Target {
            config: StoreConfig::Postgres {
                url,
                max_connections: 5,
            },
            kind: Kind::Postgres { admin_url, schema },
            stores: Mutex::new(Vec::new()),
        })
    }

    /// Opens the store (running migrations); closed again by [`Target::finish`].
    pub fn is_postgres(&self) -> bool {
        matches!(self.kind, Kind::Postgres { .. })
    }

    pub async fn connect(&self) -> Store {
        let store = Store::connect(&self.config).await.expect("connect store");
        self.stores.lock().expect("lock").push(store.clone());
        store
    }

    /// Rows in sqlx's migration ledger: one per applied migration.
    pub async fn applied_migrations(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations";
        match &self.config {
            StoreConfig::Sqlite { path } => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
            StoreConfig::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await.expect("open");
                sqlx::query_scalar(sql)
                    .fetch_one(&mut conn)
                    .await
                    .expect("count")
            }
        }
    }

    /// Closes every store the case opened and drops the database.
    pub async fn finish(self) {
        let stores = std::mem::take(&mut *self.stores.lock().expect("lock"));
        for store in stores {
            store.close().await;
        }
        match self.kind {
            Kind::Sqlite(dir) => drop(dir),
            Kind::Postgres { admin_url, schema } => {
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("reconnect");
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&mut admin)
                    .await
                    .expect("drop test schema");
                admin.close().await.ok();
            }
        }
    }
}
