//! Writing and listing usage rows, re-pricing them, and retention.
//!
//! Inserts are batched into multi-row statements (one round trip and one index update pass per
//! batch instead of per row) inside one transaction, and `ON CONFLICT (id) DO NOTHING` makes a
//! retried batch harmless.

use std::collections::HashSet;

use crate::error::Result;
use crate::exec::{RowGet, WriteTx};
use crate::filter::{UsageFilter, Where};
use crate::json_text::ArrayWriter;
use crate::records::{CostUpdate, Page, RawJson, UsageRow};
use crate::rollup;
use crate::sql::{Arg, Dialect, Sql, fixed_size_chunks};
use crate::store::Store;

/// Rows per multi-row statement: 500 x 28 values stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bound-parameter limits.
pub(crate) const BATCH_ROWS: usize = 500;

/// Rows removed per retention statement, so the SQLite write lock is released between batches
/// and inserts from live traffic are never held up for long.
pub(crate) const DELETE_BATCH_ROWS: i64 = 5_000;

pub(crate) const USAGE_COLUMNS: &str = "id, request_id, provider_response_id, ts_us, \
    provider_name, provider_type, requested_model, model, endpoint, user_path, stream, \
    status_code, latency_ms, ttfb_ms, input_tokens, output_tokens, total_tokens, \
    cached_input_tokens, cache_write_tokens, reasoning_tokens, raw_usage, input_cost, \
    output_cost, total_cost, cost_source, cost_caveat, error_code";

/// The values of [`USAGE_COLUMNS`], in order.
fn usage_values(r: &UsageRow) -> [Arg; 27] {
    [
        r.id.as_str().into(),
        r.request_id.as_str().into(),
        (&r.provider_response_id).into(),
        r.ts_us.into(),
        r.provider_name.as_str().into(),
        r.provider_type.as_str().into(),
        r.requested_model.as_str().into(),
        r.model.as_str().into(),
        r.endpoint.as_str().into(),
        r.user_path.as_str().into(),
        r.stream.into(),
        r.status_code.into(),
        r.latency_ms.into(),
        r.ttfb_ms.into(),
        r.input_tokens.into(),
        r.output_tokens.into(),
        r.total_tokens.into(),
        r.cached_input_tokens.into(),
        r.cache_write_tokens.into(),
        r.reasoning_tokens.into(),
        (&r.raw_usage).into(),
        r.input_cost.into(),
        r.output_cost.into(),
        r.total_cost.into(),
        r.cost_source.as_str().into(),
        (&r.cost_caveat).into(),
        (&r.error_code).into(),
    ]
}

pub(crate) fn usage_from_row(r: &dyn RowGet) -> sqlx::Result<UsageRow> {
    Ok(UsageRow {
        id: r.text("id")?,
        request_id: r.text("request_id")?,
        provider_response_id: r.opt_text("provider_response_id")?,
        ts_us: r.int("ts_us")?,
        provider_name: r.text("provider_name")?,
        provider_type: r.text("provider_type")?,
        requested_model: r.text("requested_model")?,
        model: r.text("model")?,
        endpoint: r.text("endpoint")?,
        user_path: r.text("user_path")?,
        stream: r.boolean("stream")?,
        status_code: r.int32("status_code")?,
        latency_ms: r.float("latency_ms")?,
        ttfb_ms: r.opt_float("ttfb_ms")?,
        input_tokens: r.int("input_tokens")?,
        output_tokens: r.int("output_tokens")?,
        total_tokens: r.int("total_tokens")?,
        cached_input_tokens: r.int("cached_input_tokens")?,
        cache_write_tokens: r.int("cache_write_tokens")?,
        reasoning_tokens: r.int("reasoning_tokens")?,
        raw_usage: r.opt_raw_json("raw_usage")?,
        input_cost: r.opt_float("input_cost")?,
        output_cost: r.opt_float("output_cost")?,
        total_cost: r.opt_float("total_cost")?,
        cost_source: r.text("cost_source")?,
        cost_caveat: r.opt_text("cost_caveat")?,
        error_code: r.opt_text("error_code")?,
    })
}

fn id_from_row(r: &dyn RowGet) -> sqlx::Result<String> {
    r.text("id")
}

/// The ids among `rows` that are already stored (looked up by the `(ts_us, id)` key).
async fn stored_ids(tx: &mut WriteTx, rows: &[UsageRow]) -> Result<HashSet<String>> {
    let mut stored = HashSet::new();
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut sql = Sql::new(tx.dialect(), "SELECT id FROM usage WHERE ");
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            sql.push("(ts_us = ")
                .bind(row.ts_us)
                .push(" AND id = ")
                .bind(row.id.as_str())
                .push(")");
        }
        stored.extend(tx.fetch_all(sql.one_off(), id_from_row).await?);
    }
    Ok(stored)
}

/// Rows per insert statement, largest first: a batch is cut into statements of exactly these
/// sizes, so the same four statement texts serve every batch and stay prepared on each
/// connection (a one-off 500-row statement was parsed afresh every batch: ~4 µs per row). A
/// full batch (the gateway's writer hands over 500 rows under load) is one statement: each
/// statement is a round trip to SQLite's thread, which wakes two threads.
const INSERT_SIZES: [usize; 4] = [BATCH_ROWS, 64, 8, 1];

/// `INSERT INTO usage (...) VALUES (...) x rows ON CONFLICT DO NOTHING` for the row slice; the
/// text of each (dialect, size) is built once. On SQLite a row is its key and one JSON
/// document (see migrations/sqlite/0003); on PostgreSQL it is every column.
fn insert_statement(dialect: Dialect, rows: &[UsageRow]) -> Sql {
    let per_row = match dialect {
        Dialect::Sqlite => 3,
        Dialect::Postgres => 27,
    };
    let mut sql = Sql::prepared(
        dialect,
        &insert_text(dialect, rows.len()),
        rows.len() * per_row,
    );
    for row in rows {
        match dialect {
            Dialect::Sqlite => {
                sql.value(row.id.as_str())
                    .value(row.ts_us)
                    .value(details_text(row));
            }
            Dialect::Postgres => {
                for value in usage_values(row) {
                    sql.value(value);
                }
            }
        }
    }
    sql
}

/// Everything of a usage row but its key, as SQLite stores it: one JSON array in
/// `usage_records.details`, read back by the `usage` view (migrations/sqlite/0003), which
/// lists the same positions; `None` becomes `null`. Written by hand ([`ArrayWriter`]): serde's
/// serialiser of the same array cost twice as much.
fn details_text(r: &UsageRow) -> String {
    let mut details =
        ArrayWriter::with_capacity(256 + r.raw_usage.as_ref().map_or(0, |raw| raw.get().len()));
    details
        .string(&r.request_id) // 0
        .opt_string(r.provider_response_id.as_deref()) // 1
        .string(&r.provider_name) // 2
        .string(&r.provider_type) // 3
        .string(&r.requested_model) // 4
        .string(&r.model) // 5
        .string(&r.endpoint) // 6
        .string(&r.user_path) // 7
        .boolean(r.stream) // 8
        .integer(i64::from(r.status_code)) // 9
        .float(r.latency_ms) // 10
        .opt_float(r.ttfb_ms) // 11
        .integer(r.input_tokens) // 12
        .integer(r.output_tokens) // 13
        .integer(r.total_tokens) // 14
        .integer(r.cached_input_tokens) // 15
        .integer(r.cache_write_tokens) // 16
        .integer(r.reasoning_tokens) // 17
        .raw(r.raw_usage.as_ref().map_or("null", RawJson::get)) // 18
        .opt_float(r.input_cost) // 19
        .opt_float(r.output_cost) // 20
        .opt_float(r.total_cost) // 21
        .string(&r.cost_source) // 22
        .opt_string(r.cost_caveat.as_deref()) // 23
        .opt_string(r.error_code.as_deref()); // 24
    details.finish()
}

/// The table usage rows are written to: `usage` itself on PostgreSQL; on SQLite `usage` is a
/// view over `usage_records`.
pub(crate) fn records_table(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "usage_records",
        Dialect::Postgres => "usage",
    }
}

fn insert_text(dialect: Dialect, rows: usize) -> std::borrow::Cow<'static, str> {
    use std::sync::OnceLock;
    static TEXTS: [[OnceLock<String>; INSERT_SIZES.len()]; 2] =
        [const { [const { OnceLock::new() }; INSERT_SIZES.len()] }; 2];
    let slot = INSERT_SIZES.iter().position(|&size| size == rows);
    let (columns, per_row) = match dialect {
        Dialect::Sqlite => ("id, ts_us, details", 3),
        Dialect::Postgres => (USAGE_COLUMNS, 27),
    };
    let build = || {
        let mut sql = Sql::new(dialect, "INSERT INTO ");
        sql.push(records_table(dialect))
            .push(" (")
            .push(columns)
            .push(") VALUES ");
        for i in 0..rows {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple(std::iter::repeat_n(Arg::Int(0), per_row));
        }
        // No conflict target: the key is `id` on PostgreSQL and `(ts_us, id)` on SQLite.
        sql.push(" ON CONFLICT DO NOTHING");
        sql.text
    };
    let table = match dialect {
        Dialect::Sqlite => &TEXTS[0],
        Dialect::Postgres => &TEXTS[1],
    };
    match slot {
        Some(i) => table[i].get_or_init(build).as_str().into(),
        // Only the sizes above are ever asked for; any other still works, just uncached.
        None => build().into(),
    }
}

pub(crate) fn count_from_row(r: &dyn RowGet) -> sqlx::Result<i64> {
    r.int("n")
}

impl Store {
    /// Stores usage rows; rows whose id is already stored are skipped, so retries are safe.
    /// Each batch also adds its totals to the rollups the reports read (`rollup`), in the same
    /// transaction and only for the rows it really inserted: when some ids were already stored
    /// (a retry of a batch whose first attempt committed after all), the transaction is redone
    /// with the stored ids looked up first.
    pub async fn insert_usage(&self, rows: &[UsageRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        let inserted = self.insert_usage_rows(&mut tx, rows).await?;
        if inserted == rows.len() as u64 {
            for sql in rollup::add(tx.dialect(), rows) {
                tx.execute(sql).await?;
            }
        } else {
            tx.rollback().await?;
            tx = self.begin_write().await?;
            let mut seen = stored_ids(&mut tx, rows).await?;
            // New rows only, each id once (the insert skips a repeated id within the batch too).
            let new: Vec<&UsageRow> = rows.iter().filter(|r| seen.insert(r.id.clone())).collect();
            self.insert_usage_rows(&mut tx, rows).await?;
            for sql in rollup::add(tx.dialect(), new) {
                tx.execute(sql).await?;
            }
        }
        tx.commit().await?;
        self.note_rows_written(rows.len()).await;
        Ok(())
    }

    /// Inserts the rows whose id is not stored yet; returns how many that was.
    async fn insert_usage_rows(&self, tx: &mut WriteTx, rows: &[UsageRow]) -> Result<u64> {
        let mut inserted = 0;
        for (_, chunk) in fixed_size_chunks(rows, &INSERT_SIZES) {
            inserted += tx.execute(insert_statement(tx.dialect(), chunk)).await?;
        }
        Ok(inserted)
    }

    /// Matching usage rows, newest first, with the total number of matches.
    pub async fn usage_log(
        &self,
        filter: &UsageFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<UsageRow>> {
        // Counting a month of per-request rows is a scan; the rollups hold the same count.
        let total = if rollup::serves(filter) {
            let mut count = Sql::new(
                self.dialect(),
                "SELECT CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS n FROM usage_rollup",
            );
            Where::on_rollup(&mut count).usage(filter);
            self.fetch_one(count, count_from_row).await?
        } else {
            let mut count = Sql::new(self.dialect(), "SELECT COUNT(*) AS n FROM usage");
            Where::new(&mut count).usage(filter);
            self.fetch_one(count, count_from_row).await?
        };

        let mut page = Sql::new(self.dialect(), "SELECT ");
        page.push(USAGE_COLUMNS).push(" FROM usage");
        Where::new(&mut page).usage(filter);
        page.push(" ORDER BY ts_us DESC, id DESC LIMIT ")
            .bind(i64::from(limit))
            .push(" OFFSET ")
            .bind(i64::from(offset));
        let items = self.fetch_all(page, usage_from_row).await?;
        Ok(Page { items, total })
    }

    /// One page of matching rows in `(ts_us, id)` order, starting after the key `after`: keyset
    /// paging, so a re-pricing run over millions of rows never re-reads or skips rows as it
    /// updates them, and each page is one range read of the key (SQLite's primary key,
    /// PostgreSQL's `usage_ts_id` index).
    pub async fn usage_for_repricing(
        &self,
        filter: &UsageFilter,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<UsageRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(USAGE_COLUMNS).push(" FROM usage");
        let mut conditions = Where::new(&mut sql);
        conditions.usage(filter);
        if let Some((ts_us, id)) = after {
            conditions
                .and()
                .push("(ts_us, id) > (")
                .bind(ts_us)
                .push(", ")
                .bind(id)
                .push(")");
        }
        sql.push(" ORDER BY ts_us, id LIMIT ")
            .bind(i64::from(limit));
        self.fetch_all(sql, usage_from_row).await
    }

    /// Replaces the costs of the given rows and rebuilds the rollups of the time they span, in
    /// one transaction; returns how many rows were found and updated.
    pub async fn update_usage_costs(&self, updates: &[CostUpdate]) -> Result<u64> {
        if updates.is_empty() {
            return Ok(0);
        }
        // One UPDATE ... FROM (VALUES ...) per batch; both backends name VALUES columns
        // column1..columnN, which saves a dialect-specific alias list.
        let statements = updates
            .chunks(BATCH_ROWS)
            .map(|chunk| {
                let set = match self.dialect() {
                    Dialect::Postgres => {
                        "UPDATE usage SET input_cost = v.column2, output_cost = v.column3, \
                         total_cost = v.column4, cost_source = v.column5, \
                         cost_caveat = v.column6 FROM (VALUES "
                    }
                    // The costs live in the row's JSON document (generated columns read them).
                    // Positions of `Details`.
                    Dialect::Sqlite => {
                        "UPDATE usage_records SET details = json_set(details, \
                         '$[19]', v.column2, '$[20]', v.column3, '$[21]', v.column4, \
                         '$[22]', v.column5, '$[23]', v.column6) FROM (VALUES "
                    }
                };
                let mut sql = Sql::new(self.dialect(), set);
                for (i, u) in chunk.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind_tuple([
                        u.id.as_str().into(),
                        u.input_cost.into(),
                        u.output_cost.into(),
                        u.total_cost.into(),
                        u.cost_source.as_str().into(),
                        (&u.cost_caveat).into(),
                        u.ts_us.into(),
                    ]);
                }
                // Matched on the whole key, which is the SQLite table's primary key.
                let table = records_table(self.dialect());
                sql.push(") AS v WHERE ")
                    .push(table)
                    .push(".ts_us = v.column7 AND ")
                    .push(table)
                    .push(".id = v.column1");
                sql.one_off()
            })
            .collect::<Vec<_>>();
        let mut tx = self.begin_write().await?;
        let mut updated = 0;
        for sql in statements {
            updated += tx.execute(sql).await?;
        }
        for sql in rollup::rebuild(tx.dialect(), updates.iter().map(|u| u.ts_us)) {
            tx.execute(sql).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// Deletes usage rows older than `ts_us`; returns how many were deleted.
    /// The cut-off is rounded down to a quarter hour, the rollups' grain, so that rows and
    /// rollups are deleted in step (a retention cut-off is a day count; 15 minutes more history
    /// is harmless).
    pub async fn delete_usage_before(&self, ts_us: i64) -> Result<u64> {
        let ts_us = rollup::bucket_start(ts_us);
        let table = records_table(self.dialect());
        let deleted = self.delete_in_batches(table, "(ts_us, id)", ts_us).await?;
        self.execute(rollup::delete_before(self.dialect(), ts_us))
            .await?;
        Ok(deleted)
    }

    /// Deletes rows of `table` with `ts_us` before the cut-off, [`DELETE_BATCH_ROWS`] at a time.
    /// `key` is the table's primary key, so each batch deletes by key lookups.
    pub(crate) async fn delete_in_batches(
        &self,
        table: &'static str,
        key: &'static str,
        ts_us: i64,
    ) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let mut sql = Sql::new(self.dialect(), "DELETE FROM ");
            sql.push(table)
                .push(" WHERE ")
                .push(key)
                .push(" IN (SELECT ")
                .push(key.trim_start_matches('(').trim_end_matches(')'))
                .push(" FROM ")
                .push(table)
                .push(" WHERE ts_us < ")
                .bind(ts_us)
                .push(" LIMIT ")
                .bind(DELETE_BATCH_ROWS)
                .push(")");
            let n = self.execute(sql).await?;
            deleted += n;
            if n < DELETE_BATCH_ROWS.unsigned_abs() {
                if deleted > 0 {
                    self.refresh_statistics().await;
                }
                return Ok(deleted);
            }
        }
    }
}
