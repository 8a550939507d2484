//! SQLite's index from a response id to the audit entries that produced it, built in bulk
//! (migrations/sqlite/0007).
//!
//! Response ids are random, so indexing each entry as it is written puts it on a random page of
//! the index, and a batch of hundreds of entries rewrites nearly every page of the index to the
//! WAL (and later to the database file). Instead, each batch appends its ids to
//! `audit_thread_tail`, a small table written only at its end, and once the tail holds
//! [`MERGE_ROWS`] ids they move into the sorted `audit_thread_index` in one ordered pass inside
//! that batch's transaction: each index page is then rewritten once for thousands of ids. A
//! lookup reads the index (a seek) and the tail (a scan of at most [`MERGE_ROWS`] short rows).
//!
//! Everything lives in the database, so a second process writing the same file, a restart or a
//! failed batch leaves nothing unindexed; the row count kept here only decides when to merge.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::Result;
use crate::exec::WriteTx;
use crate::records::AuditRow;
use crate::sql::{Arg, Dialect, Sql, fixed_size_chunks};
use crate::usage::count_from_row;

/// Ids in the tail that trigger a merge: large enough that a merge rewrites each index page once
/// for many ids, small enough (about a megabyte) that a lookup's scan of the tail stays a few
/// milliseconds.
pub(crate) const MERGE_ROWS: i64 = 20_000;

/// Rows per tail insert, largest first (fixed sizes keep the statements prepared).
const TAIL_INSERT_SIZES: [usize; 3] = [64, 8, 1];

/// This process's count of the ids in the tail; `-1` until the first batch reads it.
#[derive(Debug)]
pub(crate) struct ThreadTail {
    rows: AtomicI64,
    merge_rows: AtomicI64,
}

impl Default for ThreadTail {
    fn default() -> Self {
        Self {
            rows: AtomicI64::new(-1),
            merge_rows: AtomicI64::new(MERGE_ROWS),
        }
    }
}

/// What a batch did to the tail, applied with [`ThreadTail::committed`] once it commits.
#[must_use]
pub(crate) struct TailCount(i64);

impl ThreadTail {
    /// Merges after `rows` ids instead of [`MERGE_ROWS`] (tests).
    #[cfg(test)]
    pub(crate) fn merge_after(&self, rows: i64) {
        self.merge_rows.store(rows, Ordering::Relaxed);
    }

    /// Appends the response ids of `rows` to the tail inside `tx`, and merges the tail into the
    /// index when it has grown to the merge size.
    pub(crate) async fn append(&self, tx: &mut WriteTx, rows: &[AuditRow]) -> Result<TailCount> {
        let ids: Vec<(&str, i64)> = rows
            .iter()
            .filter_map(|row| row.response_id.as_deref().map(|id| (id, row.ts_us)))
            .collect();
        for (_, chunk) in fixed_size_chunks(&ids, &TAIL_INSERT_SIZES) {
            tx.execute(tail_insert(chunk)).await?;
        }
        let mut count = self.rows.load(Ordering::Relaxed);
        if count < 0 {
            let sql = Sql::new(
                Dialect::Sqlite,
                "SELECT COUNT(*) AS n FROM audit_thread_tail",
            );
            count = tx
                .fetch_all(sql, count_from_row)
                .await?
                .first()
                .copied()
                .unwrap_or(0);
        } else {
            count += i64::try_from(ids.len()).unwrap_or(i64::MAX);
        }
        if count >= self.merge_rows.load(Ordering::Relaxed) {
            tx.execute(Sql::new(
                Dialect::Sqlite,
                "INSERT OR IGNORE INTO audit_thread_index (response_id, ts_us) \
                 SELECT response_id, ts_us FROM audit_thread_tail ORDER BY response_id, ts_us",
            ))
            .await?;
            tx.execute(Sql::new(Dialect::Sqlite, "DELETE FROM audit_thread_tail"))
                .await?;
            count = 0;
        }
        Ok(TailCount(count))
    }

    /// Records the tail's size once the batch that changed it has committed.
    pub(crate) fn committed(&self, count: TailCount) {
        self.rows.store(count.0, Ordering::Relaxed);
    }
}

/// `INSERT INTO audit_thread_tail ...` for `ids`, one of [`TAIL_INSERT_SIZES`] long.
fn tail_insert(ids: &[(&str, i64)]) -> Sql {
    let mut sql = Sql::new(
        Dialect::Sqlite,
        "INSERT INTO audit_thread_tail (response_id, ts_us) VALUES ",
    );
    for (i, (id, ts_us)) in ids.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_tuple([Arg::from(*id), Arg::from(*ts_us)]);
    }
    sql
}

/// The condition that picks the entries that produced `response_id` out of `audit_logs`: the
/// times the index and the tail list for it (a seek on the entries' `(ts_us, id)` key), checked
/// against the entry's own copy of the id.
pub(crate) fn produced(sql: &mut Sql, response_id: &str) {
    sql.push("thread_response_id = ")
        .bind(response_id)
        .push(" AND ts_us IN (SELECT ts_us FROM audit_thread_index WHERE response_id = ")
        .bind(response_id)
        .push(" UNION ALL SELECT ts_us FROM audit_thread_tail WHERE response_id = ")
        .bind(response_id)
        .push(")");
}

/// Retention: the index and tail rows of entries older than `ts_us` (one scan of each; the
/// index is small and retention runs rarely).
pub(crate) fn delete_before(ts_us: i64) -> [Sql; 2] {
    ["audit_thread_index", "audit_thread_tail"].map(|table| {
        let mut sql = Sql::new(Dialect::Sqlite, "DELETE FROM ");
        sql.push(table).push(" WHERE ts_us < ").bind(ts_us);
        sql
    })
}

#[cfg(test)]
mod tests {
    use crate::records::{AuditRow, RawJson};
    use crate::store::{Backend, Store, StoreConfig};

    fn entry(n: i64, previous: Option<&str>) -> AuditRow {
        AuditRow {
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
            path: "/v1/responses".into(),
            user_path: "/".into(),
            stream: false,
            client_ip: None,
            error_type: None,
            response_id: Some(format!("resp_{n}")),
            previous_response_id: previous.map(str::to_owned),
            auth_method: None,
            data: RawJson::parse("{}").unwrap(),
            usage: None,
        }
    }

    async fn count(store: &Store, table: &str) -> i64 {
        let Backend::Sqlite { reader, .. } = &store.backend else {
            unreachable!()
        };
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(reader)
            .await
            .unwrap()
    }

    /// A chain of ten entries written in batches of two, merged every three ids: parts of the
    /// chain sit in the index and parts in the tail, and the conversation walks all of it; a
    /// second process's view (a fresh store on the same file) sees the same; retention clears
    /// both tables.
    #[tokio::test]
    async fn threads_are_found_in_the_index_and_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let config = StoreConfig::Sqlite {
            path: dir.path().join("t.db"),
        };
        let store = Store::connect(&config).await.unwrap();
        let Backend::Sqlite { thread_tail, .. } = &store.backend else {
            unreachable!()
        };
        thread_tail.merge_after(3);
        let chain: Vec<AuditRow> = (1..=10)
            .map(|n| {
                let previous = (n > 1).then(|| format!("resp_{}", n - 1));
                entry(n, previous.as_deref())
            })
            .collect();
        for pair in chain.chunks(2) {
            store.insert_audit(pair).await.unwrap();
        }
        // Merges after batches 2 (4 ids) and 4 (4 more): 8 indexed, 2 in the tail.
        assert_eq!(count(&store, "audit_thread_index").await, 8);
        assert_eq!(count(&store, "audit_thread_tail").await, 2);

        let last = &chain[9].id;
        let thread = store.audit_conversation(last, 50).await.unwrap();
        let times: Vec<i64> = thread.iter().map(|e| e.ts_us).collect();
        assert_eq!(times, (1..=10).collect::<Vec<_>>());
        let thread = store.audit_conversation(&chain[0].id, 50).await.unwrap();
        assert_eq!(
            thread.len(),
            10,
            "continuations found from the first entry too"
        );

        let other = Store::connect(&config).await.unwrap();
        assert_eq!(other.audit_conversation(last, 50).await.unwrap().len(), 10);
        other.close().await;

        assert_eq!(store.delete_audit_before(10).await.unwrap(), 9);
        assert_eq!(count(&store, "audit_thread_index").await, 0);
        assert_eq!(count(&store, "audit_thread_tail").await, 1);
        store.close().await;
    }
}
