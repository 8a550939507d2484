//! Writing and reading audit entries, and following a Responses API conversation through them.
//!
//! A conversation is a chain of requests linked by `previous_response_id`: entry B continues
//! entry A when `B.previous_response_id = A.response_id` (any answer's id, as in GoModel, which
//! threads chat completions too). Both links are indexed, so walking a thread is one indexed
//! lookup per hop (on SQLite the response ids in bulk: [`crate::thread_index`]).
//!
//! On SQLite an entry is stored compactly in `audit_records` (its key, the two conversation
//! links, one JSON array of the other columns and the document) behind an `audit_logs` view
//! with the familiar columns (migrations/sqlite/0006); PostgreSQL keeps a plain table.
//!
//! The log and the conversation attach each entry's token usage ([`RequestUsageSummary`]) from
//! the usage rows of the same request. Both rows of a request carry its start time as `ts_us`,
//! so the lookup is one `ts_us IN (...)` on the usage time index per page, not a scan by the
//! (unindexed) request id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

use crate::error::Result;
use crate::exec::RowGet;
use crate::filter::{AuditFilter, Where};
use crate::json_text::ArrayWriter;
use crate::records::{AuditRow, Page, RawJson, RequestUsageSummary};
use crate::sql::{Arg, Dialect, Sql, fixed_size_chunks};
use crate::store::{Backend, Store};
use crate::thread_index;
use crate::usage::count_from_row;

const AUDIT_COLUMNS: &str = "id, request_id, ts_us, duration_ms, requested_model, \
    resolved_model, provider_type, provider_name, status_code, method, path, user_path, stream, \
    client_ip, error_type, response_id, previous_response_id, auth_method, data";

/// The values of [`AUDIT_COLUMNS`], in order.
fn audit_values(r: &AuditRow) -> [Arg; 19] {
    [
        r.id.as_str().into(),
        r.request_id.as_str().into(),
        r.ts_us.into(),
        r.duration_ms.into(),
        (&r.requested_model).into(),
        (&r.resolved_model).into(),
        (&r.provider_type).into(),
        (&r.provider_name).into(),
        r.status_code.into(),
        r.method.as_str().into(),
        r.path.as_str().into(),
        r.user_path.as_str().into(),
        r.stream.into(),
        (&r.client_ip).into(),
        (&r.error_type).into(),
        (&r.response_id).into(),
        (&r.previous_response_id).into(),
        (&r.auth_method).into(),
        Arg::RawJson(Some(r.data.clone())),
    ]
}

/// Rows per SQLite insert statement, largest first: a batch is cut into statements of exactly
/// these sizes, so three statement texts serve every batch and stay prepared.
const INSERT_SIZES: [usize; 3] = [64, 8, 1];

/// The columns of `audit_records`, SQLite's compact layout (migrations/sqlite/0006).
const RECORD_COLUMNS: &str = "id, ts_us, thread_response_id, previous_response_id, details, data";

/// Everything of an entry but its key, conversation links and document, as SQLite stores it:
/// one JSON array in `audit_records.details`, read back by the `audit_logs` view, which lists
/// the same positions; `None` becomes `null`. Written by hand ([`ArrayWriter`]).
fn details_text(r: &AuditRow) -> String {
    let mut details = ArrayWriter::with_capacity(256);
    details
        .string(&r.request_id) // 0
        .float(r.duration_ms) // 1
        .opt_string(r.requested_model.as_deref()) // 2
        .opt_string(r.resolved_model.as_deref()) // 3
        .opt_string(r.provider_type.as_deref()) // 4
        .opt_string(r.provider_name.as_deref()) // 5
        .integer(i64::from(r.status_code)) // 6
        .string(&r.method) // 7
        .string(&r.path) // 8
        .string(&r.user_path) // 9
        .boolean(r.stream) // 10
        .opt_string(r.client_ip.as_deref()) // 11
        .opt_string(r.error_type.as_deref()) // 12
        .opt_string(r.response_id.as_deref()) // 13
        .opt_string(r.auth_method.as_deref()); // 14
    details.finish()
}

/// `INSERT INTO audit_records ...` for `rows`, one of [`INSERT_SIZES`] long; the text of each
/// size is built once.
fn record_insert(rows: &[AuditRow]) -> Sql {
    static TEXTS: [OnceLock<String>; INSERT_SIZES.len()] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let build = || {
        let mut sql = Sql::new(Dialect::Sqlite, "INSERT INTO audit_records (");
        sql.push(RECORD_COLUMNS).push(") VALUES ");
        for i in 0..rows.len() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind_tuple(std::iter::repeat_n(Arg::Int(0), 6));
        }
        // The key is the unique `(ts_us, id)` index.
        sql.push(" ON CONFLICT DO NOTHING");
        sql.text
    };
    let text = match INSERT_SIZES.iter().position(|&size| size == rows.len()) {
        Some(slot) => std::borrow::Cow::Borrowed(TEXTS[slot].get_or_init(build).as_str()),
        None => std::borrow::Cow::Owned(build()),
    };
    let mut sql = Sql::prepared(Dialect::Sqlite, &text, rows.len() * 6);
    for row in rows {
        sql.value(row.id.as_str())
            .value(row.ts_us)
            .value(&row.response_id)
            .value(&row.previous_response_id)
            .value(details_text(row))
            .value(row.data.get());
    }
    sql
}

/// The time at the start of one of our entry ids (16 hex digits of microseconds, then 16
/// random: `time_ordered` in the gateway), which is the entry's `ts_us`; `None` for any other
/// id.
fn time_of_id(id: &str) -> Option<i64> {
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    i64::from_str_radix(&id[..16], 16).ok()
}

fn audit_from_row(r: &dyn RowGet) -> sqlx::Result<AuditRow> {
    Ok(AuditRow {
        id: r.text("id")?,
        request_id: r.text("request_id")?,
        ts_us: r.int("ts_us")?,
        duration_ms: r.float("duration_ms")?,
        requested_model: r.opt_text("requested_model")?,
        resolved_model: r.opt_text("resolved_model")?,
        provider_type: r.opt_text("provider_type")?,
        provider_name: r.opt_text("provider_name")?,
        status_code: r.int32("status_code")?,
        method: r.text("method")?,
        path: r.text("path")?,
        user_path: r.text("user_path")?,
        stream: r.boolean("stream")?,
        client_ip: r.opt_text("client_ip")?,
        error_type: r.opt_text("error_type")?,
        response_id: r.opt_text("response_id")?,
        previous_response_id: r.opt_text("previous_response_id")?,
        auth_method: r.opt_text("auth_method")?,
        // The column is NOT NULL; `null` stands in should a driver ever hand back nothing.
        data: r
            .opt_raw_json("data")?
            .unwrap_or_else(|| RawJson::new(Box::default())),
        usage: None,
    })
}

/// The token counts of one usage row, keyed by its request.
struct UsageTokens {
    ts_us: i64,
    request_id: String,
    input: i64,
    output: i64,
    total: i64,
    cached: i64,
    cache_write: i64,
}

fn usage_tokens_from_row(r: &dyn RowGet) -> sqlx::Result<UsageTokens> {
    Ok(UsageTokens {
        ts_us: r.int("ts_us")?,
        request_id: r.text("request_id")?,
        input: r.int("input_tokens")?,
        output: r.int("output_tokens")?,
        total: r.int("total_tokens")?,
        cached: r.int("cached_input_tokens")?,
        cache_write: r.int("cache_write_tokens")?,
    })
}

impl RequestUsageSummary {
    fn add(&mut self, row: &UsageTokens) {
        self.entries += 1;
        self.input_tokens += row.input;
        self.output_tokens += row.output;
        self.total_tokens += row.total;
        self.cached_input_tokens += row.cached;
        self.cache_write_input_tokens += row.cache_write;
    }

    /// Fills in the derived fields once every row is added.
    fn finish(mut self) -> Self {
        self.uncached_input_tokens =
            (self.input_tokens - self.cached_input_tokens - self.cache_write_input_tokens).max(0);
        self.cached_input_ratio = if self.input_tokens > 0 {
            self.cached_input_tokens as f64 / self.input_tokens as f64
        } else {
            0.0
        };
        self.estimated_cached_characters = self.cached_input_tokens.saturating_mul(4);
        self
    }
}

impl Store {
    /// Stores audit entries; entries whose id is already stored are skipped.
    pub async fn insert_audit(&self, rows: &[AuditRow]) -> Result<()> {
        let Backend::Sqlite { thread_tail, .. } = &self.backend else {
            return self
                .insert_skipping_existing("audit_logs", AUDIT_COLUMNS, rows, audit_values)
                .await;
        };
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for (_, chunk) in fixed_size_chunks(rows, &INSERT_SIZES) {
            tx.execute(record_insert(chunk)).await?;
        }
        let tail = thread_tail.append(&mut tx, rows).await?;
        tx.commit().await?;
        thread_tail.committed(tail);
        self.note_rows_written(rows.len()).await;
        Ok(())
    }

    /// Matching audit entries, newest first, with the total number of matches.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Page<AuditRow>> {
        let mut count = Sql::new(self.dialect(), "SELECT COUNT(*) AS n FROM audit_logs");
        Where::new(&mut count).audit(filter);
        let total = self.fetch_one(count, count_from_row).await?;

        let mut page = Sql::new(self.dialect(), "SELECT ");
        page.push(AUDIT_COLUMNS).push(" FROM audit_logs");
        Where::new(&mut page).audit(filter);
        page.push(" ORDER BY ts_us DESC, id DESC LIMIT ")
            .bind(i64::from(limit))
            .push(" OFFSET ")
            .bind(i64::from(offset));
        let mut items = self.fetch_all(page, audit_from_row).await?;
        self.attach_usage(&mut items).await?;
        Ok(Page { items, total })
    }

    /// Sets each entry's `usage` from the usage rows of its request (see the module docs).
    async fn attach_usage(&self, entries: &mut [AuditRow]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut times: Vec<i64> = entries.iter().map(|e| e.ts_us).collect();
        times.sort_unstable();
        times.dedup();
        let mut sql = Sql::new(
            self.dialect(),
            "SELECT ts_us, request_id, input_tokens, output_tokens, total_tokens, \
             cached_input_tokens, cache_write_tokens FROM usage WHERE ts_us IN (",
        );
        for (i, ts) in times.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(ts);
        }
        sql.push(")");
        // Its text varies with the page (up to 200 times): kept out of the statement cache,
        // where it would evict the prepared inserts.
        let sql = sql.one_off();
        let rows = self.fetch_all(sql, usage_tokens_from_row).await?;
        let mut sums: HashMap<(i64, &str), RequestUsageSummary> = HashMap::new();
        for row in &rows {
            sums.entry((row.ts_us, row.request_id.as_str()))
                .or_default()
                .add(row);
        }
        for entry in entries {
            entry.usage = sums
                .remove(&(entry.ts_us, entry.request_id.as_str()))
                .map(RequestUsageSummary::finish);
        }
        Ok(())
    }

    /// One audit entry by id.
    /// On SQLite, where the key is `(ts_us, id)`, one of our ids is looked up by the time it
    /// starts with (an index seek); any other id by a scan.
    pub async fn audit_entry(&self, id: &str) -> Result<Option<AuditRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS).push(" FROM audit_logs WHERE ");
        if let (Dialect::Sqlite, Some(ts_us)) = (self.dialect(), time_of_id(id)) {
            sql.push("ts_us = ").bind(ts_us).push(" AND ");
        }
        sql.push("id = ").bind(id);
        self.fetch_optional(sql, audit_from_row).await
    }

    /// The conversation around entry `id`, oldest first, at most `limit` entries: its ancestors
    /// (following `previous_response_id` back to the entry that produced that response id),
    /// itself, then its continuations (entries whose `previous_response_id` is a response id in
    /// the thread, branches included). Ancestors take precedence when the limit cuts. Empty when
    /// the entry does not exist.
    pub async fn audit_conversation(&self, id: &str, limit: u32) -> Result<Vec<AuditRow>> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let Some(entry) = self.audit_entry(id).await? else {
            return Ok(Vec::new());
        };
        // `seen` guards against cycles, which corrupt or hand-edited data could contain.
        let mut seen = HashSet::from([entry.id.clone()]);
        let mut thread = vec![entry.clone()];

        let mut cursor = entry.previous_response_id.clone();
        while thread.len() < limit {
            let Some(previous) = cursor else { break };
            let Some(parent) = self.audit_by_response_id(&previous).await? else {
                break;
            };
            if !seen.insert(parent.id.clone()) {
                break;
            }
            cursor = parent.previous_response_id.clone();
            thread.push(parent);
        }

        let mut frontier = VecDeque::from([entry]);
        while let Some(node) = frontier.pop_front() {
            let room = limit.saturating_sub(thread.len());
            if room == 0 {
                break;
            }
            let Some(response_id) = node.response_id else {
                continue;
            };
            for child in self.audit_continuations(&response_id, room).await? {
                if seen.insert(child.id.clone()) {
                    thread.push(child.clone());
                    frontier.push_back(child);
                }
            }
        }

        thread.truncate(limit);
        thread.sort_by(|a, b| a.ts_us.cmp(&b.ts_us).then_with(|| a.id.cmp(&b.id)));
        self.attach_usage(&mut thread).await?;
        Ok(thread)
    }

    /// The entry that produced `response_id` (the earliest, should several mention it).
    async fn audit_by_response_id(&self, response_id: &str) -> Result<Option<AuditRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS).push(" FROM audit_logs WHERE ");
        // SQLite indexes response ids in bulk (see `thread_index`).
        match self.dialect() {
            Dialect::Sqlite => thread_index::produced(&mut sql, response_id),
            Dialect::Postgres => {
                sql.push("response_id = ").bind(response_id);
            }
        }
        sql.push(" ORDER BY ts_us, id LIMIT 1");
        self.fetch_optional(sql, audit_from_row).await
    }

    /// Entries that continued from `response_id`, oldest first.
    async fn audit_continuations(&self, response_id: &str, limit: usize) -> Result<Vec<AuditRow>> {
        let mut sql = Sql::new(self.dialect(), "SELECT ");
        sql.push(AUDIT_COLUMNS)
            .push(" FROM audit_logs WHERE previous_response_id = ")
            .bind(response_id)
            .push(" ORDER BY ts_us, id LIMIT ")
            .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        self.fetch_all(sql, audit_from_row).await
    }

    /// Deletes audit entries older than `ts_us`; returns how many were deleted.
    pub async fn delete_audit_before(&self, ts_us: i64) -> Result<u64> {
        match self.dialect() {
            Dialect::Sqlite => {
                let deleted = self
                    .delete_in_batches("audit_records", "(ts_us, id)", ts_us)
                    .await?;
                for sql in thread_index::delete_before(ts_us) {
                    self.execute(sql).await?;
                }
                Ok(deleted)
            }
            Dialect::Postgres => self.delete_in_batches("audit_logs", "id", ts_us).await,
        }
    }
}
