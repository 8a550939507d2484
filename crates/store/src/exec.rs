//! Running a [`Sql`] on whichever backend the store has, and reading columns back through one
//! object-safe [`RowGet`] view, so the query modules never match on the backend.
//!
//! Reads on SQLite go to the reader pool and writes to the single writer connection; on
//! PostgreSQL both use the one pool.

use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{AssertSqlSafe, Postgres, Row, Sqlite};

use crate::error::Result;
use crate::records::RawJson;
use crate::sql::{Arg, Dialect, Sql, fixed_size_chunks};
use crate::store::{Backend, Store};
/// Rows per statement of [`Store::insert_skipping_existing`], largest first (see
/// [`fixed_size_chunks`]).
const INSERT_SIZES: [usize; 3] = [64, 8, 1];

/// Typed column access by name, the same for both backends' rows.
pub(crate) trait RowGet {
    fn text(&self, col: &str) -> sqlx::Result<String>;
    fn opt_text(&self, col: &str) -> sqlx::Result<Option<String>>;
    fn int(&self, col: &str) -> sqlx::Result<i64>;
    fn int32(&self, col: &str) -> sqlx::Result<i32>;
    fn float(&self, col: &str) -> sqlx::Result<f64>;
    fn opt_float(&self, col: &str) -> sqlx::Result<Option<f64>>;
    fn boolean(&self, col: &str) -> sqlx::Result<bool>;
    fn json(&self, col: &str) -> sqlx::Result<Value>;
    fn opt_raw_json(&self, col: &str) -> sqlx::Result<Option<RawJson>>;
}

macro_rules! impl_row_get {
    ($row:ty) => {
        impl RowGet for $row {
            fn text(&self, col: &str) -> sqlx::Result<String> {
                self.try_get(col)
            }
            fn opt_text(&self, col: &str) -> sqlx::Result<Option<String>> {
                self.try_get(col)
            }
            fn int(&self, col: &str) -> sqlx::Result<i64> {
                self.try_get(col)
            }
            fn int32(&self, col: &str) -> sqlx::Result<i32> {
                self.try_get(col)
            }
            fn float(&self, col: &str) -> sqlx::Result<f64> {
                self.try_get(col)
            }
            fn opt_float(&self, col: &str) -> sqlx::Result<Option<f64>> {
                self.try_get(col)
            }
            fn boolean(&self, col: &str) -> sqlx::Result<bool> {
                self.try_get(col)
            }
            fn json(&self, col: &str) -> sqlx::Result<Value> {
                self.try_get(col)
            }
            fn opt_raw_json(&self, col: &str) -> sqlx::Result<Option<RawJson>> {
                let raw: Option<sqlx::types::Json<Box<serde_json::value::RawValue>>> =
                    self.try_get(col)?;
                Ok(raw.map(|json| RawJson::new(json.0)))
            }
        }
    };
}

impl_row_get!(SqliteRow);
impl_row_get!(PgRow);

/// Turns one row into a value; a plain fn so it can serve both row types.
pub(crate) type Decode<T> = fn(&dyn RowGet) -> sqlx::Result<T>;

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Int32(v) => query.bind(v),
                Arg::Float(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
                Arg::Bool(v) => query.bind(v),
                Arg::Json(v) => query.bind(v),
                Arg::RawJson(v) => query.bind(v.map(|raw| sqlx::types::Json(raw.into_raw()))),
            };
        }
        query
    }};
}

// AssertSqlSafe: `Sql` text is assembled only from this crate's fixed fragments; caller values
// are always bound (see crate::sql).
pub(crate) fn sqlite_query(sql: Sql) -> Query<'static, Sqlite, SqliteArguments> {
    bind_all!(sqlx::query(AssertSqlSafe(sql.text)), sql.args).persistent(sql.cached)
}

fn pg_query(sql: Sql) -> Query<'static, Postgres, PgArguments> {
    bind_all!(sqlx::query(AssertSqlSafe(sql.text)), sql.args).persistent(sql.cached)
}

impl Store {
    /// Runs a read and decodes every row.
    pub(crate) async fn fetch_all<T>(&self, sql: Sql, decode: Decode<T>) -> Result<Vec<T>> {
        let rows = match &self.backend {
            Backend::Sqlite { reader, .. } => sqlite_query(sql)
                .fetch_all(reader)
                .await?
                .iter()
                .map(|row| decode(row))
                .collect::<sqlx::Result<Vec<T>>>()?,
            Backend::Postgres(pool) => pg_query(sql)
                .fetch_all(pool)
                .await?
                .iter()
                .map(|row| decode(row))
                .collect::<sqlx::Result<Vec<T>>>()?,
        };
        Ok(rows)
    }

    /// Runs a read expected to return at most one row.
    pub(crate) async fn fetch_optional<T>(&self, sql: Sql, decode: Decode<T>) -> Result<Option<T>> {
        let row = match &self.backend {
            Backend::Sqlite { reader, .. } => sqlite_query(sql)
                .fetch_optional(reader)
                .await?
                .map(|row| decode(&row))
                .transpose()?,
            Backend::Postgres(pool) => pg_query(sql)
                .fetch_optional(pool)
                .await?
                .map(|row| decode(&row))
                .transpose()?,
        };
        Ok(row)
    }

    /// Runs a read that always returns exactly one row (an aggregate).
    pub(crate) async fn fetch_one<T>(&self, sql: Sql, decode: Decode<T>) -> Result<T> {
        let value = match &self.backend {
            Backend::Sqlite { reader, .. } => decode(&sqlite_query(sql).fetch_one(reader).await?)?,
            Backend::Postgres(pool) => decode(&pg_query(sql).fetch_one(pool).await?)?,
        };
        Ok(value)
    }

    /// Runs one write statement on its own; returns the rows affected.
    pub(crate) async fn execute(&self, sql: Sql) -> Result<u64> {
        let affected = match &self.backend {
            Backend::Sqlite { writer, .. } => {
                sqlite_query(sql).execute(writer).await?.rows_affected()
            }
            Backend::Postgres(pool) => pg_query(sql).execute(pool).await?.rows_affected(),
        };
        Ok(affected)
    }

    /// Inserts `rows` into `table` in one transaction, in multi-row statements of the fixed
    /// sizes [`INSERT_SIZES`]: the same few statement texts serve every batch and stay prepared
    /// on each connection (a one-off statement of the batch's size was parsed afresh every
    /// batch, ~15,000 instructions per audit row). Rows whose id is already stored are skipped,
    /// so a writer may retry a batch whose first attempt timed out after committing.
    pub(crate) async fn insert_skipping_existing<R, const N: usize>(
        &self,
        table: &str,
        columns: &str,
        rows: &[R],
        values: fn(&R) -> [Arg; N],
    ) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let statements = fixed_size_chunks(rows, &INSERT_SIZES)
            .into_iter()
            .map(|(_, chunk)| {
                let mut sql = Sql::new(self.dialect(), "INSERT INTO ");
                sql.push(table).push(" (").push(columns).push(") VALUES ");
                for (i, row) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_tuple(values(row));
                }
                sql.push(" ON CONFLICT (id) DO NOTHING");
                sql
            })
            .collect();
        self.execute_in_transaction(statements).await?;
        self.note_rows_written(rows.len()).await;
        Ok(())
    }

    /// Runs write statements in one transaction (all or nothing); returns the rows affected.
    pub(crate) async fn execute_in_transaction(&self, statements: Vec<Sql>) -> Result<u64> {
        let mut affected = 0;
        let mut tx = self.begin_write().await?;
        for sql in statements {
            affected += tx.execute(sql).await?;
        }
        tx.commit().await?;
        Ok(affected)
    }
}

/// One write transaction on whichever backend the store runs, for work that must read its own
/// writes before committing (a usage batch and the rollups of the rows it really inserted).
pub(crate) enum WriteTx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl WriteTx {
    pub(crate) async fn execute(&mut self, sql: Sql) -> Result<u64> {
        Ok(match self {
            WriteTx::Sqlite(tx) => sqlite_query(sql).execute(&mut **tx).await?.rows_affected(),
            WriteTx::Postgres(tx) => pg_query(sql).execute(&mut **tx).await?.rows_affected(),
        })
    }

    pub(crate) async fn fetch_all<T>(&mut self, sql: Sql, decode: Decode<T>) -> Result<Vec<T>> {
        let rows = match self {
            WriteTx::Sqlite(tx) => sqlite_query(sql)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| decode(row))
                .collect::<sqlx::Result<Vec<T>>>()?,
            WriteTx::Postgres(tx) => pg_query(sql)
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|row| decode(row))
                .collect::<sqlx::Result<Vec<T>>>()?,
        };
        Ok(rows)
    }

    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await?,
            WriteTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> Result<()> {
        match self {
            WriteTx::Sqlite(tx) => tx.rollback().await?,
            WriteTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            WriteTx::Sqlite(_) => Dialect::Sqlite,
            WriteTx::Postgres(_) => Dialect::Postgres,
        }
    }
}

impl Store {
    /// Starts a write transaction (on SQLite `BEGIN IMMEDIATE`, which takes the write lock up
    /// front so another process's writer makes us wait instead of failing midway).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx> {
        Ok(match &self.backend {
            Backend::Sqlite { writer, .. } => {
                WriteTx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?)
            }
            Backend::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }
}
