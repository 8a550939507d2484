//! Usage rollups: totals per quarter hour and per (provider, model, requested model, user path),
//! kept next to the per-request `usage` table so the reports never scan it.
//!
//! Why: the reports (summary, buckets, by model, by user path) used to aggregate the per-request
//! table through three covering indexes. Each insert then updated seven B-trees, which made
//! usage rows cost +60% CPU per request at saturation on SQLite (bench/findings.md). Now the
//! per-request table keeps only its primary key and a time index (for the log page), and each
//! batch the writer stores also adds its totals into `usage_rollup` in the same transaction:
//! a handful of upserts per batch instead of index entries per row.
//!
//! Correctness rules:
//! - Only rows the batch really inserted are added (the insert returns their ids), so a retried
//!   batch whose first attempt did commit adds nothing twice.
//! - Quarter hours (epoch-aligned) are the bucket because every time zone's offset is a whole
//!   number of quarter hours: local days, weeks and months are unions of buckets. A filter whose
//!   bounds are not on a bucket edge, or that searches substrings (request ids are not in the
//!   rollup), is answered from the per-request table instead ([`serves`]).
//! - Re-pricing rewrites costs of stored rows; it then rebuilds the rollups of the buckets it
//!   touched from the per-request rows, in the same transaction ([`rebuild`]).
//! - Cost sums skip unpriced rows and `priced` counts the rows that had a cost, so a group with
//!   no priced row still reads as "no cost" rather than `$0` when ordering.

use std::collections::HashMap;

use crate::filter::UsageFilter;
use crate::records::UsageRow;
use crate::sql::{Dialect, Sql};

/// Bucket width: 15 minutes, in microseconds.
pub(crate) const BUCKET_US: i64 = 900 * 1_000_000;

/// Rollup rows per upsert statement (17 values each, well inside both parameter limits).
const UPSERT_ROWS: usize = 500;

const KEY_COLUMNS: &str =
    "bucket_us, provider_name, provider_type, model, requested_model, user_path";

const COLUMNS: &str = "bucket_us, provider_name, provider_type, model, requested_model, \
    user_path, requests, errors, unpriced, priced, input_tokens, output_tokens, total_tokens, \
    cached_input_tokens, input_cost, output_cost, total_cost";

/// The aggregate of per-request rows into rollup columns (after the key columns), the same
/// definitions the writer applies in [`Totals::add`].
const FROM_USAGE: &str = "COUNT(*), \
    COUNT(CASE WHEN status_code >= 400 THEN 1 END), \
    COUNT(CASE WHEN cost_source = 'unpriced' OR total_cost IS NULL THEN 1 END), \
    COUNT(total_cost), \
    COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), \
    COALESCE(SUM(total_tokens), 0), COALESCE(SUM(cached_input_tokens), 0), \
    COALESCE(SUM(input_cost), 0), COALESCE(SUM(output_cost), 0), COALESCE(SUM(total_cost), 0)";

/// The start of the bucket holding `ts_us` (floor, also for times before 1970).
pub(crate) fn bucket_start(ts_us: i64) -> i64 {
    ts_us - ts_us.rem_euclid(BUCKET_US)
}

/// Whether the rollups answer `filter` exactly.
pub(crate) fn serves(filter: &UsageFilter) -> bool {
    let on_edge = |bound: Option<i64>| bound.is_none_or(|ts| ts.rem_euclid(BUCKET_US) == 0);
    let searching = filter.search.as_deref().is_some_and(|s| !s.is_empty());
    !searching && on_edge(filter.from_us) && on_edge(filter.to_us)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key<'a> {
    bucket_us: i64,
    provider_name: &'a str,
    provider_type: &'a str,
    model: &'a str,
    requested_model: &'a str,
    user_path: &'a str,
}

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    requests: i64,
    errors: i64,
    unpriced: i64,
    priced: i64,
    input_tokens: i64,
    output_tokens: i64,
    total_tokens: i64,
    cached_input_tokens: i64,
    input_cost: f64,
    output_cost: f64,
    total_cost: f64,
}

impl Totals {
    fn add(&mut self, row: &UsageRow) {
        self.requests += 1;
        self.errors += i64::from(row.status_code >= 400);
        self.unpriced += i64::from(row.cost_source == "unpriced" || row.total_cost.is_none());
        self.priced += i64::from(row.total_cost.is_some());
        self.input_tokens = self.input_tokens.saturating_add(row.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(row.output_tokens);
        self.total_tokens = self.total_tokens.saturating_add(row.total_tokens);
        self.cached_input_tokens = self
            .cached_input_tokens
            .saturating_add(row.cached_input_tokens);
        self.input_cost += row.input_cost.unwrap_or(0.0);
        self.output_cost += row.output_cost.unwrap_or(0.0);
        self.total_cost += row.total_cost.unwrap_or(0.0);
    }
}

/// The statements that add `rows` to the rollups (none for no rows).
pub(crate) fn add<'a>(dialect: Dialect, rows: impl IntoIterator<Item = &'a UsageRow>) -> Vec<Sql> {
    let mut groups: HashMap<Key<'a>, Totals> = HashMap::new();
    for row in rows {
        let key = Key {
            bucket_us: bucket_start(row.ts_us),
            provider_name: &row.provider_name,
            provider_type: &row.provider_type,
            model: &row.model,
            requested_model: &row.requested_model,
            user_path: &row.user_path,
        };
        groups.entry(key).or_default().add(row);
    }
    let groups: Vec<(Key<'a>, Totals)> = groups.into_iter().collect();
    groups
        .chunks(UPSERT_ROWS)
        .map(|chunk| upsert(dialect, chunk))
        .collect()
}

/// `INSERT ... ON CONFLICT DO UPDATE` adding each group's totals to its stored row. Each key
/// appears once per statement (PostgreSQL refuses to update one row twice in a statement).
fn upsert(dialect: Dialect, groups: &[(Key<'_>, Totals)]) -> Sql {
    let mut sql = Sql::new(dialect, "INSERT INTO usage_rollup (");
    sql.push(COLUMNS).push(") VALUES ");
    for (i, (key, t)) in groups.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind_tuple([
            key.bucket_us.into(),
            key.provider_name.into(),
            key.provider_type.into(),
            key.model.into(),
            key.requested_model.into(),
            key.user_path.into(),
            t.requests.into(),
            t.errors.into(),
            t.unpriced.into(),
            t.priced.into(),
            t.input_tokens.into(),
            t.output_tokens.into(),
            t.total_tokens.into(),
            t.cached_input_tokens.into(),
            t.input_cost.into(),
            t.output_cost.into(),
            t.total_cost.into(),
        ]);
    }
    sql.push(" ON CONFLICT (")
        .push(KEY_COLUMNS)
        .push(") DO UPDATE SET ");
    const SUMMED: [&str; 11] = [
        "requests",
        "errors",
        "unpriced",
        "priced",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cached_input_tokens",
        "input_cost",
        "output_cost",
        "total_cost",
    ];
    for (i, column) in SUMMED.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(column)
            .push(" = usage_rollup.")
            .push(column)
            .push(" + excluded.")
            .push(column);
    }
    sql.one_off()
}

/// Statements that recompute the rollups of every bucket overlapping `[from_us, to_us]` from the
/// per-request rows. On PostgreSQL the rollup table is locked against concurrent writers first:
/// a writer's batch that commits before the lock is counted by the recomputation, and one that
/// commits after adds its totals on top of it, so nothing is counted twice or lost.
pub(crate) fn rebuild(dialect: Dialect, from_us: i64, to_us: i64) -> Vec<Sql> {
    let start = bucket_start(from_us);
    let end = bucket_start(to_us).saturating_add(BUCKET_US);
    let mut statements = Vec::with_capacity(3);
    if dialect == Dialect::Postgres {
        statements.push(Sql::new(
            dialect,
            "LOCK TABLE usage_rollup IN SHARE ROW EXCLUSIVE MODE",
        ));
    }
    let mut delete = Sql::new(dialect, "DELETE FROM usage_rollup WHERE bucket_us >= ");
    delete.bind(start).push(" AND bucket_us < ").bind(end);
    statements.push(delete);

    let mut insert = Sql::new(dialect, "INSERT INTO usage_rollup (");
    insert
        .push(COLUMNS)
        .push(") SELECT ")
        .push(&bucket_expression("ts_us"))
        .push(", provider_name, provider_type, model, requested_model, user_path, ")
        .push(FROM_USAGE)
        .push(" FROM usage WHERE ts_us >= ")
        .bind(start)
        .push(" AND ts_us < ")
        .bind(end)
        .push(" GROUP BY 1, 2, 3, 4, 5, 6");
    statements.push(insert);
    statements
}

/// Deletes the rollups of buckets that end at or before `ts_us` (retention).
pub(crate) fn delete_before(dialect: Dialect, ts_us: i64) -> Sql {
    let mut sql = Sql::new(dialect, "DELETE FROM usage_rollup WHERE bucket_us < ");
    sql.bind(bucket_start(ts_us));
    sql
}

/// SQL for the quarter-hour bucket of a microsecond column (floor division that is also right
/// for negative values: `%` truncates toward zero on both backends).
fn bucket_expression(column: &str) -> String {
    format!("{column} - (({column} % {BUCKET_US}) + {BUCKET_US}) % {BUCKET_US}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_floor_to_quarter_hours_before_and_after_the_epoch() {
        assert_eq!(bucket_start(0), 0);
        assert_eq!(bucket_start(BUCKET_US - 1), 0);
        assert_eq!(bucket_start(BUCKET_US), BUCKET_US);
        assert_eq!(bucket_start(-1), -BUCKET_US);
    }

    #[test]
    fn rollups_serve_bucket_aligned_filters_without_search() {
        let aligned = UsageFilter {
            from_us: Some(4 * BUCKET_US),
            to_us: Some(100 * BUCKET_US),
            model: Some("m".into()),
            ..Default::default()
        };
        assert!(serves(&aligned));
        assert!(serves(&UsageFilter::default()));
        assert!(!serves(&UsageFilter {
            from_us: Some(BUCKET_US + 1),
            ..aligned.clone()
        }));
        assert!(!serves(&UsageFilter {
            search: Some("req-1".into()),
            ..aligned.clone()
        }));
        assert!(serves(&UsageFilter {
            search: Some(String::new()),
            ..aligned
        }));
    }
}
