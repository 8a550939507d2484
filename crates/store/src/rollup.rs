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
//! - Only rows the batch really inserted are added: when the insert stored fewer rows than it
//!   was given (a retry of a batch whose first attempt did commit), the transaction is redone
//!   with the already-stored ids looked up first, so nothing is added twice.
//! - Quarter hours (epoch-aligned) are the bucket because every time zone's offset is a whole
//!   number of quarter hours: local days, weeks and months are unions of buckets. A filter whose
//!   bounds are not on a bucket edge, or that searches substrings (request ids are not in the
//!   rollup), is answered from the per-request table instead ([`serves`]).
//! - Re-pricing rewrites costs of stored rows; it then rebuilds the rollups of the buckets it
//!   touched from the per-request rows, in the same transaction ([`rebuild`]).
//! - Retention deletes rows and rollups before the same quarter-hour edge.
//! - Cost sums skip unpriced rows and `priced` counts the rows that had a cost, so a group with
//!   no priced row still reads as "no cost" rather than `$0` when ordering.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::filter::UsageFilter;
use crate::records::UsageRow;
use crate::sql::{Arg, Dialect, Sql, fixed_size_chunks};

/// Bucket width: 15 minutes, in microseconds.
pub(crate) const BUCKET_US: i64 = 900 * 1_000_000;

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

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key<'a> {
    bucket_us: i64,
    provider_name: Cow<'a, str>,
    provider_type: Cow<'a, str>,
    model: Cow<'a, str>,
    requested_model: Cow<'a, str>,
    user_path: Cow<'a, str>,
}

/// A key column as the database will store it: PostgreSQL gets U+FFFD for U+0000 (see
/// `Arg::replace_nul`), so two spellings that store alike must group alike, or one upsert would
/// carry the same key twice, which PostgreSQL refuses.
fn stored_text(dialect: Dialect, text: &str) -> Cow<'_, str> {
    if dialect == Dialect::Postgres && text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Token counts above this per row are clamped in the rollups: a provider reporting absurd
/// counts must not overflow a BIGINT sum and fail every later batch.
const MAX_TOKENS_PER_ROW: i64 = 1_000_000_000_000;

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
        let clamp = |tokens: i64| tokens.clamp(0, MAX_TOKENS_PER_ROW);
        self.input_tokens += clamp(row.input_tokens);
        self.output_tokens += clamp(row.output_tokens);
        self.total_tokens += clamp(row.total_tokens);
        self.cached_input_tokens += clamp(row.cached_input_tokens);
        self.input_cost += row.input_cost.unwrap_or(0.0);
        self.output_cost += row.output_cost.unwrap_or(0.0);
        self.total_cost += row.total_cost.unwrap_or(0.0);
    }
}

/// The statements that add `rows` to the rollups (none for no rows).
pub(crate) fn add<'a>(dialect: Dialect, rows: impl IntoIterator<Item = &'a UsageRow>) -> Vec<Sql> {
    // Consecutive rows of a batch mostly share their group, so each row is compared with the
    // previous row's group first and hashed only when it differs (hashing the five key strings
    // of every row was ~1,000 instructions per usage row).
    let mut groups: Vec<(Key<'a>, Totals)> = Vec::new();
    let mut positions: HashMap<Key<'a>, usize> = HashMap::new();
    for row in rows {
        let key = Key {
            bucket_us: bucket_start(row.ts_us),
            provider_name: stored_text(dialect, &row.provider_name),
            provider_type: stored_text(dialect, &row.provider_type),
            model: stored_text(dialect, &row.model),
            requested_model: stored_text(dialect, &row.requested_model),
            user_path: stored_text(dialect, &row.user_path),
        };
        if let Some((last, totals)) = groups.last_mut()
            && *last == key
        {
            totals.add(row);
            continue;
        }
        let at = *positions.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Totals::default()));
            groups.len() - 1
        });
        groups[at].1.add(row);
    }
    // Sorted, so concurrent gateways on one PostgreSQL lock shared rollup rows in the same order
    // (in hash order, two batches touching the same rows could deadlock each other).
    groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    fixed_size_chunks(&groups, &UPSERT_SIZES)
        .into_iter()
        .map(|(slot, chunk)| upsert(dialect, slot, chunk))
        .collect()
}

/// Groups per upsert statement, largest first: a batch's groups are cut into statements of
/// exactly these sizes so the same few texts stay prepared on each connection.
const UPSERT_SIZES: [usize; 3] = [32, 4, 1];

/// `INSERT ... ON CONFLICT DO UPDATE` adding each group's totals to its stored row. Each key
/// appears once per statement (PostgreSQL refuses to update one row twice in a statement).
fn upsert(dialect: Dialect, slot: usize, groups: &[(Key<'_>, Totals)]) -> Sql {
    let mut sql = Sql::prepared(dialect, upsert_text(dialect, slot), groups.len() * 17);
    for (key, t) in groups {
        let values: [Arg; 17] = [
            key.bucket_us.into(),
            key.provider_name.as_ref().into(),
            key.provider_type.as_ref().into(),
            key.model.as_ref().into(),
            key.requested_model.as_ref().into(),
            key.user_path.as_ref().into(),
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
        ];
        for value in values {
            sql.value(value);
        }
    }
    sql
}

/// The upsert text for `UPSERT_SIZES[slot]` groups, built once per dialect.
fn upsert_text(dialect: Dialect, slot: usize) -> &'static str {
    use std::sync::OnceLock;
    static TEXTS: [[OnceLock<String>; UPSERT_SIZES.len()]; 2] = [
        [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        [OnceLock::new(), OnceLock::new(), OnceLock::new()],
    ];
    let table = match dialect {
        Dialect::Sqlite => &TEXTS[0],
        Dialect::Postgres => &TEXTS[1],
    };
    table[slot].get_or_init(|| {
        let mut sql = Sql::new(dialect, "INSERT INTO usage_rollup (");
        sql.push(COLUMNS).push(") VALUES ");
        for i in 0..UPSERT_SIZES[slot] {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple(std::iter::repeat_n(Arg::Int(0), 17));
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
        sql.text
    })
}

/// Statements that recompute, from the per-request rows, the rollups of the quarter hours that
/// hold `timestamps` (adjacent quarter hours merged into one range; a page of re-priced rows
/// with a narrow filter may span months, and only the quarter hours it touched are redone). On
/// PostgreSQL the rollup table is locked against concurrent writers first: a writer's batch
/// that commits before the lock is counted by the recomputation, one that commits after adds
/// its totals on top of it, so nothing is counted twice or lost.
pub(crate) fn rebuild(dialect: Dialect, timestamps: impl IntoIterator<Item = i64>) -> Vec<Sql> {
    let mut buckets: Vec<i64> = timestamps.into_iter().map(bucket_start).collect();
    buckets.sort_unstable();
    buckets.dedup();
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for bucket in buckets {
        let end = bucket.saturating_add(BUCKET_US);
        match ranges.last_mut() {
            Some(last) if last.1 == bucket => last.1 = end,
            _ => ranges.push((bucket, end)),
        }
    }
    let mut statements = Vec::with_capacity(1 + 2 * ranges.len());
    if dialect == Dialect::Postgres && !ranges.is_empty() {
        statements.push(Sql::new(
            dialect,
            "LOCK TABLE usage_rollup IN SHARE ROW EXCLUSIVE MODE",
        ));
    }
    for (start, end) in ranges {
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
    }
    statements
}

/// Deletes the rollups of buckets that end at or before `ts_us` (retention; the caller deletes
/// the rows before the same quarter-hour edge, so rows and rollups stay in step).
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
