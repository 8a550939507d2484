//! Writing and listing usage rows, re-pricing them, and retention.
//!
//! Inserts are batched into multi-row statements (one round trip and one index update pass per
//! batch instead of per row) inside one transaction, and `ON CONFLICT (id) DO NOTHING` makes a
//! retried batch harmless.

use crate::error::Result;
use crate::exec::RowGet;
use crate::filter::{UsageFilter, Where};
use crate::records::{CostUpdate, Page, UsageRow};
use crate::sql::{Arg, Sql};
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
        raw_usage: r.opt_json("raw_usage")?,
        input_cost: r.opt_float("input_cost")?,
        output_cost: r.opt_float("output_cost")?,
        total_cost: r.opt_float("total_cost")?,
        cost_source: r.text("cost_source")?,
        cost_caveat: r.opt_text("cost_caveat")?,
        error_code: r.opt_text("error_code")?,
    })
}

pub(crate) fn count_from_row(r: &dyn RowGet) -> sqlx::Result<i64> {
    r.int("n")
}

impl Store {
    /// Stores usage rows; rows whose id is already stored are skipped, so retries are safe.
    pub async fn insert_usage(&self, rows: &[UsageRow]) -> Result<()> {
        self.insert_skipping_existing("usage", USAGE_COLUMNS, rows, usage_values)
            .await
    }

    /// Matching usage rows, newest first, with the total number of matches.
    pub async fn usage_log(
        &self,
        filter: &UsageFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<UsageRow>> {
        let mut count = Sql::new(self.dialect(), "SELECT COUNT(*) AS n FROM usage");
        Where::new(&mut count).usage(filter);
        let total = self.fetch_one(count, count_from_row).await?;

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

    /// One page of matching rows in id order, starting after `after_id`: keyset paging, so a
    /// re-pricing run over millions of rows never re-reads or skips rows as it updates them.
    pub async fn usage_for_repricing(
        &self,
        filter: &UsageFilter,
        after_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<UsageRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(USAGE_COLUMNS).push(" FROM usage");
        let mut conditions = Where::new(&mut sql).time_bounds_not_indexed();
        conditions.usage(filter);
        if let Some(after) = after_id {
            conditions.and().push("id > ").bind(after);
        }
        sql.push(" ORDER BY id LIMIT ").bind(i64::from(limit));
        self.fetch_all(sql, usage_from_row).await
    }

    /// Replaces the costs of the given rows; returns how many rows were found and updated.
    pub async fn update_usage_costs(&self, updates: &[CostUpdate]) -> Result<u64> {
        if updates.is_empty() {
            return Ok(0);
        }
        // One UPDATE ... FROM (VALUES ...) per batch; both backends name VALUES columns
        // column1..columnN, which saves a dialect-specific alias list.
        let statements = updates
            .chunks(BATCH_ROWS)
            .map(|chunk| {
                let mut sql = Sql::new(
                    self.dialect(),
                    "UPDATE usage SET input_cost = v.column2, output_cost = v.column3, \
                     total_cost = v.column4, cost_source = v.column5, cost_caveat = v.column6 \
                     FROM (VALUES ",
                );
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
                    ]);
                }
                sql.push(") AS v WHERE usage.id = v.column1");
                sql.one_off()
            })
            .collect();
        self.execute_in_transaction(statements).await
    }

    /// Deletes usage rows older than `ts_us`; returns how many were deleted.
    pub async fn delete_usage_before(&self, ts_us: i64) -> Result<u64> {
        self.delete_in_batches("usage", ts_us).await
    }

    /// Deletes rows of `table` with `ts_us` before the cut-off, [`DELETE_BATCH_ROWS`] at a time.
    pub(crate) async fn delete_in_batches(&self, table: &'static str, ts_us: i64) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let mut sql = Sql::new(self.dialect(), "DELETE FROM ");
            sql.push(table)
                .push(" WHERE id IN (SELECT id FROM ")
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
