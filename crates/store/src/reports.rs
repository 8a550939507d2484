//! Usage aggregates for the dashboard: totals, time buckets, per model and per user path.
//!
//! Cost sums add only rows that have a cost: `SUM` skips NULLs, so an unpriced request never
//! shows up as `$0`; instead it is counted in `unpriced_requests` (cost source `unpriced`, or
//! no total cost at all). Every aggregate over an empty range is zero rather than NULL, and the
//! casts pin the result types (PostgreSQL's `SUM(bigint)` is `numeric`).

use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::exec::RowGet;
use crate::filter::{UsageFilter, Where};
use crate::rollup;
use crate::sql::Sql;
use crate::store::Store;

/// Totals over the matching usage rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageSummary {
    pub total_requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub cached_input_tokens: i64,
    pub input_cost: f64,
    pub output_cost: f64,
    pub total_cost: f64,
    pub unpriced_requests: i64,
}

/// Totals for one UTC time bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UsageBucket {
    /// Start of the bucket, unix microseconds (a multiple of the bucket width).
    pub bucket_start_us: i64,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub input_cost: f64,
    pub output_cost: f64,
    pub total_cost: f64,
    pub unpriced_requests: i64,
    /// Requests that ended with status 400 or above.
    pub errors: i64,
}

/// Totals for one provider/model pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelUsage {
    pub provider_name: String,
    pub provider_type: String,
    pub model: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub input_cost: f64,
    pub output_cost: f64,
    pub total_cost: f64,
    pub unpriced_requests: i64,
}

/// Totals for one user path (exactly that path, not its subtree).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UserPathUsage {
    pub user_path: String,
    pub requests: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub total_cost: f64,
    pub unpriced_requests: i64,
}

/// The token and cost sums both sources share (the rollup columns carry the same names).
macro_rules! sums {
    () => {
        "CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT) AS a_input_tokens, \
         CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT) AS a_output_tokens, \
         CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS a_total_tokens, \
         CAST(COALESCE(SUM(cached_input_tokens), 0) AS BIGINT) AS a_cached_input_tokens, \
         CAST(COALESCE(SUM(input_cost), 0) AS DOUBLE PRECISION) AS a_input_cost, \
         CAST(COALESCE(SUM(output_cost), 0) AS DOUBLE PRECISION) AS a_output_cost, \
         CAST(COALESCE(SUM(total_cost), 0) AS DOUBLE PRECISION) AS a_total_cost, "
    };
}

/// Where a report reads from: the rollups when they answer the filter exactly (almost always:
/// the admin API's ranges are whole local days), otherwise the per-request rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Usage,
    Rollup,
}

impl Source {
    fn for_filter(filter: &UsageFilter) -> Self {
        if rollup::serves(filter) {
            Source::Rollup
        } else {
            Source::Usage
        }
    }

    fn table(self) -> &'static str {
        match self {
            Source::Usage => " FROM usage",
            Source::Rollup => " FROM usage_rollup",
        }
    }

    fn time_column(self) -> &'static str {
        match self {
            Source::Usage => "ts_us",
            Source::Rollup => "bucket_us",
        }
    }

    /// The aggregate columns every report shares. Aliases carry an `a_` prefix so that no
    /// alias shadows a real column inside another expression (SQLite resolves aliases in ORDER
    /// BY). Cost sums skip unpriced rows; the casts pin the result types on PostgreSQL.
    fn aggregates(self) -> &'static str {
        match self {
            Source::Usage => {
                concat!(
                    "COUNT(*) AS a_requests, ",
                    sums!(),
                    "COUNT(CASE WHEN cost_source = 'unpriced' OR total_cost IS NULL THEN 1 END) \
                     AS a_unpriced, COUNT(CASE WHEN status_code >= 400 THEN 1 END) AS a_errors"
                )
            }
            Source::Rollup => {
                concat!(
                    "CAST(COALESCE(SUM(requests), 0) AS BIGINT) AS a_requests, ",
                    sums!(),
                    "CAST(COALESCE(SUM(unpriced), 0) AS BIGINT) AS a_unpriced, \
                     CAST(COALESCE(SUM(errors), 0) AS BIGINT) AS a_errors"
                )
            }
        }
    }

    /// Most expensive first; groups with no priced row at all after every priced one (even a
    /// $0 one); then the busiest.
    fn cost_order(self) -> &'static str {
        match self {
            Source::Usage => " ORDER BY SUM(total_cost) DESC NULLS LAST, COUNT(*) DESC",
            Source::Rollup => {
                " ORDER BY CASE WHEN SUM(priced) > 0 THEN SUM(total_cost) END DESC NULLS LAST, \
                 SUM(requests) DESC"
            }
        }
    }

    fn filter<'a>(self, sql: &'a mut Sql) -> Where<'a> {
        match self {
            Source::Usage => Where::new(sql),
            Source::Rollup => Where::on_rollup(sql),
        }
    }
}

fn summary_from_row(r: &dyn RowGet) -> sqlx::Result<UsageSummary> {
    Ok(UsageSummary {
        total_requests: r.int("a_requests")?,
        input_tokens: r.int("a_input_tokens")?,
        output_tokens: r.int("a_output_tokens")?,
        total_tokens: r.int("a_total_tokens")?,
        cached_input_tokens: r.int("a_cached_input_tokens")?,
        input_cost: r.float("a_input_cost")?,
        output_cost: r.float("a_output_cost")?,
        total_cost: r.float("a_total_cost")?,
        unpriced_requests: r.int("a_unpriced")?,
    })
}

fn bucket_from_row(r: &dyn RowGet) -> sqlx::Result<UsageBucket> {
    Ok(UsageBucket {
        bucket_start_us: r.int("bucket_start_us")?,
        requests: r.int("a_requests")?,
        input_tokens: r.int("a_input_tokens")?,
        output_tokens: r.int("a_output_tokens")?,
        total_tokens: r.int("a_total_tokens")?,
        input_cost: r.float("a_input_cost")?,
        output_cost: r.float("a_output_cost")?,
        total_cost: r.float("a_total_cost")?,
        unpriced_requests: r.int("a_unpriced")?,
        errors: r.int("a_errors")?,
    })
}

fn model_usage_from_row(r: &dyn RowGet) -> sqlx::Result<ModelUsage> {
    Ok(ModelUsage {
        provider_name: r.text("provider_name")?,
        provider_type: r.text("provider_type")?,
        model: r.text("model")?,
        requests: r.int("a_requests")?,
        input_tokens: r.int("a_input_tokens")?,
        output_tokens: r.int("a_output_tokens")?,
        total_tokens: r.int("a_total_tokens")?,
        input_cost: r.float("a_input_cost")?,
        output_cost: r.float("a_output_cost")?,
        total_cost: r.float("a_total_cost")?,
        unpriced_requests: r.int("a_unpriced")?,
    })
}

fn user_path_usage_from_row(r: &dyn RowGet) -> sqlx::Result<UserPathUsage> {
    Ok(UserPathUsage {
        user_path: r.text("user_path")?,
        requests: r.int("a_requests")?,
        input_tokens: r.int("a_input_tokens")?,
        output_tokens: r.int("a_output_tokens")?,
        total_tokens: r.int("a_total_tokens")?,
        total_cost: r.float("a_total_cost")?,
        unpriced_requests: r.int("a_unpriced")?,
    })
}

impl Store {
    /// Totals over the matching rows (all zero when nothing matches).
    pub async fn usage_summary(&self, filter: &UsageFilter) -> Result<UsageSummary> {
        let source = Source::for_filter(filter);
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(source.aggregates()).push(source.table());
        source.filter(&mut sql).usage(filter);
        self.fetch_one(sql, summary_from_row).await
    }

    /// Totals per UTC bucket of `bucket_seconds`, oldest first; buckets without rows are
    /// omitted. Buckets are aligned to the Unix epoch, so 900 gives quarter hours that any
    /// whole-quarter-hour time zone can regroup into local days.
    pub async fn usage_buckets(
        &self,
        filter: &UsageFilter,
        bucket_seconds: i64,
    ) -> Result<Vec<UsageBucket>> {
        let width_us = bucket_seconds
            .checked_mul(1_000_000)
            .filter(|w| *w > 0)
            .ok_or_else(|| {
                StoreError::Unsupported(format!(
                    "bucket width must be a positive number of seconds, got {bucket_seconds}"
                ))
            })?;
        let source = if width_us % rollup::BUCKET_US == 0 {
            Source::for_filter(filter)
        } else {
            Source::Usage
        };
        let ts = source.time_column();
        // Floor division that is also right for negative timestamps (`/` and `%` truncate
        // toward zero on both backends).
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(ts)
            .push(" - ((")
            .push(ts)
            .push(" % ")
            .bind(width_us)
            .push(" + ")
            .bind(width_us)
            .push(") % ")
            .bind(width_us)
            .push(") AS bucket_start_us, ")
            .push(source.aggregates())
            .push(source.table());
        source.filter(&mut sql).usage(filter);
        sql.push(" GROUP BY 1 ORDER BY 1");
        self.fetch_all(sql, bucket_from_row).await
    }

    /// Totals per (provider name, provider type, resolved model), most expensive first.
    pub async fn usage_by_model(&self, filter: &UsageFilter) -> Result<Vec<ModelUsage>> {
        let source = Source::for_filter(filter);
        let mut sql = Sql::new(
            self.dialect(),
            "SELECT provider_name, provider_type, model, ",
        );
        sql.push(source.aggregates()).push(source.table());
        source.filter(&mut sql).usage(filter);
        sql.push(" GROUP BY provider_name, provider_type, model")
            .push(source.cost_order())
            .push(", provider_name, model");
        self.fetch_all(sql, model_usage_from_row).await
    }

    /// Totals per exact user path, most expensive first.
    pub async fn usage_by_user_path(&self, filter: &UsageFilter) -> Result<Vec<UserPathUsage>> {
        let source = Source::for_filter(filter);
        let mut sql = Sql::new(self.dialect(), "SELECT user_path, ");
        sql.push(source.aggregates()).push(source.table());
        source.filter(&mut sql).usage(filter);
        sql.push(" GROUP BY user_path")
            .push(source.cost_order())
            .push(", user_path");
        self.fetch_all(sql, user_path_usage_from_row).await
    }
}
